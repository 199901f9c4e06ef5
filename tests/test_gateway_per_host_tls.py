"""Per-host TLS on one HttpsGateway: each certificate's hosts have their own mode, client CA
and accepted client SANs. Proven by what is emitted and by real handshakes against the test
kit's TLS server, which verifies clients the way Envoy does."""

from __future__ import annotations

import ssl
from typing import Any

import pytest
from cryptography import x509

from mesh_https.https_gateway import HttpsGateway
from mesh_https.pki import CertificateAuthority, client_certificate
from mesh_https.testing import GatewayTlsServer, MockSession, Recording, handshake, secret_data
from mesh_https.testing._handshake import san_accepted

BASE: dict[str, Any] = {"gateway_namespace": "istio-ingress", "selector": {"istio": "ingress"}}


def _servers(rec: Recording) -> dict[str, dict[str, Any]]:
    """The 443 servers by their first host."""
    servers = rec.one(kind="Gateway").spec["servers"]
    return {s["hosts"][0]: s for s in servers if s["port"]["number"] == 443}


def _client(session: MockSession, name: str, issuer: Any, cn: str, sans: list[str] | None) -> Any:
    leaf = client_certificate(name, issuer, cn, dns_names=sans)
    return session.value(leaf.full_chain_pem), session.value(leaf.private_key_pem)


@pytest.fixture
def mixed(mesh_session: MockSession) -> Any:
    """One gateway: SIMPLE, MUTUAL with accepted SANs and a partner CA, OPTIONAL_MUTUAL,
    and PASSTHROUGH, each for its own host."""
    partners = CertificateAuthority("partners", {"protect_root": False})
    partner_ca = mesh_session.value(partners.root_cert_pem)
    gateway = HttpsGateway(
        "edge",
        {
            **BASE,
            "certificates": [
                {"hosts": ["www.example.com"], "mode": "SIMPLE"},
                {
                    "hosts": ["partners.example.com"],
                    "mode": "MUTUAL",
                    "client_ca_cert_pem": partner_ca,
                    "client_subject_alt_names": ["acme.partners.example.com"],
                },
                {"hosts": ["api.example.com"], "mode": "OPTIONAL_MUTUAL"},
                {"hosts": ["db.example.com"], "mode": "PASSTHROUGH"},
            ],
        },
    )
    rec = mesh_session.settle()
    return gateway, rec, partners


def test_each_host_gets_its_own_server_mode_and_client_settings(
    mesh_session: MockSession, mixed: Any
) -> None:
    gateway, rec, partners = mixed
    servers = _servers(rec)
    assert {host: s["tls"]["mode"] for host, s in servers.items()} == {
        "www.example.com": "SIMPLE",
        "partners.example.com": "MUTUAL",
        "api.example.com": "OPTIONAL_MUTUAL",
        "db.example.com": "PASSTHROUGH",
    }
    assert servers["partners.example.com"]["tls"]["subjectAltNames"] == [
        "acme.partners.example.com"
    ]
    assert "subjectAltNames" not in servers["api.example.com"]["tls"]
    assert servers["db.example.com"]["port"]["protocol"] == "TLS"
    names = [s["port"]["name"] for s in servers.values()]
    assert len(set(names)) == len(names), "port names are unique in a Gateway"
    # Each mutual host's secret holds its own client CA; SIMPLE's holds none.
    secrets = {s.object_name: secret_data(s) for s in rec.kinds("Secret")}
    assert "ca.crt" not in secrets["edge-www-example-com-tls"]
    partner_root = mesh_session.value(partners.root_cert_pem).strip()
    assert secrets["edge-partners-example-com-tls"]["ca.crt"].strip() == partner_root
    own = secrets["edge-api-example-com-tls"]["ca.crt"]
    assert partner_root not in own
    client = x509.load_pem_x509_certificates(mesh_session.value(gateway.client_cert_pem).encode())
    assert client[-1].issuer in {c.subject for c in x509.load_pem_x509_certificates(own.encode())}
    assert "db.example.com" not in str(secrets), "PASSTHROUGH has no secret"


def served(port: int, host: str, ca: str, client: tuple[str, str] | None = None) -> bool:
    """Whether a real handshake for ``host`` (with ``client``'s certificate and key, if any)
    gets the server's answer, or is refused."""
    pems = {"client_cert_pem": client[0], "client_key_pem": client[1]} if client else {}
    try:
        return handshake(port, host, ca, **pems).response.startswith(b"HTTP/1.1 200")
    except ssl.SSLError:
        return False


def test_mixed_modes_handshake_as_configured(mesh_session: MockSession, mixed: Any) -> None:
    gateway, rec, partners = mixed
    ca = mesh_session.value(gateway.ca_cert_pem)
    own = (
        mesh_session.value(gateway.client_cert_pem),
        mesh_session.value(gateway.client_private_key_pem),
    )
    acme = _client(mesh_session, "acme", partners.issuer(), "acme", ["acme.partners.example.com"])
    with GatewayTlsServer(rec, rec.one(kind="Gateway")) as server:
        assert served(server.port, "www.example.com", ca), "SIMPLE: no client certificate"
        # MUTUAL: none, or one from the wrong CA, is refused; the partner's is accepted.
        assert not served(server.port, "partners.example.com", ca)
        assert not served(server.port, "partners.example.com", ca, own)
        assert served(server.port, "partners.example.com", ca, acme)


def test_optional_mutual_with_and_without_a_client_certificate(
    mesh_session: MockSession, mixed: Any
) -> None:
    gateway, rec, partners = mixed
    ca = mesh_session.value(gateway.ca_cert_pem)
    own = (
        mesh_session.value(gateway.client_cert_pem),
        mesh_session.value(gateway.client_private_key_pem),
    )
    stranger = _client(mesh_session, "stranger", partners.issuer(), "x", None)
    with GatewayTlsServer(rec, rec.one(kind="Gateway")) as server:
        assert served(server.port, "api.example.com", ca), "no certificate is allowed"
        assert served(server.port, "api.example.com", ca, own)
        # A certificate that is presented is verified: one from another CA is refused.
        assert not served(server.port, "api.example.com", ca, stranger)


def test_a_client_san_is_accepted_and_another_refused(
    mesh_session: MockSession, mixed: Any
) -> None:
    gateway, rec, partners = mixed
    ca = mesh_session.value(gateway.ca_cert_pem)
    issuer = partners.issuer()
    right = _client(mesh_session, "right", issuer, "r", ["acme.partners.example.com"])
    wrong = _client(mesh_session, "wrong", issuer, "w", ["evil.partners.example.com"])
    no_san = _client(mesh_session, "nosan", issuer, "acme.partners.example.com", None)
    with GatewayTlsServer(rec, rec.one(kind="Gateway")) as server:
        assert served(server.port, "partners.example.com", ca, right)
        # Same CA, valid chain, but a SAN not listed: refused, as Envoy refuses it.
        assert not served(server.port, "partners.example.com", ca, wrong)
        # The subject CN is not a SAN: Envoy's SAN match never looks at it.
        assert not served(server.port, "partners.example.com", ca, no_san)


@pytest.mark.parametrize(
    ("sans", "accepted", "expected"),
    [
        ((("DNS", "a.example.com"),), ("a.example.com",), True),
        ((("DNS", "b.example.com"),), ("a.example.com",), False),
        ((("URI", "spiffe://td/ns/a/sa/b"),), ("spiffe://td/ns/a/sa/b",), True),
        ((("email", "ops@example.com"),), ("ops@example.com",), True),
        ((("IP Address", "10.0.0.1"),), ("10.0.0.1",), True),
        ((("DNS", "*.example.com"),), ("a.example.com",), True),
        ((("DNS", "*.example.com"),), ("a.b.example.com",), False),
        ((("DNS", "a.example.com"),), ("*.example.com",), False),
        ((), ("a.example.com",), False),
        ((("DNS", "anything"),), (), True),
    ],
)
def test_san_matching_follows_envoy(sans: Any, accepted: Any, expected: bool) -> None:
    assert san_accepted({"subjectAltName": sans}, accepted) is expected
