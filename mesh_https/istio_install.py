"""IstioInstall: Istio's official Helm charts, in the order Istio documents, as one component.

Sidecar mode: namespaces → ``base`` → ``istiod`` → ``gateway``.
Ambient mode: namespaces → ``base`` → ``istiod`` (``profile=ambient``) → ``cni``
(``profile=ambient``) → ``ztunnel`` → ``gateway``.

Every release is a ``helm.v3.Release`` (real Helm): it keeps the base chart's CRDs on destroy
(``helm.sh/resource-policy: keep``) and leaves istiod's own webhook rewrites alone.

Canary upgrades of the control plane follow Istio's revision-based flow: several ``istiod``
releases side by side (``istiod-<revision>``), sharing one ``base``, with revision tags
(``istio.io/rev=<tag>``) that namespaces and the gateway point at. A tag is the injection
webhook the istiod chart's ``revision-tags-mwc.yaml`` renders, kept here as its own resource
(as Istio's Helm upgrade tests apply that template on its own), so moving a tag from one
revision to another is an in-place update of one object, with no Helm ownership conflict
between the two releases.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Required, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from mesh_https import contract, pki
from mesh_https import validation as v
from mesh_https._values import deep_merge, dig, known
from mesh_https.cluster import GatewayServiceArgs, check_ports
from mesh_https.constraints import (
    DnsLabel,
    DnsSubdomain,
    HelmReleaseName,
    ImageHub,
    IstioVersionText,
    NonEmpty,
    PositiveInt,
    built_in_namespace_problem,
    helm_release_name_problem,
)
from mesh_https.gateway_api import GATEWAY_API_VERSION, crds_manifest
from mesh_https.identity import workload_principal
from mesh_https.istio_charts import (
    CACERTS_ANNOTATION,
    CONTROL_PLANE_ANNOTATION,
    ChartRepository,
    cacerts_checksum,
    chart_source,
    gateway_identity,
    gateway_service_values,
    revision_tag_webhook_name,
    revision_tag_webhooks,
)
from mesh_https.istio_objects import MANAGED_LABELS, created_namespace
from mesh_https.pki import PluggedCaArgs
from mesh_https.versions import (
    ISTIO_CHART_REPOSITORY,
    ISTIO_IMAGE_HUB,
    ISTIO_VERSION,
    support_warning,
)

COMPONENT = "IstioInstall"
MODES = ("sidecar", "ambient")
HELM_RELEASE_NAME_LIMIT = 53
DEFAULT_GATEWAY_SERVICE: GatewayServiceArgs = {"type": "LoadBalancer"}


class ChartRepositoryAuthArgs(TypedDict, total=False):
    """Credentials for a private chart mirror (``repositoryOpts`` of each release)."""

    username: NonEmpty
    """User name for the repository or registry."""
    password: pulumi.Input[str]
    """Its password or token; kept a secret."""
    ca_file: str
    """Path of a CA bundle that verifies the mirror's certificate, on the machine that runs
    ``pulumi up``."""


class RevisionArgs(TypedDict, total=False):
    """One control-plane revision: an ``istiod-<name>`` release beside the others."""

    name: Required[DnsLabel]
    """The revision, e.g. ``1-31-4`` (a DNS label; required)."""
    version: IstioVersionText
    """The istiod chart version of this revision. Default: the install's ``version``."""
    tags: Sequence[DnsLabel]
    """Revision tags pointing at this revision, e.g. ``["prod"]``. Namespaces labelled
    ``istio.io/rev=<tag>`` are injected by it. The tag ``default`` also takes
    ``istio-injection=enabled`` namespaces and makes this the default revision."""
    istiod_values: Mapping[str, Any]
    """Extra istiod values for this revision, laid over the install's ``istiod_values``."""


class GatewayWorkloadArgs(TypedDict, total=False):
    """One ingress gateway workload: a ``gateway`` chart release with its own Service."""

    name: Required[HelmReleaseName]
    """The Helm release name. The chart derives the pod's ``istio`` label (the name without
    a leading ``istio-``) and the service account from it. Required."""
    namespace: DnsLabel
    """Namespace of the workload and of the TLS secrets its Gateways read. Default
    ``istio-ingress``."""
    service: GatewayServiceArgs
    """Its Service: ``LoadBalancer`` (default; annotations for an internal load balancer),
    ``NodePort`` or ``ClusterIP`` (reached only from inside the cluster)."""
    values: Mapping[str, Any]
    """Extra values for this release of the ``gateway`` chart, laid over ours."""


class GatewayApiCrdsArgs(TypedDict, total=False):
    """The Kubernetes Gateway API CRDs (standard channel), applied before istiod."""

    install: bool
    """Apply them. Default: in ambient mode (waypoints are Gateway API Gateways) and with
    ``api="gateway-api"``. Leave it off where the cluster manages them (GKE's Gateway API
    add-on, for one)."""
    version: NonEmpty
    """The Gateway API release. Default :data:`mesh_https.gateway_api.GATEWAY_API_VERSION`,
    the newest patch of the minor the pinned Istio is built against."""
    manifest: NonEmpty
    """A URL or path of the manifest instead of the release's ``standard-install.yaml``
    (a mirror, for air-gapped clusters)."""


class IstioInstallArgs(TypedDict, total=False):
    """Inputs of :class:`IstioInstall`. Every key is optional."""

    version: IstioVersionText
    """Istio release for every chart (base, gateway, cni, ztunnel, and istiod unless a
    revision says otherwise). Default :data:`mesh_https.versions.ISTIO_VERSION`."""
    chart_repository: ChartRepository
    """Where the charts are: an HTTP(S) Helm repository or an ``oci://`` registry path
    (``oci://ghcr.io/istio/release/charts``), or a private mirror of either. Default
    :data:`mesh_https.versions.ISTIO_CHART_REPOSITORY`."""
    chart_repository_auth: ChartRepositoryAuthArgs
    """Credentials and CA for a private ``chart_repository``."""
    image_hub: ImageHub
    """Registry of Istio's images, passed to every chart that pulls them. Default
    ``docker.io/istio``; a mirror such as ``registry.example.com/istio`` for air-gapped use."""
    mode: Literal["sidecar", "ambient"]
    """Data-plane mode. ``sidecar`` (default) or ``ambient`` (adds cni and ztunnel)."""
    api: Literal["istio", "gateway-api"]
    """The install's default routing API, for ``HttpsGateway`` and ``CanaryRoute`` to take
    from ``info.api``: ``istio`` (default) or ``gateway-api``, which also installs the
    Gateway API CRDs unless ``gateway_api_crds`` says otherwise."""
    revision: DnsLabel
    """One control-plane revision (``istiod-<revision>``). Default: none. For several
    revisions side by side, use ``revisions`` instead."""
    revisions: Sequence[RevisionArgs]
    """Several control-plane revisions side by side, each with its tags, for canary upgrades
    (sidecar mode). See the README's "Upgrading Istio"."""
    workload_revision: DnsLabel
    """The ``istio.io/rev`` the gateway and enrolled namespaces use: a tag (recommended) or a
    revision. Exposed as :attr:`IstioInstall.revision`. Default: ``revision``, or the only
    entry of ``revisions``; required with several revisions."""
    system_namespace: DnsLabel
    """Namespace of istiod and the mesh root. Default ``istio-system``."""
    gateway_namespace: DnsLabel
    """Namespace of the ingress gateway workload. Default ``istio-ingress``."""
    gateway_release_name: HelmReleaseName
    """Helm release name of the gateway; the chart derives the pod's ``istio`` label and the
    service account from it. Default ``istio-ingress`` (label ``istio: ingress``)."""
    ambient_namespace: DnsLabel
    """Namespace of cni and ztunnel in ambient mode. Default: the system namespace
    (``kube-system`` on GKE and OpenShift)."""
    gateway_service: GatewayServiceArgs
    """The gateway Service; take it from ``cluster.gateway_service()``. Default LoadBalancer."""
    gateways: Sequence[GatewayWorkloadArgs]
    """Every ingress gateway workload, e.g. a public and an internal one, instead of the
    ``gateway_*`` inputs. The first is *the* gateway of the ``gateway_*`` outputs; each is
    in :attr:`IstioInfo.gateways`. Default: one, from the ``gateway_*`` inputs."""
    trust_domain: DnsSubdomain
    """The mesh trust domain used in SPIFFE principals. Default ``cluster.local``."""
    release_timeout_seconds: PositiveInt
    """Timeout for each Helm release to become ready. Default 600."""
    base_values: Mapping[str, Any]
    """Extra values for the ``base`` chart, laid over ours."""
    istiod_values: Mapping[str, Any]
    """Extra values for every ``istiod`` release, laid over ours."""
    gateway_values: Mapping[str, Any]
    """Extra values for the ``gateway`` chart, laid over ours."""
    cni_values: Mapping[str, Any]
    """Extra values for the ``cni`` chart (ambient mode only)."""
    ztunnel_values: Mapping[str, Any]
    """Extra values for the ``ztunnel`` chart (ambient mode only)."""
    gateway_api_crds: GatewayApiCrdsArgs
    """The Gateway API CRDs: applied in the graph before istiod, fetched by the Kubernetes
    provider at deploy time, and kept when the stack is destroyed."""
    plugged_ca: PluggedCaArgs
    """Istio's plug-in CA (``CertificateAuthority.plugged_ca``): written as the ``cacerts``
    secret in the system namespace before istiod starts, so workload certificates chain to
    the same root as the ingress certificates. A hash of it is an istiod pod annotation, so a
    renewed CA restarts istiod. Default: istiod's self-signed CA."""
    depends_on: Sequence[pulumi.Resource]
    """Resources that must exist before the namespaces and releases are created."""


@dataclass(frozen=True)
class GatewayInfo:
    """One gateway workload's identity, derived once: from a ``gateway`` chart release's name
    and values, or (``HttpsGateway.workload``) from a Gateway API Gateway's name."""

    name: str
    """The workload's name: the Helm release, or ``<gateway>-istio`` that istiod deploys."""
    namespace: str
    """Where the workload runs, and where its Gateways' TLS secrets go."""
    selector: dict[str, str]
    """Pod labels that select it: an ``HttpsGateway``'s ``selector``."""
    service_account: str
    """The workload's service account: the identity its principal names."""
    principal: str
    """Its SPIFFE principal, for ``StrictMtls``'s ``gateway_principals``."""


@dataclass(frozen=True)
class IstioInfo:
    """The install's facts as plain values, known before deploy, for checks in Python code.

    The same facts are the component's Outputs; other components' validation reads these.
    """

    mode: Literal["sidecar", "ambient"]
    revision: str
    """The ``istio.io/rev`` workloads use (a tag or a revision; ``""`` for the default)."""
    version: str
    system_namespace: str
    gateway_namespace: str
    gateway_selector: dict[str, str]
    gateway_service_account: str
    gateway_principal: str
    revisions: tuple[str, ...] = ()
    """Every control-plane revision installed (``""`` is the unrevisioned default)."""
    tags: dict[str, str] = field(default_factory=dict)
    """Revision tag → the revision it points at."""
    control_plane_revision: str = ""
    """The revision that ``revision`` resolves to: put it in a workload's pod-template
    annotation and the workload restarts when its tag moves to another revision."""
    trust_domain: str = "cluster.local"
    api: Literal["istio", "gateway-api"] = "istio"
    """The routing API the install's components default to (``IstioInstall``'s ``api``)."""
    gateways: tuple[GatewayInfo, ...] = ()
    """Every gateway workload, the first being the one of the ``gateway_*`` fields. Empty
    with ``api="gateway-api"`` (and no ``gateways``): each Gateway API Gateway is its own
    workload, and ``HttpsGateway.workload`` gives its identity; the ``gateway_*`` fields are
    then empty but for the namespace."""

    def gateway(self, name: str) -> GatewayInfo:
        """The gateway workload whose release is ``name``; ``KeyError`` names the others."""
        for gateway in self.gateways:
            if gateway.name == name:
                return gateway
        raise KeyError(f"no gateway {name!r}; the install has {[g.name for g in self.gateways]}")

    def principal(self, namespace: str, service_account: str) -> str:
        """A workload's principal under this install's trust domain (see
        :func:`mesh_https.workload_principal`)."""
        return workload_principal(namespace, service_account, self.trust_domain)


@dataclass(frozen=True)
class _ControlPlane:
    """The resolved revision layout: every istiod, every tag, and what workloads use."""

    revisions: dict[str, RevisionArgs]
    tags: dict[str, str]
    workload_revision: str
    resolved: str

    @property
    def default_revision(self) -> str:
        """What base's ``defaultRevision`` names: the ``default`` tag's revision, else the
        revision workloads use."""
        return self.tags.get("default", self.resolved)


def _revisions_of(args: IstioInstallArgs) -> list[RevisionArgs]:
    if "revisions" in args:
        return list(args["revisions"])
    return [{"name": args.get("revision", "")}]


def _control_plane(args: IstioInstallArgs) -> _ControlPlane:
    revisions = {r["name"]: r for r in _revisions_of(args)}
    tags = {tag: name for name, r in revisions.items() for tag in r.get("tags", [])}
    default = next(iter(revisions)) if len(revisions) == 1 else ""
    workload = args.get("workload_revision", default)
    return _ControlPlane(revisions, tags, workload, tags.get(workload, workload))


def _check_release_name(field_name: str, release: str) -> None:
    problem = helm_release_name_problem(release)
    if problem:
        v.fail(COMPONENT, field_name, f"gives the Helm release name {release!r}; {problem}")


def _check_revisions(args: IstioInstallArgs) -> None:
    c = COMPONENT
    if "revisions" in args and "revision" in args:
        v.fail(c, "revisions", "cannot be combined with `revision`; list that revision here")
    if "revisions" not in args:
        if "revision" in args:
            _check_release_name("revision", f"istiod-{args['revision']}")
        if "workload_revision" in args and args["workload_revision"] != args.get("revision", ""):
            v.fail(
                c,
                "workload_revision",
                f"is {args['workload_revision']!r}; with one revision it can only be that "
                f"revision ({args.get('revision', '')!r}). Tags are declared in `revisions`",
            )
        return
    entries = args["revisions"]
    if not entries:
        v.fail(c, "revisions", "must be a non-empty list of {name, version, tags, istiod_values}")
    if args.get("mode", "sidecar") == "ambient" and len(entries) > 1:
        v.fail(
            c,
            "revisions",
            "has several revisions, but in ambient mode ztunnel and cni are upgraded in place "
            "and serve one control plane; give one revision (canary istiod is sidecar-only here)",
        )
    names: set[str] = set()
    tags: dict[str, str] = {}
    for i, entry in enumerate(entries):
        where = f"revisions[{i}]"
        name = entry["name"]
        _check_release_name(f"{where}.name", f"istiod-{name}")
        v.check_unique(c, f"{where}.name", name, names, "revision names")
        for j, tag in enumerate(entry.get("tags", [])):
            if tag in tags:
                v.fail(
                    c,
                    f"{where}.tags[{j}]",
                    f"repeats tag {tag!r}, which already points at revision {tags[tag]!r}; a "
                    "tag points at one revision. Move it by removing it from the other",
                )
            tags[tag] = name
    for tag, owner in tags.items():
        if tag in names:
            v.fail(
                c,
                "revisions",
                f"has tag {tag!r} (on revision {owner!r}) with the same name as a revision; "
                "Istio cannot tell them apart",
            )
    workload = args.get("workload_revision")
    if workload is None:
        if len(names) > 1:
            v.fail(
                c,
                "workload_revision",
                f"is missing; with several revisions, say which tag (or revision) the gateway "
                f"and namespaces use. Tags: {sorted(tags)}; revisions: {sorted(names)}",
            )
        return
    if workload not in tags and workload not in names:
        v.fail(
            c,
            "workload_revision",
            f"is {workload!r}, neither a tag ({sorted(tags)}) nor a revision ({sorted(names)})",
        )


LEGACY_GATEWAY_FIELDS = (
    "gateway_namespace",
    "gateway_release_name",
    "gateway_service",
    "gateway_values",
)


def gateways_of(args: IstioInstallArgs) -> list[GatewayWorkloadArgs]:
    """Every gateway workload: ``gateways``, or the one the ``gateway_*`` inputs describe."""
    if "gateways" in args:
        return [
            {
                "namespace": "istio-ingress",
                "service": DEFAULT_GATEWAY_SERVICE,
                "values": {},
                **gateway,
            }
            for gateway in args["gateways"]
        ]
    return [
        {
            "name": args.get("gateway_release_name", "istio-ingress"),
            "namespace": args.get("gateway_namespace", "istio-ingress"),
            "service": args.get("gateway_service", DEFAULT_GATEWAY_SERVICE),
            "values": args.get("gateway_values", {}),
        }
    ]


def _check_service(field_name: str, service: GatewayServiceArgs) -> None:
    if service.get("type", "LoadBalancer") == "NodePort":
        if "node_ports" not in service:
            v.fail(
                COMPONENT, f"{field_name}.node_ports", "is missing; a NodePort gateway needs them"
            )
        check_ports(COMPONENT, f"{field_name}.node_ports", service["node_ports"], node=True)
    elif "node_ports" in service:
        v.fail(COMPONENT, f"{field_name}.node_ports", "is only used with type 'NodePort'")


def _check_gateways(args: IstioInstallArgs) -> None:
    c = COMPONENT
    if args.get("api", "istio") == "gateway-api" and "gateways" not in args:
        for chart_only in ("gateway_release_name", "gateway_service", "gateway_values"):
            if chart_only in args:
                v.fail(
                    c,
                    chart_only,
                    "configures the gateway chart, which api='gateway-api' does not install "
                    "(istiod deploys each Gateway); list `gateways` to install it as well",
                )
        return
    if "gateways" not in args:
        _check_release_name(
            "gateway_release_name", args.get("gateway_release_name", "istio-ingress")
        )
        _check_service("gateway_service", args.get("gateway_service", DEFAULT_GATEWAY_SERVICE))
        return
    for legacy in LEGACY_GATEWAY_FIELDS:
        if legacy in args:
            v.fail(
                c,
                legacy,
                "cannot be combined with `gateways`; set it on the gateway's entry there "
                f"(`{legacy.removeprefix('gateway_').replace('release_name', 'name')}`)",
            )
    if not args["gateways"]:
        v.fail(c, "gateways", "is empty; give at least one {name, namespace, service, values}")
    names: set[str] = set()
    selectors: dict[str, str] = {}
    node_ports: dict[int, str] = {}
    for i, gateway in enumerate(gateways_of(args)):
        where = f"gateways[{i}]"
        _check_release_name(f"{where}.name", gateway["name"])
        v.check_unique(c, f"{where}.name", gateway["name"], names, "gateway release names")
        _check_service(f"{where}.service", gateway["service"])
        selector, _, _ = gateway_identity(gateway["name"], gateway["namespace"], gateway["values"])
        label = selector["istio"]
        if label in selectors:
            v.fail(
                c,
                where,
                f"selects pods labelled istio={label!r}, as {selectors[label]!r} does; a Gateway "
                "would bind both. Rename one, or set `values.labels.istio`",
            )
        selectors[label] = gateway["name"]
        ports = gateway["service"].get("node_ports")
        for port in (ports["http"], ports["https"]) if ports else ():
            if port in node_ports:
                v.fail(
                    c,
                    f"{where}.service.node_ports",
                    f"uses nodePort {port}, as gateway {node_ports[port]!r} does; a nodePort "
                    "serves one Service",
                )
            node_ports[port] = gateway["name"]


def _check_namespaces(args: IstioInstallArgs) -> None:
    """The namespaces the install creates: never one every cluster has (kube-system, which
    GKE's and OpenShift's ambient data plane uses, is used as it is and never created)."""
    fields: list[tuple[str, str]] = [
        (name, args[name])
        for name in ("system_namespace", "gateway_namespace", "ambient_namespace")
        if name in args
    ]
    fields += [
        (f"gateways[{i}].namespace", g["namespace"])
        for i, g in enumerate(args.get("gateways", []))
        if "namespace" in g
    ]
    for field_name, namespace in fields:
        problem = built_in_namespace_problem(namespace, used_as_is=["kube-system"])
        if problem:
            v.fail(COMPONENT, field_name, problem)


def _values_contradictions(args: IstioInstallArgs) -> list[tuple[str, str, Any, str]]:
    """``(values field, path, the Args' value, the Args field)`` for each chart value the
    install sets from its own inputs: a different value there would contradict them."""
    mode = args.get("mode", "sidecar")
    plane = _control_plane(args)
    system_ns = args.get("system_namespace", "istio-system")
    hub = args.get("image_hub", ISTIO_IMAGE_HUB)
    trust_domain = args.get("trust_domain", "cluster.local")
    profile = "ambient" if mode == "ambient" else None
    revision_field = "revisions" if "revisions" in args else "revision"
    checks: list[tuple[str, str, Any, str]] = [
        ("base_values", "global.istioNamespace", system_ns, "system_namespace"),
        ("base_values", "defaultRevision", plane.default_revision or None, revision_field),
    ]
    revisions = enumerate(args.get("revisions", []))
    istiods: list[tuple[str, str | None]] = [("istiod_values", None)]
    istiods += [(f"revisions[{i}].istiod_values", r["name"]) for i, r in revisions]
    only = next(iter(plane.revisions)) if len(plane.revisions) == 1 else None
    for field_name, revision in istiods:
        if field_name == "istiod_values" and only is None:
            # Laid under every revision's own values: its `revision` contradicts all but one.
            checks.append((field_name, "revision", None, "revisions"))
        else:
            name = revision if revision is not None else only
            checks.append((field_name, "revision", name or None, revision_field))
        checks += [
            (field_name, "global.istioNamespace", system_ns, "system_namespace"),
            (field_name, "meshConfig.rootNamespace", system_ns, "system_namespace"),
            (field_name, "global.hub", hub, "image_hub"),
            (field_name, "meshConfig.trustDomain", trust_domain, "trust_domain"),
            (field_name, "profile", profile, "mode"),
        ]
        if mode == "ambient":
            ambient_ns = args.get("ambient_namespace", system_ns)
            trusted = ambient_ns if ambient_ns != system_ns else None
            checks.append((field_name, "trustedZtunnelNamespace", trusted, "ambient_namespace"))
    if mode == "ambient":
        checks += [
            ("cni_values", "global.hub", hub, "image_hub"),
            ("cni_values", "profile", profile, "mode"),
            ("ztunnel_values", "revision", plane.resolved or None, revision_field),
            ("ztunnel_values", "istioNamespace", system_ns, "system_namespace"),
            ("ztunnel_values", "global.istioNamespace", system_ns, "system_namespace"),
            ("ztunnel_values", "hub", hub, "image_hub"),
            ("ztunnel_values", "global.hub", hub, "image_hub"),
        ]
    gateway_fields = (
        [f"gateways[{i}].values" for i in range(len(args["gateways"]))]
        if "gateways" in args
        else ["gateway_values"]
    )
    for field_name in gateway_fields:
        checks.append(
            (field_name, "revision", plane.workload_revision or None, "workload_revision")
        )
    return checks


def _values_at(args: IstioInstallArgs, field_name: str) -> Mapping[str, Any]:
    if field_name.startswith("revisions["):
        index = int(field_name[len("revisions[") : field_name.index("]")])
        return args["revisions"][index].get("istiod_values", {})
    if field_name.startswith("gateways["):
        index = int(field_name[len("gateways[") : field_name.index("]")])
        return args["gateways"][index].get("values", {})
    return args.get(field_name, {})  # type: ignore[return-value]


def _check_values(args: IstioInstallArgs) -> None:
    """The chart-values escape hatches may add to what the install sets, not contradict the
    inputs it sets it from: Helm would install what the values say while every other
    component (and ``info``) goes by the inputs."""
    for field_name, path, ours, arg in _values_contradictions(args):
        given = dig(_values_at(args, field_name), *path.split("."))
        if given is None or given == ours:
            continue
        where = f"{field_name}.{path}"
        if ours is None:
            v.fail(
                COMPONENT,
                where,
                f"is {given!r}, which the inputs do not say; set it through `{arg}` "
                "(every other component reads it from there), not in the chart values",
            )
        v.fail(
            COMPONENT,
            where,
            f"is {given!r}, but `{arg}` gives {ours!r}; leave it out of the chart values "
            f"and set `{arg}`, which every other component reads",
        )


def validate_args(args: IstioInstallArgs | None) -> IstioInstallArgs:
    """Check :class:`IstioInstall` input against its declaration and the rules across fields;
    raises :class:`ValidationError`. Returns the args to build from."""
    c = COMPONENT
    args = contract.check(c, IstioInstallArgs, args)
    _check_revisions(args)
    _check_gateways(args)
    _check_namespaces(args)
    _check_values(args)
    crds = args.get("gateway_api_crds", {})
    if crds.get("install") is False:
        for extra in ("version", "manifest"):
            if extra in crds:
                v.fail(c, f"gateway_api_crds.{extra}", "is only used with install=True")
    if "version" in crds and "manifest" in crds:
        v.fail(c, "gateway_api_crds.manifest", "names the manifest; `version` would be unused")
    if "version" in crds and not re.fullmatch(r"v\d+\.\d+\.\d+(-rc\.\d+)?", crds["version"]):
        v.fail(
            c,
            "gateway_api_crds.version",
            f"is {crds['version']!r}; give a Gateway API release tag like {GATEWAY_API_VERSION!r}",
        )
    if args.get("mode", "sidecar") != "ambient":
        for name in ("cni_values", "ztunnel_values", "ambient_namespace"):
            if name in args:
                v.fail(c, name, "is only used in ambient mode; set mode='ambient' or remove it")
    checked = contract.deferred(c, IstioInstallArgs, args)
    if "plugged_ca" in args:
        # Key, certificate, chain and root must belong together (istiod refuses them else):
        # at once when plain, else once known, before the cacerts Secret registers.
        checked["plugged_ca"] = pki.check_plugged_ca(c, "plugged_ca", args["plugged_ca"])
    return checked


def warn_about_support(args: IstioInstallArgs) -> None:
    """Log a warning for every version installed that is past its end of support."""
    versions = {args.get("version", ISTIO_VERSION)}
    versions |= {r["version"] for r in args.get("revisions", []) if "version" in r}
    for version in sorted(versions):
        warning = support_warning(version)
        if warning:
            pulumi.log.warn(f"{COMPONENT}: {warning}")


def _helm_gateways(args: IstioInstallArgs) -> list[GatewayWorkloadArgs]:
    # With the Gateway API as the default, each Gateway is its own workload (istiod deploys
    # it): no gateway chart, unless `gateways` asks for one all the same.
    helm_gateways = args.get("api", "istio") == "istio" or "gateways" in args
    return gateways_of(args) if helm_gateways else []


def _main_gateway(args: IstioInstallArgs, gateways: tuple[GatewayInfo, ...]) -> GatewayInfo:
    if gateways:
        return gateways[0]
    return GatewayInfo("", args.get("gateway_namespace", "istio-ingress"), {}, "", "")


def install_info(args: IstioInstallArgs) -> IstioInfo:
    """What ``IstioInstall(args).info`` is, from checked args: the plain facts other
    components (and a program checking its config before it registers) take from the
    install. The component itself builds its ``info`` with this."""
    plane = _control_plane(args)
    trust_domain = args.get("trust_domain", "cluster.local")
    gateways = tuple(
        GatewayInfo(g["name"], g["namespace"], *gateway_identity(
            g["name"], g["namespace"], g["values"], trust_domain
        ))
        for g in _helm_gateways(args)
    )  # fmt: skip
    main = _main_gateway(args, gateways)
    return IstioInfo(
        mode=args.get("mode", "sidecar"),
        revision=plane.workload_revision,
        version=args.get("version", ISTIO_VERSION),
        system_namespace=args.get("system_namespace", "istio-system"),
        gateway_namespace=main.namespace,
        gateway_selector=main.selector,
        gateway_service_account=main.service_account,
        gateway_principal=main.principal,
        revisions=tuple(plane.revisions),
        tags=dict(sorted(plane.tags.items())),
        control_plane_revision=plane.resolved,
        trust_domain=trust_domain,
        api=args.get("api", "istio"),
        gateways=gateways,
    )


class IstioInstall(pulumi.ComponentResource):
    """Istio from its official Helm charts: namespaces, control plane and ingress gateway.

    Pass the cluster's provider with ``opts=ResourceOptions(provider=cluster.provider)`` and its
    gateway Service settings with ``gateway_service=cluster.gateway_service()``. The outputs
    (namespaces, selector, service account, principal) are what :class:`HttpsGateway` and
    :class:`StrictMtls` take: derive them here once, never retype them.

    Istio objects must come after istiod serves its validation webhook, and objects in a
    namespace it creates after that namespace: give ``ready`` (or this component) to the
    ``depends_on`` input of the components that create them.
    """

    system_namespace: pulumi.Output[str]
    """Namespace of istiod; the mesh root namespace."""
    gateway_namespace: pulumi.Output[str]
    """Namespace of the ingress gateway workload (and so of its TLS secrets)."""
    gateway_selector: pulumi.Output[dict[str, str]]
    """Pod labels that select the gateway workload, e.g. ``{"istio": "ingress"}``."""
    gateway_service_account: pulumi.Output[str]
    """The gateway workload's service account."""
    gateway_principal: pulumi.Output[str]
    """The gateway's SPIFFE principal, ``<trust domain>/ns/<namespace>/sa/<account>``."""
    gateway_principals: pulumi.Output[list[str]]
    """Every gateway workload's principal, in the order of ``gateways``."""
    revision: pulumi.Output[str]
    """The ``istio.io/rev`` workloads use (a tag or a revision), or ``""`` for the default."""
    control_plane_revision: pulumi.Output[str]
    """The revision that ``revision`` points at (a tag resolved)."""
    revision_tags: pulumi.Output[dict[str, str]]
    """Revision tag → revision."""
    version: pulumi.Output[str]
    """The Istio version of base and the gateway."""
    mode: pulumi.Output[str]
    """``sidecar`` or ``ambient``."""

    def __init__(
        self,
        name: str,
        args: IstioInstallArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = validate_args(args)
        warn_about_support(args)
        super().__init__("mesh-https:index:IstioInstall", name, None, opts)

        self.info = install_info(args)
        info = self.info
        mode, version, trust_domain = info.mode, info.version, info.trust_domain
        plane = _control_plane(args)
        system_ns = info.system_namespace
        ambient_ns = args.get("ambient_namespace", system_ns)
        hub = args.get("image_hub", ISTIO_IMAGE_HUB)
        workloads = _helm_gateways(args)
        gateways = info.gateways
        main = _main_gateway(args, gateways)
        gateway_ns = main.namespace
        self._repository = args.get("chart_repository", ISTIO_CHART_REPOSITORY)
        self._auth = dict(args.get("chart_repository_auth", {}))
        if "password" in self._auth:
            self._auth["password"] = pulumi.Output.secret(self._auth["password"])
        self._timeout = args.get("release_timeout_seconds", 600)
        self._name = name
        after = list(args.get("depends_on", []))

        self.namespaces: dict[str, k8s.core.v1.Namespace] = {}
        # The gateway namespace is created with the Gateway API too: HttpsGateway writes its
        # Gateway and Secrets there, and istiod deploys the Gateway's workload there.
        wanted = {system_ns, ambient_ns, gateway_ns, *(g.namespace for g in gateways)}
        for namespace in sorted(wanted - {"kube-system"}):
            self.namespaces[namespace] = created_namespace(
                f"{name}-ns-{namespace}",
                namespace,
                {"app.kubernetes.io/managed-by": "pulumi"},
                parent=self,
                depends_on=after,
            )

        def in_namespace(namespace: str) -> list[pulumi.Resource]:
            return [self.namespaces[namespace]] if namespace in self.namespaces else []

        # The charts that read it (istiod, ztunnel, base's webhooks) take the system namespace
        # from global.istioNamespace; cni never reads it, so it is not passed there.
        common: dict[str, Any] = {"global": {"istioNamespace": system_ns}}
        # Every chart that pulls images reads global.hub (ztunnel also reads a top-level
        # hub); the gateway's image is "auto", filled in by istiod's injection from its hub.
        images: dict[str, Any] = {"global": {"hub": hub}}
        profile: dict[str, Any] = {"profile": "ambient"} if mode == "ambient" else {}

        base_values = deep_merge(
            common,
            {"defaultRevision": plane.default_revision} if plane.default_revision else {},
        )
        self.base = self._release(
            "base", "base", "istio-base", system_ns, version,
            deep_merge(base_values, args.get("base_values", {})),
            in_namespace(system_ns),
        )  # fmt: skip

        istiod_after: list[pulumi.Resource] = [self.base]
        crds = args.get("gateway_api_crds", {})
        self.gateway_api_crds: pulumi.Resource | None = None
        if crds.get("install", mode == "ambient" or args.get("api") == "gateway-api"):
            # retain_on_delete reaches every CRD in the file: destroying the stack must not
            # delete every Gateway API object in the cluster with its CRD.
            self.gateway_api_crds = k8s.yaml.v2.ConfigFile(
                f"{name}-gateway-api-crds",
                file=crds.get("manifest", crds_manifest(crds.get("version", GATEWAY_API_VERSION))),
                opts=pulumi.ResourceOptions(parent=self, depends_on=after, retain_on_delete=True),
            )
            istiod_after.append(self.gateway_api_crds)
        self.cacerts: k8s.core.v1.Secret | None = None
        ca_annotation: dict[str, Any] = {}
        if "plugged_ca" in args:
            ca = args["plugged_ca"]
            files = {
                "ca-cert.pem": ca["ca_cert_pem"],
                "ca-key.pem": ca["ca_key_pem"],
                "cert-chain.pem": ca["cert_chain_pem"],
                "root-cert.pem": ca["root_cert_pem"],
            }
            # istiod reads cacerts only at start: it must exist before istiod is installed.
            self.cacerts = k8s.core.v1.Secret(
                f"{name}-cacerts",
                metadata={
                    "name": "cacerts",
                    "namespace": system_ns,
                    "labels": dict(MANAGED_LABELS),
                },
                type="Opaque",
                string_data=pulumi.Output.secret(files),
                opts=pulumi.ResourceOptions(parent=self, depends_on=in_namespace(system_ns)),
            )
            istiod_after.append(self.cacerts)
            # A hash of the files, not the files: the values stay readable in diffs, and a
            # renewed CA changes the pod template, so Helm restarts istiod onto it.
            checksum = pulumi.Output.unsecret(
                pulumi.Output.all(*files.values()).apply(cacerts_checksum)
            )
            ca_annotation = {"podAnnotations": {CACERTS_ANNOTATION: checksum}}

        istiod_common = deep_merge(deep_merge(deep_merge(common, images), profile), ca_annotation)
        istiod_common["meshConfig"] = {"trustDomain": trust_domain}
        if ambient_ns != system_ns:
            istiod_common["trustedZtunnelNamespace"] = ambient_ns
        self.istiods: dict[str, k8s.helm.v3.Release] = {}
        for index, (revision, spec) in enumerate(plane.revisions.items()):
            role = f"istiod-{revision}" if revision else "istiod"
            # A stack made with one `revision` named its istiod `<name>-istiod`; the first
            # listed revision takes that name over, so moving to `revisions` replaces nothing.
            aliases = [pulumi.Alias(name=f"{name}-istiod")] if revision and index == 0 else []
            values = deep_merge(istiod_common, {"revision": revision} if revision else {})
            values = deep_merge(values, args.get("istiod_values", {}))
            self.istiods[revision] = self._release(
                role, "istiod", f"istiod-{revision}" if revision else "istiod", system_ns,
                spec.get("version", version),
                deep_merge(values, spec.get("istiod_values", {})),
                istiod_after,
                aliases,
            )  # fmt: skip
        self.istiod = self.istiods[plane.resolved]

        self.tags: dict[str, k8s.admissionregistration.v1.MutatingWebhookConfiguration] = {}
        for tag, revision in sorted(plane.tags.items()):
            # The wire format is camelCase, as the chart renders it (typed as Any for the SDK).
            webhooks: Any = revision_tag_webhooks(tag, revision, system_ns)
            labels: dict[str, str] = {
                **MANAGED_LABELS,
                "app": "sidecar-injector",
                "istio.io/rev": revision,
                "istio.io/tag": tag,
            }
            self.tags[tag] = k8s.admissionregistration.v1.MutatingWebhookConfiguration(
                f"{name}-tag-{tag}",
                metadata={
                    "name": revision_tag_webhook_name(tag, system_ns),
                    "labels": labels,
                },
                webhooks=webhooks,
                # The tag's webhook calls its revision's istiod Service.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.istiods[revision]]),
            )

        # What Istio objects and enrolled workloads must come after: every istiod (its CRDs
        # and validation webhook), every revision tag, the Gateway API CRDs when they are
        # installed here (a waypoint is a Gateway API object), and every namespace created
        # here that istiod does not already come after (the gateway's: HttpsGateway writes
        # its Secrets and Gateway there, which must be created after it and deleted before
        # it; components give a Namespace only to the objects in it, see `edges_in`). Other
        # components take this as their `depends_on` rather than the whole install: a
        # dependency on a component becomes one on each of its children, so the narrower
        # list keeps each object's edges few.
        self.ready: list[pulumi.Resource] = [
            *self.istiods.values(),
            *self.tags.values(),
            *(ns for key, ns in self.namespaces.items() if key != system_ns),
        ]
        if self.gateway_api_crds is not None:
            self.ready.append(self.gateway_api_crds)
        gateway_after: list[pulumi.Resource] = [self.istiod, *self.tags.values()]
        self.cni: k8s.helm.v3.Release | None = None
        self.ztunnel: k8s.helm.v3.Release | None = None
        rev = {"revision": plane.resolved} if plane.resolved else {}
        if mode == "ambient":
            self.cni = self._release(
                "cni", "cni", "istio-cni", ambient_ns, version,
                deep_merge(deep_merge(images, profile), args.get("cni_values", {})),
                [self.istiod, *in_namespace(ambient_ns)],
            )  # fmt: skip
            self.ztunnel = self._release(
                "ztunnel", "ztunnel", "ztunnel", ambient_ns, version,
                # ztunnel reads istioNamespace and hub at the top level as well as in global.
                deep_merge(
                    deep_merge(deep_merge(common, images), {**rev, "istioNamespace": system_ns}),
                    deep_merge({"hub": hub}, args.get("ztunnel_values", {})),
                ),
                [self.cni],
            )  # fmt: skip
            gateway_after = [self.ztunnel, *self.tags.values()]

        revisioned: dict[str, Any] = {}
        if plane.workload_revision:
            # The chart labels the pods istio.io/rev=<tag or revision>; the annotation names
            # the revision behind a tag, so moving the tag rolls the gateway onto it.
            revisioned["revision"] = plane.workload_revision
            revisioned["podAnnotations"] = {CONTROL_PLANE_ANNOTATION: plane.resolved}
        self.gateways: dict[str, k8s.helm.v3.Release] = {}
        for index, workload in enumerate(workloads):
            ours = {"service": gateway_service_values(workload["service"]), **revisioned}
            # The first keeps the resource name it had as the only gateway.
            role = "gateway" if index == 0 else f"gateway-{workload['name']}"
            self.gateways[workload["name"]] = self._release(
                role, "gateway", workload["name"], workload["namespace"], version,
                deep_merge(ours, workload["values"]),
                [*gateway_after, *in_namespace(workload["namespace"])],
            )  # fmt: skip
        self.gateway: k8s.helm.v3.Release | None = self.gateways.get(main.name)

        self.system_namespace = known(system_ns)
        self.gateway_namespace = known(gateway_ns)
        self.gateway_selector = known(main.selector)
        self.gateway_service_account = known(main.service_account)
        self.gateway_principal = known(main.principal)
        self.gateway_principals = known([g.principal for g in gateways])
        self.revision = known(plane.workload_revision)
        self.control_plane_revision = known(plane.resolved)
        self.revision_tags = known(self.info.tags)
        self.version = known(version)
        self.mode = known(mode)
        self.register_outputs(
            {
                "system_namespace": self.system_namespace,
                "gateway_namespace": self.gateway_namespace,
                "gateway_selector": self.gateway_selector,
                "gateway_service_account": self.gateway_service_account,
                "gateway_principal": self.gateway_principal,
                "gateway_principals": self.gateway_principals,
                "revision": self.revision,
                "control_plane_revision": self.control_plane_revision,
                "revision_tags": self.revision_tags,
                "version": self.version,
                "mode": self.mode,
            }
        )

    def _release(
        self,
        role: str,
        chart: str,
        release_name: str,
        namespace: str,
        version: str,
        values: Mapping[str, Any],
        after: Sequence[pulumi.Resource],
        aliases: Sequence[pulumi.Alias] = (),
    ) -> k8s.helm.v3.Release:
        source = chart_source(self._repository, chart, self._auth)
        return k8s.helm.v3.Release(
            f"{self._name}-{role}",
            name=release_name,
            chart=source.chart,
            version=version,
            repository_opts=source.repository_opts or None,  # type: ignore[arg-type]
            namespace=namespace,
            values=values,
            atomic=True,
            cleanup_on_fail=True,
            timeout=self._timeout,
            max_history=10,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(after), aliases=list(aliases)),
        )
