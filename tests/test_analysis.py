"""Each analysis check: a fixture that fails it and one that passes. Plus enforce()."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mesh_https.analysis import CHECKS, AnalysisError, CertificateRecord, analyze, enforce
from mesh_https.pki import CertificateAuthority, server_certificate
from mesh_https.testing import MockSession


def obj(
    kind: str, namespace: str, name: str, spec: Any, api: str = "networking.istio.io/v1"
) -> dict[str, Any]:
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def gateway(
    name: str = "edge",
    hosts: list[str] | None = None,
    credential: str = "edge-tls",
    namespace: str = "istio-ingress",
) -> dict[str, Any]:
    return obj(
        "Gateway",
        namespace,
        name,
        {
            "selector": {"istio": "ingress"},
            "servers": [
                {
                    "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                    "hosts": hosts or ["app.example.com"],
                    "tls": {"mode": "SIMPLE", "credentialName": credential},
                }
            ],
        },
    )


def good() -> list[dict[str, Any]]:
    """A consistent graph: gateway + its secret, a VS to subsets of an existing DR, policies."""
    return [
        gateway(),
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "edge-tls", "namespace": "istio-ingress"},
        },
        obj(
            "DestinationRule",
            "demo",
            "app",
            {"host": "app", "subsets": [{"name": "v1", "labels": {"version": "v1"}}]},
        ),
        obj(
            "VirtualService",
            "demo",
            "app",
            {
                "hosts": ["app.example.com", "app"],
                "gateways": ["istio-ingress/edge", "mesh"],
                "http": [{"route": [{"destination": {"host": "app", "subset": "v1"}}]}],
            },
        ),
        obj(
            "PeerAuthentication",
            "istio-system",
            "default",
            {"mtls": {"mode": "STRICT"}},
            "security.istio.io/v1",
        ),
        obj("AuthorizationPolicy", "demo", "allow-nothing", {}, "security.istio.io/v1"),
    ]


RELEASES = [
    {
        "chart": "istiod",
        "name": "istiod",
        "namespace": "istio-system",
        "values": {"global": {"istioNamespace": "istio-system"}},
    },
    {"chart": "gateway", "name": "istio-ingress", "namespace": "istio-ingress", "values": {}},
]


def codes(objects: list[dict[str, Any]], level: str | None = None) -> set[str]:
    return {f.code for f in analyze(objects, RELEASES) if level is None or f.level == level}


def test_the_good_graph_is_clean() -> None:
    assert analyze(good(), RELEASES) == []


def find(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    return next(
        o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)
    )


def mutate_missing_gateway(o: list[dict[str, Any]]) -> None:
    find(o, "VirtualService")["spec"]["gateways"] = ["istio-ingress/nope", "mesh"]


def mutate_missing_dr(o: list[dict[str, Any]]) -> None:
    o.remove(find(o, "DestinationRule"))


def mutate_missing_subset(o: list[dict[str, Any]]) -> None:
    find(o, "VirtualService")["spec"]["http"][0]["route"][0]["destination"]["subset"] = "v2"


def mutate_dr_hidden(o: list[dict[str, Any]]) -> None:
    dr = find(o, "DestinationRule")
    dr["metadata"]["namespace"] = "other"
    dr["spec"]["host"] = "app.demo.svc.cluster.local"
    dr["spec"]["exportTo"] = ["."]


def mutate_conflicting_gateways(o: list[dict[str, Any]]) -> None:
    o.append(gateway("second", credential="second-tls"))


def mutate_duplicate_certificate(o: list[dict[str, Any]]) -> None:
    o.append(gateway("second", hosts=["other.example.com"]))


def mutate_host_not_on_gateway(o: list[dict[str, Any]]) -> None:
    find(o, "VirtualService")["spec"]["hosts"] = ["www.example.com"]


def mutate_two_mesh_virtual_services(o: list[dict[str, Any]]) -> None:
    extra = copy.deepcopy(find(o, "VirtualService"))
    extra["metadata"]["name"] = "app-2"
    extra["spec"]["gateways"] = ["mesh"]
    extra["spec"]["hosts"] = ["app.demo.svc.cluster.local"]
    o.append(extra)


def mutate_secret_elsewhere(o: list[dict[str, Any]]) -> None:
    find(o, "Secret")["metadata"]["namespace"] = "demo"


def mutate_dr_disables_tls(o: list[dict[str, Any]]) -> None:
    find(o, "DestinationRule")["spec"]["trafficPolicy"] = {"tls": {"mode": "DISABLE"}}


def mutate_tls_origination_unverified(o: list[dict[str, Any]]) -> None:
    o.append(
        obj(
            "DestinationRule",
            "demo",
            "ext",
            {"host": "api.partner.com", "trafficPolicy": {"tls": {"mode": "SIMPLE"}}},
        )
    )


def mutate_allow_everything(o: list[dict[str, Any]]) -> None:
    o.append(
        obj("AuthorizationPolicy", "demo", "allow-all", {"rules": [{}]}, "security.istio.io/v1")
    )


def mutate_vs_hidden_from_gateway(o: list[dict[str, Any]]) -> None:
    find(o, "VirtualService")["spec"]["exportTo"] = ["."]


def mutate_dr_hidden_from_gateway(o: list[dict[str, Any]]) -> None:
    find(o, "DestinationRule")["spec"]["exportTo"] = ["."]


def mutate_root_selector(o: list[dict[str, Any]]) -> None:
    find(o, "PeerAuthentication")["spec"]["selector"] = {"matchLabels": {"app": "x"}}


def mutate_shadowed_route(o: list[dict[str, Any]]) -> None:
    vs = find(o, "VirtualService")["spec"]
    late = {"name": "late", "match": [{"uri": {"prefix": "/a"}}], "route": vs["http"][0]["route"]}
    vs["http"].append(late)  # after the catch-all: never used


def mutate_repeated_match(o: list[dict[str, Any]]) -> None:
    vs = find(o, "VirtualService")["spec"]
    match = [{"uri": {"prefix": "/a"}}]
    route = vs["http"][0]["route"]
    vs["http"][:0] = [
        {"name": "a", "match": match, "route": route},
        {"name": "b", "match": match, "route": route},
    ]


def _policy(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return obj("AuthorizationPolicy", "demo", name, spec, "security.istio.io/v1")


def mutate_allows_add_up(o: list[dict[str, Any]]) -> None:
    source = {"principals": ["cluster.local/ns/demo/sa/front"]}
    o.append(
        _policy(
            "allow-reviews",
            {
                "selector": {"matchLabels": {"app": "reviews"}},
                "rules": [{"from": [{"source": source}]}],
            },
        )
    )
    o.append(_policy("allow-web", {"rules": [{"from": [{"source": {"namespaces": ["web"]}}]}]}))


def mutate_export_bypass(o: list[dict[str, Any]]) -> None:
    o.append(_policy("allow-web", {"rules": [{"from": [{"source": {"namespaces": ["web"]}}]}]}))
    find(o, "VirtualService")["spec"]["exportTo"] = [".", "istio-ingress"]


def _ambient(o: list[dict[str, Any]], waypoint: str | None = None) -> None:
    labels = {"istio.io/dataplane-mode": "ambient"}
    if waypoint:
        labels["istio.io/use-waypoint"] = waypoint
    o.append(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo", "labels": labels}}
    )


def mutate_ambient_l7_at_ztunnel(o: list[dict[str, Any]]) -> None:
    _ambient(o, "waypoint")
    to = [{"operation": {"paths": ["/api/*"]}}]
    o.append(_policy("allow-api", {"rules": [{"to": to}]}))


def mutate_ambient_route_without_waypoint(o: list[dict[str, Any]]) -> None:
    _ambient(o)


def _gw_api(kind: str, namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    version = "v1beta1" if kind == "ReferenceGrant" else "v1"
    return obj(kind, namespace, name, spec, f"gateway.networking.k8s.io/{version}")


def mutate_route_to_missing_parent(o: list[dict[str, Any]]) -> None:
    o.append(_gw_api("HTTPRoute", "demo", "r", {"parentRefs": [{"name": "nope"}], "rules": [{}]}))


def _https_gateway(cert_namespace: str | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"kind": "Secret", "name": "edge-tls"}
    if cert_namespace:
        ref["namespace"] = cert_namespace
    listener = {
        "name": "https",
        "port": 443,
        "protocol": "HTTPS",
        "hostname": "app.example.com",
        "tls": {"mode": "Terminate", "certificateRefs": [ref]},
    }
    return _gw_api("Gateway", "edge", "web", {"gatewayClassName": "istio", "listeners": [listener]})


def mutate_listener_without_route(o: list[dict[str, Any]]) -> None:
    o.append(_https_gateway())


def mutate_certificate_without_grant(o: list[dict[str, Any]]) -> None:
    o.append(_https_gateway("certs"))
    parent = {"name": "web", "namespace": "edge"}
    o.append(_gw_api("HTTPRoute", "edge", "r", {"parentRefs": [parent], "rules": [{}]}))


def mutate_no_mesh_wide_strict(o: list[dict[str, Any]]) -> None:
    o[:] = [
        x for x in o if not (x["kind"] == "PeerAuthentication" and not x["spec"].get("selector"))
    ]


def _first_istio_gateway(o: list[dict[str, Any]]) -> dict[str, Any]:
    return next(x for x in o if x["kind"] == "Gateway" and "istio" in x["apiVersion"])


def mutate_plain_http_server(o: list[dict[str, Any]]) -> None:
    servers = _first_istio_gateway(o)["spec"]["servers"]
    servers.append(
        {"port": {"number": 8080, "name": "http-alt", "protocol": "HTTP"}, "hosts": ["*"]}
    )


def mutate_tls_1_0(o: list[dict[str, Any]]) -> None:
    for server in _first_istio_gateway(o)["spec"]["servers"]:
        if "credentialName" in (server.get("tls") or {}):
            server["tls"]["minProtocolVersion"] = "TLSV1_0"


def _gateway_policy(name: str, spec: dict[str, Any], namespace: str = "istio-ingress") -> Any:
    return obj("AuthorizationPolicy", namespace, name, spec, "security.istio.io/v1")


def mutate_allow_nothing_at_the_gateway(o: list[dict[str, Any]]) -> None:
    o.append(_gateway_policy("allow-nothing", {}))


def mutate_deny_all_at_the_gateway(o: list[dict[str, Any]]) -> None:
    spec = {"selector": {"matchLabels": {"istio": "ingress"}}, "action": "DENY", "rules": [{}]}
    o.append(_gateway_policy("deny-all", spec))


def mutate_mesh_wide_deny_all(o: list[dict[str, Any]]) -> None:
    o.append(_gateway_policy("deny-all", {"action": "DENY", "rules": [{}]}, "istio-system"))


def mutate_gateway_selects_the_docs_label(o: list[dict[str, Any]]) -> None:
    _first_istio_gateway(o)["spec"]["selector"] = {"istio": "ingressgateway"}


def mutate_gateway_without_selector(o: list[dict[str, Any]]) -> None:
    del _first_istio_gateway(o)["spec"]["selector"]


def mutate_host_under_a_deep_wildcard(o: list[dict[str, Any]]) -> None:
    _first_istio_gateway(o)["spec"]["servers"][0]["hosts"] = ["*.example.com"]
    find(o, "VirtualService")["spec"]["hosts"] = ["a.app.example.com", "app"]


CASES: list[tuple[Any, str, str]] = [
    (mutate_missing_gateway, "IST0101", "error"),
    (mutate_missing_dr, "IST0101", "error"),
    (mutate_missing_subset, "IST0101", "error"),
    (mutate_dr_hidden, "IST0101", "error"),
    (mutate_conflicting_gateways, "IST0145", "error"),
    (mutate_duplicate_certificate, "IST0138", "warning"),
    (mutate_host_not_on_gateway, "IST0132", "warning"),
    (mutate_two_mesh_virtual_services, "IST0109", "error"),
    (mutate_secret_elsewhere, "MESH001", "error"),
    (mutate_dr_disables_tls, "MESH002", "error"),
    (mutate_tls_origination_unverified, "IST0128", "warning"),
    (mutate_allow_everything, "MESH003", "warning"),
    (mutate_root_selector, "MESH004", "warning"),
    (mutate_vs_hidden_from_gateway, "MESH005", "error"),
    (mutate_dr_hidden_from_gateway, "MESH005", "error"),
    (mutate_shadowed_route, "MESH007", "warning"),
    (mutate_repeated_match, "MESH007", "warning"),
    (mutate_allows_add_up, "MESH008", "warning"),
    (mutate_export_bypass, "MESH009", "warning"),
    (mutate_ambient_l7_at_ztunnel, "MESH010", "error"),
    (mutate_ambient_route_without_waypoint, "MESH011", "warning"),
    (mutate_route_to_missing_parent, "MESH012", "error"),
    (mutate_listener_without_route, "MESH013", "warning"),
    (mutate_certificate_without_grant, "MESH014", "error"),
    (mutate_no_mesh_wide_strict, "MESH015", "warning"),
    (mutate_plain_http_server, "MESH016", "warning"),
    (mutate_tls_1_0, "MESH017", "error"),
    (mutate_allow_nothing_at_the_gateway, "MESH018", "error"),
    (mutate_deny_all_at_the_gateway, "MESH018", "error"),
    (mutate_mesh_wide_deny_all, "MESH018", "error"),
    (mutate_gateway_selects_the_docs_label, "MESH019", "error"),
    (mutate_gateway_without_selector, "MESH019", "warning"),
    (mutate_host_under_a_deep_wildcard, "MESH020", "warning"),
]


def test_allow_nothing_at_the_gateway_is_fine_beside_an_allow_that_admits() -> None:
    objects = good()
    mutate_allow_nothing_at_the_gateway(objects)
    admit = {"rules": [{"to": [{"operation": {"ports": ["443", "80"]}}]}]}
    objects.append(_gateway_policy("allow-clients", admit))
    assert "MESH018" not in codes(objects)


def test_lockouts_elsewhere_do_not_touch_the_gateway() -> None:
    objects = good()
    # allow-nothing in `demo` (the good graph has it), a DENY-all for other workloads here,
    # and a DENY that matches only some requests
    other = {"selector": {"matchLabels": {"app": "other"}}, "action": "DENY", "rules": [{}]}
    objects.append(_gateway_policy("deny-other", other))
    some = {"action": "DENY", "rules": [{"to": [{"operation": {"paths": ["/admin"]}}]}]}
    objects.append(_gateway_policy("deny-admin", some))
    objects.append(_gateway_policy("deny-none", {"action": "DENY"}))
    assert "MESH018" not in codes(objects)


def test_allow_nothing_attached_to_a_gateway_api_gateway() -> None:
    objects = good()
    objects.append(_https_gateway())
    target = {
        "targetRefs": [{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "web"}]
    }
    objects.append(_gateway_policy("lock", target, "edge"))
    found = [f for f in analyze(objects, RELEASES) if f.code == "MESH018"]
    assert [f.resource for f in found] == ["AuthorizationPolicy edge/lock"]
    assert "Gateway edge/web" in found[0].message
    target["targetRefs"][0]["name"] = "another"
    assert "MESH018" not in codes(objects)


def test_mesh019_names_the_workloads_there_are() -> None:
    objects = good()
    mutate_gateway_selects_the_docs_label(objects)
    (finding,) = [f for f in analyze(objects, RELEASES) if f.code == "MESH019"]
    assert finding.resource == "Gateway istio-ingress/edge"
    assert "Release istio-ingress/istio-ingress" in finding.message
    assert "'istio': 'ingress'" in finding.message


@pytest.mark.parametrize(
    "selector",
    [
        {"istio": "ingress"},
        {"app": "istio-ingress"},
        {"app.kubernetes.io/name": "istio-ingress", "sidecar.istio.io/inject": "true"},
    ],
)
def test_mesh019_passes_any_label_the_chart_puts_on_the_pods(selector: dict[str, str]) -> None:
    objects = good()
    _first_istio_gateway(objects)["spec"]["selector"] = selector
    assert "MESH019" not in codes(objects)


def test_mesh019_reads_the_release_values_and_gateway_api_workloads() -> None:
    objects = good()
    _first_istio_gateway(objects)["spec"]["selector"] = {"istio": "edge"}
    releases = [dict(RELEASES[0]), {**RELEASES[1], "values": {"labels": {"istio": "edge"}}}]
    assert "MESH019" not in {f.code for f in analyze(objects, releases)}
    # an Istio Gateway may select the pods istiod deploys for a Gateway API Gateway
    objects.append(_https_gateway())
    selector = {"gateway.networking.k8s.io/gateway-name": "web"}
    _first_istio_gateway(objects)["spec"]["selector"] = selector
    assert "MESH019" not in codes(objects)


def test_mesh019_with_gateways_scoped_to_their_namespace() -> None:
    objects = good()
    moved = _first_istio_gateway(objects)
    moved["metadata"]["namespace"] = "demo"
    assert "MESH019" not in codes(objects)
    scoped = copy.deepcopy(RELEASES)
    scoped[0]["values"]["pilot"] = {"env": {"PILOT_SCOPE_GATEWAY_TO_NAMESPACE": "true"}}
    found = [f for f in analyze(objects, scoped) if f.code == "MESH019"]
    assert [f.level for f in found] == ["error"], found
    assert "PILOT_SCOPE_GATEWAY_TO_NAMESPACE" in found[0].message


def test_mesh019_is_silent_when_the_gateways_are_not_in_the_program() -> None:
    objects = good()
    mutate_gateway_selects_the_docs_label(objects)
    assert "MESH019" not in {f.code for f in analyze(objects, RELEASES[:1])}


@pytest.mark.parametrize(
    ("server_hosts", "vs_hosts"),
    [
        (["*.example.com"], ["app.example.com"]),  # one label: the wildcard covers it
        (["*.example.com", "a.app.example.com"], ["a.app.example.com"]),  # served by name
        (["*.example.com"], ["*.example.com"]),
    ],
)
def test_mesh020_passes_hosts_the_certificate_covers(
    server_hosts: list[str], vs_hosts: list[str]
) -> None:
    objects = good()
    _first_istio_gateway(objects)["spec"]["servers"][0]["hosts"] = server_hosts
    find(objects, "VirtualService")["spec"]["hosts"] = [*vs_hosts, "app"]
    assert "MESH020" not in codes(objects)


def test_a_reference_grant_lets_a_gateway_read_another_namespaces_secret() -> None:
    objects = good()
    mutate_certificate_without_grant(objects)
    grant = {
        "from": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "edge"}],
        "to": [{"group": "", "kind": "Secret", "name": "edge-tls"}],
    }
    objects.append(_gw_api("ReferenceGrant", "certs", "edge-reads-tls", grant))
    assert not {"MESH012", "MESH013", "MESH014"} & codes(objects)


def test_l7_at_a_waypoint_and_routes_through_one_are_fine() -> None:
    objects = good()
    _ambient(objects, "waypoint")
    refs = [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "waypoint"}]
    to = [{"operation": {"paths": ["/api/*"]}}]
    objects.append(_policy("allow-api", {"targetRefs": refs, "rules": [{"to": to}]}))
    assert not {"MESH010", "MESH011"} & codes(objects)


def test_a_waypoint_gateway_is_not_an_istio_gateway() -> None:
    objects = good()
    listener = {"name": "mesh", "port": 15008, "protocol": "HBONE"}
    spec = {"gatewayClassName": "istio-waypoint", "listeners": [listener]}
    objects.append(_gw_api("Gateway", "demo", "waypoint", spec))
    assert analyze(objects, RELEASES) == []


def test_a_deny_for_the_same_workloads_means_the_allows_do_not_add_up() -> None:
    objects = good()
    mutate_allows_add_up(objects)
    deny = {
        "selector": {"matchLabels": {"app": "reviews"}},
        "action": "DENY",
        "rules": [{"from": [{"source": {"notPrincipals": ["cluster.local/ns/demo/sa/front"]}}]}],
    }
    objects.append(_policy("deny-reviews", deny))
    assert "MESH008" not in codes(objects)


def test_callers_from_an_exported_namespace_do_not_bypass() -> None:
    objects = good()
    mutate_export_bypass(objects)
    find(objects, "VirtualService")["spec"]["exportTo"] = [".", "istio-ingress", "web"]
    assert "MESH009" not in codes(objects)


@pytest.mark.parametrize(("mutate", "code", "level"), CASES)
def test_each_check_catches_its_mistake(mutate: Any, code: str, level: str) -> None:
    objects = good()
    mutate(objects)
    found = [f for f in analyze(objects, RELEASES) if f.code == code]
    assert found, f"{code} did not fire"
    assert {f.level for f in found} == {level}


def test_every_check_has_a_failing_fixture() -> None:
    assert {code for _, code, _ in CASES} | {"MESH006"} == set(CHECKS)


# MESH006 reads pulumi-tls certificates, not manifests.
NOW = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)


def issuer_pem(hours_left: float) -> str:
    """A real CA certificate that expires ``hours_left`` hours after NOW."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "issuer CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(hours=hours_left))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def leaf(validity: float, early: float, issuer: str | None = None) -> CertificateRecord:
    inputs = {"validityPeriodHours": validity, "earlyRenewalHours": early, "caCertPem": issuer}
    return CertificateRecord.from_inputs(
        "tls:index/locallySignedCert:LocallySignedCert", "leaf", inputs
    )


@pytest.mark.parametrize(
    ("certificate", "words"),
    [
        (lambda: leaf(720, 720), "no longer than its renewal window"),
        (lambda: leaf(24, 720), "every `pulumi up` re-issues it"),
        (lambda: leaf(2160, 720, issuer_pem(100)), "inside this certificate's 720 h renewal"),
    ],
)
def test_mesh006_a_certificate_inside_its_renewal_window(certificate: Any, words: str) -> None:
    found = analyze(good(), RELEASES, certificates=[certificate()], now=NOW)
    assert [f.code for f in found] == ["MESH006"]
    assert found[0].level == "warning" and words in found[0].message
    assert found[0].resource == "LocallySignedCert leaf"


@pytest.mark.parametrize(
    "certificate",
    [
        lambda: leaf(2160, 720),
        lambda: leaf(2160, 720, issuer_pem(2000)),
        lambda: leaf(2160, 720, None),  # issuer made in the same update: unknown at preview
        lambda: leaf(2160, 720, "not a certificate"),
    ],
)
def test_mesh006_passes_a_certificate_that_renews_in_time(certificate: Any) -> None:
    assert analyze(good(), RELEASES, certificates=[certificate()], now=NOW) == []


def test_mesh006_reads_the_program_through_enforce(mesh_session: MockSession) -> None:
    guard = enforce()
    ca = CertificateAuthority("short", {"validity_hours": 100, "early_renewal_hours": 10})
    server_certificate("edge", ca.issuer(), ["app.example.com"])
    findings = mesh_session.value(guard.check())
    assert len(findings) == 1
    assert findings[0].startswith("WARNING MESH006 LocallySignedCert edge-cert: its issuer")


def test_mesh_wide_policy_outside_a_custom_root() -> None:
    releases = [
        {
            "chart": "istiod",
            "name": "istiod",
            "namespace": "mesh-root",
            "values": {"meshConfig": {"rootNamespace": "mesh-root"}},
        }
    ]
    objects = [
        obj(
            "PeerAuthentication",
            "istio-system",
            "default",
            {"mtls": {"mode": "STRICT"}},
            "security.istio.io/v1",
        )
    ]
    # Misplaced, so the mesh has no mesh-wide STRICT policy either.
    assert [f.code for f in analyze(objects, releases)] == ["MESH004", "MESH015"]
    objects[0]["metadata"]["namespace"] = "mesh-root"
    assert analyze(objects, releases) == []


def test_dr_tls_is_fine_where_not_strict_or_istio_mutual() -> None:
    objects = good()
    find(objects, "DestinationRule")["spec"]["trafficPolicy"] = {"tls": {"mode": "ISTIO_MUTUAL"}}
    assert "MESH002" not in codes(objects)
    objects = good()
    find(objects, "PeerAuthentication")["spec"]["mtls"]["mode"] = "PERMISSIVE"
    find(objects, "DestinationRule")["spec"]["trafficPolicy"] = {"tls": {"mode": "DISABLE"}}
    assert "MESH002" not in codes(objects)


def test_tls_origination_with_ca_is_fine() -> None:
    objects = good()
    spec = {
        "host": "api.partner.com",
        "trafficPolicy": {"tls": {"mode": "SIMPLE", "caCertificates": "/etc/ca.pem"}},
    }
    objects.append(obj("DestinationRule", "demo", "ext", spec))
    assert "IST0128" not in codes(objects)


def test_credential_not_in_graph_is_only_information() -> None:
    objects = good()
    objects.remove(find(objects, "Secret"))
    found = [f for f in analyze(objects, RELEASES) if f.code == "MESH001"]
    assert [f.level for f in found] == ["info"]


def test_workload_found_from_a_deployment_too() -> None:
    objects = good()
    find(objects, "Secret")["metadata"]["namespace"] = "gw"
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "gw", "namespace": "edge-ns"},
        "spec": {"template": {"metadata": {"labels": {"istio": "ingress"}}}},
    }
    found = [f for f in analyze([*objects, deployment], []) if f.code == "MESH001"]
    assert found and "edge-ns" in found[0].message


def test_exported_to_the_gateway_namespace_is_fine() -> None:
    objects = good()
    find(objects, "VirtualService")["spec"]["exportTo"] = [".", "istio-ingress"]
    find(objects, "DestinationRule")["spec"]["exportTo"] = [".", "istio-ingress"]
    assert analyze(objects, RELEASES) == []


def test_findings_are_sorted_errors_first() -> None:
    objects = good()
    mutate_allow_everything(objects)
    mutate_missing_gateway(objects)
    levels = [f.level for f in analyze(objects, RELEASES)]
    assert levels == sorted(levels, key=["error", "warning", "info"].index)


# ----------------------------------------------------------------------------- enforce()


def _program(broken: bool) -> pulumi.Output[list[str]]:
    guard = enforce()
    for o in good():
        if o["kind"] == "Secret":
            k8s.core.v1.Secret("tls", metadata=o["metadata"], type="kubernetes.io/tls")
            continue
        k8s.apiextensions.CustomResource(
            f"{o['kind']}-{o['metadata']['name']}",
            api_version=o["apiVersion"],
            kind=o["kind"],
            metadata=o["metadata"],
            spec=pulumi.Output.from_input(o["spec"]),
        )
    if broken:
        k8s.apiextensions.CustomResource(
            "stray",
            api_version="networking.istio.io/v1",
            kind="VirtualService",
            metadata={"name": "stray", "namespace": "demo"},
            spec={"hosts": ["x"], "gateways": ["missing"]},
        )
    return guard.check()


def test_enforce_passes_a_clean_program(mesh_session: MockSession) -> None:
    assert mesh_session.value(_program(broken=False)) == []


def test_enforce_fails_the_program_on_errors(mesh_session: MockSession) -> None:
    result = _program(broken=True)
    with pytest.raises(AnalysisError) as err:
        mesh_session.settle()
    assert "IST0101" in str(err.value) and "demo/missing" in str(err.value)
    assert isinstance(result, pulumi.Output)


def test_the_project_program_enforces_analysis() -> None:
    from conftest import run_stack

    _, exports = run_stack("dev")
    assert exports["analysis"] == []


def test_enforce_says_nothing_about_a_program_whose_registration_failed(
    mesh_session: MockSession,
) -> None:
    def refuse(value: str) -> str:
        raise ValueError(f"the program's own error: {value}")

    result = _program(broken=True)  # an error finding, were the program to complete
    k8s.core.v1.ConfigMap("failed", data={"key": pulumi.Output.from_input("bad").apply(refuse)})
    with pytest.raises(ValueError) as err:
        mesh_session.settle()
    assert not isinstance(err.value, AnalysisError), "the partial graph is not analysed"
    assert "the program's own error: bad" in str(err.value)
    assert mesh_session.loop.run_until_complete(result.future()) == []
