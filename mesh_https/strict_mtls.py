"""StrictMtls: STRICT mutual TLS in the mesh, and who may call each protected namespace.

PeerAuthentication: mesh-wide ``default`` in the root namespace (selector-less, the only form
Istio honours there), optional per-namespace policies, and port-level exceptions that must be
named. AuthorizationPolicy, in each protected namespace: an allow-nothing baseline, ALLOW from
the ingress gateway's principal, and ALLOW rules for listed principals or namespaces.

Auto mTLS already sends ``ISTIO_MUTUAL`` between sidecars (and ztunnels), so no
DestinationRule is needed for mTLS. An explicit DestinationRule TLS setting *overrides* auto
mTLS for its host, and anything but ``ISTIO_MUTUAL`` to an in-mesh host under STRICT fails
with 503s. So an explicit ``ISTIO_MUTUAL`` DestinationRule is made only where asked for
(``istio_mutual_hosts``), e.g. to pin it against another rule's setting; do not ask for it on
a host that already has a DestinationRule (a ``CanaryRoute`` has ``tls_mode`` for that).
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Literal, Required, TypedDict

import pulumi

from mesh_https import contract
from mesh_https import validation as v
from mesh_https._values import known
from mesh_https.constraints import (
    SERVICE_SUFFIX,
    DnsLabel,
    DnsSubdomain,
    Hostname,
    LabelKey,
    LabelValue,
    Plain,
    Port,
    Principal,
    RequestPath,
    service_host_spelling_problem,
)
from mesh_https.contract import SECRET_VALUE, Hint
from mesh_https.gateway_api import GATEWAY_API_GROUP
from mesh_https.identity import principal_namespace
from mesh_https.istio_objects import istio_object

COMPONENT = "StrictMtls"
HttpMethodName = Literal[
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"
]


class AllowRuleArgs(TypedDict, total=False):
    """Who else may call a protected namespace; give principals, namespaces or both."""

    name: Required[DnsLabel]
    """Names the AuthorizationPolicy (``allow-<name>``). Required."""
    principals: Sequence[Principal]
    """SPIFFE principals, ``<trust domain>/ns/<namespace>/sa/<service account>``."""
    namespaces: Sequence[DnsLabel]
    """Source namespaces (any workload in them)."""
    paths: Sequence[RequestPath]
    """Narrow to these request paths (``/api/*`` prefix or ``*.js`` suffix allowed)."""
    methods: Sequence[HttpMethodName]
    """Narrow to these HTTP methods."""
    to_namespaces: Sequence[DnsLabel]
    """Protected namespaces this rule applies to. Default: all of them."""
    to_workloads: Mapping[LabelKey, LabelValue]
    """Only the workloads with these labels (the policy's ``selector``), e.g.
    ``{"app": "reviews"}``. Default: every workload in the namespace."""
    only: bool
    """These callers and no others may call ``to_workloads``: a DENY policy (``deny-<name>``)
    refuses every other source, which ALLOW policies, adding up, cannot do. Needs
    ``to_workloads``. Default ``False``."""


class WorkloadTargetArgs(TypedDict, total=False):
    """Workloads a gateway routes to: take them from ``CanaryRoute.gateway_targets``."""

    name: Required[DnsLabel]
    """Names the policy (``allow-ingress-gateway-<name>``)."""
    namespace: Required[DnsLabel]
    """The workloads' namespace."""
    selector: Required[Mapping[LabelKey, LabelValue]]
    """Their pod labels."""
    gateway_namespaces: Sequence[DnsLabel]
    """Admit only the gateways whose workloads run here: the namespaces of the Gateways the
    route binds. Default: every gateway principal."""


class PortExceptionArgs(TypedDict, total=False):
    """A named, explicit port that is not STRICT, for selected workloads."""

    name: Required[DnsSubdomain]
    """Names the PeerAuthentication. Required."""
    namespace: Required[DnsLabel]
    """Where the workloads are. Required."""
    selector: Required[Mapping[LabelKey, LabelValue]]
    """Workload labels (Istio applies port-level mTLS only with a selector). Required."""
    port: Required[Port]
    """The workload (container) port. Required."""
    mode: Literal["PERMISSIVE", "DISABLE"]
    """``PERMISSIVE`` (plaintext also accepted) or ``DISABLE`` (sidecar mode only)."""


class WaypointRefArgs(TypedDict):
    """A namespace's ambient waypoint: ``Waypoint.info.as_args()``."""

    name: DnsLabel
    """The waypoint Gateway's name."""
    namespace: DnsLabel
    """The protected namespace whose services use it."""
    principal: Principal
    """Its principal: what traffic through it carries to the workloads."""


class StrictMtlsArgs(TypedDict, total=False):
    """Inputs of :class:`StrictMtls`. Take ``system_namespace``, ``gateway_principal`` and
    ``data_plane_mode`` from ``IstioInstall.info`` (plain values); only ``gateway_principal``
    may also be an Output."""

    system_namespace: Annotated[DnsLabel, Plain("istio.info.system_namespace")]
    """The mesh root namespace. Default ``istio-system``."""
    data_plane_mode: Annotated[Literal["sidecar", "ambient"], Plain("istio.info.mode")]
    """The install's mode: ambient has no DISABLE. Default ``sidecar``."""
    mesh_wide: bool
    """Create the mesh-wide ``default`` PeerAuthentication. Default ``True``."""
    namespaces: Sequence[Annotated[DnsLabel, Plain("the namespace's name, as a string")]]
    """Protected namespaces: each gets a PeerAuthentication and the AuthorizationPolicies."""
    per_namespace: bool
    """Give each protected namespace its own ``default`` PeerAuthentication, so it stays
    STRICT even if the mesh-wide policy is relaxed. Default ``True``."""
    peer_mode: Annotated[
        Literal["STRICT", "PERMISSIVE"],
        Hint("DISABLE is only for a named port exception, and never in ambient mode"),
    ]
    """Mode of every PeerAuthentication made here. Default ``STRICT``."""
    migration: bool
    """Allow ``peer_mode="PERMISSIVE"`` while workloads are being moved into the mesh."""
    port_exceptions: Sequence[PortExceptionArgs]
    """Named ports that are not STRICT, for selected workloads."""
    gateway_principal: pulumi.Input[Principal]
    """The ingress gateway's principal; allowed into every protected namespace."""
    gateway_principals: Sequence[Principal]
    """More gateway principals, e.g. an internal gateway's (``IstioInstall.info.gateways``);
    admitted with ``gateway_principal`` by the one ``allow-ingress-gateway`` policy."""
    waypoints: Sequence[WaypointRefArgs]
    """Ambient mode: the protected namespaces' waypoints (``Waypoint.info.as_args()``). In
    such a namespace every rule is enforced at the waypoint as well (policies with
    ``targetRefs``, behind a waypoint ``allow-nothing``), path and method rules at the
    waypoint only, and the workloads admit the waypoint."""
    gateway_targets: Sequence[WorkloadTargetArgs]
    """The workloads the gateways route to (``CanaryRoute.gateway_targets`` of each route):
    the gateways are then admitted to those workloads only, by one selector policy each,
    instead of to every workload of every protected namespace."""
    allow: Sequence[AllowRuleArgs]
    """ALLOW rules for callers besides the gateway, per protected namespace."""
    authorization: bool
    """Create the AuthorizationPolicies (baseline and ALLOWs). Default ``True``."""
    istio_mutual_hosts: Sequence[Hostname]
    """Hosts (FQDNs) that get an explicit ``ISTIO_MUTUAL`` DestinationRule; see the module."""
    depends_on: Sequence[pulumi.Resource]
    """What every policy must come after: the Istio control plane (CRDs and webhook), e.g.
    ``IstioInstall.ready``."""
    namespace_dependencies: Mapping[DnsLabel, Sequence[pulumi.Resource]]
    """What one protected namespace's policies must come after, by namespace: its
    ``MeshNamespace``. Each policy then waits for its own namespace only, not for all."""


def istio_mutual_rule(host: str, root: str) -> tuple[str, str]:
    """Namespace and name of the ``ISTIO_MUTUAL`` DestinationRule for ``host``: a service's
    (``<service>.<namespace>.svc.cluster.local``) goes in its own namespace, any other host
    (a ServiceEntry's) in the root namespace, where a rule applies to the whole mesh."""
    labels = host.split(".")
    if len(labels) == 5 and tuple(labels[2:]) == SERVICE_SUFFIX:
        return labels[1], f"mtls-{labels[0]}"
    return root, f"mtls-{labels[0]}"


def _check_istio_mutual_hosts(args: StrictMtlsArgs, namespaces: Sequence[str]) -> None:
    root = args.get("system_namespace", "istio-system")
    rules: dict[tuple[str, str], str] = {}
    for i, host in enumerate(args.get("istio_mutual_hosts", [])):
        field = f"istio_mutual_hosts[{i}]"
        problem = service_host_spelling_problem(host, [*namespaces, root])
        if problem:
            v.fail(COMPONENT, field, problem)
        rule = istio_mutual_rule(host, root)
        if rule in rules:
            v.fail(
                COMPONENT,
                field,
                f"is {host!r}, whose DestinationRule would be {rule[0]}/{rule[1]}, as that of "
                f"{rules[rule]!r}: one object for two hosts. List each host once, by its full "
                "name",
            )
        rules[rule] = host


def validate_args(args: StrictMtlsArgs | None) -> StrictMtlsArgs:
    """Check :class:`StrictMtls` input against its declaration and the rules across fields;
    raises :class:`ValidationError`. Returns the args to build from."""
    c = COMPONENT
    args = contract.check(c, StrictMtlsArgs, args)
    ambient = args.get("data_plane_mode", "sidecar") == "ambient"
    if args.get("peer_mode", "STRICT") == "PERMISSIVE" and not args.get("migration", False):
        v.fail(
            c,
            "peer_mode",
            "is 'PERMISSIVE', which accepts plaintext; set migration=True to say this is a "
            "deliberate, temporary step",
        )
    namespaces = list(args.get("namespaces", []))
    if len(set(namespaces)) != len(namespaces):
        v.fail(c, "namespaces", f"repeats a namespace: {namespaces}")
    if args.get("system_namespace", "istio-system") in namespaces:
        v.fail(
            c,
            "namespaces",
            "includes the mesh's root namespace; its allow-nothing policy would deny the whole "
            "mesh, and mesh_wide covers it",
        )
    principals = _gateway_principals(args)
    plain_principals: list[tuple[str, str]] = [(f, p) for f, p in principals if isinstance(p, str)]
    _check_gateway_principals(
        args, plain_principals, complete=len(plain_principals) == len(principals)
    )
    for ns in args.get("namespace_dependencies", {}):
        if ns not in namespaces:
            v.fail(
                c, f"namespace_dependencies.{ns}", f"is not a protected namespace ({namespaces})"
            )
    _check_istio_mutual_hosts(args, namespaces)
    if not args.get("mesh_wide", True) and not namespaces:
        v.fail(c, "namespaces", "is empty and mesh_wide is False: nothing would be protected")
    waypoints: dict[str, WaypointRefArgs] = {}
    for i, waypoint in enumerate(args.get("waypoints", [])):
        field = f"waypoints[{i}]"
        if not ambient:
            v.fail(c, "waypoints", "only apply in ambient mode (data_plane_mode='ambient')")
        if waypoint["namespace"] not in namespaces:
            v.fail(
                c,
                f"{field}.namespace",
                f"is {waypoint['namespace']!r}, not a protected namespace ({namespaces})",
            )
        if waypoint["namespace"] in waypoints:
            v.fail(c, f"{field}.namespace", f"repeats {waypoint['namespace']!r}: one waypoint each")
        waypoints[waypoint["namespace"]] = waypoint
    # Names the component uses itself: `allow-nothing`, `allow-ingress-gateway`, `allow-waypoint`.
    names = {"nothing", "ingress-gateway", "waypoint"}
    for i, rule in enumerate(args.get("allow", [])):
        field = f"allow[{i}]"
        v.check_unique(c, f"{field}.name", rule["name"], names, "rule names")
        if not rule.get("principals") and not rule.get("namespaces"):
            v.fail(c, field, "allows no one; give principals, namespaces or both")
        if ambient and (rule.get("paths") or rule.get("methods")):
            applies_to = list(rule.get("to_namespaces", namespaces))
            without = [ns for ns in applies_to if ns not in waypoints]
            if without:
                v.fail(
                    c,
                    field,
                    "narrows by path or method, which ztunnel cannot see in ambient mode; add "
                    f"a waypoint for {without} (mesh_https.Waypoint, with MeshNamespace's "
                    "`waypoint`) and give it in `waypoints`",
                )
            if rule.get("to_workloads"):
                v.fail(
                    c,
                    f"{field}.to_workloads",
                    "selects workloads by label, but a waypoint enforces paths and methods for "
                    "the whole namespace (it takes no selector); leave out to_workloads, or the "
                    "paths and methods",
                )
        for j, target in enumerate(rule.get("to_namespaces", [])):
            if target not in namespaces:
                v.fail(c, f"{field}.to_namespaces[{j}]", f"is {target!r}; protected: {namespaces}")
        if "to_workloads" in rule and not rule["to_workloads"]:
            v.fail(c, f"{field}.to_workloads", "is empty; leave it out for the whole namespace")
        if rule.get("only") and not rule.get("to_workloads"):
            v.fail(
                c,
                f"{field}.only",
                "needs `to_workloads`: denying every other caller of a whole namespace would "
                "refuse the gateway and the mesh alike",
            )
        if rule.get("only"):
            applies_to = list(rule.get("to_namespaces", namespaces))
            behind = [ns for ns in applies_to if ns in waypoints]
            if behind:
                v.fail(
                    c,
                    f"{field}.only",
                    f"cannot hold in {behind}, which use a waypoint: traffic through it reaches "
                    "the workloads with the waypoint's identity, so a DENY for every other "
                    "caller would refuse it all, and the waypoint takes no selector. Leave out "
                    "`only` there",
                )
    targets: set[tuple[str, str]] = set()
    for i, routed in enumerate(args.get("gateway_targets", [])):
        field = f"gateway_targets[{i}]"
        if routed["namespace"] not in namespaces:
            v.fail(
                c,
                f"{field}.namespace",
                f"is {routed['namespace']!r}, not a protected namespace ({namespaces}); its "
                "workloads have no policy for the gateway to be admitted by",
            )
        if not routed["selector"]:
            v.fail(c, f"{field}.selector", "is empty; it must select the routed workloads")
        key = (routed["namespace"], routed["name"])
        if key in targets:
            v.fail(c, f"{field}.name", f"repeats {routed['name']!r} in namespace {key[0]!r}")
        targets.add(key)
    if args.get("gateway_targets") and not _gateway_principals(args):
        v.fail(c, "gateway_targets", "are given, but no gateway principal to admit to them")
    exception_names: set[str] = set()
    for i, exc in enumerate(args.get("port_exceptions", [])):
        field = f"port_exceptions[{i}]"
        v.check_unique(c, f"{field}.name", exc["name"], exception_names, "exception names")
        if not exc["selector"]:
            v.fail(
                c,
                f"{field}.selector",
                "is empty; Istio applies port-level mTLS only with a selector",
            )
        if exc.get("mode", "PERMISSIVE") == "DISABLE" and ambient:
            v.fail(c, f"{field}.mode", "is 'DISABLE'; ambient mode does not support DISABLE")
    args = contract.deferred(c, StrictMtlsArgs, args)
    if len(plain_principals) < len(principals):
        # `gateway_principal` is an Output: the same rules once it is known. The policies
        # that use it wait for it, and so do the allow-nothing ones (see StrictMtls).
        others = [(f, p) for f, p in plain_principals if f != "gateway_principal"]
        checked_args = args  # what the check reads (namespaces, targets) is plain

        def check_known(principal: str, secret: bool) -> None:
            known = [("gateway_principal", principal), *others]
            _check_gateway_principals(checked_args, known, complete=True, secret=secret)

        args["gateway_principal"] = contract.once_known(args["gateway_principal"], check_known)
    return args


def _check_gateway_principals(
    args: StrictMtlsArgs,
    principals: Sequence[tuple[str, str]],
    *,
    complete: bool,
    secret: bool = False,
) -> None:
    """The rules across the gateway principals and the protected namespaces: one home, run
    on plain principals at once and, when ``gateway_principal`` is an Output, on all of them
    once it is known. ``complete`` says whether ``principals`` are all of them."""
    c = COMPONENT
    namespaces = list(args.get("namespaces", []))
    seen: set[str] = set()
    for field, principal in principals:
        shown = SECRET_VALUE if secret and field == "gateway_principal" else repr(principal)
        v.check_unique(c, field, principal, seen, "gateway principals")
        gateway_ns = principal_namespace(principal)
        if gateway_ns in namespaces:
            v.fail(
                c,
                "namespaces",
                f"includes {gateway_ns!r}, the namespace of gateway {shown} "
                f"(`{field}`); its allow-nothing policy would refuse every request to the "
                "gateway. Protect the application namespaces, not the gateway's",
            )
    if not complete:
        return
    plain = [p for _, p in principals]
    for i, routed in enumerate(args.get("gateway_targets", [])):
        wanted = routed.get("gateway_namespaces")
        if wanted is not None and plain and not _principals_in(plain, wanted):
            v.fail(
                c,
                f"gateway_targets[{i}].gateway_namespaces",
                f"are {list(wanted)}, where none of the gateway principals "
                f"({SECRET_VALUE if secret else plain}) runs; add that gateway's principal to "
                "`gateway_principals`",
            )


def _gateway_principals(args: StrictMtlsArgs) -> list[tuple[str, pulumi.Input[str]]]:
    """Every gateway principal admitted, with the field that gave it."""
    found: list[tuple[str, pulumi.Input[str]]] = []
    if "gateway_principal" in args:
        found.append(("gateway_principal", args["gateway_principal"]))
    found += [
        (f"gateway_principals[{i}]", p) for i, p in enumerate(args.get("gateway_principals", []))
    ]
    return found


def _gateway_rule(principals: Sequence[str]) -> dict[str, Any]:
    source = {"principals": list(principals)}
    return {"action": "ALLOW", "rules": [{"from": [{"source": source}]}]}


def _selector(labels: Mapping[str, str]) -> dict[str, Any]:
    return {"matchLabels": dict(sorted(labels.items()))}


def _only(rule: AllowRuleArgs) -> dict[str, Any]:
    """DENY every source that is none of the rule's principals and namespaces."""
    source: dict[str, Any] = {}
    if rule.get("principals"):
        source["notPrincipals"] = sorted(rule["principals"])
    if rule.get("namespaces"):
        source["notNamespaces"] = sorted(rule["namespaces"])
    return {
        "selector": _selector(rule["to_workloads"]),
        "action": "DENY",
        "rules": [{"from": [{"source": source}]}],
    }


def _rule(rule: AllowRuleArgs) -> dict[str, Any]:
    source: dict[str, Any] = {}
    if rule.get("principals"):
        source["principals"] = sorted(rule["principals"])
    if rule.get("namespaces"):
        source["namespaces"] = sorted(rule["namespaces"])
    out: dict[str, Any] = {"from": [{"source": source}]}
    operation: dict[str, Any] = {}
    if rule.get("paths"):
        operation["paths"] = list(rule["paths"])
    if rule.get("methods"):
        operation["methods"] = list(rule["methods"])
    if operation:
        out["to"] = [{"operation": operation}]
    return out


def _principals_in(principals: Sequence[Any], namespaces: Sequence[str]) -> list[str]:
    return [p for p in principals if principal_namespace(p) in namespaces]


def _admitting(principals: Sequence[pulumi.Input[str]], namespaces: Sequence[str]) -> Any:
    """The gateway rule for the principals whose gateways run in ``namespaces`` (plain, or an
    Output when a principal is one)."""
    if all(isinstance(p, str) for p in principals):
        return _gateway_rule(_principals_in(principals, namespaces))
    return pulumi.Output.all(*principals).apply(
        lambda known_principals: _gateway_rule(_principals_in(known_principals, namespaces))
    )


def _scoped(spec: Any, labels: Mapping[str, str]) -> Any:
    """``spec`` (plain or an Output) applied to the workloads with ``labels`` only."""
    if isinstance(spec, pulumi.Output):
        return spec.apply(lambda known_spec: {"selector": _selector(labels), **known_spec})
    return {"selector": _selector(labels), **spec}


def _is_l7(rule: AllowRuleArgs) -> bool:
    return bool(rule.get("paths") or rule.get("methods"))


class StrictMtls(pulumi.ComponentResource):
    """STRICT mTLS mesh-wide and per namespace, with who-may-call policies per namespace.

    See the module docstring for why no DestinationRule is needed for mTLS itself.
    """

    policy_names: pulumi.Output[list[str]]
    """Every PeerAuthentication and AuthorizationPolicy made, as ``<namespace>/<name>``."""
    admitted: pulumi.Output[dict[str, list[str]]]
    """Protected namespace → the principals (and ``ns:<namespace>`` sources) it admits."""

    def __init__(
        self,
        name: str,
        args: StrictMtlsArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = validate_args(args)
        super().__init__("mesh-https:index:StrictMtls", name, None, opts)
        after = list(args.get("depends_on", []))
        by_namespace = args.get("namespace_dependencies", {})
        mode = args.get("peer_mode", "STRICT")
        root = args.get("system_namespace", "istio-system")
        names: list[str] = []

        def add(key: str, kind: str, obj_name: str, ns: str, spec: Any) -> None:
            deps = [*after, *by_namespace.get(ns, [])]
            istio_object(f"{name}-{key}", kind, obj_name, ns, spec, parent=self, depends_on=deps)
            names.append(f"{ns}/{obj_name}")

        if args.get("mesh_wide", True):
            add("mesh", "PeerAuthentication", "default", root, {"mtls": {"mode": mode}})
        namespaces = list(args.get("namespaces", []))
        for ns in namespaces if args.get("per_namespace", True) else []:
            add(f"{ns}-peer", "PeerAuthentication", "default", ns, {"mtls": {"mode": mode}})
        for exc in sorted(args.get("port_exceptions", []), key=lambda e: e["name"]):
            spec = {
                "selector": {"matchLabels": dict(sorted(exc["selector"].items()))},
                "mtls": {"mode": mode},
                "portLevelMtls": {str(exc["port"]): {"mode": exc.get("mode", "PERMISSIVE")}},
            }
            add(f"port-{exc['name']}", "PeerAuthentication", exc["name"], exc["namespace"], spec)

        admitted: dict[str, list[pulumi.Input[str]]] = {}
        if args.get("authorization", True):
            gateways = [principal for _, principal in _gateway_principals(args)]
            # One spec for every namespace: plain when the principals are, else one apply.
            gateway_spec: Any = None
            if gateways:
                gateway_spec = (
                    _gateway_rule(typing.cast(list[str], gateways))
                    if all(isinstance(p, str) for p in gateways)
                    else pulumi.Output.all(*gateways).apply(_gateway_rule)
                )
            targets = sorted(args.get("gateway_targets", []), key=lambda t: t["name"])
            waypoints = {w["namespace"]: w for w in args.get("waypoints", [])}
            # `spec: {}` matches no request: with no ALLOW matching, everything is denied. An
            # Output principal is checked once known (validate_args): until then, no
            # allow-nothing policy, which in the gateway's own namespace would shut it.
            nothing: Any = {}
            principal = args.get("gateway_principal")
            if isinstance(principal, pulumi.Output):
                nothing = contract.passed(principal).apply(lambda _: {})
            for ns in namespaces:
                add(f"{ns}-allow-nothing", "AuthorizationPolicy", "allow-nothing", ns, nothing)
                admitted[ns] = []
                waypoint = waypoints.get(ns)
                if waypoint is not None:
                    self._waypoint_policies(add, ns, waypoint, gateways, args)
                routed = [t for t in targets if t["namespace"] == ns]
                if gateways and not targets:
                    add(
                        f"{ns}-allow-ingress-gateway",
                        "AuthorizationPolicy",
                        "allow-ingress-gateway",
                        ns,
                        gateway_spec,
                    )
                for target in routed:
                    # Admitted to the workloads its routes reach, and to no other.
                    spec = gateway_spec
                    if "gateway_namespaces" in target:
                        spec = _admitting(gateways, target["gateway_namespaces"])
                    add(
                        f"{ns}-allow-ingress-gateway-{target['name']}",
                        "AuthorizationPolicy",
                        f"allow-ingress-gateway-{target['name']}",
                        ns,
                        _scoped(spec, target["selector"]),
                    )
                if gateways and (routed or not targets):
                    admitted[ns].extend(gateways)
                for rule in sorted(args.get("allow", []), key=lambda r: r["name"]):
                    if rule.get("to_namespaces") and ns not in rule["to_namespaces"]:
                        continue
                    if waypoint is not None and _is_l7(rule):
                        # Enforced at the waypoint only: admitting these callers at L4 too
                        # would let traffic that skips the waypoint skip the paths.
                        admitted[ns].extend(sorted(rule.get("principals", [])))
                        admitted[ns].extend(f"ns:{n}" for n in sorted(rule.get("namespaces", [])))
                        continue
                    rule_spec: dict[str, Any] = {"action": "ALLOW", "rules": [_rule(rule)]}
                    if "to_workloads" in rule:
                        rule_spec = {"selector": _selector(rule["to_workloads"]), **rule_spec}
                    add(
                        f"{ns}-allow-{rule['name']}",
                        "AuthorizationPolicy",
                        f"allow-{rule['name']}",
                        ns,
                        rule_spec,
                    )
                    if rule.get("only"):
                        add(
                            f"{ns}-deny-{rule['name']}",
                            "AuthorizationPolicy",
                            f"deny-{rule['name']}",
                            ns,
                            _only(rule),
                        )
                    admitted[ns].extend(sorted(rule.get("principals", [])))
                    admitted[ns].extend(f"ns:{n}" for n in sorted(rule.get("namespaces", [])))

        for host in sorted(args.get("istio_mutual_hosts", [])):
            namespace, object_name = istio_mutual_rule(host, root)
            spec = {"host": host, "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}}}
            add(f"dr-{host}", "DestinationRule", object_name, namespace, spec)

        self.policy_names = known(names)
        # Plain unless the gateway principal is an Output: then it resolves in one place.
        plain = all(isinstance(p, str) for _, p in _gateway_principals(args))
        admitted_all: Any = known(admitted) if plain else pulumi.Output.from_input(admitted)
        self.admitted = admitted_all
        self.register_outputs({"policy_names": self.policy_names, "admitted": self.admitted})

    @staticmethod
    def _waypoint_policies(
        add: Callable[[str, str, str, str, Any], None],
        ns: str,
        waypoint: WaypointRefArgs,
        gateways: Sequence[pulumi.Input[str]],
        args: StrictMtlsArgs,
    ) -> None:
        """An ambient namespace with a waypoint: the workloads admit the waypoint (traffic
        through it arrives with its identity), and the waypoint enforces who may call, L7
        included, behind an allow-nothing of its own so it never lets everything through."""
        target = [{"group": GATEWAY_API_GROUP, "kind": "Gateway", "name": waypoint["name"]}]
        add(
            f"{ns}-allow-waypoint",
            "AuthorizationPolicy",
            "allow-waypoint",
            ns,
            _gateway_rule([waypoint["principal"]]),
        )
        add(
            f"{ns}-waypoint-allow-nothing",
            "AuthorizationPolicy",
            "waypoint-allow-nothing",
            ns,
            {"targetRefs": target},
        )
        if gateways:
            spec: Any = (
                {"targetRefs": target, **_gateway_rule(typing.cast(list[str], gateways))}
                if all(isinstance(p, str) for p in gateways)
                else pulumi.Output.all(*gateways).apply(
                    lambda known_principals: {
                        "targetRefs": target,
                        **_gateway_rule(known_principals),
                    }
                )
            )
            add(
                f"{ns}-waypoint-allow-ingress-gateway",
                "AuthorizationPolicy",
                "waypoint-allow-ingress-gateway",
                ns,
                spec,
            )
        for rule in sorted(args.get("allow", []), key=lambda r: r["name"]):
            if rule.get("to_namespaces") and ns not in rule["to_namespaces"]:
                continue
            if rule.get("to_workloads"):
                continue  # a selector rule: ztunnel's, on those workloads
            add(
                f"{ns}-waypoint-allow-{rule['name']}",
                "AuthorizationPolicy",
                f"waypoint-allow-{rule['name']}",
                ns,
                {"targetRefs": target, "action": "ALLOW", "rules": [_rule(rule)]},
            )
