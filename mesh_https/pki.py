"""PKI building blocks on pulumi-tls: a root CA, intermediates, server and client certificates.

One root serves both ends of the chain: ingress certificates that clients verify, and (through
a second intermediate plugged into istiod as ``cacerts``) the mesh's workload identities.

Keys are ECDSA P-256 unless told otherwise. pulumi-tls itself defaults ECDSA to P-224, which
TLS stacks (Envoy, OpenSSL) reject, so every key here passes its curve explicitly. Private
keys are wrapped as Pulumi secrets wherever they leave a resource.
"""

from __future__ import annotations

import datetime as dt
import itertools
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Literal, Required, TypedDict, TypeVar

import pulumi
import pulumi_tls as tls
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from mesh_https import contract
from mesh_https import validation as v
from mesh_https.constraints import DnsSubdomain, Hostname, NonEmpty, NonNegativeInt, int_range
from mesh_https.contract import Rule, Sensitive

DEFAULT_VALIDITY_HOURS = 90 * 24
DEFAULT_EARLY_RENEWAL_HOURS = 30 * 24
MAX_VALIDITY_HOURS = 100 * 365 * 24
"""A century: beyond any sane lifetime, and far inside X.509's dates (year 9999)."""

CA_USES = ["cert_signing", "crl_signing", "digital_signature"]
SERVER_USES = ["digital_signature", "key_encipherment", "server_auth"]
CLIENT_USES = ["digital_signature", "key_encipherment", "client_auth"]


class KeyArgs(TypedDict, total=False):
    """A private key's algorithm and size."""

    algorithm: Literal["ECDSA", "RSA"]
    """``ECDSA`` (default) or ``RSA``."""
    ecdsa_curve: Literal["P256", "P384"]
    """ECDSA curve: ``P256`` (default) or ``P384``."""
    rsa_bits: Literal[2048, 3072, 4096]
    """RSA key size: 2048 (default), 3072 or 4096."""


class ValidityArgs(TypedDict, total=False):
    """How long a certificate lives and when ``pulumi up`` renews it."""

    validity_hours: Annotated[int, int_range(1, MAX_VALIDITY_HOURS)]
    """Lifetime in hours, at most 100 years. Default 2160 (90 days)."""
    early_renewal_hours: NonNegativeInt
    """Renew when ``pulumi up`` runs this many hours or fewer before expiry. Default 720."""


class IssuerArgs(TypedDict):
    """What a certificate is signed with: take it from :meth:`CertificateAuthority.issuer`."""

    cert_pem: pulumi.Input[CaBundle]
    """The issuing CA certificate."""
    private_key_pem: pulumi.Input[Annotated[str, Sensitive()]]
    """The issuing CA key (a secret)."""
    chain_pem: pulumi.Input[str]
    """Intermediates between the issuer and the root, issuer first; ``""`` if it is the root."""
    root_cert_pem: pulumi.Input[CaBundle]
    """The root certificate clients trust."""


class PluggedCaArgs(TypedDict):
    """Istio's plug-in CA: the four files of the ``cacerts`` secret in the system namespace."""

    ca_cert_pem: pulumi.Input[CaBundle]
    """``ca-cert.pem``: the intermediate istiod signs workload certificates with."""
    ca_key_pem: pulumi.Input[Annotated[str, Sensitive()]]
    """``ca-key.pem``: its key (a secret)."""
    root_cert_pem: pulumi.Input[CaBundle]
    """``root-cert.pem``: the root of trust."""
    cert_chain_pem: pulumi.Input[str]
    """``cert-chain.pem``: the intermediate followed by the root."""


def dns_names(cert: x509.Certificate) -> list[str]:
    """A certificate's DNS subject alternative names (none if it has no SAN extension)."""
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(name) for name in sans.get_values_for_type(x509.DNSName)]


def covers(pattern: str, host: str) -> bool:
    """Whether a certificate name covers ``host`` (a ``*.`` wildcard covers one label)."""
    if pattern == host:
        return True
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return False


def coverage_problem(names: Sequence[str], hosts: Sequence[str]) -> str | None:
    """Why a certificate with DNS ``names`` does not serve every one of ``hosts``, or
    ``None``. A ``*.`` wildcard covers exactly one label (RFC 6125), though Istio routes a
    deeper host to the server that carries the wildcard."""
    uncovered = [h for h in hosts if not any(covers(n.lower(), h) for n in names)]
    if not uncovered:
        return None
    deep = [
        h for h in uncovered if any(n.startswith("*.") and h.endswith(n[1:].lower()) for n in names)
    ]
    note = f"; a wildcard covers one label only, so {deep} need names of their own" if deep else ""
    return f"does not cover {uncovered}; its DNS names are {list(names)}{note}"


def _public(key: Any) -> bytes:
    return bytes(
        key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def key_problem(key: Any) -> str | None:
    """Why a key cannot serve TLS with Envoy and OpenSSL: P-224, or RSA under 2048 bits."""
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        if key.curve.name not in ("secp256r1", "secp384r1"):
            return f"uses the curve {key.curve.name}; use P-256 or P-384 (TLS stacks refuse it)"
    elif isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey) and key.key_size < 2048:
        return f"is RSA-{key.key_size}; use 2048 bits or more"
    return None


def brought_certificate_problem(
    cert_pem: str, key_pem: str, hosts: Sequence[str], now: dt.datetime | None = None
) -> tuple[str, str] | None:
    """What is wrong with a brought server certificate, as ``(field, problem)``, or ``None``.

    Checked as a TLS handshake would find it: PEMs that parse, leaf first and each
    certificate signed by the next, valid now, usable for server authentication, a key that
    matches the leaf and that TLS accepts, and every host covered by the leaf's DNS names.
    """
    now = now or dt.datetime.now(dt.UTC)
    try:
        chain = x509.load_pem_x509_certificates(cert_pem.encode())
    except ValueError:
        return "cert_pem", "does not parse as PEM certificates"
    try:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    except (ValueError, TypeError):
        return "private_key_pem", "does not parse as an unencrypted PEM private key"
    leaf = chain[0]
    for child, parent in itertools.pairwise(chain):
        if child.issuer != parent.subject:
            return "cert_pem", (
                f"is not in order: {child.subject.rfc4514_string()} is followed by "
                f"{parent.subject.rfc4514_string()}, which did not issue it. Give the leaf "
                "first, then each issuer"
            )
    for cert in chain:
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            return "cert_pem", (
                f"holds {cert.subject.rfc4514_string()}, valid from "
                f"{cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d}, "
                "not now"
            )
    try:
        usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usages = None
    if usages is not None and ExtendedKeyUsageOID.SERVER_AUTH not in usages:
        return "cert_pem", "is not for server authentication (its extended key usage lacks it)"
    problem = key_problem(key.public_key())
    if problem:
        return "private_key_pem", problem
    if _public(key.public_key()) != _public(leaf.public_key()):
        return "private_key_pem", "does not match the certificate's (leaf's) public key"
    problem = coverage_problem(dns_names(leaf), hosts)
    if problem:
        return "cert_pem", problem
    return None


def ca_bundle_problem(value: str) -> str | None:
    """A PEM bundle of CA certificates (a client CA, a trust anchor)."""
    try:
        certs = x509.load_pem_x509_certificates(value.encode())
    except ValueError:
        return "it must be PEM CA certificates ('-----BEGIN CERTIFICATE-----…')"
    for cert in certs:
        try:
            is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if not is_ca:
            return f"holds {cert.subject.rfc4514_string()}, which is not a CA certificate"
    return None


CaBundle = Annotated[str, Rule(ca_bundle_problem, "PEM CA certificates")]


# ------------------------------------------------- a CA's certificate, key and chain together


def _name(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def key_pair_problem(cert: x509.Certificate, key_pem: str) -> str | None:
    """Why ``key_pem`` is not the private key of ``cert`` (it does not parse, or its public
    key is another one), or ``None``. The message never shows the key."""
    try:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    except (ValueError, TypeError):
        return "does not parse as an unencrypted PEM private key"
    if _public(key.public_key()) != _public(cert.public_key()):
        return (
            f"is not the key of the certificate it goes with ({_name(cert)}): their public "
            "keys differ. Give the key that certificate was issued for"
        )
    return None


def _path_problem(
    cert: x509.Certificate, chain: Sequence[x509.Certificate], roots: Sequence[x509.Certificate]
) -> str | None:
    """Why no path leads from ``cert`` through ``chain`` to one of ``roots`` (each step a
    verified signature, as a TLS peer or istiod checks it), or ``None``."""
    current = cert
    for _ in range(len(chain) + 1):
        if any(current == root or _issued_by(current, root) for root in roots):
            return None
        parent = next((c for c in chain if c != current and _issued_by(current, c)), None)
        if parent is None:
            break
        current = parent
    return (
        f"does not lead from {_name(cert)} to the root: {_name(current)} is not signed by any "
        f"certificate of the chain or the root ({[_name(r) for r in roots]})"
    )


def _cert_and_roots(
    cert_pem: str, roots_pem: str
) -> tuple[x509.Certificate, list[x509.Certificate]] | None:
    """A CA's first certificate and its roots, or ``None`` where either does not parse (the
    contract refuses those, naming the field)."""
    try:
        cert = x509.load_pem_x509_certificates(cert_pem.encode())[0]
        return cert, x509.load_pem_x509_certificates(roots_pem.encode())
    except ValueError:
        return None


def issuer_problem(issuer: Mapping[str, str]) -> tuple[str, str] | None:
    """What is wrong with a brought issuer (:class:`IssuerArgs`, plain PEMs), as
    ``(field, problem)``, or ``None``: its key must be its certificate's, and the certificate
    must lead to ``root_cert_pem`` through ``chain_pem``, which a server presents after its
    leaf, so it must hold the issuer too unless the issuer is the root itself."""
    loaded = _cert_and_roots(issuer["cert_pem"], issuer["root_cert_pem"])
    if loaded is None:
        return None
    cert, roots = loaded
    problem = key_pair_problem(cert, issuer["private_key_pem"])
    if problem:
        return "private_key_pem", problem
    chain_text = issuer["chain_pem"]
    try:
        chain = x509.load_pem_x509_certificates(chain_text.encode()) if chain_text else []
    except ValueError:
        return "chain_pem", 'does not parse as PEM certificates; give `""` for a root issuer'
    if cert in roots:
        return None
    if cert not in chain:
        return "chain_pem", (
            f"does not hold the issuing certificate ({_name(cert)}), which is not the root: "
            "a server would present its leaf without it, and clients could not reach the root. "
            "Give the intermediates, issuer first"
        )
    problem = _path_problem(cert, chain, roots)
    return ("root_cert_pem", problem) if problem else None


def plugged_ca_problem(ca: Mapping[str, str]) -> tuple[str, str] | None:
    """What is wrong with a plug-in CA's four files (:class:`PluggedCaArgs`, plain PEMs), as
    ``(field, problem)``, or ``None``; istiod refuses them the same way when it starts: the
    key must be ``ca-cert.pem``'s, which must lead through ``cert-chain.pem`` to
    ``root-cert.pem``; the chain must start with ``ca-cert.pem`` (workloads present it after
    their own certificates)."""
    loaded = _cert_and_roots(ca["ca_cert_pem"], ca["root_cert_pem"])
    if loaded is None:
        return None
    cert, roots = loaded
    problem = key_pair_problem(cert, ca["ca_key_pem"])
    if problem:
        return "ca_key_pem", problem
    try:
        chain = x509.load_pem_x509_certificates(ca["cert_chain_pem"].encode())
    except ValueError:
        return "cert_chain_pem", "does not parse as PEM certificates (`ca-cert.pem`, then the root)"
    if chain[0] != cert:
        return "cert_chain_pem", (
            f"starts with {_name(chain[0])}, not with `ca_cert_pem` ({_name(cert)}); give "
            "`ca_cert_pem` first, then each issuer up to the root"
        )
    problem = _path_problem(cert, chain, roots)
    return ("root_cert_pem", problem) if problem else None


# Issuers and plug-in CAs that a CertificateAuthority made (or that were checked already), by
# their certificate's Output: what goes with it, so that a mix of two is still checked.
_VOUCHED: weakref.WeakKeyDictionary[pulumi.Output[Any], tuple[Any, ...]] = (
    weakref.WeakKeyDictionary()
)

_PemsT = TypeVar("_PemsT", IssuerArgs, PluggedCaArgs)
_ARGS_OF: dict[str, Any] = {"cert_pem": IssuerArgs, "ca_cert_pem": PluggedCaArgs}
"""The declaration of a set of PEMs, by the name of its certificate's field."""


def _vouch(pems: Mapping[str, Any], first: str) -> None:
    head = pems[first]
    if isinstance(head, pulumi.Output):
        _VOUCHED[head] = tuple(pems[k] for k in sorted(pems) if k != first)


def _vouched(pems: Mapping[str, Any], first: str) -> bool:
    head = pems[first]
    rest = _VOUCHED.get(head) if isinstance(head, pulumi.Output) else None
    others = [pems.get(k) for k in sorted(pems) if k != first]
    return (
        rest is not None
        and len(rest) == len(others)
        and all(
            a is b or (isinstance(a, str) and a == b) for a, b in zip(rest, others, strict=True)
        )
    )


def _checked_together(
    component: str,
    field: str,
    pems: _PemsT,
    first: str,
    problem: Callable[[Mapping[str, str]], tuple[str, str] | None],
) -> _PemsT:
    """``pems`` (checked against their declaration, Outputs not yet) checked together by
    ``problem``: at once when all are plain, else once all are known, each then given only
    after its declaration and the check passed (so what uses any of them, a signed
    certificate or the ``cacerts`` Secret, never registers with a bad set)."""
    if _vouched(pems, first):
        return pems
    pems = contract.deferred(
        component,
        _ARGS_OF[first],
        pems,
        field_name=lambda path: contract.field_path((field, *path)),
    )
    keys = sorted(pems)

    def check(known: Mapping[str, str]) -> None:
        found = problem(known)
        if found:
            v.fail(component, f"{field}.{found[0]}", found[1])

    if all(isinstance(pems[k], str) for k in keys):  # type: ignore[literal-required]
        check(pems)  # type: ignore[arg-type]
        return pems
    together = pulumi.Output.all(*(pems[k] for k in keys))  # type: ignore[literal-required]
    checked: pulumi.Output[list[Any]] = contract.once_known(
        together, lambda known, _secret: check(dict(zip(keys, known, strict=True)))
    )
    # Each PEM waits for the check, and keeps its own dependencies and secrecy.
    gate = contract.passed(checked)
    gated: dict[str, Any] = {
        k: pulumi.Output.all(gate, pems[k]).apply(lambda both: both[1])  # type: ignore[literal-required]
        for k in keys
    }
    _vouch(gated, first)
    return gated  # type: ignore[return-value]


def check_issuer(component: str, field: str, issuer: IssuerArgs) -> IssuerArgs:
    """An issuer (:class:`IssuerArgs`, already checked against its declaration) whose key,
    certificate, chain and root belong together (:func:`issuer_problem`); refused at once when
    plain, else checked once known, before anything it signs registers. A
    :class:`CertificateAuthority`'s own issuer is not checked again."""
    return _checked_together(component, field, issuer, "cert_pem", issuer_problem)


def check_plugged_ca(component: str, field: str, ca: PluggedCaArgs) -> PluggedCaArgs:
    """A plug-in CA (:class:`PluggedCaArgs`, already checked against its declaration) whose
    four files belong together (:func:`plugged_ca_problem`), refused at once when plain,
    else once known, before the ``cacerts`` Secret registers."""
    return _checked_together(component, field, ca, "ca_cert_pem", plugged_ca_problem)


def _checked(component: str, tp: Any, value: Any, field: str) -> Any:
    """``value`` checked against ``tp`` as the input ``field`` of ``component``."""
    return contract.check(
        component, tp, value, field_name=lambda path: contract.field_path((field, *path))
    )


def check_key(component: str, field: str, key: KeyArgs | None) -> KeyArgs:
    """ECDSA on P-256/P-384, or RSA of 2048/3072/4096 bits; nothing else (never P-224)."""
    key = _checked(component, KeyArgs, key or {}, field)
    if key.get("algorithm", "ECDSA") == "ECDSA":
        if "rsa_bits" in key:
            v.fail(component, f"{field}.rsa_bits", "is only used with algorithm 'RSA'")
    elif "ecdsa_curve" in key:
        v.fail(component, f"{field}.ecdsa_curve", "is only used with algorithm 'ECDSA'")
    return key


def check_validity(component: str, args: ValidityArgs, field: str | None = None) -> None:
    """A lifetime longer than the renewal window (the types are the contract's)."""
    if field is not None:
        _checked(component, ValidityArgs, args, field)
    hours = args.get("validity_hours", DEFAULT_VALIDITY_HOURS)
    early = args.get("early_renewal_hours", DEFAULT_EARLY_RENEWAL_HOURS)
    if hours <= early:
        v.fail(
            component,
            f"{field}.validity_hours" if field else "validity_hours",
            f"is {hours}, not longer than early_renewal_hours ({early}); the certificate would "
            "be renewed on every `pulumi up`. Make the lifetime longer than the renewal window",
        )


def check_hosts(component: str, field: str, hosts: Any, *, allow_wildcard: bool) -> list[str]:
    """Fully qualified, lowercase DNS names (not IPs); ``*.`` only when asked for."""
    checked: list[str] = list(_checked(component, Sequence[Hostname], hosts, field))
    if not checked:
        v.fail(component, field, "is empty; give at least one host name")
    for i, host in enumerate(checked):
        if host.startswith("*.") and not allow_wildcard:
            v.fail(
                component,
                f"{field}[{i}]",
                f"is the wildcard {host!r}; wildcards must be asked for with allow_wildcards=True",
            )
    return checked


def validity_of(args: ValidityArgs) -> ValidityArgs:
    """Lifetime and renewal window with the defaults filled in."""
    return {
        "validity_hours": args.get("validity_hours", DEFAULT_VALIDITY_HOURS),
        "early_renewal_hours": args.get("early_renewal_hours", DEFAULT_EARLY_RENEWAL_HOURS),
    }


def private_key(
    name: str, key: KeyArgs, parent: pulumi.Resource, *, protect: bool = False
) -> tls.PrivateKey:
    """A pulumi-tls key with the curve or size always explicit (never the P-224 default)."""
    opts = pulumi.ResourceOptions(
        parent=parent, additional_secret_outputs=["private_key_pem"], protect=protect
    )
    if key.get("algorithm", "ECDSA") == "RSA":
        return tls.PrivateKey(name, algorithm="RSA", rsa_bits=key.get("rsa_bits", 2048), opts=opts)
    return tls.PrivateKey(
        name, algorithm="ECDSA", ecdsa_curve=key.get("ecdsa_curve", "P256"), opts=opts
    )


def _secret_key(key: tls.PrivateKey) -> pulumi.Output[str]:
    return pulumi.Output.secret(key.private_key_pem)


def _signed(
    name: str,
    parent: pulumi.Resource,
    key: tls.PrivateKey,
    issuer: IssuerArgs,
    *,
    common_name: str,
    dns_names: Sequence[str] | None,
    uses: list[str],
    is_ca: bool,
    validity: ValidityArgs,
    organization: str | None = None,
    uris: Sequence[str] | None = None,
) -> tls.LocallySignedCert:
    subject = tls.CertRequestSubjectArgs(common_name=common_name, organization=organization)
    request = tls.CertRequest(
        f"{name}-csr",
        private_key_pem=_secret_key(key),
        subject=subject,
        dns_names=list(dns_names) if dns_names else None,
        uris=list(uris) if uris else None,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return tls.LocallySignedCert(
        f"{name}-cert",
        cert_request_pem=request.cert_request_pem,
        ca_cert_pem=issuer["cert_pem"],
        ca_private_key_pem=pulumi.Output.secret(issuer["private_key_pem"]),
        is_ca_certificate=is_ca,
        max_path_length=0 if is_ca else None,
        set_subject_key_id=True,
        allowed_uses=uses,
        validity_period_hours=validity_of(validity)["validity_hours"],
        early_renewal_hours=validity_of(validity)["early_renewal_hours"],
        opts=pulumi.ResourceOptions(parent=parent),
    )


def concat_pem(*pems: pulumi.Input[str]) -> pulumi.Output[str]:
    """PEM blocks joined in order, each ending in a newline; empty parts are skipped."""

    def join(parts: list[str]) -> str:
        return "".join(p if p.endswith("\n") else p + "\n" for p in parts if p)

    return pulumi.Output.all(*pems).apply(join)


# ------------------------------------------------------------------------------------- the CA


class CertificateAuthorityArgs(ValidityArgs, total=False):
    """Inputs of :class:`CertificateAuthority`. Every key is optional."""

    common_name: NonEmpty
    """Root certificate subject CN. Default ``"<name> root CA"``."""
    organization: NonEmpty
    """Subject O of every certificate this CA makes. Default ``mesh-https``."""
    key: KeyArgs
    """Key of the root and intermediates. Default ECDSA P-256."""
    intermediate: bool
    """Issue certificates from an intermediate signed by the root (default ``False``)."""
    mesh_ca: bool
    """Also make an intermediate for istiod (the ``cacerts`` plug-in CA): workload identities
    then chain to the same root as the ingress certificates. Default ``False``."""
    trust_domain: DnsSubdomain
    """Trust domain for the mesh intermediate's SPIFFE URI. Default ``cluster.local``."""
    protect_root: bool
    """Protect the root's key and certificate from deletion (Pulumi ``protect``), so no
    ``pulumi destroy`` or accidental replacement takes the mesh's trust anchor away. Default
    ``True``; turn it off for throw-away stacks."""


COMPONENT_CA = "CertificateAuthority"


def validate_ca_args(args: CertificateAuthorityArgs | None) -> CertificateAuthorityArgs:
    """Check :class:`CertificateAuthority` input; raises :class:`ValidationError`. Returns the
    args to build from."""
    c = COMPONENT_CA
    args = contract.check(c, CertificateAuthorityArgs, args)
    check_key(c, "key", args.get("key"))
    check_validity(c, args)
    return args


class CertificateAuthority(pulumi.ComponentResource):
    """A self-signed root CA (cert-signing and CRL-signing), with optional intermediates.

    Pass :meth:`issuer` to :class:`HttpsGateway` (or :class:`ServerCertificate`) and, with
    ``mesh_ca=True``, :attr:`plugged_ca` to ``IstioInstallArgs.plugged_ca``. The root's
    certificate (:attr:`root_cert_pem`) is what clients trust; it is public.

    The root is renewed, like everything else here, when ``pulumi up`` runs inside its renewal
    window; everything signed by it is then re-issued in the same update.
    """

    root_cert_pem: pulumi.Output[str]
    """The root certificate (public): give it to clients."""
    cert_pem: pulumi.Output[str]
    """The issuing certificate: the intermediate if there is one, else the root."""
    private_key_pem: pulumi.Output[str]
    """The issuing key (secret)."""
    chain_pem: pulumi.Output[str]
    """Intermediates between the issuer and the root; ``""`` without an intermediate."""
    expiry: pulumi.Output[str]
    """When the root expires (RFC 3339)."""

    def __init__(
        self,
        name: str,
        args: CertificateAuthorityArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = validate_ca_args(args)
        super().__init__("mesh-https:index:CertificateAuthority", name, None, opts)
        key_args = args.get("key", {})
        organization = args.get("organization", "mesh-https")
        validity = validity_of(args)
        protect = args.get("protect_root", True)
        root_key = private_key(f"{name}-root-key", key_args, self, protect=protect)
        root = tls.SelfSignedCert(
            f"{name}-root",
            private_key_pem=_secret_key(root_key),
            subject={
                "common_name": args.get("common_name", f"{name} root CA"),
                "organization": organization,
            },
            is_ca_certificate=True,
            set_subject_key_id=True,
            allowed_uses=CA_USES,
            validity_period_hours=validity["validity_hours"],
            early_renewal_hours=validity["early_renewal_hours"],
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        self.root_cert_pem = root.cert_pem
        self.expiry = root.validity_end_time
        root_issuer: IssuerArgs = {
            "cert_pem": root.cert_pem,
            "private_key_pem": _secret_key(root_key),
            "chain_pem": "",
            "root_cert_pem": root.cert_pem,
        }
        self._issuer = root_issuer
        if args.get("intermediate", False):
            inter_key = private_key(f"{name}-intermediate-key", key_args, self)
            inter = _signed(
                f"{name}-intermediate",
                self,
                inter_key,
                root_issuer,
                common_name=f"{name} intermediate CA",
                organization=organization,
                dns_names=None,
                uses=CA_USES,
                is_ca=True,
                validity=validity,
            )
            self._issuer = {
                "cert_pem": inter.cert_pem,
                "private_key_pem": _secret_key(inter_key),
                "chain_pem": inter.cert_pem,
                "root_cert_pem": root.cert_pem,
            }
        _vouch(self._issuer, "cert_pem")
        self.cert_pem = pulumi.Output.from_input(self._issuer["cert_pem"])
        self.private_key_pem = pulumi.Output.secret(self._issuer["private_key_pem"])
        self.chain_pem = pulumi.Output.from_input(self._issuer["chain_pem"])

        self._plugged_ca: PluggedCaArgs | None = None
        if args.get("mesh_ca", False):
            mesh_key = private_key(f"{name}-mesh-key", key_args, self)
            trust_domain = args.get("trust_domain", "cluster.local")
            mesh = _signed(
                f"{name}-mesh",
                self,
                mesh_key,
                root_issuer,
                common_name=f"{name} mesh intermediate CA",
                organization=organization,
                dns_names=None,
                uris=[f"spiffe://{trust_domain}"],
                uses=[*CA_USES, "key_encipherment"],
                is_ca=True,
                validity=validity,
            )
            self._plugged_ca = {
                "ca_cert_pem": mesh.cert_pem,
                "ca_key_pem": _secret_key(mesh_key),
                "root_cert_pem": root.cert_pem,
                "cert_chain_pem": concat_pem(mesh.cert_pem, root.cert_pem),
            }
            _vouch(self._plugged_ca, "ca_cert_pem")
        self.register_outputs(
            {
                "root_cert_pem": self.root_cert_pem,
                "cert_pem": self.cert_pem,
                "private_key_pem": self.private_key_pem,
                "chain_pem": self.chain_pem,
                "expiry": self.expiry,
            }
        )

    def issuer(self) -> IssuerArgs:
        """The issuing certificate, key (secret), chain and root, for other components."""
        return dict(self._issuer)  # type: ignore[return-value]

    @property
    def plugged_ca(self) -> PluggedCaArgs:
        """The mesh intermediate as Istio's ``cacerts`` files (needs ``mesh_ca=True``)."""
        if self._plugged_ca is None:
            v.fail(
                COMPONENT_CA,
                "mesh_ca",
                "is not set, so this CA has no `plugged_ca` to read; create it with "
                "mesh_ca=True to plug its mesh intermediate into istiod, or leave "
                "IstioInstall's `plugged_ca` out for istiod's own CA",
            )
        return self._plugged_ca


# ------------------------------------------------------------------------------ leaf certs


class LeafCertificateArgs(TypedDict, total=False):
    """The inputs of :class:`LeafCertificate`, as one mapping (its keyword arguments)."""

    issuer: Required[IssuerArgs]
    """What signs it: :meth:`CertificateAuthority.issuer`."""
    common_name: Required[str]
    """The subject CN."""
    dns_names: Sequence[str]
    """DNS subject alternative names; wildcards allowed. Default: none."""
    uses: Required[Sequence[str]]
    """Allowed uses, in pulumi-tls's words, e.g. ``server_auth`` or ``client_auth``."""
    key: KeyArgs
    """The key to generate. Default: ECDSA P-256."""
    validity: ValidityArgs
    """Lifetime and renewal window. Default: 90 days, renewed in the last 30."""


class LeafCertificate(pulumi.ComponentResource):
    """A server or client certificate signed by an issuer; see :func:`server_certificate`."""

    ARGS = LeafCertificateArgs
    """Its keyword arguments as one declaration (for the other languages' host)."""

    cert_pem: pulumi.Output[str]
    """The leaf certificate alone."""
    full_chain_pem: pulumi.Output[str]
    """Leaf followed by the issuer's intermediates: what a server presents (``tls.crt``)."""
    private_key_pem: pulumi.Output[str]
    """The leaf's key (secret)."""
    expiry: pulumi.Output[str]
    """When the certificate expires (RFC 3339)."""

    def __init__(
        self,
        name: str,
        issuer: IssuerArgs,
        *,
        common_name: str,
        dns_names: Sequence[str] | None,
        uses: list[str],
        key: KeyArgs | None = None,
        validity: ValidityArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        c = "LeafCertificate"
        issuer = _checked(c, IssuerArgs, issuer, "issuer")
        common_name = _checked(c, NonEmpty, common_name, "common_name")
        if dns_names is not None:
            dns_names = check_hosts(c, "dns_names", dns_names, allow_wildcard=True)
        uses = _checked(c, Sequence[NonEmpty], uses, "uses")
        key = check_key(c, "key", key)
        check_validity(c, validity or {}, "validity")
        issuer = check_issuer(c, "issuer", issuer)
        super().__init__("mesh-https:index:LeafCertificate", name, None, opts)
        leaf_key = private_key(f"{name}-key", key, self)
        cert = _signed(
            name,
            self,
            leaf_key,
            issuer,
            common_name=common_name,
            dns_names=dns_names,
            uses=uses,
            is_ca=False,
            validity=validity or {},
        )
        self.cert_pem = cert.cert_pem
        self.full_chain_pem = concat_pem(cert.cert_pem, issuer["chain_pem"])
        self.private_key_pem = _secret_key(leaf_key)
        self.expiry = cert.validity_end_time
        self.register_outputs(
            {
                "cert_pem": self.cert_pem,
                "full_chain_pem": self.full_chain_pem,
                "private_key_pem": self.private_key_pem,
                "expiry": self.expiry,
            }
        )


def server_certificate(
    name: str,
    issuer: IssuerArgs,
    hosts: Sequence[str],
    *,
    allow_wildcards: bool = False,
    key: KeyArgs | None = None,
    validity: ValidityArgs | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> LeafCertificate:
    """A server certificate for ``hosts`` (all of them as DNS SANs; CN is the first)."""
    component = "ServerCertificate"
    hosts = check_hosts(component, "hosts", hosts, allow_wildcard=allow_wildcards)
    key = check_key(component, "key", key)
    check_validity(component, validity or {}, "validity")
    issuer = check_issuer(component, "issuer", _checked(component, IssuerArgs, issuer, "issuer"))
    return LeafCertificate(
        name,
        issuer,
        common_name=hosts[0],
        dns_names=hosts,
        uses=SERVER_USES,
        key=key,
        validity=validity,
        opts=opts,
    )


def client_certificate(
    name: str,
    issuer: IssuerArgs,
    common_name: str,
    *,
    dns_names: Sequence[str] | None = None,
    key: KeyArgs | None = None,
    validity: ValidityArgs | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> LeafCertificate:
    """A client certificate (``client_auth``) for mutual TLS, identified by ``common_name``,
    and by ``dns_names`` as SANs (what a server's ``subjectAltNames`` check matches)."""
    component = "ClientCertificate"
    _checked(component, NonEmpty, common_name, "common_name")
    key = check_key(component, "key", key)
    check_validity(component, validity or {}, "validity")
    issuer = check_issuer(component, "issuer", _checked(component, IssuerArgs, issuer, "issuer"))
    return LeafCertificate(
        name,
        issuer,
        common_name=common_name,
        dns_names=list(dns_names) if dns_names else None,
        uses=CLIENT_USES,
        key=key,
        validity=validity,
        opts=opts,
    )
