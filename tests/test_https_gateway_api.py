"""HttpsGateway with api='gateway-api': a Kubernetes Gateway that istiod deploys, its
listeners and Secrets, the HTTP redirect, client-certificate validation, real handshakes
against its listeners, and what it cannot do."""

from __future__ import annotations

import ssl
from typing import Any

import pytest
from conftest import assert_refused
from test_schemas import istio_results

from mesh_https import CanaryRoute, HttpsGateway, analysis
from mesh_https.testing import GatewayTlsServer, MockSession, Recording, handshake

BASE: dict[str, Any] = {"api": "gateway-api", "gateway_namespace": "edge"}


def kube_gateway(rec: Recording) -> Any:
    (gateway,) = [
        g for g in rec.kinds("Gateway") if g.api_version == "gateway.networking.k8s.io/v1"
    ]
    return gateway


def test_listeners_secrets_redirect_and_the_deployed_workload(mesh_session: MockSession) -> None:
    edge = HttpsGateway("web", {**BASE, "hosts": ["a.example.com", "b.example.com"]})
    rec = mesh_session.settle()
    gateway = kube_gateway(rec)
    spec = gateway.manifest()["spec"]
    assert spec["gatewayClassName"] == "istio"
    http, a, b = spec["listeners"]
    assert http == {"name": "http", "port": 80, "protocol": "HTTP"}
    assert a == {
        "name": "https-a-example-com",
        "port": 443,
        "protocol": "HTTPS",
        "hostname": "a.example.com",
        "tls": {
            "mode": "Terminate",
            "certificateRefs": [{"group": "", "kind": "Secret", "name": "web-shared-tls"}],
        },
    }
    assert b["hostname"] == "b.example.com"
    secret = rec.one(kind="Secret", object_name="web-shared-tls")
    assert secret.namespace == "edge", "the Secret is where the Gateway is: no grant needed"
    assert rec.depends_on(gateway, secret)
    redirect = rec.one(kind="HTTPRoute").manifest()["spec"]
    assert redirect["parentRefs"] == [{"name": "web", "sectionName": "http"}]
    assert redirect["rules"][0]["filters"][0]["requestRedirect"] == {
        "scheme": "https",
        "statusCode": 301,
    }
    # istiod deploys <name>-istio; its identity is derived here, never retyped.
    assert edge.workload is not None
    assert edge.workload.selector == {"gateway.networking.k8s.io/gateway-name": "web"}
    assert edge.workload.principal == "cluster.local/ns/edge/sa/web-istio"
    manifests = [gateway.manifest(), rec.one(kind="HTTPRoute").manifest()]
    assert [r["errors"] for r in istio_results(manifests)] == [[], []]


def test_a_gateway_api_route_attaches_and_the_analysis_is_clean(mesh_session: MockSession) -> None:
    edge = HttpsGateway("web", {**BASE, "hosts": ["a.example.com"]})
    CanaryRoute(
        "app",
        {
            "api": "gateway-api",
            "host": "app",
            "namespace": "shop",
            "port": 8080,
            "gateways": [edge.route_target()],
            "external_hosts": ["a.example.com"],
            "mesh": False,
        },
    )
    rec = mesh_session.settle()
    assert analysis.analyze(rec.manifests(), rec.helm_releases()) == []


def test_without_a_route_the_https_listener_is_flagged(mesh_session: MockSession) -> None:
    HttpsGateway("web", {**BASE, "hosts": ["a.example.com"]})
    rec = mesh_session.settle()
    found = analysis.analyze(rec.manifests(), rec.helm_releases())
    assert [(f.code, "https-a-example-com" in f.message) for f in found] == [("MESH013", True)]


@pytest.mark.parametrize("mode", ["MUTUAL", "OPTIONAL_MUTUAL"])
def test_client_certificates_are_validated_per_port(mesh_session: MockSession, mode: str) -> None:
    edge = HttpsGateway("web", {**BASE, "hosts": ["a.example.com"], "mode": mode})
    rec = mesh_session.settle()
    spec = kube_gateway(rec).manifest()["spec"]
    validation = spec["tls"]["frontend"]["default"]["validation"]
    assert validation == {
        "caCertificateRefs": [{"group": "", "kind": "Secret", "name": "web-client-ca"}],
        "mode": "AllowValidOnly" if mode == "MUTUAL" else "AllowInsecureFallback",
    }
    ca_secret = rec.one(kind="Secret", object_name="web-client-ca")
    assert ca_secret.namespace == "edge"
    ca = mesh_session.value(edge.ca_cert_pem)
    client = (
        mesh_session.value(edge.client_cert_pem),
        mesh_session.value(edge.client_private_key_pem),
    )
    with GatewayTlsServer(rec, kube_gateway(rec)) as server:
        with_cert = handshake(
            server.port, "a.example.com", ca, client_cert_pem=client[0], client_key_pem=client[1]
        )
        assert with_cert.response.startswith(b"HTTP/1.1 200")
        if mode == "MUTUAL":
            with pytest.raises(ssl.SSLError):
                handshake(server.port, "a.example.com", ca)
        else:
            assert handshake(server.port, "a.example.com", ca).response.startswith(b"HTTP/1.1 200")


def test_real_handshakes_against_the_listeners(mesh_session: MockSession) -> None:
    edge = HttpsGateway(
        "web",
        {**BASE, "hosts": ["a.example.com", "b.example.com"], "grouping": "per_host"},
    )
    rec = mesh_session.settle()
    ca = mesh_session.value(edge.ca_cert_pem)
    with GatewayTlsServer(rec, kube_gateway(rec)) as server:
        for host in ("a.example.com", "b.example.com"):
            result = handshake(server.port, host, ca)
            assert result.peer_subject == ((("commonName", host),),)
        with pytest.raises(ssl.SSLError):
            handshake(server.port, "evil.example.com", ca)


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"hosts": ["a.example.com"], "mode": "PASSTHROUGH"}, "mode", "TLSRoutes"),
        (
            {
                "certificates": [
                    {"hosts": ["a.example.com"], "mode": "SIMPLE"},
                    {"hosts": ["b.example.com"], "mode": "MUTUAL"},
                ]
            },
            "certificates",
            "per port",
        ),
        (
            {"hosts": ["a.example.com"], "mode": "MUTUAL", "client_subject_alt_names": ["c"]},
            "client_subject_alt_names",
            "no SAN match",
        ),
        ({"hosts": ["a.example.com"], "selector": {"istio": "x"}}, "selector", "its workload"),
        ({"hosts": ["a.example.com"], "min_tls_version": "TLSV1_3"}, "min_tls_version", "1.3"),
        ({"hosts": ["a.example.com"], "api": "istio"}, "selector", "is missing"),
    ],
)
def test_what_a_gateway_api_gateway_cannot_do_is_refused(
    mesh_session: MockSession, extra: dict[str, Any], field: str, words: str
) -> None:
    args = {**BASE, **extra}
    assert_refused(mesh_session, lambda: HttpsGateway("web", args), "HttpsGateway", field, words)


def test_on_kind_the_deployed_service_keeps_fixed_node_ports(mesh_session: MockSession) -> None:
    service = {"type": "NodePort", "node_ports": {"http": 30080, "https": 30443}}
    HttpsGateway("web", {**BASE, "hosts": ["a.example.com"], "service": service})
    rec = mesh_session.settle()
    gateway = kube_gateway(rec).manifest()
    assert gateway["metadata"]["annotations"] == {"networking.istio.io/service-type": "NodePort"}
    assert gateway["spec"]["infrastructure"] == {
        "parametersRef": {"group": "", "kind": "ConfigMap", "name": "web-options"}
    }
    options = rec.one(kind="ConfigMap", object_name="web-options")
    assert options.namespace == "edge", "istiod reads it from the Gateway's namespace"
    import yaml

    overlay = yaml.safe_load(options.inputs["data"]["service"])
    # Merged by port into the Service istiod generates from the listeners.
    assert overlay == {
        "spec": {"ports": [{"port": 80, "nodePort": 30080}, {"port": 443, "nodePort": 30443}]}
    }
    assert rec.depends_on(rec.one(kind="Gateway", object_name="web"), options)


def test_a_load_balancer_gets_its_annotations(mesh_session: MockSession) -> None:
    service = {"type": "LoadBalancer", "annotations": {"lb.example/internal": "true"}}
    HttpsGateway("web", {**BASE, "hosts": ["a.example.com"], "service": service})
    rec = mesh_session.settle()
    spec = kube_gateway(rec).manifest()["spec"]
    assert spec["infrastructure"] == {"annotations": {"lb.example/internal": "true"}}
    assert rec.kinds("ConfigMap") == []
