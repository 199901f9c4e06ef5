"""Stack config for the project's own program, mapped from the components' declarations.

Every key lives under the project namespace ``mesh-https:``, one object per section. A
section's keys are the fields of a component's Args (``IstioInstallArgs`` for ``istio``, and
so on), spelt in camelCase: ``release_timeout_seconds`` is ``releaseTimeoutSeconds``. There is
no second table: the declarations decide which keys exist, their types and what is valid, and
errors name the key the user typed (``mesh-https:canary.weights``). Fields the program fills
in from other components (namespaces, selectors, principals) are not config keys.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict, TypeVar

import pulumi
from pulumi.runtime.config import CONFIG

from mesh_https import contract, reference
from mesh_https import validation as v
from mesh_https.aks import PROBE_ANNOTATIONS, AksClusterArgs
from mesh_https.aks import validate_args as validate_aks_args
from mesh_https.canary_route import CanaryRouteArgs, MatchRouteArgs, RetriesArgs
from mesh_https.canary_route import validate_args as validate_canary_args
from mesh_https.cluster import (
    DEFAULT_NODE_PORTS,
    ExistingClusterArgs,
    GatewayServiceArgs,
    KindClusterArgs,
    gateway_service_for,
    validate_existing_args,
    validate_kind_args,
)
from mesh_https.constraints import DnsLabel, Duration, HeaderName, NonNegativeInt
from mesh_https.eks import EksClusterArgs
from mesh_https.eks import gateway_annotations as eks_gateway_annotations
from mesh_https.eks import validate_args as validate_eks_args
from mesh_https.gke import L4_RBS_ANNOTATIONS, GkeClusterArgs
from mesh_https.gke import validate_args as validate_gke_args
from mesh_https.https_gateway import HttpsGatewayArgs
from mesh_https.https_gateway import validate_args as validate_gateway_args
from mesh_https.identity import principal_of
from mesh_https.istio_charts import gateway_identity
from mesh_https.istio_install import IstioInstallArgs, gateways_of
from mesh_https.istio_install import validate_args as validate_istio_args
from mesh_https.mesh_namespace import MeshNamespaceArgs
from mesh_https.mesh_namespace import validate_args as validate_namespace_args
from mesh_https.pki import CertificateAuthorityArgs, validate_ca_args
from mesh_https.strict_mtls import StrictMtlsArgs
from mesh_https.strict_mtls import validate_args as validate_mtls_args

PROJECT = "mesh-https"
SOURCE = "stack config"
CLUSTER_NAME = "cluster"
"""The Pulumi name of the cluster component (and the kind cluster's default name)."""

T = TypeVar("T")


class ClusterSectionArgs(
    KindClusterArgs,
    ExistingClusterArgs,
    EksClusterArgs,
    GkeClusterArgs,
    AksClusterArgs,
    total=False,
):
    """``mesh-https:cluster``: a cluster the stack makes (kind, EKS, GKE or AKS), or an
    existing one."""

    type: Literal["kind", "existing", "eks", "gke", "aks"]
    """``kind`` (default), ``eks``, ``gke`` or ``aks`` (created by the stack; the cloud ones
    need the ``aws``, ``gcp`` or ``azure`` extra), or ``existing`` (a kubeconfig)."""


class HeaderRouteArgs(TypedDict):
    """A header that sends a request to one subset, whatever the weights."""

    header: HeaderName
    """The request header (lowercase)."""
    value: str
    """Its exact value."""
    subset: DnsLabel
    """The subset it sends requests to."""


class DemoCanaryArgs(TypedDict, total=False):
    """``mesh-https:canary``: the demo app's split, header route, timeout and retries."""

    weights: Mapping[DnsLabel, NonNegativeInt]
    """Subset name → integer weight, summing to 100. Default ``{v1: 80, v2: 20}``."""
    header_route: HeaderRouteArgs | None
    """Requests with this header go to this subset; ``null`` for none. Default:
    ``x-canary: always`` → ``v2`` while ``v2`` is in ``weights``."""
    timeout: Duration
    """Route timeout, e.g. ``10s``; it must cover retries x per-try timeout."""
    retries: RetriesArgs
    """Retry policy."""


@dataclass(frozen=True)
class Section:
    """One top-level config key: the Args it is read as, and what the program supplies."""

    args_type: Any
    supplied: frozenset[str] = frozenset()
    """Fields the program fills in from other components: not config keys."""


SECTIONS: dict[str, Section] = {
    "cluster": Section(ClusterSectionArgs, frozenset({"kubeconfig"})),
    "istio": Section(IstioInstallArgs, frozenset({"gateway_service", "plugged_ca", "depends_on"})),
    "pki": Section(CertificateAuthorityArgs),
    "gateway": Section(
        HttpsGatewayArgs,
        frozenset(
            {
                "gateway_namespace",
                "selector",
                "installed_gateways",
                "api",
                "service",
                "trust_domain",
                "issuer",
                "local_ingress",
                "depends_on",
            }
        ),
    ),
    "app": Section(
        MeshNamespaceArgs, frozenset({"mode", "revision", "system_namespace", "depends_on"})
    ),
    "canary": Section(DemoCanaryArgs),
    "mtls": Section(
        StrictMtlsArgs,
        frozenset(
            {
                "system_namespace",
                "data_plane_mode",
                "namespaces",
                "gateway_principal",
                "gateway_targets",
                "waypoints",
                "namespace_dependencies",
                "depends_on",
            }
        ),
    ),
}
"""Every config section and the declaration it is read as."""

SECRET_KEYS = {"kubeconfig": "an existing cluster's kubeconfig content (secret)"}
CLUSTER_FIELDS: dict[str, frozenset[str]] = {
    "kind": frozenset(KindClusterArgs.__annotations__),
    "existing": frozenset(ExistingClusterArgs.__annotations__),
    "eks": frozenset(EksClusterArgs.__annotations__),
    "gke": frozenset(GkeClusterArgs.__annotations__),
    "aks": frozenset(AksClusterArgs.__annotations__),
}
"""The config keys each cluster type reads."""


def config_key(section: str, field: str) -> str:
    """The config key of a field path such as ``retries.per_try_timeout``."""
    name = contract.config_field_name(SECTIONS[section].args_type, f"{PROJECT}:{section}")
    return name(contract.parse_field_path(field))


def _as_config_error(section: str, err: v.ValidationError) -> v.ValidationError:
    """A component's error on a field that came from config, renamed to the config key."""
    return v.ValidationError(err.component, config_key(section, err.field), err.problem)


def checked(section: str, build: Callable[[], T]) -> T:
    """Run a component's validation on config-derived args, naming config keys in errors."""
    try:
        return build()
    except v.ValidationError as err:
        raise _as_config_error(section, err) from None


def read_section(config: pulumi.Config, section: str) -> dict[str, Any]:
    """A section's raw object, checked against its declaration, as snake_case Args."""
    spec = SECTIONS[section]
    field = f"{PROJECT}:{section}"
    try:
        raw = config.get_object(section)
    except pulumi.ConfigTypeError:
        raw = config.get(section)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        keys = [contract.camel(k) for k in contract.field_types(_without_required(spec))]
        v.fail(SOURCE, field, f"is {raw!r}; it must be an object with keys {', '.join(keys)}")
    args: dict[str, Any] = contract.from_config(spec.args_type, raw)
    for name in sorted(spec.supplied & set(args)):
        v.fail(
            SOURCE,
            f"{field}.{contract.camel(name)}",
            "is filled in by the program from the other components; remove it",
        )
    name_of = contract.config_field_name(spec.args_type, field)
    contract.check(SOURCE, _without_required(spec), args, field_name=name_of)
    return args


def _without_required(spec: Section) -> Any:
    # A section is the Args less what the program supplies; every key in it is optional
    # here (the component's own check, with the program's values, enforces the rest).
    return _partial_type(spec.args_type, spec.supplied)


_PARTIALS: dict[tuple[Any, frozenset[str]], Any] = {}


def _partial_type(args_type: Any, supplied: frozenset[str]) -> Any:
    key = (args_type, supplied)
    if key not in _PARTIALS:
        hints = contract.field_types(args_type)
        fields = {k: tp for k, tp in hints.items() if k not in supplied}
        make: Any = TypedDict  # the functional form, with a computed name
        partial = make(f"{args_type.__name__}Config", fields, total=False)
        _PARTIALS[key] = partial
    return _PARTIALS[key]


def reference_blocks() -> dict[str, str]:
    """The README's stack-config tables, one per section (``config:<section>``)."""
    return {
        f"config:{section}": reference.config_table(spec.args_type, spec.supplied)
        for section, spec in SECTIONS.items()
    }


def _unknown_sections() -> None:
    known = {f"{PROJECT}:{s}" for s in SECTIONS} | {f"{PROJECT}:{s}" for s in SECRET_KEYS}
    for key in sorted(CONFIG.get()):
        if key.startswith(f"{PROJECT}:") and key not in known:
            v.fail(
                SOURCE,
                key,
                "is not a known key; "
                + contract.suggest(key, sorted(known))
                + f"valid keys: {', '.join(sorted(known))}",
            )


@dataclass(frozen=True)
class ClusterConfig:
    """Which cluster the stack targets, and the args for its component."""

    type: str
    kind: KindClusterArgs
    existing: ExistingClusterArgs
    eks: EksClusterArgs = field(default_factory=lambda: typing.cast(EksClusterArgs, {}))
    gke: GkeClusterArgs = field(default_factory=lambda: typing.cast(GkeClusterArgs, {}))
    aks: AksClusterArgs = field(default_factory=lambda: typing.cast(AksClusterArgs, {}))

    def gateway_service(self) -> GatewayServiceArgs:
        """The gateway Service this cluster will need (the cluster component agrees)."""
        if self.type == "kind":
            return gateway_service_for(False, self.kind.get("node_ports", DEFAULT_NODE_PORTS))
        if self.type == "eks":
            return gateway_service_for(True, None, eks_gateway_annotations(self.eks))
        if self.type == "gke":
            return gateway_service_for(
                True, None, self.gke.get("gateway_annotations", L4_RBS_ANNOTATIONS)
            )
        if self.type == "aks":
            return gateway_service_for(
                True, None, self.aks.get("gateway_annotations", PROBE_ANNOTATIONS)
            )
        return gateway_service_for(
            self.existing.get("load_balancer", True),
            self.existing.get("node_ports"),
            self.existing.get("gateway_annotations"),
        )


@dataclass(frozen=True)
class StackConfig:
    """The whole of a stack's config, checked."""

    cluster: ClusterConfig
    istio: IstioInstallArgs
    pki: CertificateAuthorityArgs
    gateway: HttpsGatewayArgs
    """Without the namespace, selector and issuer, which come from the other components."""
    app: MeshNamespaceArgs
    canary: CanaryRouteArgs
    """Without gateways, which come from the HttpsGateway."""
    mtls: StrictMtlsArgs
    """Without the namespaces and principal, which come from the other components."""


def load_cluster(config: pulumi.Config) -> ClusterConfig:
    """``mesh-https:cluster`` (and the secret ``mesh-https:kubeconfig``), checked."""
    raw = read_section(config, "cluster")
    cluster_type = raw.pop("type", "kind")
    if cluster_type not in CLUSTER_FIELDS:
        v.fail(
            SOURCE,
            config_key("cluster", "type"),
            f"is {cluster_type!r}; give one of {sorted(CLUSTER_FIELDS)}",
        )
    for name in sorted(set(raw) - CLUSTER_FIELDS[cluster_type]):
        v.fail(SOURCE, config_key("cluster", name), f"does not apply to a {cluster_type!r} cluster")
    if cluster_type == "kind":
        kind = checked("cluster", lambda: validate_kind_args(CLUSTER_NAME, _args(raw)))
        return ClusterConfig(type="kind", kind=kind, existing={})
    if cluster_type == "eks":
        eks = checked("cluster", lambda: validate_eks_args(CLUSTER_NAME, _args(raw)))
        return ClusterConfig(type="eks", kind={}, existing={}, eks=eks)
    if cluster_type == "gke":
        gke = checked("cluster", lambda: validate_gke_args(CLUSTER_NAME, _args(raw)))
        return ClusterConfig(type="gke", kind={}, existing={}, gke=gke)
    if cluster_type == "aks":
        aks = checked("cluster", lambda: validate_aks_args(CLUSTER_NAME, _args(raw)))
        return ClusterConfig(type="aks", kind={}, existing={}, aks=aks)
    existing: dict[str, Any] = dict(raw)
    content = config.get_secret("kubeconfig")
    if content is not None:
        existing["kubeconfig"] = content
    elif "kubeconfig_path" not in existing:
        v.fail(
            SOURCE,
            config_key("cluster", "kubeconfig_path"),
            "is missing; an existing cluster needs it, or the secret "
            f"`{PROJECT}:kubeconfig` (pulumi config set --secret {PROJECT}:kubeconfig ...)",
        )
    checked_existing = checked("cluster", lambda: validate_existing_args(_args(existing)))
    return ClusterConfig(type="existing", kind={}, existing=checked_existing)


def canary_args(canary: DemoCanaryArgs, namespace: str, api: str = "istio") -> CanaryRouteArgs:
    """The demo app's CanaryRoute from ``mesh-https:canary``.

    The default header route (``x-canary: always`` → ``v2``) applies only while ``v2`` is a
    subset: rolling back to ``{v1: 100}`` must not fail over a route the user never wrote.
    """
    weights = canary.get("weights", {"v1": 80, "v2": 20})
    args: CanaryRouteArgs = {
        "host": "helloworld",
        "namespace": namespace,
        "port": 5000,
        **({"api": "gateway-api"} if api == "gateway-api" else {}),  # type: ignore[typeddict-item]
        "subsets": [
            {"name": name, "labels": {"version": name}, "weight": weight}
            for name, weight in weights.items()
        ],
    }
    default: HeaderRouteArgs | None = (
        {"header": "x-canary", "value": "always", "subset": "v2"} if "v2" in weights else None
    )
    header = canary.get("header_route", default)
    if header is not None:
        route: MatchRouteArgs = {
            "name": f"force-{header['subset']}",
            "subset": header["subset"],
            "headers": {header["header"]: {"exact": header["value"]}},
        }
        args["routes"] = [route]
    if "timeout" in canary:
        args["timeout"] = canary["timeout"]
    if "retries" in canary:
        args["retries"] = canary["retries"]
    return args


def _canary_field(field: str) -> str:
    """A CanaryRoute field built from ``mesh-https:canary`` → the config field it came from."""
    path = contract.parse_field_path(field)
    if path[:1] == ("subsets",):
        return "weights"
    if path[:1] == ("routes",):
        return "header_route"
    return field


def load(config: pulumi.Config | None = None) -> StackConfig:
    """Read the whole stack config and check every component's input against it.

    All checks run here, before the program registers anything, so a mistake anywhere in
    the config leaves nothing half-created.
    """
    config = config or pulumi.Config(PROJECT)
    _unknown_sections()
    cluster = load_cluster(config)
    istio_raw = read_section(config, "istio")
    istio_args = _istio_args(istio_raw, cluster.gateway_service())
    istio: Any = checked("istio", lambda: validate_istio_args(istio_args))
    pki_raw = read_section(config, "pki")
    checked("pki", lambda: validate_ca_args(_args(pki_raw)))
    gateway_raw = read_section(config, "gateway")
    gateway_raw.setdefault("hosts", ["hello.mesh-https.test"])
    # The gateway's namespace and selector will come from IstioInstall; they are known here.
    main_gateway = gateways_of(istio)[0]
    gateway_namespace = main_gateway["namespace"]
    selector, _, _ = gateway_identity(
        main_gateway["name"], gateway_namespace, main_gateway["values"]
    )
    api = istio.get("api", "istio")
    supplied_gateway: dict[str, Any] = {"gateway_namespace": gateway_namespace}
    if api == "gateway-api":
        # The Gateway is its own workload: istiod deploys it, with the cluster's Service.
        supplied_gateway.update(api=api, service=cluster.gateway_service())
    else:
        supplied_gateway["selector"] = selector
    checked("gateway", lambda: validate_gateway_args(_args(gateway_raw, **supplied_gateway)))
    app_raw = read_section(config, "app")
    app_raw.setdefault("namespace", "demo")
    mode = istio.get("mode", "sidecar")
    system_namespace = istio.get("system_namespace", "istio-system")
    checked(
        "app",
        lambda: validate_namespace_args(
            "app", _args(app_raw, mode=mode, system_namespace=system_namespace)
        ),
    )
    canary = canary_args(_args(read_section(config, "canary")), app_raw["namespace"], api)
    hosts = list(gateway_raw["hosts"])
    gateways = [{"ref": f"{gateway_namespace}/edge", "hosts": hosts}]
    try:
        # The gateway reference is an Output later; only its hosts matter to the checks.
        validate_canary_args("app", _args(canary, gateways=gateways, external_hosts=hosts))
    except v.ValidationError as err:
        field = config_key("canary", _canary_field(err.field))
        raise v.ValidationError(err.component, field, err.problem) from None
    mtls_raw = read_section(config, "mtls")
    checked(
        "mtls",
        lambda: validate_mtls_args(
            _args(
                mtls_raw,
                data_plane_mode=mode,
                system_namespace=system_namespace,
                namespaces=[canary["namespace"]],
                waypoints=app_waypoints(app_raw, istio.get("trust_domain", "cluster.local")),
            )
        ),
    )
    return StackConfig(
        cluster=cluster,
        istio=istio_args,
        pki=_args(pki_raw),
        gateway=_args(gateway_raw),
        app=_args(app_raw),
        canary=canary,
        mtls=_args(mtls_raw),
    )


def app_waypoints(app: Mapping[str, Any], trust_domain: str) -> list[dict[str, str]]:
    """The app namespace's waypoint, when the app section names one, as ``StrictMtls``
    takes it (the same facts the program's ``Waypoint`` derives)."""
    name = app.get("waypoint")
    if not isinstance(name, str):
        return []
    namespace = str(app.get("namespace", "demo"))
    return [
        {
            "name": name,
            "namespace": namespace,
            "principal": principal_of(namespace, name, trust_domain),
        }
    ]


def _istio_args(raw: Mapping[str, Any], service: GatewayServiceArgs) -> Any:
    """The istio section with the cluster's gateway Service: on the one gateway, or on the
    first of ``gateways`` (the one the cluster's ports reach) unless it names its own."""
    if not isinstance(raw.get("gateways"), list) or not raw["gateways"]:
        if raw.get("api") == "gateway-api":
            return _args(raw)  # no gateway chart: each Gateway is deployed by istiod
        return _args(raw, gateway_service=service)
    first, *rest = raw["gateways"]
    if isinstance(first, Mapping):
        first = {"service": service, **first}
    return {**raw, "gateways": [first, *rest]}


def _args(raw: Mapping[str, Any], **supplied: Any) -> Any:
    """Config-derived args with the program's values added (typed by whoever takes them)."""
    return {**raw, **supplied}


__all__ = [
    "CLUSTER_NAME",
    "PROJECT",
    "SECTIONS",
    "ClusterConfig",
    "DemoCanaryArgs",
    "StackConfig",
    "load",
]
