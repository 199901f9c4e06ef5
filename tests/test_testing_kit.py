"""The public test kit: real TLS material from pulumi-tls inputs, recording, finders, isolation."""

from __future__ import annotations

import datetime as dt

import pulumi
import pulumi_kubernetes as k8s
import pulumi_tls as tls
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mesh_https.testing import MeshMocks, MockSession, run


def test_private_key_follows_provider_defaults_and_is_secret(mesh_session: MockSession) -> None:
    ecdsa = tls.PrivateKey("ec", algorithm="ECDSA")
    rsa_key = tls.PrivateKey("rsa", algorithm="RSA", rsa_bits=3072)
    pem = mesh_session.resolve(ecdsa.private_key_pem)
    assert pem.secret, "key material must come back secret"
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    ec_key = load_pem_private_key(pem.value.encode(), None)
    assert isinstance(ec_key, ec.EllipticCurvePrivateKey)
    assert ec_key.curve.name == "secp224r1", "pulumi-tls defaults ECDSA to P-224"
    rsa_loaded = load_pem_private_key(mesh_session.value(rsa_key.private_key_pem).encode(), None)
    assert isinstance(rsa_loaded, rsa.RSAPrivateKey) and rsa_loaded.key_size == 3072
    assert not mesh_session.resolve(ecdsa.public_key_pem).secret


def test_ca_and_leaf_chain_verifies(mesh_session: MockSession) -> None:
    ca_key = tls.PrivateKey("ca", algorithm="ECDSA", ecdsa_curve="P256")
    ca = tls.SelfSignedCert(
        "ca",
        private_key_pem=ca_key.private_key_pem,
        subject={"common_name": "Test Root", "organization": "mesh"},
        is_ca_certificate=True,
        validity_period_hours=48,
        early_renewal_hours=24,
        allowed_uses=["cert_signing", "crl_signing"],
    )
    leaf_key = tls.PrivateKey("leaf", algorithm="ECDSA", ecdsa_curve="P256")
    csr = tls.CertRequest(
        "leaf",
        private_key_pem=leaf_key.private_key_pem,
        subject={"common_name": "app.example.com"},
        dns_names=["app.example.com"],
    )
    leaf = tls.LocallySignedCert(
        "leaf",
        cert_request_pem=csr.cert_request_pem,
        ca_private_key_pem=ca_key.private_key_pem,
        ca_cert_pem=ca.cert_pem,
        validity_period_hours=24,
        allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
    )
    ca_cert = x509.load_pem_x509_certificate(mesh_session.value(ca.cert_pem).encode())
    leaf_cert = x509.load_pem_x509_certificate(mesh_session.value(leaf.cert_pem).encode())
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca_cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    assert not leaf_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    sans = leaf_cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["app.example.com"]
    leaf_cert.verify_directly_issued_by(ca_cert)
    lifetime = leaf_cert.not_valid_after_utc - leaf_cert.not_valid_before_utc
    assert lifetime == dt.timedelta(hours=24)
    assert mesh_session.resolve(ca.private_key_pem).secret, "echoed key inputs stay secret"
    assert mesh_session.resolve(leaf.ca_private_key_pem).secret
    rec = mesh_session.settle()
    assert rec.one("tls:index/selfSignedCert:SelfSignedCert").is_secret("privateKeyPem")


def test_recording_keeps_parents_edges_and_options(mesh_session: MockSession) -> None:
    class Box(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("test:index:Box", name)
            self.first = k8s.core.v1.ConfigMap(
                f"{name}-a", data={"k": "v"}, opts=pulumi.ResourceOptions(parent=self)
            )
            self.second = k8s.core.v1.ConfigMap(
                f"{name}-b",
                metadata={"name": "b", "namespace": "ns"},
                data={"k": self.first.metadata.name},
                opts=pulumi.ResourceOptions(
                    parent=self, protect=True, ignore_changes=["data"], depends_on=[self.first]
                ),
            )
            self.register_outputs({})

    box = Box("box")
    after = k8s.core.v1.ConfigMap("after", opts=pulumi.ResourceOptions(depends_on=[box]))
    rec = mesh_session.settle()
    first, second = rec.one(name="box-a"), rec.one(name="box-b")
    component = rec.one("test:index:Box")
    assert rec.children(component) == [first, second]
    assert rec.parent_of(first) is component
    assert second.options["protect"] is True
    assert second.options["ignore_changes"] == ["data"]
    assert rec.depends_on(second, first) and not rec.depends_on(first, second)
    assert second.property_dependencies["data"] == [first.urn]
    assert rec.depends_on(rec.one(name="after"), component), "component edges expand"
    assert not rec.depends_on(first, component)
    assert first.object_name and first.object_name.startswith("box-a-"), "stable auto-name"
    assert rec.one(kind="ConfigMap", object_name="b", namespace="ns") is second
    assert after is not None


def test_one_explains_what_exists_when_nothing_matches(mesh_session: MockSession) -> None:
    k8s.core.v1.Namespace("ns", metadata={"name": "x"})
    rec = mesh_session.settle()
    with pytest.raises(LookupError, match="kubernetes:core/v1:Namespace/ns"):
        rec.one(kind="Secret")


def test_custom_handlers_and_exports() -> None:
    mocks = MeshMocks()
    mocks.on("test:index:Thing", lambda args, inputs: {**inputs, "answer": 42})

    def program() -> None:
        thing = pulumi.CustomResource("test:index:Thing", "t", {"answer": None, "q": "?"})
        pulumi.export("q", "?")
        pulumi.export("id", thing.id)

    rec, exports = run(program, mocks)
    assert rec.one("test:index:Thing").outputs["answer"] == 42
    assert exports == {"id": "t-id", "q": "?"}


def test_program_errors_surface_from_run() -> None:
    def program() -> None:
        pulumi.Output.from_input(1).apply(lambda _: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        run(program)


def test_each_session_has_its_own_stack_and_config() -> None:
    with MockSession(project="p", stack="one", config={"p:key": {"a": 1}}) as session:
        assert pulumi.get_stack() == "one"
        assert pulumi.Config("p").require_object("key") == {"a": 1}
        k8s.core.v1.Namespace("ns")
        assert len(session.settle()) == 1
    with MockSession(project="p", stack="two") as session:
        assert pulumi.get_stack() == "two"
        assert pulumi.Config("p").get("key") is None
        assert len(session.settle()) == 0
