"""MeshNamespace: an application namespace enrolled in the mesh, the one obvious way.

Workloads must actually join the mesh before STRICT mTLS is turned on, or their traffic
breaks. Sidecar mode enrols a namespace with ``istio-injection=enabled`` (or, for a revisioned
control plane, ``istio.io/rev=<revision>``: the two must not be combined, the first wins).
Ambient mode enrols it with ``istio.io/dataplane-mode=ambient``. Pods already running are
not changed by a label: restart them after enrolling an existing namespace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypedDict

import pulumi
import pulumi_kubernetes as k8s

from mesh_https import validation as v
from mesh_https.istio_objects import MANAGED_LABELS, istio_object

COMPONENT = "MeshNamespace"


class MeshNamespaceArgs(TypedDict, total=False):
    """Inputs of :class:`MeshNamespace`; ``mode`` and ``system_namespace`` come from
    ``IstioInstall``'s outputs."""

    namespace: str
    """The namespace's name. Default: the resource name."""
    mode: pulumi.Input[str]
    """``sidecar`` or ``ambient``: ``IstioInstall.mode``. Default ``sidecar``."""
    revision: pulumi.Input[str]
    """Control-plane revision: ``IstioInstall.revision``. Default ``""`` (the default one)."""
    system_namespace: pulumi.Input[str]
    """The mesh root namespace: ``IstioInstall.system_namespace``. Default ``istio-system``."""
    scope_sidecar: bool
    """Also create a ``Sidecar`` named ``default`` that limits the namespace's proxies to its
    own services and the system namespace (Istio's advice at scale). Default ``False``."""
    extra_egress_hosts: Sequence[str]
    """With ``scope_sidecar``: more ``<namespace>/<host>`` entries the proxies may reach."""
    labels: Mapping[str, str]
    """More labels for the namespace."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first: the ``IstioInstall``, so the injector runs before pods start."""


def enrolment_labels(mode: str, revision: str) -> dict[str, str]:
    """The namespace labels that enrol it for ``mode`` and ``revision``."""
    if mode == "ambient":
        return {"istio.io/dataplane-mode": "ambient"}
    if revision:
        return {"istio.io/rev": revision}
    return {"istio-injection": "enabled"}


def validate_args(name: str, args: MeshNamespaceArgs) -> None:
    """Check :class:`MeshNamespace` input; raises :class:`ValidationError`."""
    c = COMPONENT
    v.check_dns_label(c, "namespace", args.get("namespace", name))
    v.check_choice(c, "mode", args.get("mode", "sidecar"), ("sidecar", "ambient"))
    reserved = {"istio-injection", "istio.io/rev", "istio.io/dataplane-mode"}
    for key in args.get("labels", {}):
        if key in reserved:
            v.fail(c, f"labels.{key}", "is set by the component from mode and revision; remove it")
    if "extra_egress_hosts" in args and not args.get("scope_sidecar", False):
        v.fail(c, "extra_egress_hosts", "only applies with scope_sidecar=True")
    for i, host in enumerate(args.get("extra_egress_hosts", [])):
        if not isinstance(host, str) or "/" not in host:
            v.fail(c, f"extra_egress_hosts[{i}]", f"is {host!r}; use '<namespace>/<host>'")


class MeshNamespace(pulumi.ComponentResource):
    """A namespace whose workloads join the mesh (sidecar injection or ambient)."""

    namespace: pulumi.Output[str]
    """The namespace's name."""
    labels: pulumi.Output[dict[str, str]]
    """Every label on it, the enrolment label included."""

    def __init__(
        self,
        name: str,
        args: MeshNamespaceArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = args or {}
        validate_args(name, args)
        super().__init__("mesh-https:index:MeshNamespace", name, None, opts)
        namespace = args.get("namespace", name)
        after = list(args.get("depends_on", []))
        extra = dict(args.get("labels", {}))
        labels = pulumi.Output.all(args.get("mode", "sidecar"), args.get("revision", "")).apply(
            lambda mr: dict(sorted({**MANAGED_LABELS, **extra, **enrolment_labels(*mr)}.items()))
        )
        self.resource = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": namespace, "labels": labels},
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        if args.get("scope_sidecar", False):
            system = args.get("system_namespace", "istio-system")
            hosts = pulumi.Output.from_input(system).apply(
                lambda root: ["./*", f"{root}/*", *sorted(args.get("extra_egress_hosts", []))]
            )
            istio_object(
                f"{name}-sidecar",
                "Sidecar",
                "default",
                namespace,
                hosts.apply(lambda h: {"egress": [{"hosts": h}]}),
                parent=self,
                depends_on=[self.resource, *after],
            )
        self.namespace = self.resource.metadata.apply(lambda m: m["name"])
        self.labels = labels
        self.register_outputs({"namespace": self.namespace, "labels": self.labels})
