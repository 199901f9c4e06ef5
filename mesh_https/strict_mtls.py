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

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypedDict

import pulumi

from mesh_https import validation as v
from mesh_https.istio_objects import istio_object

COMPONENT = "StrictMtls"
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE")
_PRINCIPAL = re.compile(r"^[a-z0-9.-]+/ns/[a-z0-9]([-a-z0-9]*[a-z0-9])?/sa/[a-z0-9][-a-z0-9.]*$")
_PRINCIPAL_PREFIX = re.compile(r"^[a-z0-9.-]+/ns/[a-z0-9-]+/(sa/[-a-z0-9.]*)?$")
_PRINCIPAL_SUFFIX = re.compile(r"^[a-z0-9.-]*/ns/[a-z0-9-]+/sa/[a-z0-9][-a-z0-9.]*$")


class AllowRuleArgs(TypedDict, total=False):
    """Who else may call a protected namespace; give principals, namespaces or both."""

    name: str
    """Names the AuthorizationPolicy (``allow-<name>``). Required."""
    principals: Sequence[str]
    """SPIFFE principals, ``<trust domain>/ns/<namespace>/sa/<service account>``."""
    namespaces: Sequence[str]
    """Source namespaces (any workload in them)."""
    paths: Sequence[str]
    """Narrow to these request paths (``/api/*`` prefix or ``*.js`` suffix allowed)."""
    methods: Sequence[str]
    """Narrow to these HTTP methods."""
    to_namespaces: Sequence[str]
    """Protected namespaces this rule applies to. Default: all of them."""


class PortExceptionArgs(TypedDict, total=False):
    """A named, explicit port that is not STRICT, for selected workloads."""

    name: str
    """Names the PeerAuthentication. Required."""
    namespace: str
    """Where the workloads are. Required."""
    selector: Mapping[str, str]
    """Workload labels (Istio applies port-level mTLS only with a selector). Required."""
    port: int
    """The workload (container) port. Required."""
    mode: Literal["PERMISSIVE", "DISABLE"]
    """``PERMISSIVE`` (plaintext also accepted) or ``DISABLE`` (sidecar mode only)."""


class StrictMtlsArgs(TypedDict, total=False):
    """Inputs of :class:`StrictMtls`. Take ``system_namespace``, ``gateway_principal`` and
    ``data_plane_mode`` from ``IstioInstall`` (``.system_namespace``, ``.gateway_principal``,
    ``.info.mode``)."""

    system_namespace: pulumi.Input[str]
    """The mesh root namespace. Default ``istio-system``."""
    data_plane_mode: Literal["sidecar", "ambient"]
    """The install's mode: ambient has no DISABLE. Default ``sidecar``."""
    mesh_wide: bool
    """Create the mesh-wide ``default`` PeerAuthentication. Default ``True``."""
    namespaces: Sequence[str]
    """Protected namespaces: each gets a PeerAuthentication and the AuthorizationPolicies."""
    per_namespace: bool
    """Give each protected namespace its own ``default`` PeerAuthentication, so it stays
    STRICT even if the mesh-wide policy is relaxed. Default ``True``."""
    peer_mode: Literal["STRICT", "PERMISSIVE"]
    """Mode of every PeerAuthentication made here. Default ``STRICT``."""
    migration: bool
    """Allow ``peer_mode="PERMISSIVE"`` while workloads are being moved into the mesh."""
    port_exceptions: Sequence[PortExceptionArgs]
    """Named ports that are not STRICT, for selected workloads."""
    gateway_principal: pulumi.Input[str]
    """The ingress gateway's principal; allowed into every protected namespace."""
    allow: Sequence[AllowRuleArgs]
    """ALLOW rules for callers besides the gateway, per protected namespace."""
    authorization: bool
    """Create the AuthorizationPolicies (baseline and ALLOWs). Default ``True``."""
    istio_mutual_hosts: Sequence[str]
    """Hosts (FQDNs) that get an explicit ``ISTIO_MUTUAL`` DestinationRule; see the module."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first: the ``IstioInstall`` (CRDs and webhook)."""


def check_principal(component: str, field: str, value: Any) -> None:
    """``<trust domain>/ns/<namespace>/sa/<account>``, or Istio's single-``*`` forms: ``*``,
    a prefix (``cluster.local/ns/web/sa/*``) or a suffix (``*/ns/web/sa/frontend``)."""
    if value is None or not v.is_known(value) or value == "*":
        return
    if not isinstance(value, str) or value.count("*") > 1:
        valid = False
    elif value.endswith("*"):
        valid = bool(_PRINCIPAL_PREFIX.match(value[:-1]))
    elif value.startswith("*"):
        valid = bool(_PRINCIPAL_SUFFIX.match(value[1:]))
    else:
        valid = "*" not in value and bool(_PRINCIPAL.match(value))
    if not valid:
        v.fail(
            component,
            field,
            f"is {value!r}; a principal looks like 'cluster.local/ns/<namespace>/sa/<account>' "
            "(no 'spiffe://'; one '*' at most, at the start or the end)",
        )


def validate_args(args: StrictMtlsArgs) -> None:
    """Check :class:`StrictMtls` input; raises :class:`ValidationError`."""
    c = COMPONENT
    ambient = args.get("data_plane_mode", "sidecar") == "ambient"
    v.check_choice(
        c, "data_plane_mode", args.get("data_plane_mode", "sidecar"), ("sidecar", "ambient")
    )
    mode: str = args.get("peer_mode", "STRICT")
    if mode == "DISABLE":
        reason = (
            "ambient mode does not support DISABLE" if ambient else "use a named port exception"
        )
        v.fail(c, "peer_mode", f"is 'DISABLE'; {reason}")
    v.check_choice(c, "peer_mode", mode, ("STRICT", "PERMISSIVE"))
    if mode == "PERMISSIVE" and not args.get("migration", False):
        v.fail(
            c,
            "peer_mode",
            "is 'PERMISSIVE', which accepts plaintext; set migration=True to say this is a "
            "deliberate, temporary step",
        )
    namespaces = list(args.get("namespaces", []))
    for i, ns in enumerate(namespaces):
        v.check_dns_label(c, f"namespaces[{i}]", ns)
    if len(set(namespaces)) != len(namespaces):
        v.fail(c, "namespaces", f"repeats a namespace: {namespaces}")
    if isinstance(args.get("system_namespace"), str) and args["system_namespace"] in namespaces:
        v.fail(c, "namespaces", "includes the system namespace; mesh_wide covers it")
    if not args.get("mesh_wide", True) and not namespaces:
        v.fail(c, "namespaces", "is empty and mesh_wide is False: nothing would be protected")
    check_principal(c, "gateway_principal", args.get("gateway_principal"))
    names = {"ingress-gateway"}  # the gateway's own rule is `allow-ingress-gateway`
    for i, rule in enumerate(args.get("allow", [])):
        field = f"allow[{i}]"
        v.check_dns_label(c, f"{field}.name", rule.get("name"))
        v.check_unique(c, f"{field}.name", rule["name"], names, "rule names")
        if not rule.get("principals") and not rule.get("namespaces"):
            v.fail(c, field, "allows no one; give principals, namespaces or both")
        for j, principal in enumerate(rule.get("principals", [])):
            check_principal(c, f"{field}.principals[{j}]", principal)
        for j, ns in enumerate(rule.get("namespaces", [])):
            v.check_dns_label(c, f"{field}.namespaces[{j}]", ns)
        for j, method in enumerate(rule.get("methods", [])):
            v.check_choice(c, f"{field}.methods[{j}]", method, HTTP_METHODS)
        for j, path in enumerate(rule.get("paths", [])):
            if not isinstance(path, str) or not (path.startswith("/") or path.startswith("*")):
                v.fail(c, f"{field}.paths[{j}]", f"is {path!r}; paths start with '/' (or '*')")
        if ambient and (rule.get("paths") or rule.get("methods")):
            v.fail(
                c,
                field,
                "narrows by path or method, which ztunnel cannot see in ambient mode; "
                "such rules need a waypoint proxy",
            )
        for j, target in enumerate(rule.get("to_namespaces", [])):
            if target not in namespaces:
                v.fail(c, f"{field}.to_namespaces[{j}]", f"is {target!r}; protected: {namespaces}")
    exception_names: set[str] = set()
    for i, exc in enumerate(args.get("port_exceptions", [])):
        field = f"port_exceptions[{i}]"
        v.check_dns_subdomain(c, f"{field}.name", exc.get("name"))
        v.check_unique(c, f"{field}.name", exc["name"], exception_names, "exception names")
        v.check_dns_label(c, f"{field}.namespace", exc.get("namespace"))
        if not exc.get("selector"):
            v.fail(
                c,
                f"{field}.selector",
                "is missing; Istio applies port-level mTLS only with a selector",
            )
        v.check_port(c, f"{field}.port", exc.get("port"))
        exc_mode = exc.get("mode", "PERMISSIVE")
        if exc_mode == "DISABLE" and ambient:
            v.fail(c, f"{field}.mode", "is 'DISABLE'; ambient mode does not support DISABLE")
        v.check_choice(c, f"{field}.mode", exc_mode, ("PERMISSIVE", "DISABLE"))
    for i, host in enumerate(args.get("istio_mutual_hosts", [])):
        v.check_dns_subdomain(c, f"istio_mutual_hosts[{i}]", host)
        if "." not in host:
            v.fail(
                c,
                f"istio_mutual_hosts[{i}]",
                f"is {host!r}; give the FQDN (name.ns.svc.cluster.local)",
            )


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
        args: StrictMtlsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        validate_args(args)
        super().__init__("mesh-https:index:StrictMtls", name, None, opts)
        after = list(args.get("depends_on", []))
        mode = args.get("peer_mode", "STRICT")
        root = args.get("system_namespace", "istio-system")
        names: list[pulumi.Input[str]] = []

        def add(key: str, kind: str, obj_name: str, ns: pulumi.Input[str], spec: Any) -> None:
            istio_object(f"{name}-{key}", kind, obj_name, ns, spec, parent=self, depends_on=after)
            names.append(pulumi.Output.concat(ns, "/", obj_name))

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
            gateway = args.get("gateway_principal")
            for ns in namespaces:
                # `spec: {}` matches no request: with no ALLOW matching, everything is denied.
                add(f"{ns}-allow-nothing", "AuthorizationPolicy", "allow-nothing", ns, {})
                admitted[ns] = []
                if gateway is not None:
                    gateway_spec = pulumi.Output.from_input(gateway).apply(
                        lambda p: {
                            "action": "ALLOW",
                            "rules": [{"from": [{"source": {"principals": [p]}}]}],
                        }
                    )
                    add(
                        f"{ns}-allow-ingress-gateway",
                        "AuthorizationPolicy",
                        "allow-ingress-gateway",
                        ns,
                        gateway_spec,
                    )
                    admitted[ns].append(gateway)
                for rule in sorted(args.get("allow", []), key=lambda r: r["name"]):
                    if rule.get("to_namespaces") and ns not in rule["to_namespaces"]:
                        continue
                    rule_spec = {"action": "ALLOW", "rules": [_rule(rule)]}
                    add(
                        f"{ns}-allow-{rule['name']}",
                        "AuthorizationPolicy",
                        f"allow-{rule['name']}",
                        ns,
                        rule_spec,
                    )
                    admitted[ns].extend(sorted(rule.get("principals", [])))
                    admitted[ns].extend(f"ns:{n}" for n in sorted(rule.get("namespaces", [])))

        for host in sorted(args.get("istio_mutual_hosts", [])):
            namespace = host.split(".")[1] if host.count(".") >= 2 else root
            spec = {"host": host, "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}}}
            add(f"dr-{host}", "DestinationRule", f"mtls-{host.split('.')[0]}", namespace, spec)

        self.policy_names = pulumi.Output.all(*names).apply(list)
        self.admitted = pulumi.Output.all(
            **{ns: pulumi.Output.all(*who).apply(list) for ns, who in admitted.items()}
        ).apply(lambda m: dict(m) if isinstance(m, dict) else {})
        self.register_outputs({"policy_names": self.policy_names, "admitted": self.admitted})
