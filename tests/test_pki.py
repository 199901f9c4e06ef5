"""PKI building blocks: real certificates from the registered pulumi-tls inputs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pulumi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mesh_https import ValidationError
from mesh_https.pki import (
    CertificateAuthority,
    client_certificate,
    server_certificate,
)
from mesh_https.testing import MockSession


def cert(session: MockSession, output: pulumi.Output[str]) -> x509.Certificate:
    return x509.load_pem_x509_certificate(session.value(output).encode())


def certs(pem: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem.encode())


def test_root_ca_is_a_p256_signing_ca_with_90_day_validity(mesh_session: MockSession) -> None:
    ca = CertificateAuthority("pki")
    root = cert(mesh_session, ca.root_cert_pem)
    constraints = root.extensions.get_extension_for_class(x509.BasicConstraints).value
    usage = root.extensions.get_extension_for_class(x509.KeyUsage).value
    assert constraints.ca and usage.key_cert_sign and usage.crl_sign
    key = root.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    assert root.not_valid_after_utc - root.not_valid_before_utc == dt.timedelta(days=90)
    rec = mesh_session.settle()
    self_signed = rec.one("tls:index/selfSignedCert:SelfSignedCert")
    assert self_signed.inputs["earlyRenewalHours"] == 720
    assert mesh_session.value(ca.expiry) == self_signed.outputs["validityEndTime"]


def test_no_key_ever_falls_back_to_p224(mesh_session: MockSession) -> None:
    ca = CertificateAuthority("pki", {"intermediate": True, "mesh_ca": True})
    server_certificate("srv", ca.issuer(), ["a.example.com"])
    client_certificate("cli", ca.issuer(), "me")
    keys = mesh_session.settle().find("tls:index/privateKey:PrivateKey")
    assert len(keys) == 5
    for key in keys:
        assert key.inputs["algorithm"] == "ECDSA"
        assert key.inputs["ecdsaCurve"] == "P256", f"{key} must name its curve"


@pytest.mark.parametrize(
    ("key", "check"),
    [
        ({"algorithm": "ECDSA", "ecdsa_curve": "P384"}, lambda k: k.curve.name == "secp384r1"),
        ({"algorithm": "RSA"}, lambda k: k.key_size == 2048),
        ({"algorithm": "RSA", "rsa_bits": 3072}, lambda k: k.key_size == 3072),
        ({"algorithm": "RSA", "rsa_bits": 4096}, lambda k: k.key_size == 4096),
    ],
)
def test_key_options(mesh_session: MockSession, key: Any, check: Any) -> None:
    ca = CertificateAuthority("pki", {"key": key})
    public = cert(mesh_session, ca.root_cert_pem).public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey | rsa.RSAPublicKey)
    assert check(public)


def test_intermediate_chain_verifies_and_is_path_limited(mesh_session: MockSession) -> None:
    ca = CertificateAuthority("pki", {"intermediate": True})
    leaf = server_certificate("srv", ca.issuer(), ["a.example.com", "b.example.com"])
    root = cert(mesh_session, ca.root_cert_pem)
    chain = certs(mesh_session.value(leaf.full_chain_pem))
    assert len(chain) == 2, "tls.crt is the leaf followed by the intermediate"
    server, intermediate = chain
    intermediate.verify_directly_issued_by(root)
    server.verify_directly_issued_by(intermediate)
    assert (
        intermediate.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length
        == 0
    )
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["a.example.com", "b.example.com"]
    usage = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.SERVER_AUTH in usage


def test_client_certificate_is_for_client_auth(mesh_session: MockSession) -> None:
    ca = CertificateAuthority("pki")
    client = client_certificate("cli", ca.issuer(), "payments")
    leaf = cert(mesh_session, client.cert_pem)
    usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]
    assert leaf.subject.rfc4514_string().startswith("CN=payments")
    assert mesh_session.resolve(client.private_key_pem).secret


def test_mesh_ca_is_an_intermediate_of_the_same_root(mesh_session: MockSession) -> None:
    ca = CertificateAuthority("pki", {"mesh_ca": True, "trust_domain": "corp.example"})
    plugged = ca.plugged_ca
    root = cert(mesh_session, ca.root_cert_pem)
    mesh = x509.load_pem_x509_certificate(mesh_session.value(plugged["ca_cert_pem"]).encode())
    mesh.verify_directly_issued_by(root)
    assert mesh.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    sans = mesh.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.UniformResourceIdentifier) == ["spiffe://corp.example"]
    chain = certs(mesh_session.value(plugged["cert_chain_pem"]))
    assert [c.subject for c in chain] == [mesh.subject, root.subject]
    assert mesh_session.value(plugged["root_cert_pem"]) == mesh_session.value(ca.root_cert_pem)
    assert mesh_session.resolve(plugged["ca_key_pem"]).secret


def test_plugged_ca_needs_mesh_ca(mesh_session: MockSession) -> None:
    with pytest.raises(ValidationError, match="mesh_ca=True") as err:
        _ = CertificateAuthority("pki").plugged_ca
    assert (err.value.component, err.value.field) == ("CertificateAuthority", "mesh_ca")
    assert not isinstance(err.value, ValueError)


def test_no_private_key_leaves_a_resource_in_plain_text(mesh_session: MockSession) -> None:
    ca = CertificateAuthority("pki", {"intermediate": True, "mesh_ca": True})
    leaf = server_certificate("srv", ca.issuer(), ["a.example.com"])
    rec = mesh_session.settle()
    assert rec.plaintext_private_keys() == []
    for output in (ca.private_key_pem, leaf.private_key_pem, ca.issuer()["private_key_pem"]):
        assert mesh_session.resolve(output).secret


def test_leak_scan_finds_a_plain_key(mesh_session: MockSession) -> None:
    import pulumi_kubernetes as k8s

    ca = CertificateAuthority("pki")
    k8s.core.v1.ConfigMap("oops", data={"key": ca.private_key_pem.apply(lambda k: k)})
    k8s.core.v1.ConfigMap("leak", data={"key": pulumi.Output.unsecret(ca.private_key_pem)})
    leaks = mesh_session.settle().plaintext_private_keys()
    assert leaks == [
        "kubernetes:core/v1:ConfigMap/leak inputs.data.key",
        "kubernetes:core/v1:ConfigMap/leak outputs.data.key",
    ]


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        (
            {"key": {"algorithm": "RSA", "rsa_bits": 1024}},
            "key.rsa_bits",
            "one of 2048, 3072, 4096",
        ),
        (
            {"key": {"algorithm": "ECDSA", "ecdsa_curve": "P224"}},
            "key.ecdsa_curve",
            "'P256', 'P384'",
        ),
        (
            {"key": {"algorithm": "ECDSA", "ecdsa_curve": "P521"}},
            "key.ecdsa_curve",
            "'P256', 'P384'",
        ),
        ({"key": {"algorithm": "ED25519"}}, "key.algorithm", "'ECDSA', 'RSA'"),
        ({"key": {"rsa_bits": 4096}}, "key.rsa_bits", "only used with algorithm 'RSA'"),
        ({"validity_hours": 720, "early_renewal_hours": 720}, "validity_hours", "renewal window"),
        ({"validity_hours": 100}, "validity_hours", "not longer than early_renewal_hours"),
        ({"validity_hours": 0}, "validity_hours", "from 1 to 876000"),
        ({"early_renewal_hours": -1}, "early_renewal_hours", "0 or more"),
        ({"trust_domain": "Not A Domain"}, "trust_domain", "DNS-1123 subdomain"),
    ],
)
def test_bad_ca_input(mesh_session: MockSession, args: Any, field: str, words: str) -> None:
    with pytest.raises(ValidationError) as err:
        CertificateAuthority("pki", args)
    assert (err.value.component, err.value.field) == ("CertificateAuthority", field)
    assert words in str(err.value)
    assert len(mesh_session.settle()) == 0


@pytest.mark.parametrize(
    ("hosts", "wildcards", "field", "words"),
    [
        ([], False, "hosts", "at least one"),
        (["*.example.com"], False, "hosts[0]", "allow_wildcards=True"),
        (["App.Example.com"], False, "hosts[0]", "lowercase DNS name"),
        (["localhost"], False, "hosts[0]", "fully qualified"),
        (["a..example.com"], False, "hosts[0]", "DNS name"),
        (["ok.example.com", "bad_host.example.com"], False, "hosts[1]", "DNS name"),
    ],
)
def test_bad_server_hosts(
    mesh_session: MockSession, hosts: list[str], wildcards: bool, field: str, words: str
) -> None:
    ca = CertificateAuthority("pki")
    with pytest.raises(ValidationError) as err:
        server_certificate("srv", ca.issuer(), hosts, allow_wildcards=wildcards)
    assert (err.value.component, err.value.field) == ("ServerCertificate", field)
    assert words in str(err.value)


def test_wildcard_when_asked_for(mesh_session: MockSession) -> None:
    ca = CertificateAuthority("pki")
    leaf = server_certificate("srv", ca.issuer(), ["*.example.com"], allow_wildcards=True)
    sans = cert(mesh_session, leaf.cert_pem).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert sans.value.get_values_for_type(x509.DNSName) == ["*.example.com"]


def test_the_root_is_protected_by_default_and_nothing_else(mesh_session: MockSession) -> None:
    ca = CertificateAuthority("pki", {"intermediate": True, "mesh_ca": True})
    server_certificate("leaf", ca.issuer(), ["app.example.com"])
    rec = mesh_session.settle()
    protected = sorted(r.name for r in rec if r.options.get("protect"))
    assert protected == ["pki-root", "pki-root-key"]


def test_protect_root_can_be_turned_off(mesh_session: MockSession) -> None:
    CertificateAuthority("pki", {"protect_root": False})
    assert [r.name for r in mesh_session.settle() if r.options.get("protect")] == []


def test_protect_root_must_be_a_bool(mesh_session: MockSession) -> None:
    with pytest.raises(ValidationError) as err:
        CertificateAuthority("pki", {"protect_root": "false"})  # type: ignore[typeddict-item]
    assert err.value.field == "protect_root"
    assert len(mesh_session.settle()) == 0


@pytest.mark.parametrize(
    ("key", "field", "words"),
    [
        ({"algorithm": "ECDSA", "ecdsa_curve": "P224"}, "key.ecdsa_curve", "one of 'P256', 'P384'"),
        ({"algorithm": "RSA", "rsa_bits": 1024}, "key.rsa_bits", "one of 2048, 3072, 4096"),
        ({"algorithm": "ECDSA", "curve": "P256"}, "key.curve", "did you mean 'ecdsa_curve'"),
    ],
)
def test_p224_and_weak_keys_are_refused_on_every_path(
    mesh_session: MockSession, key: Any, field: str, words: str
) -> None:
    from mesh_https import LeafCertificate

    ca = CertificateAuthority("pki")
    issuer = ca.issuer()
    builds = {
        "LeafCertificate": lambda: LeafCertificate(
            "leaf", issuer, common_name="a", dns_names=["a.example.com"], uses=[], key=key
        ),
        "ServerCertificate": lambda: server_certificate("srv", issuer, ["a.example.com"], key=key),
        "ClientCertificate": lambda: client_certificate("cli", issuer, "client", key=key),
        "CertificateAuthority": lambda: CertificateAuthority("other", {"key": key}),
    }
    before = len(mesh_session.settle())
    for component, build in builds.items():
        with pytest.raises(ValidationError) as err:
            build()
        assert (err.value.component, err.value.field) == (component, field)
        assert words in str(err.value)
    assert len(mesh_session.settle()) == before, "nothing more was registered"
