"""MeshNamespace: an application namespace enrolled in the mesh, the one obvious way.

Workloads must actually join the mesh before STRICT mTLS is turned on, or their traffic
breaks. Sidecar mode enrols a namespace with ``istio-injection=enabled`` (or, for a revisioned
control plane, ``istio.io/rev=<revision>``: the two must not be combined, the first wins).
Ambient mode enrols it with ``istio.io/dataplane-mode=ambient``. Pods already running are
not changed by a label: restart them after enrolling an existing namespace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal, TypedDict

import pulumi

from mesh_https import contract
from mesh_https import validation as v
from mesh_https._values import known
from mesh_https.constraints import (
    DnsLabel,
    LabelKey,
    LabelValue,
    Plain,
    built_in_namespace_problem,
    dns_label_problem,
    label_value_problem,
)
from mesh_https.contract import Rule
from mesh_https.istio_objects import MANAGED_LABELS, created_namespace, istio_object
from mesh_https.waypoint import USE_WAYPOINT_LABEL

COMPONENT = "MeshNamespace"


def _revision_problem(value: str) -> str | None:
    # "" is the default revision; anything else is a label value naming a revision or tag.
    return label_value_problem(value) if value else None


RevisionLabel = Annotated[str, Rule(_revision_problem, "a revision or tag")]


def _egress_problem(value: str) -> str | None:
    namespace, _, host = value.partition("/")
    if not namespace or not host:
        return "use '<namespace>/<host>', e.g. 'istio-system/*' or './*'"
    return None


class MeshNamespaceArgs(TypedDict, total=False):
    """Inputs of :class:`MeshNamespace`; ``mode``, ``revision`` and ``system_namespace`` come
    from ``IstioInstall.info`` (plain values: they decide the namespace's labels)."""

    namespace: DnsLabel
    """The namespace's name. Default: the resource name."""
    mode: Annotated[Literal["sidecar", "ambient"], Plain("istio.info.mode")]
    """``sidecar`` or ``ambient``: ``IstioInstall.info.mode``. Default ``sidecar``."""
    revision: Annotated[
        str, Rule(_revision_problem, "a revision or tag"), Plain("istio.info.revision")
    ]
    """The revision or tag to join: ``IstioInstall.info.revision``. Default ``""`` (the
    default one)."""
    system_namespace: Annotated[DnsLabel, Plain("istio.info.system_namespace")]
    """The mesh root namespace: ``IstioInstall.info.system_namespace``. Default
    ``istio-system``."""
    scope_sidecar: bool
    """Also create a ``Sidecar`` named ``default`` that limits the namespace's proxies to its
    own services and the system namespace (Istio's advice at scale). Default ``False``."""
    extra_egress_hosts: Sequence[Annotated[str, Rule(_egress_problem, "'<namespace>/<host>'")]]
    """With ``scope_sidecar``: more ``<namespace>/<host>`` entries the proxies may reach."""
    labels: Mapping[LabelKey, LabelValue]
    """More labels for the namespace."""
    waypoint: DnsLabel
    """Ambient mode: the waypoint its services use (``istio.io/use-waypoint``), the
    ``Waypoint``'s name. Routes and L7 authorization for in-mesh callers need one."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first: the ``IstioInstall``, so the injector runs before pods start."""


@dataclass(frozen=True)
class MeshNamespaceInfo:
    """The namespace's facts as plain values, for other components' structural inputs."""

    namespace: str
    mode: str
    revision: str


def enrolment_labels(mode: str, revision: str) -> dict[str, str]:
    """The namespace labels that enrol it for ``mode`` and ``revision``."""
    if mode == "ambient":
        return {"istio.io/dataplane-mode": "ambient"}
    if revision:
        return {"istio.io/rev": revision}
    return {"istio-injection": "enabled"}


def validate_args(name: str, args: MeshNamespaceArgs | None) -> MeshNamespaceArgs:
    """Check :class:`MeshNamespace` input; raises :class:`ValidationError`. Returns the args
    to build from."""
    c = COMPONENT
    args = contract.check(c, MeshNamespaceArgs, args)
    namespace = args.get("namespace", name)
    if "namespace" not in args:
        problem = dns_label_problem(namespace)
        if problem:
            v.fail(c, "namespace", f"is {namespace!r} (the resource name); {problem}")
    if namespace == args.get("system_namespace", "istio-system"):
        v.fail(
            c,
            "namespace",
            f"is {namespace!r}, a system namespace; applications get a namespace of their own",
        )
    problem = built_in_namespace_problem(namespace)
    if problem:
        v.fail(c, "namespace", problem)
    if "waypoint" in args and args.get("mode", "sidecar") != "ambient":
        v.fail(c, "waypoint", "only applies in ambient mode; sidecars are the L7 proxies here")
    if args.get("waypoint") == "none":
        v.fail(c, "waypoint", "is 'none', which opts out of waypoints; leave it out instead")
    reserved = {"istio-injection", "istio.io/rev", "istio.io/dataplane-mode", USE_WAYPOINT_LABEL}
    for key in args.get("labels", {}):
        if key in reserved:
            v.fail(c, f"labels.{key}", "is set by the component from mode and revision; remove it")
    if "extra_egress_hosts" in args and not args.get("scope_sidecar", False):
        v.fail(c, "extra_egress_hosts", "only applies with scope_sidecar=True")
    return contract.deferred(c, MeshNamespaceArgs, args)


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
        args = validate_args(name, args)
        super().__init__("mesh-https:index:MeshNamespace", name, None, opts)
        namespace = args.get("namespace", name)
        after = list(args.get("depends_on", []))
        mode, revision = args.get("mode", "sidecar"), args.get("revision", "")
        labels = dict(
            sorted(
                {
                    **MANAGED_LABELS,
                    **args.get("labels", {}),
                    **enrolment_labels(mode, revision),
                    **({USE_WAYPOINT_LABEL: args["waypoint"]} if "waypoint" in args else {}),
                }.items()
            )
        )
        self.resource = created_namespace(
            f"{name}-namespace", namespace, labels, parent=self, depends_on=after
        )
        if args.get("scope_sidecar", False):
            system = args.get("system_namespace", "istio-system")
            hosts = ["./*", f"{system}/*", *sorted(args.get("extra_egress_hosts", []))]
            istio_object(
                f"{name}-sidecar",
                "Sidecar",
                "default",
                namespace,
                {"egress": [{"hosts": hosts}]},
                parent=self,
                depends_on=[self.resource, *after],
            )
        self.info = MeshNamespaceInfo(namespace=namespace, mode=mode, revision=revision)
        self.namespace = self.resource.metadata.apply(lambda m: m["name"])
        self.labels = known(labels)
        self.register_outputs({"namespace": self.namespace, "labels": self.labels})
