"""Real keys and certificates from pulumi-tls inputs, the way terraform-provider-tls makes them.

The mocks hand every ``tls:index/...`` registration to :func:`tls_outputs`, so a test gets
the PEM the real provider would have produced for those inputs: the same algorithm and curve
(including the provider's P-224 default), key usages, CA flag, SANs and validity. A wrong
input therefore fails a real TLS handshake in the test, as it would on the cluster.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

# terraform-provider-tls defaults: RSA 2048, and ECDSA on P224 (which TLS stacks reject).
_CURVES: dict[str, Callable[[], ec.EllipticCurve]] = {
    "P224": ec.SECP224R1,
    "P256": ec.SECP256R1,
    "P384": ec.SECP384R1,
    "P521": ec.SECP521R1,
}

_KEY_USAGES = {
    "digital_signature": "digital_signature",
    "content_commitment": "content_commitment",
    "key_encipherment": "key_encipherment",
    "data_encipherment": "data_encipherment",
    "key_agreement": "key_agreement",
    "cert_signing": "key_cert_sign",
    "crl_signing": "crl_sign",
    "encipher_only": "encipher_only",
    "decipher_only": "decipher_only",
}
_EXTENDED_USAGES = {
    "server_auth": ExtendedKeyUsageOID.SERVER_AUTH,
    "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "code_signing": ExtendedKeyUsageOID.CODE_SIGNING,
    "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "timestamping": ExtendedKeyUsageOID.TIME_STAMPING,
    "ocsp_signing": ExtendedKeyUsageOID.OCSP_SIGNING,
    "any_extended": ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
}
_SUBJECT_FIELDS = {
    "commonName": NameOID.COMMON_NAME,
    "organization": NameOID.ORGANIZATION_NAME,
    "organizationalUnit": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "country": NameOID.COUNTRY_NAME,
    "province": NameOID.STATE_OR_PROVINCE_NAME,
    "locality": NameOID.LOCALITY_NAME,
    "postalCode": NameOID.POSTAL_CODE,
    "streetAddress": NameOID.STREET_ADDRESS,
    "serialNumber": NameOID.SERIAL_NUMBER,
}


def generate_key(algorithm: str, rsa_bits: int = 2048, ecdsa_curve: str = "P224") -> PrivateKey:
    """A new private key, as ``tls.PrivateKey`` would make it."""
    if algorithm == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    if algorithm == "ECDSA":
        if ecdsa_curve not in _CURVES:
            raise ValueError(f"unsupported ecdsa_curve {ecdsa_curve!r}")
        return ec.generate_private_key(_CURVES[ecdsa_curve]())
    if algorithm == "ED25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unsupported algorithm {algorithm!r}")


def key_to_pem(key: PrivateKey) -> str:
    """PKCS#1 / SEC1 PEM for RSA and ECDSA (as the provider's ``private_key_pem``)."""
    fmt = (
        serialization.PrivateFormat.PKCS8
        if isinstance(key, ed25519.Ed25519PrivateKey)
        else serialization.PrivateFormat.TraditionalOpenSSL
    )
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def load_key(pem: str) -> PrivateKey:
    """Parse a private key PEM of any supported kind."""
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, PrivateKey):
        raise ValueError(f"unsupported key type {type(key).__name__}")
    return key


def _algorithm_name(key: Any) -> str:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return "RSA"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return "ECDSA"
    return "ED25519"


def private_key_outputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Outputs of ``tls:index/privateKey:PrivateKey`` for the given (camelCased) inputs."""
    key = generate_key(
        str(inputs.get("algorithm", "RSA")),
        int(inputs.get("rsaBits", 2048)),
        str(inputs.get("ecdsaCurve", "P224")),
    )
    public = key.public_key()
    public_pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    try:
        openssh = public.public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        ).decode()
    except ValueError:
        openssh = ""  # as the provider: no OpenSSH form for P-224
    pkcs8 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        **inputs,
        "privateKeyPem": key_to_pem(key),
        "privateKeyPemPkcs8": pkcs8,
        "publicKeyPem": public_pem,
        "publicKeyOpenssh": openssh + "\n" if openssh else "",
        "publicKeyFingerprintSha256": hashlib.sha256(public_pem.encode()).hexdigest(),
    }


def _subject(subject: Mapping[str, Any] | None) -> x509.Name:
    attributes: list[x509.NameAttribute[str]] = []
    for field, oid in _SUBJECT_FIELDS.items():
        value = (subject or {}).get(field)
        if isinstance(value, list):
            attributes.extend(x509.NameAttribute(oid, str(item)) for item in value)
        elif value:
            attributes.append(x509.NameAttribute(oid, str(value)))
    return x509.Name(attributes)


def _sans(inputs: Mapping[str, Any]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in inputs.get("dnsNames") or []]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in inputs.get("ipAddresses") or []]
    names += [x509.UniformResourceIdentifier(u) for u in inputs.get("uris") or []]
    return names


def _build(
    inputs: Mapping[str, Any],
    subject: x509.Name,
    public_key: Any,
    sans: list[x509.GeneralName],
    issuer: x509.Name,
    issuer_key: PrivateKey,
    issuer_cert: x509.Certificate | None,
) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    hours = float(inputs.get("validityPeriodHours", 0))
    not_after = now + dt.timedelta(hours=hours)
    is_ca = bool(inputs.get("isCaCertificate", False))
    uses = [str(u) for u in inputs.get("allowedUses") or []]
    max_path = inputs.get("maxPathLength")
    path_length = int(max_path) if is_ca and max_path is not None and max_path >= 0 else None
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=path_length), critical=True)
    )
    flags = {name: False for name in _KEY_USAGES.values()}
    for use in uses:
        if use in _KEY_USAGES:
            flags[_KEY_USAGES[use]] = True
    if any(flags.values()):
        builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)
    extended = [_EXTENDED_USAGES[u] for u in uses if u in _EXTENDED_USAGES]
    if extended:
        builder = builder.add_extension(x509.ExtendedKeyUsage(extended), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if is_ca or inputs.get("setSubjectKeyId"):
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False
        )
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    digest = None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    cert = builder.sign(issuer_key, digest)
    early = float(inputs.get("earlyRenewalHours", 0))
    return {
        **inputs,
        "certPem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "validityStartTime": now.isoformat().replace("+00:00", "Z"),
        "validityEndTime": not_after.isoformat().replace("+00:00", "Z"),
        "readyForRenewal": hours - early <= 0,
        "isCaCertificate": is_ca,
    }


def self_signed_cert_outputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Outputs of ``tls:index/selfSignedCert:SelfSignedCert``."""
    key = load_key(str(inputs["privateKeyPem"]))
    subject = _subject(inputs.get("subject"))
    outputs = _build(inputs, subject, key.public_key(), _sans(inputs), subject, key, None)
    outputs["keyAlgorithm"] = _algorithm_name(key)
    return outputs


def cert_request_outputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Outputs of ``tls:index/certRequest:CertRequest``: a real, signed CSR."""
    key = load_key(str(inputs["privateKeyPem"]))
    builder = x509.CertificateSigningRequestBuilder().subject_name(_subject(inputs.get("subject")))
    sans = _sans(inputs)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    digest = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    csr = builder.sign(key, digest)
    return {
        **inputs,
        "certRequestPem": csr.public_bytes(serialization.Encoding.PEM).decode(),
        "keyAlgorithm": _algorithm_name(key),
    }


def locally_signed_cert_outputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Outputs of ``tls:index/locallySignedCert:LocallySignedCert``.

    Subject, key and SANs come from the CSR; usages, CA flag and validity from the inputs.
    """
    csr = x509.load_pem_x509_csr(str(inputs["certRequestPem"]).encode())
    ca_cert = x509.load_pem_x509_certificate(str(inputs["caCertPem"]).encode())
    ca_key = load_key(str(inputs["caPrivateKeyPem"]))
    try:
        sans = list(csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        sans = []
    outputs = _build(inputs, csr.subject, csr.public_key(), sans, ca_cert.subject, ca_key, ca_cert)
    outputs["caKeyAlgorithm"] = _algorithm_name(ca_key)
    return outputs


TLS_HANDLERS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "tls:index/privateKey:PrivateKey": private_key_outputs,
    "tls:index/selfSignedCert:SelfSignedCert": self_signed_cert_outputs,
    "tls:index/certRequest:CertRequest": cert_request_outputs,
    "tls:index/locallySignedCert:LocallySignedCert": locally_signed_cert_outputs,
}
"""pulumi-tls type token → function from inputs to outputs."""

SECRET_OUTPUTS: dict[str, tuple[str, ...]] = {
    "tls:index/privateKey:PrivateKey": (
        "privateKeyPem",
        "privateKeyPemPkcs8",
        "privateKeyOpenssh",
    ),
}
"""Outputs the real provider marks secret."""
