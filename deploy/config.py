"""Stack config for the project's own program, mapped from the components' declarations.

Every key lives under the project namespace ``mesh-https:``, one object per section. A
section's keys are the fields of a component's Args (``IstioInstallArgs`` for ``istio``, and
so on), spelt in camelCase: ``release_timeout_seconds`` is ``releaseTimeoutSeconds``. There is
no second table: the declarations decide which keys exist, their types and what is valid, and
errors name the key the user typed (``mesh-https:canary.weights``). Fields the program fills
in from other components (namespaces, selectors, principals, the trust domain) are not config
keys, nor are fields YAML cannot give (``depends_on``).

:func:`load` reads every section, derives the facts that pass from one component to the next
once (``istio_install.install_info``, which the component builds its own ``info`` with:
namespaces, selector, principal, revision, trust domain), and builds
every component's args from them, each checked by the component's own validator exactly as
the program will pass it (:class:`Planned`), before the program registers anything.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypedDict, TypeVar

import pulumi
from pulumi.output import UNKNOWN
from pulumi.runtime.config import CONFIG

from mesh_https import contract, reference
from mesh_https import validation as v
from mesh_https.aks import PROBE_ANNOTATIONS, AksClusterArgs
from mesh_https.aks import validate_args as validate_aks_args
from mesh_https.canary_route import CanaryRouteArgs, MatchRouteArgs, RetriesArgs, gateway_targets
from mesh_https.canary_route import validate_args as validate_canary_args
from mesh_https.cluster import (
    DEFAULT_HOST_PORTS,
    DEFAULT_NODE_PORTS,
    ExistingClusterArgs,
    GatewayServiceArgs,
    KindClusterArgs,
    LocalIngress,
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
from mesh_https.https_gateway import HttpsGatewayArgs, gateway_api_workload
from mesh_https.https_gateway import validate_args as validate_gateway_args
from mesh_https.identity import principal_of
from mesh_https.istio_install import (
    IstioInfo,
    IstioInstallArgs,
    install_info,
)
from mesh_https.istio_install import validate_args as validate_istio_args
from mesh_https.mesh_namespace import MeshNamespaceArgs
from mesh_https.mesh_namespace import validate_args as validate_namespace_args
from mesh_https.pki import CertificateAuthorityArgs, IssuerArgs, PluggedCaArgs, validate_ca_args
from mesh_https.strict_mtls import StrictMtlsArgs
from mesh_https.strict_mtls import validate_args as validate_mtls_args
from mesh_https.waypoint import WaypointArgs
from mesh_https.waypoint import validate_args as validate_waypoint_args

PROJECT = "mesh-https"
SOURCE = "stack config"
CLUSTER_NAME = "cluster"
"""The Pulumi name of the cluster component (and the kind cluster's default name)."""
GATEWAY_NAME = "edge"
"""The Pulumi name of the HttpsGateway (and its Gateway's default name)."""
ROUTE_NAME = "app"
"""The Pulumi name of the demo app's CanaryRoute (and of its objects)."""
DEFAULT_HOSTS = ("hello.mesh-https.test",)
"""``mesh-https:gateway.hosts`` when neither ``hosts`` nor ``certificates`` is given."""
DEFAULT_APP_NAMESPACE = "demo"
"""``mesh-https:app.namespace`` when not given."""

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
    supplied: Mapping[str, str] = field(default_factory=dict)
    """Fields the program fills in from other components, each with the config key (or
    section) its value comes from: not config keys, and a refusal of one names its source."""

    @property
    def hidden(self) -> frozenset[str]:
        """Fields that are not config keys: supplied, or not expressible in YAML (resources)."""
        hints = contract.field_types(self.args_type)
        return frozenset(self.supplied) | {
            name for name, tp in hints.items() if not contract.config_able(tp)
        }


SECTIONS: dict[str, Section] = {
    "cluster": Section(ClusterSectionArgs, {"kubeconfig": "kubeconfig"}),
    "istio": Section(IstioInstallArgs, {"gateway_service": "cluster", "plugged_ca": "pki.meshCa"}),
    "pki": Section(CertificateAuthorityArgs, {"trust_domain": "istio.trustDomain"}),
    "gateway": Section(
        HttpsGatewayArgs,
        {
            "gateway_namespace": "istio.gatewayNamespace",
            "selector": "istio",
            "installed_gateways": "istio",
            "api": "istio.api",
            "service": "cluster",
            "trust_domain": "istio.trustDomain",
            "issuer": "pki",
            "local_ingress": "cluster",
        },
    ),
    "app": Section(
        MeshNamespaceArgs,
        {
            "mode": "istio.mode",
            "revision": "istio.workloadRevision",
            "system_namespace": "istio.systemNamespace",
        },
    ),
    "canary": Section(DemoCanaryArgs),
    "mtls": Section(
        StrictMtlsArgs,
        {
            "system_namespace": "istio.systemNamespace",
            "data_plane_mode": "istio.mode",
            "namespaces": "app.namespace",
            "gateway_principal": "istio",
            "gateway_targets": "canary",
            "waypoints": "app.waypoint",
            "namespace_dependencies": "app.namespace",
        },
    ),
}
"""Every config section and the declaration it is read as."""

ROUTE_SOURCES: dict[str, str] = {
    "host": "canary",
    "port": "canary",
    "namespace": "app.namespace",
    "api": "istio.api",
    "gateways": "gateway.hosts",
    "external_hosts": "gateway.hosts",
    "subsets": "canary.weights",
    "routes": "canary.headerRoute",
}
"""The demo app's ``CanaryRoute`` fields that ``mesh-https:canary`` does not spell directly,
and the config key each comes from."""

WAYPOINT_SOURCES: dict[str, str] = {
    "namespace": "app.namespace",
    "name": "app.waypoint",
    "revision": "istio.workloadRevision",
    "trust_domain": "istio.trustDomain",
}
"""The app's ``Waypoint`` fields and the config key each comes from."""

SECRET_KEYS = {"kubeconfig": "an existing cluster's kubeconfig content (secret)"}
CLUSTER_FIELDS: dict[str, frozenset[str]] = {
    "kind": frozenset(KindClusterArgs.__annotations__),
    "existing": frozenset(ExistingClusterArgs.__annotations__),
    "eks": frozenset(EksClusterArgs.__annotations__),
    "gke": frozenset(GkeClusterArgs.__annotations__),
    "aks": frozenset(AksClusterArgs.__annotations__),
}
"""The config keys each cluster type reads."""


def config_key(section: str, field_path: str) -> str:
    """The config key of a field path such as ``retries.per_try_timeout``."""
    name = contract.config_field_name(SECTIONS[section].args_type, f"{PROJECT}:{section}")
    return name(contract.parse_field_path(field_path))


def _config_error(
    section: str, err: v.ValidationError, sources: Mapping[str, str] | None = None
) -> v.ValidationError:
    """A component's error renamed to the config key the user typed: the field's own key, or,
    for a field the program filled in, the key its value came from."""
    head = str(contract.parse_field_path(err.field)[:1][0]) if err.field else ""
    origin = {**SECTIONS[section].supplied, **(sources or {})}.get(head)
    key = f"{PROJECT}:{origin}" if origin else config_key(section, err.field)
    return v.ValidationError(err.component, key, err.problem)


def checked(section: str, build: Callable[[], T], sources: Mapping[str, str] | None = None) -> T:
    """Run a component's validation on config-derived args, naming config keys in errors."""
    try:
        return build()
    except v.ValidationError as err:
        raise _config_error(section, err, sources) from None


def read_section(config: pulumi.Config, section: str) -> dict[str, Any]:
    """A section's raw object, checked against its declaration, as snake_case Args."""
    spec = SECTIONS[section]
    where = f"{PROJECT}:{section}"
    try:
        raw = config.get_object(section)
    except pulumi.ConfigTypeError:
        raw = config.get(section)
    if raw is None:
        return {}
    keys = [contract.camel(k) for k in contract.field_types(spec.args_type) if k not in spec.hidden]
    if not isinstance(raw, dict):
        v.fail(SOURCE, where, f"is {raw!r}; it must be an object with keys {', '.join(keys)}")
    for name in sorted(spec.supplied):
        if contract.camel(name) in raw:
            v.fail(
                SOURCE,
                f"{where}.{contract.camel(name)}",
                "is filled in by the program from the other components "
                f"(`{PROJECT}:{spec.supplied[name]}`); remove it",
            )
    # Keys first, as typed: `min_tls_version` is not `minTlsVersion`, and a misspelt required
    # key is an unknown key, not a missing one.
    contract.check_config_keys(SOURCE, spec.args_type, raw, where, hidden=spec.hidden)
    args: dict[str, Any] = contract.from_config(spec.args_type, raw)
    name_of = contract.config_field_name(spec.args_type, where)
    contract.check(SOURCE, _config_type(spec), args, field_name=name_of)
    return args


def _config_type(spec: Section) -> Any:
    # A section is the Args less what is not a config key; every key in it is optional here
    # (the component's own check, with the program's values, enforces the rest).
    key = (spec.args_type, spec.hidden)
    if key not in _PARTIALS:
        hints = contract.field_types(spec.args_type)
        fields = {k: tp for k, tp in hints.items() if k not in spec.hidden}
        make: Any = TypedDict  # the functional form, with a computed name
        _PARTIALS[key] = make(f"{spec.args_type.__name__}Config", fields, total=False)
    return _PARTIALS[key]


_PARTIALS: dict[tuple[Any, frozenset[str]], Any] = {}


def documented_keys() -> dict[str, list[str]]:
    """Every documented config key (camelCase), by section: the rows of the README's
    tables."""
    return {
        section: [
            contract.camel(k) for k in contract.field_types(spec.args_type) if k not in spec.hidden
        ]
        for section, spec in SECTIONS.items()
    }


def reference_blocks() -> dict[str, str]:
    """The README's stack-config tables, one per section (``config:<section>``)."""
    return {
        f"config:{section}": reference.config_table(spec.args_type, spec.hidden)
        for section, spec in SECTIONS.items()
    }


def _unknown_sections() -> None:
    known = {f"{PROJECT}:{s}" for s in SECTIONS} | {f"{PROJECT}:{s}" for s in SECRET_KEYS}
    for key in sorted(CONFIG.get()):
        if key.startswith(f"{PROJECT}:") and key not in known:
            v.fail(SOURCE, key, contract.unknown_key_problem(key, sorted(known)))


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

    def local_ingress(self) -> LocalIngress | None:
        """Where this machine reaches the gateway, known before deploy for kind only (the
        cluster component's ``local_ingress`` agrees)."""
        if self.type != "kind":
            return None
        address = self.kind.get("listen_address", "127.0.0.1")
        ingress: LocalIngress = {
            "address": "127.0.0.1" if address in ("0.0.0.0", "") else address,
            "ports": self.kind.get("host_ports", DEFAULT_HOST_PORTS),
        }
        return ingress


A = TypeVar("A", bound=Mapping[str, Any])


@dataclass(frozen=True)
class Planned(Generic[A]):
    """A component's args exactly as the program passes them, checked by the component's own
    validator, but for ``later``: the fields the program adds from resources it registers
    (the stack CA's issuer, ``depends_on``), which the check saw as stand-ins of the same
    shape."""

    args: A
    later: frozenset[str] = frozenset()

    def complete(self, **values: Any) -> A:
        """The args with the ``later`` fields; exactly those, so the check saw every key."""
        if set(values) != self.later:
            raise TypeError(f"give exactly {sorted(self.later)}, not {sorted(values)}")
        return typing.cast(A, {**self.args, **values})


@dataclass(frozen=True)
class StackConfig:
    """The whole of a stack's config, checked, as the args of every component."""

    cluster: ClusterConfig
    pki: Planned[CertificateAuthorityArgs]
    istio: Planned[IstioInstallArgs]
    info: IstioInfo
    """What ``IstioInstall.info`` will say, derived once from the checked istio args: the
    other components' namespaces, selector, principal, revision and trust domain."""
    app: Planned[MeshNamespaceArgs]
    gateway: Planned[HttpsGatewayArgs]
    canary: Planned[CanaryRouteArgs]
    waypoint: Planned[WaypointArgs] | None
    mtls: Planned[StrictMtlsArgs]


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
    content = config.get("kubeconfig")
    if content is not None:
        # Checked as the plain text it is here, so a kubeconfig the cluster cannot use is
        # refused before anything registers and under the key typed; the component gets it
        # as the secret it is (errors never print it: the field is declared sensitive).
        checked("cluster", lambda: validate_existing_args(_args(existing, kubeconfig=content)))
        existing["kubeconfig"] = pulumi.Output.secret(content)
    elif "kubeconfig_path" not in existing:
        v.fail(
            SOURCE,
            config_key("cluster", "kubeconfig_path"),
            "is missing; an existing cluster needs it, or the secret "
            f"`{PROJECT}:kubeconfig` (pulumi config set --secret {PROJECT}:kubeconfig ...)",
        )
    checked_existing = checked("cluster", lambda: validate_existing_args(_args(existing)))
    return ClusterConfig(type="existing", kind={}, existing=checked_existing)


def install_namespaces(args: IstioInstallArgs, info: IstioInfo) -> dict[str, str]:
    """The namespaces the Istio install makes or runs in, each with the config key that
    names it."""
    found = {
        info.system_namespace: "istio.systemNamespace",
        args.get("ambient_namespace", info.system_namespace): "istio.ambientNamespace",
    }
    for i, gateway in enumerate(info.gateways):
        found.setdefault(
            gateway.namespace,
            f"istio.gateways[{i}].namespace" if "gateways" in args else "istio.gatewayNamespace",
        )
    return found


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


def app_waypoints(app: Mapping[str, Any], trust_domain: str) -> list[dict[str, str]]:
    """The app namespace's waypoint, when the app section names one, as ``StrictMtls``
    takes it (the same facts the program's ``Waypoint`` derives)."""
    name = app.get("waypoint")
    if not isinstance(name, str):
        return []
    namespace = str(app.get("namespace", DEFAULT_APP_NAMESPACE))
    return [
        {
            "name": name,
            "namespace": namespace,
            "principal": principal_of(namespace, name, trust_domain),
        }
    ]


def _unknown() -> pulumi.Output[Any]:
    """A stand-in for a value only a registered resource has (the CA's PEMs): unknown, so a
    check sees that it is given, and never a value."""
    return pulumi.Output.from_input(UNKNOWN)


def _issuer_stand_in() -> IssuerArgs:
    return {
        "cert_pem": _unknown(),
        "private_key_pem": _unknown(),
        "chain_pem": _unknown(),
        "root_cert_pem": _unknown(),
    }


def _plugged_ca_stand_in() -> PluggedCaArgs:
    return {
        "ca_cert_pem": _unknown(),
        "ca_key_pem": _unknown(),
        "root_cert_pem": _unknown(),
        "cert_chain_pem": _unknown(),
    }


def _plan(
    section: str,
    validate: Callable[[Any], object],
    args: Mapping[str, Any],
    stand_ins: Mapping[str, Any],
    sources: Mapping[str, str] | None = None,
) -> Planned[Any]:
    """``args`` checked with ``validate`` (the component's own) as the program will pass
    them, ``stand_ins`` standing for what the program adds from registered resources."""
    checked(section, lambda: validate({**args, **stand_ins}), sources)
    return Planned(dict(args), frozenset(stand_ins))


def _check_gateway_terminates_tls(gateway: Mapping[str, Any]) -> None:
    """The demo app speaks plain HTTP behind the gateway, which must terminate TLS for it
    (PASSTHROUGH would hand the TLS bytes to an app that cannot read them)."""
    valid = "give SIMPLE, MUTUAL or OPTIONAL_MUTUAL"
    if gateway.get("mode") == "PASSTHROUGH":
        v.fail(
            SOURCE,
            config_key("gateway", "mode"),
            "is 'PASSTHROUGH', but the demo app serves plain HTTP: the gateway must terminate "
            f"TLS and route HTTP to it; {valid}",
        )
    for i, cert in enumerate(gateway.get("certificates", [])):
        if cert.get("mode") == "PASSTHROUGH":
            v.fail(
                SOURCE,
                config_key("gateway", f"certificates[{i}].mode"),
                "is 'PASSTHROUGH', but the demo app serves plain HTTP: the gateway must "
                f"terminate TLS and route HTTP to it; {valid}",
            )


def _check_app_namespace(namespace: str, install: Mapping[str, str]) -> None:
    """The app's namespace is its own: not one the Istio install makes (both would create
    the same Namespace)."""
    if namespace in install:
        default_is_free = DEFAULT_APP_NAMESPACE not in install
        example = f", e.g. {DEFAULT_APP_NAMESPACE!r}" if default_is_free else ""
        v.fail(
            SOURCE,
            config_key("app", "namespace"),
            f"is {namespace!r}, the namespace `{PROJECT}:{install[namespace]}` gives the Istio "
            f"install; give the app a namespace of its own{example}",
        )


def load(config: pulumi.Config | None = None) -> StackConfig:
    """Read the whole stack config and build every component's args from it, each checked by
    the component's own validator exactly as the program will pass it.

    Nothing is registered here, and everything is checked here: a mistake anywhere in the
    config leaves nothing half-created, and is named by the key the user typed.
    """
    config = config or pulumi.Config(PROJECT)
    _unknown_sections()
    cluster = load_cluster(config)
    raw = {section: read_section(config, section) for section in SECTIONS if section != "cluster"}

    mesh_ca = raw["pki"].get("mesh_ca", False)
    istio = _plan(
        "istio",
        validate_istio_args,
        _istio_args(raw["istio"], cluster.gateway_service()),
        {"plugged_ca": _plugged_ca_stand_in()} if mesh_ca else {},
    )
    info = install_info(istio.args)
    pki = _plan(
        "pki",
        validate_ca_args,
        {**raw["pki"], "trust_domain": info.trust_domain},
        {},
    )

    gateway_raw = raw["gateway"]
    if "hosts" not in gateway_raw and "certificates" not in gateway_raw:
        gateway_raw["hosts"] = list(DEFAULT_HOSTS)
    _check_gateway_terminates_tls(gateway_raw)
    supplied: dict[str, Any] = {"gateway_namespace": info.gateway_namespace}
    if info.api == "gateway-api":
        # The Gateway is its own workload: istiod deploys it, with the cluster's Service.
        supplied.update(
            api="gateway-api", service=cluster.gateway_service(), trust_domain=info.trust_domain
        )
    else:
        supplied["selector"] = info.gateway_selector
    local_ingress = cluster.local_ingress()
    if local_ingress is not None:
        supplied["local_ingress"] = local_ingress
    gateway = _plan(
        "gateway",
        lambda args: validate_gateway_args(args, GATEWAY_NAME),
        {**gateway_raw, **supplied},
        {"issuer": _issuer_stand_in(), "depends_on": []},
    )
    gateway_name = gateway.args.get("gateway_name", GATEWAY_NAME)
    gateway_ref = f"{info.gateway_namespace}/{gateway_name}"
    hosts = gateway_hosts(gateway.args)
    gateway_principal = (
        gateway_api_workload(gateway_name, info.gateway_namespace, info.trust_domain).principal
        if info.api == "gateway-api"
        else info.gateway_principal
    )

    app_raw = raw["app"]
    app_raw.setdefault("namespace", DEFAULT_APP_NAMESPACE)
    namespace = app_raw["namespace"]
    app = _plan(
        "app",
        lambda args: validate_namespace_args("app", args),
        {
            **app_raw,
            "mode": info.mode,
            "revision": info.revision,
            "system_namespace": info.system_namespace,
        },
        {"depends_on": []},
    )
    _check_app_namespace(namespace, install_namespaces(istio.args, info))

    canary = _plan(
        "canary",
        lambda args: validate_canary_args(ROUTE_NAME, args),
        {
            **canary_args(_args(raw["canary"]), namespace, info.api),
            "gateways": [{"ref": gateway_ref, "hosts": hosts}],
            "external_hosts": hosts,
        },
        {"depends_on": []},
        ROUTE_SOURCES,
    )

    waypoint: Planned[WaypointArgs] | None = None
    if "waypoint" in app_raw:
        waypoint = _plan(
            "app",
            validate_waypoint_args,
            {
                "namespace": namespace,
                "name": app_raw["waypoint"],
                "revision": info.revision,
                "trust_domain": info.trust_domain,
            },
            {"depends_on": []},
            WAYPOINT_SOURCES,
        )

    mtls = _plan(
        "mtls",
        validate_mtls_args,
        {
            **raw["mtls"],
            "system_namespace": info.system_namespace,
            "data_plane_mode": info.mode,
            "namespaces": [namespace],
            "gateway_principal": gateway_principal,
            # Admitted to the workloads the route reaches, not to the whole namespace.
            "gateway_targets": gateway_targets(
                canary.args,
                canary.args.get("name", ROUTE_NAME),
                [gateway_ref],
            ),
            "waypoints": app_waypoints(app_raw, info.trust_domain),
        },
        {"depends_on": [], "namespace_dependencies": {namespace: []}},
    )
    return StackConfig(
        cluster=cluster,
        pki=pki,
        istio=istio,
        info=info,
        app=app,
        gateway=gateway,
        canary=canary,
        waypoint=waypoint,
        mtls=mtls,
    )


def gateway_hosts(args: Mapping[str, Any]) -> list[str]:
    """Every host the gateway serves, in the order given (``HttpsGateway.host_names``)."""
    if "certificates" in args:
        return [h for cert in args["certificates"] for h in cert.get("hosts", [])]
    return list(args.get("hosts", []))


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
    "Planned",
    "StackConfig",
    "load",
]
