"""Semantic checks over a whole program's Istio objects, in the manner of ``istioctl analyze``.

They read plain Kubernetes manifests (``apiVersion``, ``kind``, ``metadata``, ``spec``) and,
where present, the Helm releases that install Istio, so they work on anything a Pulumi
program registers, with or without this package's components:

- :func:`analyze` returns the findings for a set of manifests;
- :func:`enforce` makes a running program fail (and so ``pulumi preview``) on error findings;
- ``mesh-https synth`` runs them and writes them to its summary.

Codes ``IST....`` are ``istioctl analyze``'s for the same problem; ``MESH...`` are ours.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
from cryptography import x509

from mesh_https.identity import principal_namespace

Level = Literal["error", "warning", "info"]
LEVELS: tuple[Level, ...] = ("error", "warning", "info")

CHECKS: dict[str, str] = {
    "IST0101": "a referenced Gateway, DestinationRule host or subset does not exist",
    "IST0109": "several VirtualServices for one host on the mesh gateway",
    "IST0128": "TLS origination without caCertificates: the server is not verified",
    "IST0132": "a VirtualService host that none of its gateways serves",
    "IST0138": "one certificate (credentialName) on several gateways",
    "IST0145": "gateways with the same selector, port and host",
    "MESH001": "a credentialName whose secret is not in the gateway workload's namespace",
    "MESH002": "a DestinationRule TLS mode that breaks STRICT mTLS for an in-mesh host",
    "MESH003": "an AuthorizationPolicy that allows everything",
    "MESH004": "a mesh-wide PeerAuthentication outside the root namespace",
    "MESH005": "a gateway's routes or subsets not exported to the gateway proxy's namespace",
    "MESH006": "a certificate that expires sooner than its renewal window",
    "MESH007": "an HTTP route that an earlier route shadows (first match wins)",
    "MESH008": "a workload ALLOW rule that a namespace-wide ALLOW widens (ALLOWs add up)",
    "MESH009": "callers admitted from a namespace a VirtualService is not exported to",
    "MESH010": "an L7 AuthorizationPolicy in an ambient namespace that no waypoint enforces",
    "MESH011": "an in-mesh route in an ambient namespace without a waypoint",
    "MESH012": "an HTTPRoute whose parent Gateway does not exist",
    "MESH013": "a Gateway API listener that no route attaches to",
    "MESH014": "a certificateRef to another namespace's Secret without a ReferenceGrant",
    "MESH015": "an Istio mesh without a mesh-wide STRICT PeerAuthentication",
    "MESH016": "a gateway server or listener that serves plain HTTP other than a port-80 redirect",
    "MESH017": "a gateway server that accepts TLS below 1.2",
    "MESH018": "an AuthorizationPolicy that denies every request to a gateway workload",
    "MESH019": "an Istio Gateway whose selector matches no gateway workload, or is empty",
    "MESH020": "a gateway host reached only through a wildcard more than one label above it",
}
"""Every check, by code."""


@dataclass(frozen=True, order=True)
class Finding:
    """One problem: how bad, which check, on which object, and what to do."""

    level: Level
    code: str
    resource: str
    """``Kind namespace/name`` of the object the finding is about."""
    message: str

    def __str__(self) -> str:
        return f"{self.level.upper()} {self.code} {self.resource}: {self.message}"


class AnalysisError(pulumi.RunError):
    """Error-level findings; raised by :func:`enforce` so the program (and preview) fails."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = list(findings)
        lines = "\n".join(f"  {f}" for f in self.findings)
        super().__init__(f"mesh-https analysis found {len(self.findings)} error(s):\n{lines}")


# ----------------------------------------------------------------------------------- helpers


def _meta(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or "default"), str(meta.get("name") or "")


GATEWAY_API = "gateway.networking.k8s.io"


def kind_key(obj: Mapping[str, Any]) -> str:
    """How objects are grouped: by kind, with Gateway API kinds apart from Istio's (both
    have a ``Gateway``): ``Gateway.gateway.networking.k8s.io``."""
    kind = str(obj.get("kind"))
    return (
        f"{kind}.{GATEWAY_API}" if str(obj.get("apiVersion", "")).startswith(GATEWAY_API) else kind
    )


def object_ref(obj: Mapping[str, Any]) -> str:
    """How a finding names an object: ``Kind namespace/name``."""
    namespace, name = _meta(obj)
    return f"{obj.get('kind')} {namespace}/{name}"


def _spec(obj: Mapping[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _fqdn(host: str, namespace: str) -> str:
    return host if "." in host or host == "*" else f"{host}.{namespace}.svc.cluster.local"


def host_matches(pattern: str, host: str) -> bool:
    """Istio host matching: exact, ``*``, or a ``*.`` wildcard covering the rest."""
    if pattern == "*" or pattern == host:
        return True
    if pattern.startswith("*"):
        return host.endswith(pattern[1:]) or (host.startswith("*") and host.endswith(pattern[1:]))
    if host.startswith("*."):
        return pattern.endswith(host[1:])
    return False


def _server_host(host: str) -> str:
    """A Gateway server host without its ``namespace/`` part."""
    return host.split("/", 1)[1] if "/" in host else host


def _gateway_key(ref: str, namespace: str) -> str:
    return ref if "/" in ref else f"{namespace}/{ref}"


def _exported_to(obj: Mapping[str, Any], namespace: str) -> bool:
    export_to = _spec(obj).get("exportTo") or ["*"]
    own, _ = _meta(obj)
    return "*" in export_to or namespace in export_to or ("." in export_to and own == namespace)


def _http_destinations(vs: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    spec = _spec(vs)
    for section in ("http", "tls", "tcp"):
        for route in spec.get(section) or []:
            for target in route.get("route") or []:
                if isinstance(target.get("destination"), dict):
                    yield target["destination"]
            if isinstance(route.get("mirror"), dict):
                yield route["mirror"]


def _tls_modes(dr: Mapping[str, Any]) -> list[dict[str, Any]]:
    policy = _spec(dr).get("trafficPolicy") or {}
    found: list[dict[str, Any]] = []
    if isinstance(policy.get("tls"), dict):
        found.append(policy["tls"])
    for port in policy.get("portLevelSettings") or []:
        if isinstance(port.get("tls"), dict):
            found.append(port["tls"])
    for subset in _spec(dr).get("subsets") or []:
        sub_tls = (subset.get("trafficPolicy") or {}).get("tls")
        if isinstance(sub_tls, dict):
            found.append(sub_tls)
    return found


# ------------------------------------------------------------------------------ the context


CERTIFICATE_TYPES = {
    "tls:index/selfSignedCert:SelfSignedCert": "SelfSignedCert",
    "tls:index/locallySignedCert:LocallySignedCert": "LocallySignedCert",
}
"""The pulumi-tls certificate resources the analysis reads, by type token."""


@dataclass(frozen=True)
class CertificateRecord:
    """A pulumi-tls certificate as registered: its lifetime, renewal window and issuer.

    ``issuer_pem`` is the issuing certificate (``ca_cert_pem``) where it is known; it is not
    for an issuer created in the same update, whose certificate exists only after apply.
    """

    name: str
    type: str
    validity_hours: float | None
    early_renewal_hours: float
    issuer_pem: str | None = None

    @classmethod
    def from_inputs(
        cls, type_token: str, name: str, inputs: Mapping[str, Any]
    ) -> CertificateRecord:
        """From a registration's inputs, in the SDK's snake_case or the engine's camelCase."""

        def read(snake: str, camel: str) -> Any:
            return inputs.get(snake, inputs.get(camel))

        validity = read("validity_period_hours", "validityPeriodHours")
        issuer = read("ca_cert_pem", "caCertPem")
        return cls(
            name=name,
            type=CERTIFICATE_TYPES.get(type_token, type_token),
            validity_hours=float(validity) if isinstance(validity, int | float) else None,
            early_renewal_hours=float(read("early_renewal_hours", "earlyRenewalHours") or 0),
            issuer_pem=issuer
            if isinstance(issuer, str) and "BEGIN CERTIFICATE" in issuer
            else None,
        )


@dataclass(frozen=True)
class GatewayWorkload:
    """A gateway workload the program makes, and the labels its pods carry."""

    source: str
    """What makes it: ``Release <namespace>/<name>`` or ``Gateway <namespace>/<name>``."""
    namespace: str
    labels: Mapping[str, str]
    gateway_name: str | None = None
    """For a Gateway API Gateway's workload, the Gateway's name (what ``targetRefs`` name)."""

    def selected_by(self, selector: Mapping[str, Any]) -> bool:
        """Whether a non-empty selector picks these pods (all its labels on them)."""
        return bool(selector) and all(self.labels.get(k) == v for k, v in selector.items())


@dataclass
class _Graph:
    by_kind: dict[str, list[Mapping[str, Any]]]
    releases: list[Mapping[str, Any]]
    root_namespace: str
    certificates: list[CertificateRecord] = field(default_factory=list)
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def kind(self, kind: str) -> list[Mapping[str, Any]]:
        return self.by_kind.get(kind, [])

    _gateways: dict[str, Mapping[str, Any]] | None = None
    _rules: dict[str, list[Mapping[str, Any]]] | None = None
    _served: dict[str, tuple[frozenset[str], tuple[str, ...]]] | None = None
    _workloads: dict[tuple[tuple[str, str], ...], set[str]] = field(default_factory=dict)

    # Every index is built once, on first use: no check scans all objects per object.

    def gateways(self) -> dict[str, Mapping[str, Any]]:
        """Gateways by ``<namespace>/<name>``."""
        if self._gateways is None:
            self._gateways = {"/".join(_meta(gw)): gw for gw in self.kind("Gateway")}
        return self._gateways

    def rules_for(self, host: str) -> list[Mapping[str, Any]]:
        """The DestinationRules for a service FQDN (their hosts resolved in their namespace)."""
        if self._rules is None:
            self._rules = defaultdict(list)
            for dr in self.kind("DestinationRule"):
                self._rules[_fqdn(str(_spec(dr).get("host", "")), _meta(dr)[0])].append(dr)
        return self._rules.get(host, [])

    def served(self, key: str) -> tuple[frozenset[str], tuple[str, ...]]:
        """The hosts a Gateway serves: the exact names, and the wildcard patterns."""
        if self._served is None:
            self._served = {}
            for gw_key, gw in self.gateways().items():
                hosts = {_server_host(h) for srv in _servers(gw) for h in srv.get("hosts") or []}
                wild = tuple(sorted(h for h in hosts if h.startswith("*")))
                self._served[gw_key] = (frozenset(hosts), wild)
        return self._served.get(key, (frozenset(), ()))

    _gateway_workloads: list[GatewayWorkload] | None = None

    def gateway_workloads(self) -> list[GatewayWorkload]:
        """The gateway workloads the program makes: gateway chart releases (their pods'
        labels as the chart sets them) and the Deployments istiod makes for Gateway API
        Gateways (any class but waypoints)."""
        if self._gateway_workloads is None:
            from mesh_https.istio_charts import gateway_pod_labels

            found: list[GatewayWorkload] = []
            for release in self.releases:
                if release.get("chart") != "gateway":
                    continue
                name = str(release.get("name") or "")
                namespace = str(release.get("namespace") or "default")
                found.append(
                    GatewayWorkload(
                        f"Release {namespace}/{name}",
                        namespace,
                        gateway_pod_labels(name, release.get("values") or {}),
                    )
                )
            for gw in self.kind(f"Gateway.{GATEWAY_API}"):
                spec = _spec(gw)
                if spec.get("gatewayClassName") == "istio-waypoint":
                    continue
                namespace, name = _meta(gw)
                labels = {
                    **{
                        str(k): str(v)
                        for k, v in ((spec.get("infrastructure") or {}).get("labels") or {}).items()
                    },
                    f"{GATEWAY_API}/gateway-name": name,
                    f"{GATEWAY_API}/gateway-class-name": str(spec.get("gatewayClassName")),
                }
                found.append(
                    GatewayWorkload(f"Gateway {namespace}/{name}", namespace, labels, name)
                )
            self._gateway_workloads = found
        return self._gateway_workloads

    def scope_gateway_to_namespace(self) -> bool:
        """Whether istiod runs with ``PILOT_SCOPE_GATEWAY_TO_NAMESPACE``: Gateways then apply
        only to gateway workloads in their own namespace."""
        for release in self.releases:
            if release.get("chart") == "istiod":
                env = ((release.get("values") or {}).get("pilot") or {}).get("env") or {}
                return str(env.get("PILOT_SCOPE_GATEWAY_TO_NAMESPACE", "")).lower() == "true"
        return False

    def gateway_workload_namespaces(self, selector: Mapping[str, str]) -> set[str]:
        """Where the pods a Gateway selects run (computed once per selector)."""
        key = tuple(sorted(selector.items()))
        if key not in self._workloads:
            self._workloads[key] = self._find_workload_namespaces(selector)
        return self._workloads[key]

    def _find_workload_namespaces(self, selector: Mapping[str, str]) -> set[str]:
        """Where the pods a Gateway selects run: Deployments or gateway Helm releases."""
        found: set[str] = set()
        for deployment in self.kind("Deployment"):
            labels = ((_spec(deployment).get("template") or {}).get("metadata") or {}).get(
                "labels"
            ) or {}
            if selector and all(labels.get(k) == v for k, v in selector.items()):
                found.add(_meta(deployment)[0])
        for workload in self.gateway_workloads():
            if workload.source.startswith("Release ") and workload.selected_by(selector):
                found.add(workload.namespace)
        return found


def _root_namespace(releases: Iterable[Mapping[str, Any]]) -> str:
    for release in releases:
        if release.get("chart") == "istiod":
            values = release.get("values") or {}
            root = (values.get("meshConfig") or {}).get("rootNamespace") or (
                values.get("global") or {}
            ).get("istioNamespace")
            return str(root or release.get("namespace") or "istio-system")
    return "istio-system"


# ------------------------------------------------------------------------------------ checks


def _check_gateway_refs(g: _Graph) -> Iterable[Finding]:
    gateways = g.gateways()
    for vs in g.kind("VirtualService"):
        namespace, _ = _meta(vs)
        for ref in _spec(vs).get("gateways") or []:
            if ref == "mesh":
                continue
            key = _gateway_key(ref, namespace)
            if key not in gateways:
                yield Finding(
                    "error",
                    "IST0101",
                    object_ref(vs),
                    f"gateway {key!r} does not exist; known gateways: {sorted(gateways)}",
                )


def _check_subsets(g: _Graph) -> Iterable[Finding]:
    for vs in g.kind("VirtualService"):
        namespace, _ = _meta(vs)
        for destination in _http_destinations(vs):
            subset = destination.get("subset")
            if not subset:
                continue
            host = _fqdn(str(destination.get("host", "")), namespace)
            rules = [dr for dr in g.rules_for(host) if _exported_to(dr, namespace)]
            if not rules:
                yield Finding(
                    "error",
                    "IST0101",
                    object_ref(vs),
                    f"routes to subset {subset!r} of {host}, which has no DestinationRule",
                )
                continue
            subsets = {s.get("name") for dr in rules for s in _spec(dr).get("subsets") or []}
            if subset not in subsets:
                yield Finding(
                    "error",
                    "IST0101",
                    object_ref(vs),
                    f"routes to subset {subset!r} of {host}; its DestinationRule has "
                    f"{sorted(str(s) for s in subsets)}",
                )


def _servers(gw: Mapping[str, Any]) -> list[dict[str, Any]]:
    servers = _spec(gw).get("servers") or []
    return [s for s in servers if isinstance(s, dict)]


def _check_conflicting_gateways(g: _Graph) -> Iterable[Finding]:
    seen: dict[tuple[Any, ...], str] = {}
    for gw in sorted(g.kind("Gateway"), key=object_ref):
        selector = tuple(sorted((_spec(gw).get("selector") or {}).items()))
        for server in _servers(gw):
            port = (server.get("port") or {}).get("number")
            for host in server.get("hosts") or []:
                key = (selector, port, _server_host(host))
                owner = "/".join(_meta(gw))
                if key in seen and seen[key] != owner:
                    yield Finding(
                        "error",
                        "IST0145",
                        object_ref(gw),
                        f"port {port} host {_server_host(host)!r} is also on gateway "
                        f"{seen[key]} with the same selector; Envoy keeps only one",
                    )
                seen.setdefault(key, owner)


def _check_duplicate_certificates(g: _Graph) -> Iterable[Finding]:
    users: dict[str, set[str]] = defaultdict(set)
    for gw in g.kind("Gateway"):
        for server in _servers(gw):
            credential = (server.get("tls") or {}).get("credentialName")
            if credential:
                users[credential].add("/".join(_meta(gw)))
    for credential, gateways in sorted(users.items()):
        if len(gateways) > 1:
            for owner in sorted(gateways):
                yield Finding(
                    "warning",
                    "IST0138",
                    f"Gateway {owner}",
                    f"certificate {credential!r} is also used by {sorted(gateways - {owner})}; "
                    "HTTP/2 connection reuse across them can return 404s",
                )


def _check_vs_hosts_on_gateways(g: _Graph) -> Iterable[Finding]:
    gateways = g.gateways()
    for vs in g.kind("VirtualService"):
        namespace, _ = _meta(vs)
        refs = [str(r) for r in _spec(vs).get("gateways") or []]
        keys = [k for k in (_gateway_key(r, namespace) for r in refs) if k in gateways]
        if not keys:
            continue  # no gateway (mesh only), or a missing one (IST0101)
        served = [g.served(k) for k in keys]
        for host in (str(h) for h in _spec(vs).get("hosts") or []):
            in_mesh = "mesh" in refs and _fqdn(host, namespace).endswith(".svc.cluster.local")
            if in_mesh or any(_served_by(host, exact, wild) for exact, wild in served):
                continue
            everything = sorted({h for exact, _ in served for h in exact})
            yield Finding(
                "warning",
                "IST0132",
                object_ref(vs),
                f"host {host!r} is served by none of its gateways (they serve {everything})",
            )


def _served_by(host: str, exact: frozenset[str], wild: tuple[str, ...]) -> bool:
    """Whether a gateway with these hosts serves ``host`` (Istio's host matching both ways)."""
    if host in exact or "*" in exact:
        return True
    if any(host_matches(pattern, host) for pattern in wild):
        return True
    # A wildcard VirtualService host matches gateway hosts it covers: rare, so a scan.
    return host.startswith("*") and any(host_matches(host, h) for h in exact)


def _check_deep_wildcard_hosts(g: _Graph) -> Iterable[Finding]:
    from mesh_https.pki import covers

    gateways = g.gateways()
    for vs in g.kind("VirtualService"):
        namespace, _ = _meta(vs)
        keys = [_gateway_key(str(r), namespace) for r in _spec(vs).get("gateways") or []]
        served = [g.served(k) for k in keys if k in gateways]
        for host in (str(h) for h in _spec(vs).get("hosts") or []):
            if host.startswith("*") or any(host in exact for exact, _ in served):
                continue
            wild = [p for _, patterns in served for p in patterns if host_matches(p, host)]
            if wild and not any(covers(p, host) for p in wild):
                yield Finding(
                    "warning",
                    "MESH020",
                    object_ref(vs),
                    f"host {host!r} reaches its gateway only through {sorted(set(wild))}: Istio "
                    "routes it, but a wildcard certificate covers one label, so clients get a "
                    f"name mismatch. Serve {host!r} on the gateway by name",
                )


def _check_mesh_host_conflicts(g: _Graph) -> Iterable[Finding]:
    owners: dict[str, list[str]] = defaultdict(list)
    for vs in g.kind("VirtualService"):
        namespace, _ = _meta(vs)
        gateways = _spec(vs).get("gateways") or ["mesh"]
        if "mesh" not in gateways:
            continue
        for host in _spec(vs).get("hosts") or []:
            owners[_fqdn(str(host), namespace)].append(object_ref(vs))
    for host, refs in sorted(owners.items()):
        if len(refs) > 1:
            for ref in sorted(refs):
                yield Finding(
                    "error",
                    "IST0109",
                    ref,
                    f"host {host!r} on the mesh gateway is also routed by "
                    f"{sorted(set(refs) - {ref})}; only one takes effect",
                )


def _check_credential_namespace(g: _Graph) -> Iterable[Finding]:
    secrets: dict[str, set[str]] = defaultdict(set)
    for secret in g.kind("Secret"):
        namespace, name = _meta(secret)
        secrets[name].add(namespace)
    for gw in g.kind("Gateway"):
        workload = g.gateway_workload_namespaces(_spec(gw).get("selector") or {})
        if not workload:
            continue
        for server in _servers(gw):
            credential = (server.get("tls") or {}).get("credentialName")
            if not credential:
                continue
            where = secrets.get(credential, set())
            if where and not where & workload:
                yield Finding(
                    "error",
                    "MESH001",
                    object_ref(gw),
                    f"secret {credential!r} is in {sorted(where)}, but the gateway workload runs "
                    f"in {sorted(workload)}, where credentialName is looked up",
                )
            elif not where:
                yield Finding(
                    "info",
                    "MESH001",
                    object_ref(gw),
                    f"secret {credential!r} is not made by this program; it must exist in "
                    f"{sorted(workload)}",
                )


def _strict_namespaces(g: _Graph) -> tuple[bool, set[str], set[str]]:
    mesh_strict = False
    strict: set[str] = set()
    relaxed: set[str] = set()
    for pa in g.kind("PeerAuthentication"):
        namespace, _ = _meta(pa)
        spec = _spec(pa)
        if spec.get("selector"):
            continue
        mode = (spec.get("mtls") or {}).get("mode")
        if namespace == g.root_namespace:
            mesh_strict = mode == "STRICT"
        elif mode == "STRICT":
            strict.add(namespace)
        elif mode in ("PERMISSIVE", "DISABLE"):
            relaxed.add(namespace)
    return mesh_strict, strict, relaxed


def _check_dr_tls(g: _Graph) -> Iterable[Finding]:
    mesh_strict, strict, relaxed = _strict_namespaces(g)
    for dr in g.kind("DestinationRule"):
        namespace, _ = _meta(dr)
        host = _fqdn(str(_spec(dr).get("host", "")), namespace)
        in_mesh = host.endswith(".svc.cluster.local")
        host_ns = host.split(".")[1] if in_mesh and host.count(".") >= 2 else None
        for tls in _tls_modes(dr):
            mode = tls.get("mode")
            overrides = in_mesh and mode in ("DISABLE", "SIMPLE", "MUTUAL") and host_ns is not None
            if overrides and (host_ns in strict or (mesh_strict and host_ns not in relaxed)):
                yield Finding(
                    "error",
                    "MESH002",
                    object_ref(dr),
                    f"TLS mode {mode} to in-mesh host {host} overrides auto mTLS, but its "
                    "namespace is STRICT: requests will fail (503). Remove the TLS "
                    "setting or use ISTIO_MUTUAL",
                )
            if (
                mode in ("SIMPLE", "MUTUAL")
                and not (
                    tls.get("caCertificates")
                    or tls.get("credentialName")
                    or tls.get("insecureSkipVerify")
                )
                and not in_mesh
            ):
                yield Finding(
                    "warning",
                    "IST0128",
                    object_ref(dr),
                    f"TLS origination to {host} sets no caCertificates; the server's "
                    "certificate is not verified",
                )


def _check_allow_everything(g: _Graph) -> Iterable[Finding]:
    for policy in g.kind("AuthorizationPolicy"):
        spec = _spec(policy)
        if spec.get("action", "ALLOW") != "ALLOW":
            continue
        rules = spec.get("rules") or []
        if any(not rule for rule in rules):
            namespace, _ = _meta(policy)
            scope = "the whole mesh" if namespace == g.root_namespace else f"namespace {namespace}"
            yield Finding(
                "warning",
                "MESH003",
                object_ref(policy),
                f"has an empty rule, which allows every request in {scope}",
            )


def _check_mesh_wide_peer_authentication(g: _Graph) -> Iterable[Finding]:
    for pa in g.kind("PeerAuthentication"):
        namespace, name = _meta(pa)
        spec = _spec(pa)
        if namespace == g.root_namespace and spec.get("selector"):
            yield Finding(
                "warning",
                "MESH004",
                object_ref(pa),
                f"has a selector in the root namespace {namespace!r}; it is not mesh-wide. "
                "Remove the selector for a mesh-wide policy",
            )
        if (
            name == "default"
            and not spec.get("selector")
            and namespace != g.root_namespace
            and namespace == "istio-system"
        ):
            yield Finding(
                "error",
                "MESH004",
                object_ref(pa),
                f"looks mesh-wide, but the root namespace is {g.root_namespace!r}; here it "
                "applies to istio-system only",
            )


def _check_gateway_visibility(g: _Graph) -> Iterable[Finding]:
    gateways = g.gateways()
    for vs in g.kind("VirtualService"):
        namespace, _ = _meta(vs)
        for ref in _spec(vs).get("gateways") or []:
            gw = gateways.get(_gateway_key(ref, namespace)) if ref != "mesh" else None
            if gw is None:
                continue
            proxies = g.gateway_workload_namespaces(_spec(gw).get("selector") or {})
            for proxy in sorted(proxies or {_meta(gw)[0]}):
                if not _exported_to(vs, proxy):
                    yield Finding(
                        "error",
                        "MESH005",
                        object_ref(vs),
                        f"is bound to gateway {_gateway_key(ref, namespace)}, whose proxy runs "
                        f"in {proxy!r}, but its exportTo hides it from there",
                    )
                for destination in _http_destinations(vs):
                    if not destination.get("subset"):
                        continue
                    host = _fqdn(str(destination.get("host", "")), namespace)
                    rules = g.rules_for(host)
                    if rules and not any(_exported_to(dr, proxy) for dr in rules):
                        yield Finding(
                            "error",
                            "MESH005",
                            object_ref(vs),
                            f"sends gateway traffic to subset {destination['subset']!r} of "
                            f"{host}, but no DestinationRule for it is exported to {proxy!r}",
                        )


def _check_certificate_renewal(g: _Graph) -> Iterable[Finding]:
    for cert in g.certificates:
        where = f"{cert.type} {cert.name}"
        early = cert.early_renewal_hours
        if cert.validity_hours is not None and cert.validity_hours <= early:
            yield Finding(
                "warning",
                "MESH006",
                where,
                f"lives {cert.validity_hours:g} h, no longer than its renewal window "
                f"({early:g} h): it is due for renewal as soon as it is issued, so every "
                "`pulumi up` re-issues it and everything it signs. Make the lifetime longer "
                "than the window",
            )
        if cert.issuer_pem is None:
            continue
        try:
            issuer = x509.load_pem_x509_certificate(cert.issuer_pem.encode())
        except ValueError:
            continue
        expires = issuer.not_valid_after_utc
        if expires - g.now < dt.timedelta(hours=early):
            yield Finding(
                "warning",
                "MESH006",
                where,
                f"its issuer ({issuer.subject.rfc4514_string()}) expires {expires:%Y-%m-%d %H:%M} "
                f"UTC, inside this certificate's {early:g} h renewal window: the chain breaks "
                "then unless `pulumi up` renews the issuer first. Give the issuer a longer life "
                "or a renewal window that starts before this one",
            )


def _catch_all(route: Mapping[str, Any]) -> bool:
    matches = route.get("match")
    return not matches or any(not m for m in matches)


def _check_shadowed_routes(g: _Graph) -> Iterable[Finding]:
    for vs in g.kind("VirtualService"):
        seen: set[str] = set()
        catch_all: str | None = None
        for i, route in enumerate(_spec(vs).get("http") or []):
            label = route.get("name") or f"http[{i}]"
            matches = route.get("match")
            if catch_all is not None:
                yield Finding(
                    "warning",
                    "MESH007",
                    object_ref(vs),
                    f"route {label!r} comes after {catch_all!r}, which matches every request: "
                    "it is never used. Put the catch-all last",
                )
                continue
            key = json.dumps(matches, sort_keys=True)
            if matches and key in seen:
                yield Finding(
                    "warning",
                    "MESH007",
                    object_ref(vs),
                    f"route {label!r} has the same match as an earlier route, which wins: it is "
                    "never used",
                )
            seen.add(key)
            if _catch_all(route):
                catch_all = label


def _selector(policy: Mapping[str, Any]) -> dict[str, Any]:
    return dict((_spec(policy).get("selector") or {}).get("matchLabels") or {})


def _waypoint_identities(g: _Graph) -> set[str]:
    """``/ns/<namespace>/sa/<name>`` of every waypoint: istiod names its account after it."""
    return {
        "/ns/{}/sa/{}".format(*_meta(gw))
        for gw in g.kind(f"Gateway.{GATEWAY_API}")
        if _spec(gw).get("gatewayClassName") == "istio-waypoint"
    }


def _admits_only_waypoints(policy: Mapping[str, Any], waypoints: set[str]) -> bool:
    """An ALLOW for the waypoints' identities alone: ambient's way of letting what the
    waypoint has already checked reach the workloads."""
    sources = [
        entry.get("source") or {}
        for rule in _spec(policy).get("rules") or []
        for entry in rule.get("from") or [{}]
    ]
    return bool(sources) and all(
        set(source) == {"principals"}
        and all(any(str(p).endswith(w) for w in waypoints) for p in source["principals"])
        for source in sources
    )


def _check_allows_add_up(g: _Graph) -> Iterable[Finding]:
    by_namespace: dict[str, list[Mapping[str, Any]]] = {}
    for policy in g.kind("AuthorizationPolicy"):
        if not _spec(policy).get("targetRefs"):  # a waypoint's policies are its own business
            by_namespace.setdefault(_meta(policy)[0], []).append(policy)
    waypoints = _waypoint_identities(g)
    for found in by_namespace.values():
        allows = [p for p in found if _spec(p).get("action", "ALLOW") == "ALLOW"]
        wide = [
            _meta(p)[1]
            for p in allows
            if not _selector(p)
            and _spec(p).get("rules")
            and not _admits_only_waypoints(p, waypoints)
        ]
        denied = [_selector(p) for p in found if _spec(p).get("action") == "DENY"]
        if not wide:
            continue
        for policy in allows:
            labels = _selector(policy)
            if not labels or labels in denied:
                continue
            yield Finding(
                "warning",
                "MESH008",
                object_ref(policy),
                f"admits callers to the workloads {labels}, but ALLOW policies add up: the "
                f"namespace-wide {', '.join(sorted(wide))} admits its callers to them too. To "
                "admit these callers only, add a DENY for every other source (StrictMtls: "
                "only=True)",
            )


def _admitted_namespaces(policy: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    for rule in _spec(policy).get("rules") or []:
        for entry in rule.get("from") or []:
            source = entry.get("source") or {}
            found.update(n for n in source.get("namespaces") or [] if "*" not in n)
            for principal in source.get("principals") or []:
                namespace = principal_namespace(str(principal))
                if namespace is not None and "*" not in namespace:
                    found.add(namespace)
    return found


def _check_export_bypass(g: _Graph) -> Iterable[Finding]:
    # Namespace-wide ALLOWs only: a selector policy admits to some workloads, and which ones
    # back a host is not known here. Gateway proxies are left out: they apply the routes
    # bound to them, never the mesh's, so exportTo to them is MESH005's business.
    gateways: set[str] = set()
    for gw in g.gateways().values():
        gateways |= g.gateway_workload_namespaces(_spec(gw).get("selector") or {})
    admitted: dict[str, set[str]] = {}
    for policy in g.kind("AuthorizationPolicy"):
        if _spec(policy).get("action", "ALLOW") == "ALLOW" and not _selector(policy):
            found = _admitted_namespaces(policy) - gateways
            admitted.setdefault(_meta(policy)[0], set()).update(found)
    ambient = _ambient_namespaces(g)
    for vs in g.kind("VirtualService"):
        namespace, _ = _meta(vs)
        spec = _spec(vs)
        if "mesh" not in (spec.get("gateways") or ["mesh"]):
            continue
        if ambient.get(namespace):
            continue  # the namespace's waypoint applies the routes, whoever calls
        for caller in sorted(admitted.get(namespace, set())):
            if caller != namespace and not _exported_to(vs, caller):
                yield Finding(
                    "warning",
                    "MESH009",
                    object_ref(vs),
                    f"is not exported to namespace {caller!r}, whose callers an "
                    f"AuthorizationPolicy admits to {namespace!r}: their requests reach the "
                    "service without these routes. Add it to exportTo",
                )


def _ambient_namespaces(g: _Graph) -> dict[str, str | None]:
    """Namespaces enrolled in ambient mode → the waypoint they use (``None`` if none)."""
    found: dict[str, str | None] = {}
    for namespace in g.kind("Namespace"):
        labels = (namespace.get("metadata") or {}).get("labels") or {}
        if labels.get("istio.io/dataplane-mode") == "ambient":
            found[_meta(namespace)[1]] = labels.get("istio.io/use-waypoint")
    return found


def _l7(policy: Mapping[str, Any]) -> bool:
    for rule in _spec(policy).get("rules") or []:
        for entry in rule.get("to") or []:
            operation = entry.get("operation") or {}
            if any(
                operation.get(k) for k in ("paths", "notPaths", "methods", "notMethods", "hosts")
            ):
                return True
    return False


def _check_ambient_l7(g: _Graph) -> Iterable[Finding]:
    ambient = _ambient_namespaces(g)
    if not ambient:
        return
    for policy in g.kind("AuthorizationPolicy"):
        namespace, _ = _meta(policy)
        if namespace in ambient and _l7(policy) and not _spec(policy).get("targetRefs"):
            yield Finding(
                "error",
                "MESH010",
                object_ref(policy),
                f"matches paths, methods or hosts in ambient namespace {namespace!r}, which "
                "ztunnel cannot see: add a waypoint and attach the policy to it (targetRefs)",
            )
    for vs in g.kind("VirtualService"):
        namespace, _ = _meta(vs)
        mesh = "mesh" in (_spec(vs).get("gateways") or ["mesh"])
        if mesh and namespace in ambient and ambient[namespace] is None:
            yield Finding(
                "warning",
                "MESH011",
                object_ref(vs),
                f"routes in-mesh traffic in ambient namespace {namespace!r}, which uses no "
                "waypoint: ztunnel ignores it. Add a waypoint (istio.io/use-waypoint)",
            )
    for route in g.kind(f"HTTPRoute.{GATEWAY_API}"):
        namespace, _ = _meta(route)
        services = [p for p in _spec(route).get("parentRefs") or [] if p.get("kind") == "Service"]
        if services and namespace in ambient and ambient[namespace] is None:
            yield Finding(
                "warning",
                "MESH011",
                object_ref(route),
                f"attaches to a Service in ambient namespace {namespace!r}, which uses no "
                "waypoint: nothing applies it. Add a waypoint (istio.io/use-waypoint)",
            )


def _gateway_parents(route: Mapping[str, Any]) -> Iterable[tuple[str, str, str | None]]:
    """(namespace, name, sectionName) of the Gateways an HTTPRoute attaches to."""
    namespace, _ = _meta(route)
    for parent in _spec(route).get("parentRefs") or []:
        if (
            parent.get("kind", "Gateway") == "Gateway"
            and parent.get("group", GATEWAY_API) == GATEWAY_API
        ):
            yield (
                str(parent.get("namespace") or namespace),
                str(parent.get("name")),
                parent.get("sectionName"),
            )


def _check_gateway_api_routes(g: _Graph) -> Iterable[Finding]:
    gateways = {"/".join(_meta(gw)): gw for gw in g.kind(f"Gateway.{GATEWAY_API}")}
    attached: set[tuple[str, str | None]] = set()
    for route in g.kind(f"HTTPRoute.{GATEWAY_API}"):
        for namespace, name, section in _gateway_parents(route):
            key = f"{namespace}/{name}"
            attached.add((key, section))
            if key not in gateways:
                yield Finding(
                    "error",
                    "MESH012",
                    object_ref(route),
                    f"attaches to Gateway {key}, which does not exist",
                )
    for key, gw in sorted(gateways.items()):
        if _spec(gw).get("gatewayClassName") == "istio-waypoint":
            continue  # a waypoint's HBONE listener carries mesh traffic, not routes
        for listener in _spec(gw).get("listeners") or []:
            name = listener.get("name")
            if (key, name) not in attached and (key, None) not in attached:
                yield Finding(
                    "warning",
                    "MESH013",
                    object_ref(gw),
                    f"listener {name!r} has no route attached: it serves nothing",
                )


def _check_certificate_grants(g: _Graph) -> Iterable[Finding]:
    grants: set[tuple[str, str, str]] = set()  # (secret namespace, from namespace, name or "")
    for grant in g.kind(f"ReferenceGrant.{GATEWAY_API}"):
        namespace, _ = _meta(grant)
        spec = _spec(grant)
        sources = [
            f.get("namespace")
            for f in spec.get("from") or []
            if f.get("kind") == "Gateway" and f.get("group") == GATEWAY_API
        ]
        targets = [t.get("name") or "" for t in spec.get("to") or [] if t.get("kind") == "Secret"]
        grants |= {(namespace, str(s), str(t)) for s in sources for t in targets}
    for gw in g.kind(f"Gateway.{GATEWAY_API}"):
        namespace, _ = _meta(gw)
        for listener in _spec(gw).get("listeners") or []:
            for ref in (listener.get("tls") or {}).get("certificateRefs") or []:
                target = ref.get("namespace") or namespace
                name = str(ref.get("name"))
                if target == namespace or (target, namespace, "") in grants:
                    continue
                if (target, namespace, name) not in grants:
                    yield Finding(
                        "error",
                        "MESH014",
                        object_ref(gw),
                        f"listener {listener.get('name')!r} uses Secret {target}/{name}, and "
                        f"no ReferenceGrant in {target!r} lets Gateways in {namespace!r} read it",
                    )


def _check_mesh_wide_strict(g: _Graph) -> Iterable[Finding]:
    mesh = (
        g.kind("PeerAuthentication")
        or g.kind("AuthorizationPolicy")
        or any(r.get("chart") == "istiod" for r in g.releases)
    )
    strict = any(
        _meta(pa)[0] == g.root_namespace
        and not _spec(pa).get("selector")
        and ((_spec(pa).get("mtls") or {}).get("mode")) == "STRICT"
        for pa in g.kind("PeerAuthentication")
    )
    if mesh and not strict:
        yield Finding(
            "warning",
            "MESH015",
            f"PeerAuthentication {g.root_namespace}/default",
            f"is missing: no PeerAuthentication without a selector in the root namespace "
            f"{g.root_namespace!r} sets mtls.mode STRICT, so workloads accept plain text",
        )


def _http_redirect_listeners(g: _Graph) -> set[tuple[str, str, str]]:
    """Gateway API listeners (namespace, gateway, section) whose every route only redirects
    to https."""
    redirects: dict[tuple[str, str, str], bool] = {}
    for route in g.kind(f"HTTPRoute.{GATEWAY_API}"):
        rules = _spec(route).get("rules") or []
        only_redirect = bool(rules) and all(
            any(
                f.get("type") == "RequestRedirect"
                and (f.get("requestRedirect") or {}).get("scheme") == "https"
                for f in rule.get("filters") or []
            )
            for rule in rules
        )
        for namespace, name, section in _gateway_parents(route):
            key = (namespace, name, section or "")
            redirects[key] = redirects.get(key, True) and only_redirect
    return {key for key, ok in redirects.items() if ok}


def _check_https_only(g: _Graph) -> Iterable[Finding]:
    for gw in g.kind("Gateway"):
        for srv in _servers(gw):
            port = srv.get("port") or {}
            protocol = str(port.get("protocol", "")).upper()
            redirect = (srv.get("tls") or {}).get("httpsRedirect") is True
            plain = protocol in ("HTTP", "HTTP2", "GRPC")
            if plain and not (port.get("number") == 80 and redirect):
                yield Finding(
                    "warning",
                    "MESH016",
                    object_ref(gw),
                    f"serves plain {protocol} on port {port.get('number')}; only a port-80 "
                    "server with tls.httpsRedirect may be plain",
                )
    redirecting = _http_redirect_listeners(g)
    for gw in g.kind(f"Gateway.{GATEWAY_API}"):
        if _spec(gw).get("gatewayClassName") == "istio-waypoint":
            continue
        namespace, name = _meta(gw)
        for listener in _spec(gw).get("listeners") or []:
            if str(listener.get("protocol", "")).upper() != "HTTP":
                continue
            section = str(listener.get("name", ""))
            ok = listener.get("port") == 80 and (
                (namespace, name, section) in redirecting or (namespace, name, "") in redirecting
            )
            if not ok:
                yield Finding(
                    "warning",
                    "MESH016",
                    object_ref(gw),
                    f"listener {section!r} serves plain HTTP on port {listener.get('port')}; "
                    "only a port-80 listener whose routes all redirect to https may be plain",
                )


def _check_tls_version(g: _Graph) -> Iterable[Finding]:
    for gw in g.kind("Gateway"):
        for srv in _servers(gw):
            version = (srv.get("tls") or {}).get("minProtocolVersion")
            if version in ("TLSV1_0", "TLSV1_1"):
                yield Finding(
                    "error",
                    "MESH017",
                    object_ref(gw),
                    f"accepts {version}; set minProtocolVersion TLSV1_2 or TLSV1_3",
                )


def _matches_everything(rule: Mapping[str, Any]) -> bool:
    """A rule with no ``from``, ``to`` or ``when`` matches every request."""
    return not any(rule.get(part) for part in ("from", "to", "when"))


def _applies_to(g: _Graph, policy: Mapping[str, Any], workload: GatewayWorkload) -> bool:
    """Whether an AuthorizationPolicy applies to a gateway workload's pods: from the root
    namespace or the workload's own, without a selector or with one its pods match, or
    attached (``targetRefs``) to its Gateway API Gateway."""
    namespace, _ = _meta(policy)
    spec = _spec(policy)
    if namespace not in (g.root_namespace, workload.namespace):
        return False
    refs = spec.get("targetRefs") or ([spec["targetRef"]] if spec.get("targetRef") else [])
    if refs:
        return namespace == workload.namespace and any(
            ref.get("kind") == "Gateway"
            and ref.get("group", GATEWAY_API) == GATEWAY_API
            and ref.get("name") == workload.gateway_name
            for ref in refs
        )
    selector = _selector(policy)
    return not selector or workload.selected_by(selector)


def _check_gateway_lockout(g: _Graph) -> Iterable[Finding]:
    policies = g.kind("AuthorizationPolicy")
    if not policies:
        return
    for workload in g.gateway_workloads():
        applying = [p for p in policies if _applies_to(g, p, workload)]
        allows = [p for p in applying if _spec(p).get("action", "ALLOW") == "ALLOW"]
        # ALLOWs add up: allow-nothing denies everything only when no other ALLOW admits.
        admitting = [p for p in allows if _spec(p).get("rules")]
        for policy in applying:
            spec = _spec(policy)
            action = spec.get("action", "ALLOW")
            rules = spec.get("rules") or []
            if action == "DENY" and any(_matches_everything(r) for r in rules):
                why = "a DENY rule that matches every request (DENY comes before any ALLOW)"
            elif action == "ALLOW" and not rules and not admitting:
                why = "an ALLOW with no rules, and no other ALLOW admits anything"
            else:
                continue
            yield Finding(
                "error",
                "MESH018",
                object_ref(policy),
                f"applies to the gateway workload of {workload.source} in "
                f"{workload.namespace!r} with {why}: every request through the gateway is "
                "denied (403). Give the gateway an ALLOW for its clients, or scope the policy "
                "to other workloads with a selector",
            )


def _workload_text(workload: GatewayWorkload) -> str:
    shown = {
        k: v
        for k, v in workload.labels.items()
        if k in ("istio", "app", f"{GATEWAY_API}/gateway-name")
    }
    return f"{workload.source} (pods labelled {shown})"


def _check_gateway_selectors(g: _Graph) -> Iterable[Finding]:
    workloads = g.gateway_workloads()
    scoped = g.scope_gateway_to_namespace()
    deployments = [
        (
            _meta(d)[0],
            ((_spec(d).get("template") or {}).get("metadata") or {}).get("labels") or {},
        )
        for d in g.kind("Deployment")
    ]
    for gw in g.kind("Gateway"):
        namespace, _ = _meta(gw)
        selector = _spec(gw).get("selector") or {}
        where = f"in its namespace {namespace!r} (PILOT_SCOPE_GATEWAY_TO_NAMESPACE)"
        if not selector:
            yield Finding(
                "warning",
                "MESH019",
                object_ref(gw),
                "has no selector, so it applies to every gateway workload "
                f"{where if scoped else 'in the mesh'}: select its workload by pod labels",
            )
            continue
        if not workloads:
            continue  # the gateway workloads come from outside this program
        candidates = [w for w in workloads if not scoped or w.namespace == namespace]
        if any(w.selected_by(selector) for w in candidates) or any(
            all(labels.get(k) == v for k, v in selector.items())
            for ns, labels in deployments
            if not scoped or ns == namespace
        ):
            continue
        known = "; ".join(_workload_text(w) for w in candidates) or "none"
        yield Finding(
            "error",
            "MESH019",
            object_ref(gw),
            f"selects {dict(selector)}, which matches no gateway workload this program makes"
            f"{' ' + where if scoped else ''}: {known}. No proxy serves it. Use the "
            "workload's labels (IstioInstall.info.gateway_selector)",
        )


def key_problem(algorithm: Any, ecdsa_curve: Any, rsa_bits: Any) -> str | None:
    """What is weak about a pulumi-tls private key (``None`` if nothing): P-224, the
    provider's ECDSA default, which TLS stacks reject, or RSA below 2048 bits."""
    if algorithm == "ECDSA" and (ecdsa_curve or "P224") == "P224":
        return "is ECDSA P-224 (pulumi-tls's default curve), which Envoy and OpenSSL reject"
    if algorithm == "RSA" and isinstance(rsa_bits, int | float) and rsa_bits < 2048:
        return f"is RSA {int(rsa_bits)}; use at least 2048 bits"
    return None


_CHECKS = (
    _check_gateway_refs,
    _check_subsets,
    _check_conflicting_gateways,
    _check_duplicate_certificates,
    _check_vs_hosts_on_gateways,
    _check_mesh_host_conflicts,
    _check_credential_namespace,
    _check_dr_tls,
    _check_allow_everything,
    _check_mesh_wide_peer_authentication,
    _check_gateway_visibility,
    _check_certificate_renewal,
    _check_shadowed_routes,
    _check_allows_add_up,
    _check_export_bypass,
    _check_ambient_l7,
    _check_gateway_api_routes,
    _check_certificate_grants,
    _check_mesh_wide_strict,
    _check_https_only,
    _check_tls_version,
    _check_gateway_lockout,
    _check_gateway_selectors,
    _check_deep_wildcard_hosts,
)


def analyze(
    objects: Iterable[Mapping[str, Any]],
    releases: Iterable[Mapping[str, Any]] = (),
    *,
    root_namespace: str | None = None,
    certificates: Iterable[CertificateRecord] = (),
    now: dt.datetime | None = None,
) -> list[Finding]:
    """Every finding for these manifests, sorted (errors first).

    ``releases`` are Helm releases as mappings with ``chart``, ``name``, ``namespace`` and
    ``values``: they tell where gateway workloads run and which namespace is the mesh root
    (istiod's ``meshConfig.rootNamespace`` or ``global.istioNamespace``), unless
    ``root_namespace`` is given. ``certificates`` are the program's pulumi-tls certificates,
    checked against their renewal windows as of ``now`` (default: the current time).
    """
    by_kind: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for obj in objects:
        by_kind[kind_key(obj)].append(obj)
    release_list = list(releases)
    graph = _Graph(
        by_kind,
        release_list,
        root_namespace or _root_namespace(release_list),
        list(certificates),
        now or dt.datetime.now(dt.UTC),
    )
    findings = {finding for check in _CHECKS for finding in check(graph)}
    return sorted(findings, key=lambda f: (LEVELS.index(f.level), f.code, f.resource, f.message))


def errors(findings: Iterable[Finding]) -> list[Finding]:
    """The error-level findings."""
    return [f for f in findings if f.level == "error"]


# ----------------------------------------------------------------------------- in a program


RELEASE = "kubernetes:helm.sh/v3:Release"
"""The Helm release type token the analysis reads (where gateway workloads and the root are)."""


def _known_or_none(value: Any) -> Any:
    """``value``, or ``None`` while it is unknown (a preview), so one unknown issuer does not
    hold back the whole analysis until ``up``."""
    if value is None or isinstance(value, str):
        return value
    output = pulumi.Output.from_input(value)

    async def read() -> Any:
        if not await output.is_known():
            return None
        return await output.future()

    return asyncio.ensure_future(read())


class _Collector:
    def __init__(self) -> None:
        self.objects: list[pulumi.Input[Any]] = []
        self.releases: list[pulumi.Input[Any]] = []
        self.certificates: list[pulumi.Input[Any]] = []
        self.resources: list[pulumi.Resource] = []

    def __call__(
        self, args: pulumi.ResourceTransformationArgs
    ) -> pulumi.ResourceTransformationResult | None:
        self.resources.append(args.resource)
        props = args.props
        if args.type_ in CERTIFICATE_TYPES:
            self.certificates.append(
                {
                    "type": args.type_,
                    "name": args.name,
                    "inputs": {
                        "validity_period_hours": props.get("validity_period_hours"),
                        "early_renewal_hours": props.get("early_renewal_hours"),
                        "ca_cert_pem": _known_or_none(props.get("ca_cert_pem")),
                    },
                }
            )
        elif args.type_ == RELEASE:
            self.releases.append(
                {key: props.get(key) for key in ("chart", "name", "namespace", "values")}
            )
        elif (
            args.type_.startswith("kubernetes:") and props.get("kind") and props.get("api_version")
        ):
            self.objects.append(
                {
                    "apiVersion": props.get("api_version"),
                    "kind": props.get("kind"),
                    "metadata": props.get("metadata"),
                    "spec": props.get("spec"),
                }
            )
        return None


class Enforcer:
    """Collects every Kubernetes object and Helm release a program registers from now on.

    Made by :func:`enforce`; call :meth:`check` once, after the last resource. Findings are
    reported for a program whose every registration succeeded; when one failed, that error
    is the program's outcome, and the analysis of the partial graph says nothing.
    """

    def __init__(self, root_namespace: str | None = None) -> None:
        self._collector = _Collector()
        self._root_namespace = root_namespace
        pulumi.runtime.register_stack_transformation(self._collector)

    def check(self) -> pulumi.Output[list[str]]:
        """The findings as text; raises :class:`AnalysisError` (failing the program, and so
        ``pulumi preview``) if any is an error. Export or keep the Output so it is awaited.

        Values still unknown during a preview (outputs of other resources) are analysed on
        ``up``; the objects this package emits are known at preview.
        """

        def verdict(resolved: list[Any]) -> list[str]:
            objects, releases, certificates, completed = resolved
            if not completed:
                # A registration failed: the graph is partial, and findings about what is
                # missing from it would only bury the program's own error.
                return []
            records = [
                CertificateRecord.from_inputs(c["type"], c["name"], c["inputs"])
                for c in certificates
            ]
            found = analyze(
                objects, releases, root_namespace=self._root_namespace, certificates=records
            )
            if errors(found):
                raise AnalysisError(errors(found))
            return [str(f) for f in found]

        return pulumi.Output.all(
            pulumi.Output.from_input(self._collector.objects),
            pulumi.Output.from_input(self._collector.releases),
            pulumi.Output.from_input(self._collector.certificates),
            asyncio.ensure_future(self._registered()),
        ).apply(verdict)

    async def _registered(self) -> bool:
        """Whether every resource collected was registered: each URN resolves, or fails with
        the registration. Plain futures, not an Output per resource."""
        urns = [r.urn.future() for r in self._collector.resources]
        results = await asyncio.gather(*urns, return_exceptions=True)
        return not any(isinstance(result, BaseException) for result in results)


def enforce(root_namespace: str | None = None) -> Enforcer:
    """Start collecting this program's objects for analysis; see :class:`Enforcer`.

    ``guard = enforce()`` first in the program, ``pulumi.export("analysis", guard.check())``
    last: a dangling reference or a conflicting gateway then fails ``pulumi preview`` with
    the findings, before anything is applied.
    """
    return Enforcer(root_namespace)
