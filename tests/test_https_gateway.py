"""HttpsGateway: the secrets, the Gateway, its outputs, real handshakes, and bad input."""

from __future__ import annotations

import copy
import datetime as dt
import ssl
from typing import Any

import pulumi
import pytest
from conftest import ca_pem
from cryptography import x509

from mesh_https import ValidationError
from mesh_https.https_gateway import LOAD_BALANCER_JSONPATH, HttpsGateway
from mesh_https.pki import CertificateAuthority, client_certificate, server_certificate
from mesh_https.testing import (
    GatewayTlsServer,
    MockSession,
    Recording,
    handshake,
    secret_data,
)

BASE: dict[str, Any] = {"gateway_namespace": "istio-ingress", "selector": {"istio": "ingress"}}
CA = ca_pem("clients")
KIND_INGRESS: Any = {"address": "127.0.0.1", "ports": {"http": 80, "https": 443}}


def build(session: MockSession, **args: Any) -> tuple[HttpsGateway, Recording]:
    gateway = HttpsGateway("web", {**BASE, **args})
    return gateway, session.settle()


def servers(rec: Recording) -> list[dict[str, Any]]:
    return list(rec.one(kind="Gateway").spec["servers"])


# ----------------------------------------------------------------------------- what it emits


def test_simple_gateway_secret_and_servers(mesh_session: MockSession) -> None:
    gateway, rec = build(mesh_session, hosts=["app.example.com", "api.example.com"])
    secret = rec.one(kind="Secret")
    assert secret.namespace == "istio-ingress", "credentialName is read in the gateway's namespace"
    assert secret.inputs["type"] == "kubernetes.io/tls"
    assert set(secret_data(secret)) == {"tls.crt", "tls.key"}
    assert secret.is_secret("stringData")
    http, https = servers(rec)
    assert http == {
        "port": {"number": 80, "name": "http", "protocol": "HTTP"},
        "hosts": ["api.example.com", "app.example.com"],
        "tls": {"httpsRedirect": True},
    }
    assert https == {
        "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
        "hosts": ["app.example.com", "api.example.com"],
        "tls": {
            "mode": "SIMPLE",
            "credentialName": "web-shared-tls",
            "minProtocolVersion": "TLSV1_2",
        },
    }
    gw = rec.one(kind="Gateway")
    assert gw.api_version == "networking.istio.io/v1" and gw.namespace == "istio-ingress"
    assert gw.spec["selector"] == {"istio": "ingress"}
    assert rec.depends_on(gw, secret)
    assert mesh_session.value(gateway.gateway_ref) == "istio-ingress/web"
    assert mesh_session.value(gateway.secret_names) == ["web-shared-tls"]
    assert mesh_session.value(gateway.hosts) == ["app.example.com", "api.example.com"]
    assert mesh_session.value(gateway.client_cert_pem) == ""


def test_per_host_grouping_gives_one_sni_server_per_certificate(mesh_session: MockSession) -> None:
    _, rec = build(mesh_session, hosts=["b.example.com", "a.example.com"], grouping="per_host")
    https = servers(rec)[1:]
    assert [s["hosts"] for s in https] == [["a.example.com"], ["b.example.com"]]
    assert [s["port"]["name"] for s in https] == ["https-a-example-com", "https-b-example-com"]
    assert {s["tls"]["credentialName"] for s in https} == {
        "web-a-example-com-tls",
        "web-b-example-com-tls",
    }
    assert len(rec.kinds("Secret")) == 2


def test_reordering_hosts_replaces_nothing(mesh_session: MockSession) -> None:
    _, rec = build(mesh_session, hosts=["a.example.com", "b.example.com"], grouping="per_host")
    names = sorted(r.name for r in rec)
    spec = rec.one(kind="Gateway").spec
    with MockSession() as other:
        HttpsGateway(
            "web", {**BASE, "hosts": ["b.example.com", "a.example.com"], "grouping": "per_host"}
        )
        again = other.settle()
        assert sorted(r.name for r in again) == names
        assert again.one(kind="Gateway").spec == spec


def test_options_reach_the_server_tls(mesh_session: MockSession) -> None:
    suites = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"]
    _, rec = build(
        mesh_session, hosts=["a.example.com"], cipher_suites=suites, https_redirect=False
    )
    (https,) = servers(rec)
    assert https["tls"]["cipherSuites"] == suites
    with MockSession() as other:
        HttpsGateway("web", {**BASE, "hosts": ["a.example.com"], "min_tls_version": "TLSV1_3"})
        (_, tls13) = other.settle().one(kind="Gateway").spec["servers"]
        assert tls13["tls"]["minProtocolVersion"] == "TLSV1_3"


def test_mutual_trusts_a_client_ca_of_its_own_and_issues_a_client(
    mesh_session: MockSession,
) -> None:
    ca = CertificateAuthority("pki", {"intermediate": True})
    gateway, rec = build(mesh_session, hosts=["a.example.com"], mode="MUTUAL", issuer=ca.issuer())
    data = secret_data(rec.one(kind="Secret"))
    assert set(data) == {"ca.crt", "tls.crt", "tls.key"}
    bundle = x509.load_pem_x509_certificates(data["ca.crt"].encode())
    root = x509.load_pem_x509_certificate(mesh_session.value(ca.root_cert_pem).encode())
    # The server certificates' issuer cannot mint clients: the gateway has a client CA.
    assert root not in bundle
    client_ca = rec.one("mesh-https:index:CertificateAuthority", name="web-client-ca")
    assert rec.parent_of(client_ca) is rec.one("mesh-https:index:HttpsGateway")
    client = x509.load_pem_x509_certificates(mesh_session.value(gateway.client_cert_pem).encode())
    assert client[0].subject.rfc4514_string() == "CN=client"
    assert client[-1].issuer in {c.subject for c in bundle}
    assert mesh_session.resolve(gateway.client_private_key_pem).secret
    assert servers(rec)[1]["tls"]["mode"] == "MUTUAL"


def test_a_given_client_issuer_signs_the_client_and_is_trusted(mesh_session: MockSession) -> None:
    clients = CertificateAuthority("clients", {"protect_root": False})
    gateway, rec = build(
        mesh_session,
        hosts=["a.example.com"],
        mode="OPTIONAL_MUTUAL",
        client_issuer=clients.issuer(),
        client_common_name="robot.example.com",
    )
    bundle = secret_data(rec.one(kind="Secret"))["ca.crt"]
    assert mesh_session.value(clients.root_cert_pem).strip() in bundle
    client = x509.load_pem_x509_certificate(mesh_session.value(gateway.client_cert_pem).encode())
    sans = client.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["robot.example.com"]
    # The given client issuer serves: the gateway makes no client CA of its own.
    assert not rec.find("mesh-https:index:CertificateAuthority", name="web-client-ca")


def test_passthrough_has_no_secret_and_a_tls_server(mesh_session: MockSession) -> None:
    gateway, rec = build(mesh_session, hosts=["db.example.com"], mode="PASSTHROUGH")
    assert rec.kinds("Secret") == []
    assert not rec.find("tls:index/privateKey:PrivateKey"), "no certificate is made"
    (_, tls) = servers(rec)
    assert tls == {
        "port": {"number": 443, "name": "tls", "protocol": "TLS"},
        "hosts": ["db.example.com"],
        "tls": {"mode": "PASSTHROUGH"},
    }
    assert mesh_session.value(gateway.secret_names) == []


def test_own_ca_when_no_issuer(mesh_session: MockSession) -> None:
    gateway, rec = build(mesh_session, hosts=["a.example.com"])
    own = rec.one("mesh-https:index:CertificateAuthority")
    assert rec.parent_of(own) is rec.one("mesh-https:index:HttpsGateway")
    ca = mesh_session.value(gateway.ca_cert_pem)
    assert ca == own.outputs.get("root_cert_pem") or "BEGIN CERTIFICATE" in ca


def test_expiry_is_exported_per_secret(mesh_session: MockSession) -> None:
    gateway, _ = build(
        mesh_session, hosts=["a.example.com"], validity_hours=240, early_renewal_hours=48
    )
    expiry = mesh_session.value(gateway.expiry)
    assert list(expiry) == ["web-shared-tls"]
    when = dt.datetime.fromisoformat(expiry["web-shared-tls"].replace("Z", "+00:00"))
    assert dt.timedelta(hours=239) < when - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=240)


def test_depends_on_input_orders_secrets_and_gateway(mesh_session: MockSession) -> None:
    import pulumi_kubernetes as k8s

    first = k8s.core.v1.Namespace("ns", metadata={"name": "istio-ingress"})
    HttpsGateway("web", {**BASE, "hosts": ["a.example.com"], "depends_on": [first]})
    rec = mesh_session.settle()
    namespace = rec.one(kind="Namespace")
    assert rec.depends_on(rec.one(kind="Secret"), namespace)
    assert rec.depends_on(rec.one(kind="Gateway"), namespace)


def test_smoke_test_on_kind_uses_loopback_and_the_host_port(mesh_session: MockSession) -> None:
    gateway, _ = build(mesh_session, hosts=["app.example.com"], local_ingress=KIND_INGRESS)
    resolved = mesh_session.resolve(gateway.smoke_test)
    command = resolved.value
    assert not resolved.secret, "no key inside: nothing to hide"
    assert command.startswith("(") and command.endswith("https://app.example.com/)")
    assert "--resolve app.example.com:443:127.0.0.1" in command
    assert mesh_session.value(gateway.ca_cert_pem).strip() in command
    assert "--cert" not in command
    with MockSession() as other:
        alt = HttpsGateway(
            "web",
            {
                **BASE,
                "hosts": ["app.example.com"],
                "local_ingress": {"address": "127.0.0.1", "ports": {"http": 8080, "https": 8443}},
            },
        )
        cmd = other.value(alt.smoke_test)
        assert "--resolve app.example.com:8443:127.0.0.1" in cmd
        assert cmd.endswith("https://app.example.com:8443/)")


def test_smoke_test_elsewhere_asks_the_load_balancer(mesh_session: MockSession) -> None:
    gateway, _ = build(mesh_session, hosts=["app.example.com"], mode="MUTUAL")
    resolved = mesh_session.resolve(gateway.smoke_test)
    command = resolved.value
    assert "kubectl -n istio-ingress get svc -l istio=ingress" in command
    assert LOAD_BALANCER_JSONPATH in command
    assert '--connect-to "app.example.com:443:$address:443"' in command
    # The client certificate and key go to private files the command then uses.
    assert '--cert "$d/client.crt" --key "$d/client.key"' in command
    assert mesh_session.value(gateway.client_private_key_pem).strip() in command
    assert resolved.secret, "it holds the client key"


# ---------------------------------------------------------------------------- brought certs


def _pem_pair(session: MockSession, hosts: list[str]) -> tuple[str, str, str]:
    ca = CertificateAuthority("byo-ca")
    leaf = server_certificate("byo", ca.issuer(), hosts)
    return (
        session.value(leaf.full_chain_pem),
        session.value(leaf.private_key_pem),
        session.value(ca.root_cert_pem),
    )


def test_bring_your_own_pem(mesh_session: MockSession) -> None:
    chain, key, root = _pem_pair(mesh_session, ["a.example.com"])
    with MockSession() as session:
        gateway = HttpsGateway(
            "web",
            {
                **BASE,
                "certificates": [
                    {"hosts": ["a.example.com"], "cert_pem": chain, "private_key_pem": key}
                ],
                "ca_cert_pem": root,
            },
        )
        rec = session.settle()
        assert not rec.find("tls:index/privateKey:PrivateKey"), "nothing generated"
        secret = rec.one(kind="Secret")
        assert secret_data(secret) == {"tls.crt": chain, "tls.key": key}
        assert secret.is_secret("stringData", "tls.key")
        assert session.value(gateway.ca_cert_pem) == root
        assert rec.plaintext_private_keys() == []


def test_bring_your_own_secret_with_mutual(mesh_session: MockSession) -> None:
    _, _, root = _pem_pair(mesh_session, ["a.example.com"])
    with MockSession() as session:
        gateway = HttpsGateway(
            "web",
            {
                **BASE,
                "certificates": [{"hosts": ["a.example.com"], "existing_secret": "corp-tls"}],
                "mode": "MUTUAL",
                "client_ca_cert_pem": root,
            },
        )
        rec = session.settle()
        (cacert,) = rec.kinds("Secret")
        assert cacert.object_name == "corp-tls-cacert"
        assert secret_data(cacert) == {"ca.crt": root}
        assert rec.one(kind="Gateway").spec["servers"][1]["tls"]["credentialName"] == "corp-tls"
        assert session.value(gateway.secret_names) == ["corp-tls"]


# ------------------------------------------------------------------------------ handshakes


@pytest.fixture
def mutual(mesh_session: MockSession) -> dict[str, Any]:
    ca = CertificateAuthority("pki", {"intermediate": True})
    gateway = HttpsGateway(
        "web",
        {
            **BASE,
            "hosts": ["a.example.com", "b.example.com"],
            "grouping": "per_host",
            "mode": "MUTUAL",
            "issuer": ca.issuer(),
        },
    )
    foreign_ca = CertificateAuthority("foreign")
    foreign = client_certificate("intruder", foreign_ca.issuer(), "client")
    rec = mesh_session.settle()
    return {
        "rec": rec,
        "ca": mesh_session.value(gateway.ca_cert_pem),
        "client": (
            mesh_session.value(gateway.client_cert_pem),
            mesh_session.value(gateway.client_private_key_pem),
        ),
        "foreign": (
            mesh_session.value(foreign.cert_pem),
            mesh_session.value(foreign.private_key_pem),
        ),
    }


def serve(rec: Recording) -> GatewayTlsServer:
    return GatewayTlsServer(rec, rec.one(kind="Gateway"))


def test_handshake_right_host_succeeds_and_wrong_host_fails(mesh_session: MockSession) -> None:
    gateway, rec = build(
        mesh_session, hosts=["a.example.com", "b.example.com"], grouping="per_host"
    )
    ca = mesh_session.value(gateway.ca_cert_pem)
    with serve(rec) as server:
        for host in ("a.example.com", "b.example.com"):
            result = handshake(server.port, host, ca)
            assert result.response.startswith(b"HTTP/1.1 200")
            assert result.peer_subject == ((("commonName", host),),)
        with pytest.raises(ssl.SSLError):
            handshake(server.port, "evil.example.com", ca)
        # The certificate served for a.example.com does not cover b.example.com.
        with pytest.raises(ssl.SSLCertVerificationError, match="doesn't match"):
            handshake(server.port, "a.example.com", ca, verify_name="b.example.com")


def test_handshake_chain_through_the_intermediate_verifies(mesh_session: MockSession) -> None:
    ca = CertificateAuthority("pki", {"intermediate": True})
    gateway, rec = build(mesh_session, hosts=["a.example.com"], issuer=ca.issuer())
    root_only = mesh_session.value(ca.root_cert_pem)
    assert mesh_session.value(gateway.ca_cert_pem) == root_only
    with serve(rec) as server:
        assert handshake(server.port, "a.example.com", root_only).version
    # Without the intermediate in tls.crt the same root cannot verify the leaf.
    broken = copy.deepcopy(rec)
    secret = broken.one(kind="Secret")
    leaf_only = x509.load_pem_x509_certificates(secret.inputs["stringData"]["tls.crt"].encode())[0]
    secret.inputs["stringData"]["tls.crt"] = leaf_only.public_bytes(
        __import__(
            "cryptography.hazmat.primitives.serialization"
        ).hazmat.primitives.serialization.Encoding.PEM
    ).decode()
    with serve(broken) as server:
        with pytest.raises(ssl.SSLCertVerificationError):
            handshake(server.port, "a.example.com", root_only)


def test_tls_1_1_client_is_refused_when_the_minimum_is_1_2(mesh_session: MockSession) -> None:
    gateway, rec = build(mesh_session, hosts=["a.example.com"])
    ca = mesh_session.value(gateway.ca_cert_pem)
    with serve(rec) as server:
        with pytest.raises(ssl.SSLError):
            handshake(
                server.port, "a.example.com", ca, max_version="TLSV1_1", relax_client_policy=True
            )
        assert (
            handshake(server.port, "a.example.com", ca, max_version="TLSV1_2").version == "TLSv1.2"
        )
    # Control: the same client is accepted once the Gateway's minimum is lowered, so the
    # refusal above is the Gateway's setting and not this machine's OpenSSL policy.
    lowered = copy.deepcopy(rec)
    lowered.one(kind="Gateway").spec["servers"][1]["tls"]["minProtocolVersion"] = "TLSV1_1"
    with serve(lowered) as server:
        result = handshake(
            server.port, "a.example.com", ca, max_version="TLSV1_1", relax_client_policy=True
        )
        assert result.version == "TLSv1.1"


def test_tls_1_3_minimum_refuses_tls_1_2(mesh_session: MockSession) -> None:
    gateway, rec = build(mesh_session, hosts=["a.example.com"], min_tls_version="TLSV1_3")
    ca = mesh_session.value(gateway.ca_cert_pem)
    with serve(rec) as server:
        with pytest.raises(ssl.SSLError):
            handshake(server.port, "a.example.com", ca, max_version="TLSV1_2")
        assert handshake(server.port, "a.example.com", ca).version == "TLSv1.3"


def test_cipher_suites_are_enforced(mesh_session: MockSession) -> None:
    suite = "ECDHE-ECDSA-CHACHA20-POLY1305"
    gateway, rec = build(mesh_session, hosts=["a.example.com"], cipher_suites=[suite])
    ca = mesh_session.value(gateway.ca_cert_pem)
    with serve(rec) as server:
        assert handshake(server.port, "a.example.com", ca, max_version="TLSV1_2").cipher == suite


def test_mutual_requires_a_client_certificate(mutual: dict[str, Any]) -> None:
    with serve(mutual["rec"]) as server:
        with pytest.raises(ssl.SSLError):
            handshake(server.port, "a.example.com", mutual["ca"])


def test_mutual_accepts_the_issued_client(mutual: dict[str, Any]) -> None:
    cert, key = mutual["client"]
    with serve(mutual["rec"]) as server:
        result = handshake(
            server.port, "b.example.com", mutual["ca"], client_cert_pem=cert, client_key_pem=key
        )
        assert result.response.startswith(b"HTTP/1.1 200")


def test_mutual_refuses_a_client_from_a_foreign_ca(mutual: dict[str, Any]) -> None:
    cert, key = mutual["foreign"]
    with serve(mutual["rec"]) as server:
        with pytest.raises(ssl.SSLError):
            handshake(
                server.port, "a.example.com", mutual["ca"], client_cert_pem=cert, client_key_pem=key
            )


def test_no_key_material_in_plain_text(mutual: dict[str, Any]) -> None:
    assert mutual["rec"].plaintext_private_keys() == []


# ------------------------------------------------------------------------------- bad input


def _byo(session: MockSession) -> dict[str, Any]:
    chain, key, root = _pem_pair(session, ["a.example.com"])
    _, other_key, _ = _pem_pair(session, ["a.example.com"])
    return {"chain": chain, "key": key, "root": root, "other_key": other_key}


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"hosts": []}, "hosts", "at least one"),
    ({}, "hosts", "give one"),
    ({"hosts": ["Bad Host"]}, "hosts[0]", "DNS name"),
    ({"hosts": ["*.example.com"]}, "hosts[0]", "allow_wildcards=True"),
    (
        {"certificates": [{"hosts": ["a.example.com"]}, {"hosts": ["a.example.com"]}]},
        "certificates[1].hosts[0]",
        "exactly one certificate",
    ),
    ({"hosts": ["a.example.com", "a.example.com"]}, "hosts[1]", "exactly one certificate"),
    (
        {"hosts": ["a.example.com"], "mode": "STRICT"},
        "mode",
        "'SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL', 'PASSTHROUGH'",
    ),
    ({"hosts": ["a.example.com"], "min_tls_version": "TLSV1_1"}, "min_tls_version", "below 1.2"),
    ({"hosts": ["a.example.com"], "min_tls_version": "TLSV1_0"}, "min_tls_version", "below 1.2"),
    ({"hosts": ["a.example.com"], "min_tls_version": "TLS_AUTO"}, "min_tls_version", "below 1.2"),
    ({"hosts": ["a.example.com"], "cipher_suites": ["RC4-SHA"]}, "cipher_suites[0]", "valid:"),
    (
        {"hosts": ["a.example.com"], "min_tls_version": "TLSV1_3", "cipher_suites": ["AES128-SHA"]},
        "cipher_suites",
        "only apply to TLS 1.2",
    ),
    (
        {"hosts": ["a.example.com"], "validity_hours": 720, "early_renewal_hours": 720},
        "validity_hours",
        "renewal window",
    ),
    (
        {"hosts": ["a.example.com"], "key": {"algorithm": "RSA", "rsa_bits": 1024}},
        "key.rsa_bits",
        "2048",
    ),
    (
        {"hosts": ["a.example.com"], "key": {"algorithm": "ECDSA", "ecdsa_curve": "P224"}},
        "key.ecdsa_curve",
        "'P256', 'P384'",
    ),
    (
        {
            "certificates": [{"hosts": ["a.example.com"], "client_subject_alt_names": ["c"]}],
            "mode": "SIMPLE",
        },
        "certificates[0].client_subject_alt_names",
        "only applies to modes MUTUAL or OPTIONAL_MUTUAL",
    ),
    (
        {
            "certificates": [
                {"hosts": ["a.example.com"], "mode": "MUTUAL"},
                {"hosts": ["b.example.com"], "mode": "PASSTHROUGH", "client_ca_cert_pem": CA},
            ],
        },
        "certificates[1].client_ca_cert_pem",
        "mode is 'PASSTHROUGH'",
    ),
    (
        {"hosts": ["a.example.com"], "mode": "MUTUAL", "client_subject_alt_names": ["a, b"]},
        "client_subject_alt_names[0]",
        "without spaces around it or commas",
    ),
    (
        {
            "hosts": ["a.example.com"],
            "mode": "MUTUAL",
            "client_ca_cert_pem": CA,
            "client_issuer": {
                "root_cert_pem": CA,
                "cert_pem": CA,
                "private_key_pem": "k",
                "chain_pem": "",
            },
        },
        "client_issuer",
        "both set",
    ),
    (
        {
            "certificates": [
                {"hosts": ["a.example.com"], "mode": "MUTUAL", "client_ca_cert_pem": CA}
            ],
            "client_common_name": "c",
        },
        "client_common_name",
        "not issued",
    ),
    (
        {
            "certificates": [{"hosts": ["a.example.com"], "existing_secret": "s"}],
            "mode": "PASSTHROUGH",
        },
        "certificates[0]",
        "PASSTHROUGH",
    ),
    (
        {"hosts": ["a.example.com"], "mode": "PASSTHROUGH", "min_tls_version": "TLSV1_3"},
        "min_tls_version",
        "PASSTHROUGH",
    ),
    (
        {"hosts": ["a.example.com"], "client_common_name": "x"},
        "client_common_name",
        "no certificate has one",
    ),
    ({"hosts": ["a.example.com"], "grouping": "per_cert"}, "grouping", "'shared', 'per_host'"),
    (
        {"hosts": ["a.example.com"], "gateway_namespace": "Istio_Ingress"},
        "gateway_namespace",
        "DNS-1123",
    ),
]


@pytest.mark.parametrize(("args", "field", "words"), BAD)
def test_bad_input(mesh_session: MockSession, args: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ValidationError) as err:
        HttpsGateway("web", {**BASE, **args})
    assert (err.value.component, err.value.field) == ("HttpsGateway", field)
    assert words in str(err.value)
    assert len(mesh_session.settle()) == 0


def test_missing_namespace_or_selector(mesh_session: MockSession) -> None:
    with pytest.raises(ValidationError, match="`gateway_namespace` is missing"):
        HttpsGateway("web", {"selector": {"istio": "ingress"}, "hosts": ["a.example.com"]})
    with pytest.raises(ValidationError, match="`selector` is missing"):
        HttpsGateway("web", {"gateway_namespace": "x", "hosts": ["a.example.com"]})


def test_passthrough_with_a_certificate_is_rejected(mesh_session: MockSession) -> None:
    pems = _byo(mesh_session)
    certificate = {
        "hosts": ["a.example.com"],
        "cert_pem": pems["chain"],
        "private_key_pem": pems["key"],
    }
    with pytest.raises(ValidationError, match="PASSTHROUGH leaves TLS to the backend"):
        HttpsGateway("web", {**BASE, "certificates": [certificate], "mode": "PASSTHROUGH"})


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (
            lambda p: {"cert_pem": "not a pem", "private_key_pem": p["key"]},
            "cert_pem",
            "does not parse",
        ),
        (
            lambda p: {"cert_pem": p["chain"], "private_key_pem": "garbage"},
            "private_key_pem",
            "does not parse",
        ),
        (
            lambda p: {"cert_pem": p["chain"], "private_key_pem": p["other_key"]},
            "private_key_pem",
            "does not match",
        ),
        (lambda p: {"cert_pem": p["chain"]}, "certificates[0]", "needs both"),
    ],
)
def test_brought_pem_is_checked(
    mesh_session: MockSession, mutate: Any, field: str, words: str
) -> None:
    pems = _byo(mesh_session)
    certificate = {"hosts": ["a.example.com"], **mutate(pems)}
    with pytest.raises(ValidationError) as err:
        HttpsGateway("web", {**BASE, "certificates": [certificate]})
    assert err.value.field.endswith(field)
    assert words in str(err.value)


def test_brought_pem_must_cover_its_hosts(mesh_session: MockSession) -> None:
    pems = _byo(mesh_session)
    certificate = {
        "hosts": ["other.example.com"],
        "cert_pem": pems["chain"],
        "private_key_pem": pems["key"],
    }
    with pytest.raises(ValidationError, match="does not cover"):
        HttpsGateway("web", {**BASE, "certificates": [certificate]})


def test_facts_from_istio_install_are_accepted(mesh_session: MockSession) -> None:
    from mesh_https import IstioInstall

    istio = IstioInstall("istio")
    gateway = HttpsGateway(
        "web",
        {
            "gateway_namespace": istio.info.gateway_namespace,
            "selector": istio.gateway_selector,
            "hosts": ["a.example.com"],
            "depends_on": [istio],
        },
    )
    rec = mesh_session.settle()
    gw = rec.one(kind="Gateway")
    assert gw.spec["selector"] == {"istio": "ingress"}
    assert rec.depends_on(gw, rec.one("mesh-https:index:IstioInstall"))
    assert mesh_session.value(gateway.gateway_ref) == "istio-ingress/web"
    assert isinstance(gateway.gateway_ref, pulumi.Output)


# ------------------------------------------------- inputs each valid, together contradictory

WORKLOADS = [
    {"namespace": "istio-ingress", "selector": {"istio": "ingress"}},
    {"namespace": "istio-egress", "selector": {"istio": "egress"}},
]


@pytest.mark.parametrize(
    "selector",
    [{"istio": "ingress"}, {"istio": "ingress", "app": "istio-ingress"}],
    ids=["its-selector", "a-label-not-known-to-differ"],
)
def test_a_selector_of_the_installs_workload_is_accepted(
    mesh_session: MockSession, selector: dict[str, str]
) -> None:
    _, rec = build(
        mesh_session, hosts=["a.example.com"], selector=selector, installed_gateways=WORKLOADS
    )
    assert rec.one(kind="Gateway").spec["selector"] == dict(sorted(selector.items()))


def test_a_selector_output_is_checked_against_the_workloads_before_the_gateway(
    mesh_session: MockSession,
) -> None:
    HttpsGateway(
        "web",
        {
            **BASE,
            "hosts": ["a.example.com"],
            "selector": pulumi.Output.from_input({"istio": "ingressgateway"}),
            "installed_gateways": WORKLOADS,
        },
    )
    with pytest.raises(ValidationError, match="selects none of the install's gateway workloads"):
        mesh_session.settle()
    assert not mesh_session.recording.find(kind="Gateway"), "the Gateway is never registered"


def test_an_empty_selector_output_never_reaches_the_gateway(mesh_session: MockSession) -> None:
    HttpsGateway(
        "web", {**BASE, "hosts": ["a.example.com"], "selector": pulumi.Output.from_input({})}
    )
    with pytest.raises(ValidationError, match=r"HttpsGateway: `selector` is \{\}; it must name"):
        mesh_session.settle()
    assert not mesh_session.recording.find(kind="Gateway")


def test_a_known_selector_output_passes(mesh_session: MockSession) -> None:
    _, rec = build(
        mesh_session,
        hosts=["a.example.com"],
        selector=pulumi.Output.from_input({"istio": "ingress"}),
        installed_gateways=WORKLOADS,
    )
    assert rec.one(kind="Gateway").spec["selector"] == {"istio": "ingress"}


def test_cipher_suites_for_each_key_type_present_are_accepted(mesh_session: MockSession) -> None:
    rsa_chain, rsa_key, _ = _rsa_pem_pair(mesh_session, ["b.example.com"])
    suites = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"]
    with MockSession() as session:
        HttpsGateway(
            "web",
            {
                **BASE,
                "certificates": [
                    {"hosts": ["a.example.com"]},
                    {"hosts": ["b.example.com"], "cert_pem": rsa_chain, "private_key_pem": rsa_key},
                ],
                "cipher_suites": suites,
            },
        )
        tls = [s["tls"] for s in servers(session.settle()) if s["port"]["number"] == 443]
    assert [t["cipherSuites"] for t in tls] == [suites, suites]


def test_an_existing_secret_that_cannot_be_read_passes_the_cipher_check(
    mesh_session: MockSession,
) -> None:
    _, rec = build(
        mesh_session,
        certificates=[{"hosts": ["a.example.com"], "existing_secret": "corp-tls"}],
        cipher_suites=["AES256-GCM-SHA384"],
    )
    assert servers(rec)[1]["tls"]["cipherSuites"] == ["AES256-GCM-SHA384"]


def test_mutual_on_an_existing_secret_with_an_explicit_client_issuer(
    mesh_session: MockSession,
) -> None:
    clients = CertificateAuthority("clients")
    _, rec = build(
        mesh_session,
        certificates=[{"hosts": ["a.example.com"], "existing_secret": "corp-tls"}],
        mode="MUTUAL",
        client_issuer=clients.issuer(),
    )
    cacert = rec.one(kind="Secret", object_name="corp-tls-cacert")
    assert "BEGIN CERTIFICATE" in secret_data(cacert)["ca.crt"]


def _rsa_pem_pair(session: MockSession, hosts: list[str]) -> tuple[str, str, str]:
    ca = CertificateAuthority("rsa-ca")
    leaf = server_certificate("rsa", ca.issuer(), hosts, key={"algorithm": "RSA"})
    return (
        session.value(leaf.full_chain_pem),
        session.value(leaf.private_key_pem),
        session.value(ca.root_cert_pem),
    )


def test_a_wildcard_gateway_serves_routes_one_label_deep(mesh_session: MockSession) -> None:
    from mesh_https import CanaryRoute

    gateway = HttpsGateway("web", {**BASE, "hosts": ["*.example.com"], "allow_wildcards": True})
    subsets = [{"name": "v1", "labels": {"version": "v1"}, "weight": 100}]
    route = {"host": "app", "namespace": "shop", "subsets": subsets}
    target = [gateway.route_target()]
    CanaryRoute("one", {**route, "gateways": target, "external_hosts": ["a.example.com"]})
    with pytest.raises(ValidationError, match="which no gateway serves") as err:
        CanaryRoute("two", {**route, "gateways": target, "external_hosts": ["a.b.example.com"]})
    assert err.value.field == "external_hosts[0]"
