"""The dev stack's HTTPS chain: one CA for the edge and the mesh, verified by real handshakes."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import run_stack_resolved, stack_config
from cryptography import x509

from mesh_https.testing import GatewayTlsServer, RecordedResource, Recording, handshake, secret_data


@pytest.fixture(scope="module")
def dev() -> tuple[Recording, dict[str, Any]]:
    rec, resolved = run_stack_resolved("dev")
    return rec, resolved


def exports(dev: tuple[Recording, dict[str, Any]]) -> dict[str, Any]:
    return {key: value.value for key, value in dev[1].items()}


def test_graph_holds_gateway_secrets_and_a_bound_virtual_service(dev: Any) -> None:
    rec, _ = dev
    out = exports(dev)
    gateway = rec.one(kind="Gateway")
    assert gateway.namespace == "istio-ingress"
    for name in out["tlsSecrets"]:
        secret = rec.one(kind="Secret", object_name=name)
        assert secret.namespace == gateway.namespace
    service = rec.one(kind="VirtualService")
    assert service.spec["gateways"] == [out["gatewayRef"], "mesh"] == ["istio-ingress/edge", "mesh"]
    assert service.spec["hosts"][: len(out["hosts"])] == out["hosts"]
    assert service.namespace == "demo"
    istiod = rec.one("kubernetes:helm.sh/v3:Release", name="istio-istiod")
    assert rec.depends_on(service, istiod), "Istio objects wait for istiod's webhook"
    assert rec.depends_on(gateway, istiod)


def test_hosts_come_from_stack_config(dev: Any) -> None:
    configured = stack_config("dev")["mesh-https:gateway"]["hosts"]
    assert exports(dev)["hosts"] == configured


def test_every_configured_host_verifies_against_the_exported_ca(dev: Any) -> None:
    rec, _ = dev
    out = exports(dev)
    with GatewayTlsServer(rec, rec.one(kind="Gateway")) as server:
        for host in out["hosts"]:
            result = handshake(server.port, host, out["caCertPem"])
            assert result.peer_subject == ((("commonName", host),),)


def test_mesh_ca_is_plugged_in_before_istiod_from_the_same_root(dev: Any) -> None:
    rec, _ = dev
    out = exports(dev)
    cacerts = rec.one(kind="Secret", object_name="cacerts")
    assert cacerts.namespace == "istio-system"
    data = secret_data(cacerts)
    assert set(data) == {"ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"}
    assert cacerts.is_secret("stringData")
    istiod = rec.one("kubernetes:helm.sh/v3:Release", name="istio-istiod")
    assert rec.depends_on(istiod, cacerts)
    root = x509.load_pem_x509_certificate(out["caCertPem"].encode())
    assert x509.load_pem_x509_certificate(data["root-cert.pem"].encode()) == root
    mesh = x509.load_pem_x509_certificate(data["ca-cert.pem"].encode())
    mesh.verify_directly_issued_by(root)


def test_no_private_key_is_in_plain_text_anywhere(dev: Any) -> None:
    rec, resolved = dev
    assert rec.plaintext_private_keys() == []
    for name, value in resolved.items():
        if "PRIVATE KEY" in str(value.value) or name == "kubeconfig":
            assert value.secret, f"export {name} carries credentials and must be secret"


def test_app_namespace_is_enrolled_and_runs_both_versions(dev: Any) -> None:
    rec, _ = dev
    namespace: RecordedResource = rec.one(kind="Namespace", object_name="demo")
    assert namespace.metadata["labels"]["istio-injection"] == "enabled"
    versions = sorted(
        d.spec["template"]["metadata"]["labels"]["version"] for d in rec.kinds("Deployment")
    )
    assert versions == ["v1", "v2"]
    assert rec.one(kind="Service", object_name="helloworld").spec["ports"][0]["name"] == "http"


def test_smoke_test_targets_the_kind_host_port(dev: Any) -> None:
    out = exports(dev)
    assert "--resolve hello.mesh-https.test:443:127.0.0.1" in out["smokeTest"]
