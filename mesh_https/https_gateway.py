"""HttpsGateway: TLS secrets in the gateway workload's namespace, and the Istio Gateway over them.

Each certificate is its own HTTPS server on 443, matched by SNI; port 80 redirects to HTTPS.
Certificates are made in the same graph from a :class:`~mesh_https.pki.CertificateAuthority`
(its own, or one you pass as ``issuer``), or brought: PEM inputs or an existing secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Required, TypedDict

import pulumi
import pulumi_kubernetes as k8s
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mesh_https import contract, pki
from mesh_https import validation as v
from mesh_https._values import known
from mesh_https.canary_route import GatewayRouteArgs
from mesh_https.cluster import GatewayServiceArgs, LocalIngress
from mesh_https.constraints import (
    DnsLabel,
    DnsSubdomain,
    Hostname,
    LabelKey,
    LabelValue,
    NonEmpty,
    Plain,
    dns_label_problem,
    hostname_problem,
)
from mesh_https.contract import Hint, Rule, Sensitive
from mesh_https.gateway_api import gateway_api_object
from mesh_https.identity import principal_of
from mesh_https.istio_install import GatewayInfo
from mesh_https.istio_objects import MANAGED_LABELS, edges_in, istio_object

COMPONENT = "HttpsGateway"
ENVOY_CIPHER_SUITES = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-SHA",
    "ECDHE-RSA-AES256-SHA",
    "AES128-GCM-SHA256",
    "AES256-GCM-SHA384",
    "AES128-SHA",
    "AES256-SHA",
)
"""TLS 1.2 cipher suites Envoy (BoringSSL) accepts in ``cipherSuites``."""


def _cipher_problem(value: str) -> str | None:
    if value in ENVOY_CIPHER_SUITES:
        return None
    return f"it is not a cipher suite Envoy accepts; valid: {', '.join(ENVOY_CIPHER_SUITES)}"


CipherSuite = Annotated[str, Rule(_cipher_problem, "an Envoy TLS 1.2 cipher suite name")]


def suites_for(key_type: Literal["ECDSA", "RSA"]) -> tuple[str, ...]:
    """The TLS 1.2 suites a certificate with this key type can serve: ``ECDHE-ECDSA-*`` for
    ECDSA, ``ECDHE-RSA-*`` and the RSA key-exchange suites (``AES128-GCM-SHA256``, ...) for
    RSA. A TLS 1.2 client offered none of them gets a handshake failure."""
    ecdsa = tuple(s for s in ENVOY_CIPHER_SUITES if s.startswith("ECDHE-ECDSA-"))
    if key_type == "ECDSA":
        return ecdsa
    return tuple(s for s in ENVOY_CIPHER_SUITES if s not in ecdsa)


def _selector_problem(value: Mapping[str, str]) -> str | None:
    if value:
        return None
    return (
        "it must name at least one label: an Istio Gateway without a selector applies to every "
        "gateway workload in the mesh. Use IstioInstall.info.gateway_selector"
    )


GatewaySelector = Annotated[
    Mapping[LabelKey, LabelValue],
    Rule(_selector_problem, "a non-empty mapping of pod label keys to values"),
]


class InstalledGatewayArgs(TypedDict):
    """A gateway workload the install created: where it runs and the labels that select it
    (an ``IstioInstall.info.gateways`` entry's ``namespace`` and ``selector``)."""

    namespace: Required[DnsLabel]
    """The workload's namespace."""
    selector: Required[Mapping[LabelKey, LabelValue]]
    """Labels its pods carry, e.g. ``{"istio": "ingress"}``."""


TlsMode = Literal["SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL", "PASSTHROUGH"]
MUTUAL_MODES = ("MUTUAL", "OPTIONAL_MUTUAL")


def _san_problem(value: str) -> str | None:
    if value and value.strip() == value and "," not in value:
        return None
    return "it must be one non-empty name, without spaces around it or commas"


SubjectAltName = Annotated[
    str, Rule(_san_problem, "a SAN such as 'client.example.com' or 'spiffe://example.com/c'")
]


class GatewayCertificateArgs(TypedDict, total=False):
    """One certificate and the hosts it serves (one server on 443), with its TLS mode."""

    hosts: Required[Sequence[Hostname]]
    """The hosts this certificate covers. Required."""
    cert_pem: pulumi.Input[str]
    """Bring your own: the certificate PEM, leaf first, then any intermediates."""
    private_key_pem: pulumi.Input[Annotated[str, Sensitive()]]
    """Bring your own: the key PEM, with ``cert_pem``. Kept as a secret."""
    existing_secret: DnsSubdomain
    """Bring your own: a ``kubernetes.io/tls`` secret already in the gateway namespace."""
    mode: TlsMode
    """This server's TLS mode. Default: the gateway's ``mode``."""
    client_ca_cert_pem: pulumi.Input[pki.CaBundle]
    """MUTUAL/OPTIONAL_MUTUAL: the CA bundle client certificates for these hosts must chain
    to. Default: the gateway's ``client_ca_cert_pem``, else its client CA."""
    client_subject_alt_names: Sequence[SubjectAltName]
    """MUTUAL/OPTIONAL_MUTUAL: accept only client certificates with one of these SANs (DNS,
    URI, email or IP; Istio's ``subjectAltNames``). Default: the gateway's."""


class HttpsGatewayArgs(pki.ValidityArgs, total=False):
    """Inputs of :class:`HttpsGateway`. ``gateway_namespace``, ``selector`` and either
    ``hosts`` or ``certificates`` are required."""

    gateway_namespace: Required[Annotated[DnsLabel, Plain("istio.info.gateway_namespace")]]
    """The gateway workload's namespace: ``IstioInstall.info.gateway_namespace``. Secrets go
    here."""
    selector: pulumi.Input[GatewaySelector]
    """The gateway workload's labels: ``IstioInstall.gateway_selector`` (or ``.info``).
    Required with ``api="istio"``, and never empty (that would bind every gateway in the
    mesh); the Gateway API's Gateway is its own workload."""
    installed_gateways: Annotated[Sequence[InstalledGatewayArgs], Plain("istio.info.gateways")]
    """With ``api="istio"``: the gateway workloads the install created, ``[{"namespace":
    g.namespace, "selector": g.selector} for g in istio.info.gateways]``. When given,
    ``selector`` must select one of them in ``gateway_namespace`` (a label they carry with
    another value selects nothing), checked once the selector is known."""
    api: Literal["istio", "gateway-api"]
    """``istio`` (default): an Istio Gateway bound to the workload ``selector`` picks.
    ``gateway-api``: a Kubernetes Gateway (``gatewayClassName: istio``) that istiod deploys
    a workload for, ``<name>-istio``, in ``gateway_namespace``."""
    service: GatewayServiceArgs
    """With ``api="gateway-api"``: the deployed workload's Service, from
    ``cluster.gateway_service()``: ``LoadBalancer`` (default; its annotations go on the
    Service), ``NodePort`` with fixed node ports (kind), or ``ClusterIP``."""
    trust_domain: Annotated[DnsSubdomain, Plain("istio.info.trust_domain")]
    """With ``api="gateway-api"``: the mesh trust domain, for the deployed workload's
    principal (:attr:`HttpsGateway.workload`). Default ``cluster.local``."""
    hosts: Sequence[Hostname]
    """Hosts to serve with generated certificates, grouped by ``grouping``."""
    grouping: Literal["shared", "per_host"]
    """``shared`` (default): one certificate for all hosts; ``per_host``: one each."""
    certificates: Sequence[GatewayCertificateArgs]
    """Instead of ``hosts``: certificates explicitly, generated or brought."""
    mode: TlsMode
    """``SIMPLE`` (default), ``MUTUAL`` (client certificates required), ``OPTIONAL_MUTUAL``
    (verified if presented) or ``PASSTHROUGH``; the default of every certificate's ``mode``."""
    min_tls_version: Annotated[Literal["TLSV1_2", "TLSV1_3"], Hint("TLS below 1.2 is not allowed")]
    """Lowest TLS version accepted. Default ``TLSV1_2``; nothing lower is allowed."""
    cipher_suites: Sequence[CipherSuite]
    """TLS 1.2 cipher suites (Envoy names). Default: Envoy's."""
    https_redirect: bool
    """Serve port 80 only to redirect to HTTPS (301). Default ``True``."""
    issuer: pki.IssuerArgs
    """Sign generated certificates with this CA (``CertificateAuthority.issuer()``).
    Default: a CA of the gateway's own."""
    client_ca_cert_pem: pulumi.Input[pki.CaBundle]
    """MUTUAL/OPTIONAL_MUTUAL: a CA bundle (PEM) client certificates must chain to, brought.
    Default: the gateway's client CA (``client_issuer``)."""
    client_issuer: pki.IssuerArgs
    """MUTUAL/OPTIONAL_MUTUAL: the CA that signs ``client_cert_pem`` and that clients must
    chain to. Default: a client CA of the gateway's own, never the server certificates'
    issuer, so a server-side issuer cannot mint client identities."""
    client_subject_alt_names: Sequence[SubjectAltName]
    """MUTUAL/OPTIONAL_MUTUAL: accept only client certificates with one of these SANs."""
    ca_cert_pem: pulumi.Input[str]
    """Brought certificates: the CA clients should trust, exported as ``ca_cert_pem``."""
    client_common_name: NonEmpty
    """MUTUAL: the subject CN (and DNS SAN) of the client certificate issued. Default
    ``client``."""
    key: pki.KeyArgs
    """Generated keys. Default ECDSA P-256."""
    allow_wildcards: bool
    """Allow ``*.example.com`` hosts. Default ``False``."""
    gateway_name: DnsLabel
    """The Gateway's ``metadata.name`` (Istio wants a DNS label). Default: the resource
    name."""
    local_ingress: LocalIngress
    """Where this machine reaches the gateway (``cluster.local_ingress``), for the smoke test."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first: ``IstioInstall.ready`` (istiod serving, and the namespaces the
    install creates), not the whole ``IstioInstall``."""


@dataclass
class _Cert:
    key: str
    hosts: list[str]
    index: int = 0
    """Position in ``certificates``, for error messages."""
    cert_pem: Any = None
    private_key_pem: Any = None
    existing_secret: str | None = None
    mode: str = "SIMPLE"
    client_ca_cert_pem: Any = None
    """Brought for these hosts, or ``None`` for the gateway's."""
    client_sans: tuple[str, ...] = ()

    @property
    def mutual(self) -> bool:
        return self.mode in MUTUAL_MODES

    @property
    def brought(self) -> bool:
        return self.cert_pem is not None or self.existing_secret is not None


def host_key(host: str) -> str:
    """A stable, DNS-safe key for a host: ``*.example.com`` → ``wildcard-example-com``."""
    return host.replace("*", "wildcard").replace(".", "-")


def _certs(args: HttpsGatewayArgs) -> list[_Cert]:
    mode = args.get("mode", "SIMPLE")
    sans = tuple(args.get("client_subject_alt_names", ()))
    if "certificates" in args:
        return [
            _Cert(
                key=host_key(c["hosts"][0]) if c.get("hosts") else str(i),
                hosts=list(c.get("hosts", [])),
                index=i,
                cert_pem=c.get("cert_pem"),
                private_key_pem=c.get("private_key_pem"),
                existing_secret=c.get("existing_secret"),
                mode=c.get("mode", mode),
                client_ca_cert_pem=c.get("client_ca_cert_pem"),
                client_sans=tuple(c.get("client_subject_alt_names", sans)),
            )
            for i, c in enumerate(args["certificates"])
        ]
    hosts = list(args.get("hosts", []))
    if args.get("grouping", "shared") == "per_host":
        return [_Cert(key=host_key(h), hosts=[h], mode=mode, client_sans=sans) for h in hosts]
    return [_Cert(key="shared", hosts=hosts, mode=mode, client_sans=sans)]


def _uses_client_issuer(args: HttpsGatewayArgs, certs: Sequence[_Cert]) -> bool:
    """Whether some mutual server trusts the gateway's client issuer (given or generated)."""
    return "client_ca_cert_pem" not in args and any(
        cert.mutual and cert.client_ca_cert_pem is None for cert in certs
    )


def _check_brought_pem(field_name: str, cert: _Cert) -> None:
    if not (isinstance(cert.cert_pem, str) and isinstance(cert.private_key_pem, str)):
        return  # Outputs: the same check runs when they are known (see _checked_pems).
    found = pki.brought_certificate_problem(cert.cert_pem, cert.private_key_pem, cert.hosts)
    if found:
        v.fail(COMPONENT, f"{field_name}.{found[0]}", found[1])


def _check_brought_leaf(field_name: str, cert: _Cert) -> None:
    """A plain brought ``cert_pem`` covers its hosts, checked now even while the key is an
    Output (a secret, usually): its names are public."""
    if not isinstance(cert.cert_pem, str) or isinstance(cert.private_key_pem, str):
        return  # an Output, or both plain and checked whole by _check_brought_pem
    leaf = _plain_leaf(cert)
    if leaf is None:
        v.fail(COMPONENT, f"{field_name}.cert_pem", "does not parse as PEM certificates")
    problem = pki.coverage_problem(pki.dns_names(leaf), cert.hosts)
    if problem:
        v.fail(COMPONENT, f"{field_name}.cert_pem", problem)


def _checked_pems(field_name: str, cert: _Cert) -> pulumi.Output[list[str]]:
    """The brought PEMs, checked once known: a bad pair fails the update before the secret."""

    def check(pems: list[str]) -> list[str]:
        found = pki.brought_certificate_problem(pems[0], pems[1], cert.hosts)
        if found:
            v.fail(COMPONENT, f"{field_name}.{found[0]}", found[1])
        return pems

    return pulumi.Output.all(cert.cert_pem, cert.private_key_pem).apply(check)


def _plain_leaf(cert: _Cert) -> x509.Certificate | None:
    """The leaf of a brought ``cert_pem`` given as a plain string (``None`` otherwise, or if
    it does not parse: the brought-PEM check reports that)."""
    if not isinstance(cert.cert_pem, str):
        return None
    try:
        return x509.load_pem_x509_certificates(cert.cert_pem.encode())[0]
    except ValueError:
        return None


def _key_type(cert: _Cert, args: HttpsGatewayArgs) -> Literal["ECDSA", "RSA"] | None:
    """The key type this certificate serves with, where it can be known before deploy: the
    generated key's ``key.algorithm``, or a plain brought PEM's public key."""
    if cert.mode == "PASSTHROUGH" or cert.existing_secret is not None:
        return None  # the backend's certificate, or a secret that is not read here
    if cert.cert_pem is None:
        return args.get("key", {}).get("algorithm", "ECDSA")
    key = leaf.public_key() if (leaf := _plain_leaf(cert)) is not None else None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ECDSA"
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA"
    return None


def _check_cipher_suites(args: HttpsGatewayArgs, certs: Sequence[_Cert]) -> None:
    """Every certificate whose key type is known can serve one of ``cipher_suites``."""
    c = COMPONENT
    suites = list(args.get("cipher_suites", []))
    if not suites:
        return
    repeated = sorted({s for s in suites if suites.count(s) > 1})
    if repeated:
        v.fail(c, "cipher_suites", f"repeat {repeated}; name each suite once")
    for cert in certs:
        key_type = _key_type(cert, args)
        if key_type is None:
            continue
        usable = suites_for(key_type)
        if not set(suites) & set(usable):
            source = (
                f"certificates[{cert.index}] (brought)"
                if cert.cert_pem is not None
                else "the generated certificates (`key.algorithm`)"
            )
            v.fail(
                c,
                "cipher_suites",
                f"has no suite an {key_type} certificate can use, and {source} for "
                f"{cert.hosts} has an {key_type} key: TLS 1.2 clients would get a handshake "
                "failure. "
                f"Add one of {list(usable)}, or leave cipher_suites out for Envoy's defaults",
            )


def workload_problem(
    selector: Mapping[str, str], workloads: Sequence[InstalledGatewayArgs], namespace: str
) -> tuple[str, str] | None:
    """Why ``selector`` binds none of the install's gateway ``workloads`` in ``namespace``,
    as ``(field, problem)``, or ``None``.

    A Gateway applies to pods whose labels include all of its selector's. A workload is known
    by the labels that select it, not all its pods' labels, so only a label it has with a
    different value rules it out; a label it is not known to have might be on its pods.
    """
    here = [w for w in workloads if w["namespace"] == namespace]
    if not here:
        elsewhere = sorted({w["namespace"] for w in workloads})
        return "gateway_namespace", (
            f"is {namespace!r}, but no gateway workload of the install runs there (they run in "
            f"{elsewhere}): the TLS secrets must be in the selected workload's namespace. Use "
            "IstioInstall.info.gateway_namespace"
        )
    for workload in here:
        known = workload["selector"]
        if all(known.get(key, value) == value for key, value in selector.items()):
            return None
    labels = [dict(sorted(w["selector"].items())) for w in here]
    return "selector", (
        f"is {dict(sorted(selector.items()))}, which selects none of the install's gateway "
        f"workloads in {namespace!r}; they are labelled {labels}: use one of those "
        "(IstioInstall.info.gateway_selector)"
    )


def _checked_selector(
    selector: Mapping[str, str], args: HttpsGatewayArgs, namespace: str
) -> dict[str, str]:
    """The selector, sorted, once checked against ``installed_gateways`` (when given)."""
    if "installed_gateways" in args:
        found = workload_problem(selector, args["installed_gateways"], namespace)
        if found:
            v.fail(COMPONENT, *found)
    return dict(sorted(selector.items()))


def _check_mutual_secrets(args: HttpsGatewayArgs, certs: Sequence[_Cert]) -> None:
    """A mutual server on a brought Secret is told its client CA explicitly."""
    if "client_ca_cert_pem" in args or "client_issuer" in args:
        return
    for cert in certs:
        if cert.mutual and cert.existing_secret is not None and cert.client_ca_cert_pem is None:
            v.fail(
                COMPONENT,
                f"certificates[{cert.index}].client_ca_cert_pem",
                f"is missing: mode {cert.mode} on the existing secret "
                f"{cert.existing_secret!r} needs the CA its clients chain to. The secret is "
                "not read here, so a generated client CA would be trusted in place of any "
                f"ca.crt it holds (Istio reads '{cert.existing_secret}-cacert' first). Give "
                "client_ca_cert_pem (here or on the gateway) or client_issuer",
            )


def _check_gateway_api(args: HttpsGatewayArgs, certs: Sequence[_Cert]) -> None:
    """What a Gateway API Gateway cannot do that an Istio one can."""
    c = COMPONENT
    if "selector" in args:
        v.fail(c, "selector", "is not used with api='gateway-api': the Gateway is its workload")
    service = args.get("service", {})
    if service.get("type") == "NodePort" and "node_ports" not in service:
        v.fail(c, "service.node_ports", "is missing; a NodePort gateway needs them")
    if "node_ports" in service and service.get("type") != "NodePort":
        v.fail(c, "service.node_ports", "is only used with type 'NodePort'")
    for i, cert in enumerate(certs):
        if cert.mode == "PASSTHROUGH":
            where = f"certificates[{i}].mode" if "certificates" in args else "mode"
            v.fail(c, where, "PASSTHROUGH needs TLSRoutes, which this package does not make yet; "
                   "use api='istio'")  # fmt: skip
    modes = {cert.mode for cert in certs}
    if len(modes) > 1:
        v.fail(
            c,
            "certificates",
            f"mix modes {sorted(modes)}; a Gateway API Gateway validates client certificates "
            "per port, and every HTTPS listener is on 443: give one mode, or use api='istio'",
        )
    cas = {id(cert.client_ca_cert_pem) for cert in certs if cert.client_ca_cert_pem is not None}
    if len(cas) > 1:
        v.fail(c, "certificates", "give several client CAs; port 443 has one: give it once")
    if any(cert.client_sans for cert in certs):
        v.fail(
            c,
            "client_subject_alt_names",
            "cannot be checked by the Gateway API's client-certificate validation, which has "
            "no SAN match; use api='istio'",
        )
    if args.get("min_tls_version", "TLSV1_2") != "TLSV1_2":
        v.fail(
            c,
            "min_tls_version",
            "cannot be raised through the Gateway API; Istio's gateways accept TLS 1.2 and 1.3. "
            "Use api='istio' for TLS 1.3 only",
        )


def validate_args(args: HttpsGatewayArgs | None, name: str = "gateway") -> HttpsGatewayArgs:
    """Check :class:`HttpsGateway` input against its declaration and the rules across fields;
    raises :class:`ValidationError`. Returns the args to build from."""
    c = COMPONENT
    args = contract.check(c, HttpsGatewayArgs, args)
    if ("hosts" in args) == ("certificates" in args):
        v.fail(c, "hosts", "and `certificates` are both set or both missing; give one")
    if "hosts" in args and not args["hosts"]:
        v.fail(c, "hosts", "is empty; give at least one host name")
    if "certificates" in args and not args["certificates"]:
        v.fail(c, "certificates", "is empty; give at least one certificate")
    if "grouping" in args and "certificates" in args:
        v.fail(c, "grouping", "only applies to `hosts`; `certificates` are grouped already")
    version = args.get("min_tls_version", "TLSV1_2")
    if "cipher_suites" in args:
        if not args["cipher_suites"]:
            v.fail(c, "cipher_suites", "is empty; leave it out for Envoy's defaults")
        if version == "TLSV1_3":
            v.fail(c, "cipher_suites", "only apply to TLS 1.2, but min_tls_version is 'TLSV1_3'")
    allow_wildcards = args.get("allow_wildcards", False)
    certs = _certs(args)
    seen: dict[str, str] = {}
    keys: dict[str, str] = {}
    for i, cert in enumerate(certs):
        where = "hosts" if "hosts" in args else f"certificates[{i}].hosts"
        if not cert.hosts:
            v.fail(c, where, "is empty; every certificate serves at least one host")
        for j, host in enumerate(cert.hosts):
            if host.startswith("*.") and not allow_wildcards:
                v.fail(
                    c,
                    f"{where}[{j}]",
                    f"is the wildcard {host!r}; wildcards must be asked for with "
                    "allow_wildcards=True",
                )
            if host in seen:
                v.fail(
                    c,
                    f"{where}[{j}]",
                    f"repeats {host!r}: each host belongs to exactly one certificate",
                )
            seen[host] = where
        # Each certificate's children and secret are named by its key: two must not share one.
        label = cert.hosts[0]
        if cert.key in keys:
            v.fail(
                c,
                where,
                f"names its certificate {cert.key!r}, as {keys[cert.key]!r} does; both would be "
                "one secret and one resource. Rename one host or give `certificates` explicitly",
            )
        keys[cert.key] = label
        if cert.existing_secret is not None and cert.cert_pem is not None:
            v.fail(c, f"certificates[{i}]", "gives both `existing_secret` and `cert_pem`; give one")
        if (cert.cert_pem is None) != (cert.private_key_pem is None):
            v.fail(c, f"certificates[{i}]", "needs both `cert_pem` and `private_key_pem`")
        if cert.mode == "PASSTHROUGH" and cert.brought:
            v.fail(
                c,
                f"certificates[{i}]",
                "brings a certificate, but PASSTHROUGH leaves TLS to the backend; remove it",
            )
        if not cert.mutual and "certificates" in args:
            entry = args["certificates"][i]
            for extra in ("client_ca_cert_pem", "client_subject_alt_names"):
                if extra in entry:
                    v.fail(
                        c,
                        f"certificates[{i}].{extra}",
                        f"only applies to modes {' or '.join(MUTUAL_MODES)}; this "
                        f"certificate's mode is {cert.mode!r}",
                    )
        _check_brought_pem(f"certificates[{i}]", cert)
        _check_brought_leaf(f"certificates[{i}]", cert)
    if all(cert.mode == "PASSTHROUGH" for cert in certs):
        for extra in ("issuer", "min_tls_version", "cipher_suites", "key"):
            if extra in args:
                v.fail(c, extra, "does not apply to PASSTHROUGH: the backend terminates TLS")
    if not any(cert.mutual for cert in certs):
        client_fields = (
            "client_ca_cert_pem",
            "client_issuer",
            "client_common_name",
            "client_subject_alt_names",
        )
        for extra in client_fields:
            if extra in args:
                v.fail(
                    c,
                    extra,
                    f"only applies to modes {' or '.join(MUTUAL_MODES)}, and no certificate "
                    "has one",
                )
    if "client_ca_cert_pem" in args and "client_issuer" in args:
        v.fail(
            c,
            "client_issuer",
            "and `client_ca_cert_pem` are both set; give the issuer (it signs a client "
            "certificate too) or the brought CA bundle",
        )
    if "client_common_name" in args and not _uses_client_issuer(args, certs):
        v.fail(
            c,
            "client_common_name",
            "names a client certificate that is not issued: every mutual server trusts a "
            "brought `client_ca_cert_pem`",
        )
    _check_mutual_secrets(args, certs)
    _check_cipher_suites(args, certs)
    if args.get("api", "istio") == "gateway-api":
        if "installed_gateways" in args:
            v.fail(
                c,
                "installed_gateways",
                "is not used with api='gateway-api': the Gateway is its own workload",
            )
        _check_gateway_api(args, certs)
    elif "selector" not in args:
        v.fail(c, "selector", "is missing; the Istio Gateway binds the workload it selects")
    else:
        for gateway_api_only in ("trust_domain", "service"):
            if gateway_api_only in args:
                v.fail(c, gateway_api_only, "is only used with api='gateway-api'")
        if isinstance(args["selector"], Mapping):  # an Output is checked once known
            _checked_selector(args["selector"], args, args["gateway_namespace"])
    pki.check_key(c, "key", args.get("key", {}))
    pki.check_validity(c, args)
    if "gateway_name" not in args:
        problem = dns_label_problem(name)
        if problem:
            v.fail(c, "gateway_name", f"is {name!r} (the resource name); {problem}")
    checked = contract.deferred(c, HttpsGatewayArgs, args)
    # A brought CA's key, certificate and chain must belong together: at once when plain,
    # else once known, before anything it signs registers.
    for field in ("issuer", "client_issuer"):
        if field in args:
            checked[field] = pki.check_issuer(c, field, args[field])
    return checked


class HttpsGateway(pulumi.ComponentResource):
    """HTTPS at the edge: an Istio Gateway, its TLS secrets, and certificates for them.

    The secrets are ``kubernetes.io/tls`` Secrets in the gateway **workload's** namespace
    (``credentialName`` is looked up there): ``tls.crt`` is the leaf followed by any
    intermediate, ``tls.key`` the key, and for MUTUAL ``ca.crt`` the CA client certificates
    must chain to. The Gateway depends on its secrets.

    Bind VirtualServices with ``gateways: [gateway.gateway_ref]``.
    """

    gateway_ref: pulumi.Output[str]
    """``<namespace>/<name>``, for a VirtualService's ``gateways``."""
    gateway_name: pulumi.Output[str]
    """The Gateway's name."""
    hosts: pulumi.Output[list[str]]
    """Every host served, in the order given."""
    secret_names: pulumi.Output[list[str]]
    """The credential secrets the Gateway reads, one per certificate."""
    ca_cert_pem: pulumi.Output[str]
    """The CA certificate clients should trust (public); ``""`` if brought and not given."""
    expiry: pulumi.Output[dict[str, str]]
    """Generated certificates' expiry (RFC 3339), by secret name."""
    client_cert_pem: pulumi.Output[str]
    """A client certificate from the gateway's client CA (or ``client_issuer``), issued when a
    mutual host trusts it; ``""`` otherwise."""
    client_private_key_pem: pulumi.Output[str]
    """Its key (secret); ``""`` when no client certificate is issued."""
    smoke_test: pulumi.Output[str]
    """A shell command (sh or bash) that requests the first host over HTTPS, trusting only the
    exported CA; a secret when the host is mutual, since it holds the client key."""
    workload: GatewayInfo | None
    """With ``api="gateway-api"``: the workload istiod deploys for the Gateway (selector,
    service account, principal), for ``StrictMtls``; ``None`` with ``api="istio"``."""

    def __init__(
        self,
        name: str,
        args: HttpsGatewayArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = validate_args(args, name)
        super().__init__("mesh-https:index:HttpsGateway", name, None, opts)
        namespace = args["gateway_namespace"]
        gateway_name = args.get("gateway_name", name)
        after = list(args.get("depends_on", []))
        given = _certs(args)  # in the order given: hosts and the smoke test follow it
        certs = sorted(given, key=lambda cert: cert.key)
        validity = pki.validity_of(args)

        issuer: pki.IssuerArgs | None = args.get("issuer")
        ca_args: pki.CertificateAuthorityArgs = {
            "key": args.get("key", {}),
            "validity_hours": validity["validity_hours"],
            "early_renewal_hours": validity["early_renewal_hours"],
        }
        needs_ca = any(cert.mode != "PASSTHROUGH" and not cert.brought for cert in certs)
        if needs_ca and issuer is None:
            own_ca = pki.CertificateAuthority(
                f"{name}-ca", ca_args, opts=pulumi.ResourceOptions(parent=self)
            )
            issuer = own_ca.issuer()

        # Clients are trusted from a CA of their own, not the one that signs server
        # certificates: whoever can issue for the edge cannot also mint client identities.
        client_issuer: pki.IssuerArgs | None = None
        gateway_client_ca: pulumi.Input[str] = args.get("client_ca_cert_pem", "")
        if _uses_client_issuer(args, certs):
            client_issuer = args.get("client_issuer")
            if client_issuer is None:
                client_issuer = pki.CertificateAuthority(
                    f"{name}-client-ca", ca_args, opts=pulumi.ResourceOptions(parent=self)
                ).issuer()
            gateway_client_ca = _ca_bundle(client_issuer)

        secrets: list[pulumi.Resource] = []
        secret_names: list[str] = []
        expiry: dict[str, pulumi.Output[str]] = {}
        servers: list[dict[str, Any]] = []
        for cert in certs:
            credential = cert.existing_secret or f"{gateway_name}-{cert.key}-tls"
            client_ca = (
                gateway_client_ca if cert.client_ca_cert_pem is None else cert.client_ca_cert_pem
            )
            if cert.mode != "PASSTHROUGH" and cert.existing_secret is None:
                if cert.cert_pem is not None:
                    chain: pulumi.Input[str] = cert.cert_pem
                    key_pem: pulumi.Input[str] = cert.private_key_pem
                    if not (isinstance(chain, str) and isinstance(key_pem, str)):
                        pems = _checked_pems(f"certificates[{cert.index}]", cert)
                        chain, key_pem = pems[0], pems[1]
                else:
                    assert issuer is not None
                    leaf = pki.server_certificate(
                        f"{name}-{cert.key}",
                        issuer,
                        cert.hosts,
                        allow_wildcards=args.get("allow_wildcards", False),
                        key=args.get("key"),
                        validity=validity,
                        opts=pulumi.ResourceOptions(parent=self),
                    )
                    chain, key_pem = leaf.full_chain_pem, leaf.private_key_pem
                    expiry[credential] = leaf.expiry
                data: dict[str, pulumi.Input[str]] = {
                    "tls.crt": chain,
                    "tls.key": pulumi.Output.secret(key_pem),
                }
                if cert.mutual:
                    data["ca.crt"] = client_ca
                secrets.append(
                    self._secret(f"{name}-{cert.key}", credential, namespace, data, after)
                )
            elif cert.mutual and cert.existing_secret is not None:
                # Istio reads the client CA of a brought secret from `<name>-cacert`.
                secrets.append(
                    self._secret(
                        f"{name}-{cert.key}-cacert",
                        f"{credential}-cacert",
                        namespace,
                        {"ca.crt": client_ca},
                        after,
                        secret_type="Opaque",
                    )
                )
            if cert.mode != "PASSTHROUGH":
                secret_names.append(credential)
            servers.append(self._https_server(cert, credential, args, len(certs) == 1))

        if args.get("https_redirect", True):
            all_hosts = sorted(h for cert in certs for h in cert.hosts)
            http = {"number": 80, "name": "http", "protocol": "HTTP"}
            servers.insert(0, {"port": http, "hosts": all_hosts, "tls": {"httpsRedirect": True}})

        self.workload = None
        if args.get("api", "istio") == "gateway-api":
            self.workload = gateway_api_workload(
                gateway_name, namespace, args.get("trust_domain", "cluster.local")
            )
            mutual = [cert for cert in certs if cert.mutual]
            client_ca_secret: k8s.core.v1.Secret | None = None
            if mutual:
                first = mutual[0]
                ca = (
                    gateway_client_ca
                    if first.client_ca_cert_pem is None
                    else first.client_ca_cert_pem
                )
                client_ca_secret = self._secret(
                    f"{name}-client-ca", f"{gateway_name}-client-ca", namespace,
                    {"ca.crt": ca}, after, secret_type="Opaque",
                )  # fmt: skip
                secrets.append(client_ca_secret)
            gateway_spec = _kubernetes_gateway(
                certs, gateway_name, args, mutual[0].mode if mutual else None
            )
            service = args.get("service", {})
            options = _service_options(service)
            if options is not None:
                # Fixed node ports: a Service overlay istiod merges into the Service it
                # generates (by port), named by the Gateway's parametersRef.
                secrets.append(
                    k8s.core.v1.ConfigMap(
                        f"{name}-options",
                        metadata={
                            "name": f"{gateway_name}-options",
                            "namespace": namespace,
                            "labels": dict(MANAGED_LABELS),
                        },
                        data={"service": options},
                        opts=pulumi.ResourceOptions(
                            parent=self, depends_on=edges_in(namespace, after)
                        ),
                    )
                )
                gateway_spec["infrastructure"] = {
                    "parametersRef": {
                        "group": "",
                        "kind": "ConfigMap",
                        "name": f"{gateway_name}-options",
                    }
                }
            if service.get("annotations"):
                gateway_spec.setdefault("infrastructure", {})["annotations"] = dict(
                    sorted(service["annotations"].items())
                )
            self.gateway = gateway_api_object(
                f"{name}-gateway",
                "Gateway",
                gateway_name,
                namespace,
                gateway_spec,
                annotations={SERVICE_TYPE_ANNOTATION: service.get("type", "LoadBalancer")},
                parent=self,
                depends_on=[*secrets, *after],
            )
            if args.get("https_redirect", True):
                redirect = {
                    "type": "RequestRedirect",
                    "requestRedirect": {"scheme": "https", "statusCode": 301},
                }
                parent = {"name": gateway_name, "sectionName": "http"}
                gateway_api_object(
                    f"{name}-https-redirect",
                    "HTTPRoute",
                    f"{gateway_name}-https-redirect",
                    namespace,
                    {"parentRefs": [parent], "rules": [{"filters": [redirect]}]},
                    parent=self,
                    depends_on=[self.gateway],
                )
        else:
            spec = pulumi.Output.from_input(args["selector"]).apply(
                lambda selector: {
                    "selector": _checked_selector(selector, args, namespace),
                    "servers": servers,
                }
            )
            self.gateway = istio_object(
                f"{name}-gateway",
                "Gateway",
                gateway_name,
                namespace,
                spec,
                parent=self,
                depends_on=[*secrets, *after],
            )

        client_cert: pulumi.Input[str] = ""
        client_key: pulumi.Input[str] = ""
        if client_issuer is not None:
            common_name = args.get("client_common_name", "client")
            client = pki.client_certificate(
                f"{name}-client",
                client_issuer,
                common_name,
                # The name is a DNS SAN as well, for servers that check client SANs.
                dns_names=[common_name] if hostname_problem(common_name) is None else None,
                key=args.get("key"),
                validity=validity,
                opts=pulumi.ResourceOptions(parent=self),
            )
            client_cert = pki.concat_pem(client.cert_pem, client_issuer["chain_pem"])
            client_key = client.private_key_pem

        self.gateway_name = known(gateway_name)
        self._ref = f"{namespace}/{gateway_name}"
        self.gateway_ref = known(self._ref)
        self.host_names: list[str] = [h for c in given for h in c.hosts]
        self.hosts = known(self.host_names)
        self.secret_names = known(secret_names)
        self.ca_cert_pem = pulumi.Output.from_input(
            issuer["root_cert_pem"] if issuer is not None else args.get("ca_cert_pem", "")
        )
        self.expiry = (
            pulumi.Output.all(**expiry).apply(lambda e: dict(sorted(e.items())))
            if expiry
            else known({})
        )
        self.client_cert_pem = pulumi.Output.from_input(client_cert)
        self.client_private_key_pem = pulumi.Output.secret(client_key)
        first = given[0]  # the smoke test's host is the first host of the first certificate
        self.smoke_test = _smoke_test(
            self.hosts,
            self.ca_cert_pem,
            namespace,
            args,
            # The Service to ask for the load balancer's address carries the pods' labels.
            self.workload.selector if self.workload else args["selector"],
            first.mode,
            self.client_cert_pem,
            # Only a mutual host's command holds the key, and only then is it a secret.
            self.client_private_key_pem if first.mutual else "",
        )
        self.register_outputs(
            {
                "gateway_ref": self.gateway_ref,
                "gateway_name": self.gateway_name,
                "hosts": self.hosts,
                "secret_names": self.secret_names,
                "ca_cert_pem": self.ca_cert_pem,
                "expiry": self.expiry,
                "client_cert_pem": self.client_cert_pem,
                "client_private_key_pem": self.client_private_key_pem,
                "smoke_test": self.smoke_test,
            }
        )

    def route_target(self) -> GatewayRouteArgs:
        """This gateway as ``CanaryRouteArgs.gateways`` takes it: its reference and hosts.

        Both are plain values, known before deploy (the namespace and name are structural),
        and the host list is shared, not copied: binding N routes to one gateway of N hosts
        costs N, not N².
        """
        return {"ref": self._ref, "hosts": self.host_names}

    def _secret(
        self,
        resource_name: str,
        secret_name: str,
        namespace: pulumi.Input[str],
        data: Mapping[str, pulumi.Input[str]],
        after: Sequence[pulumi.Resource],
        secret_type: str = "kubernetes.io/tls",
    ) -> k8s.core.v1.Secret:
        return k8s.core.v1.Secret(
            resource_name,
            metadata={"name": secret_name, "namespace": namespace, "labels": dict(MANAGED_LABELS)},
            type=secret_type,
            string_data=pulumi.Output.secret(dict(sorted(data.items()))),
            opts=pulumi.ResourceOptions(parent=self, depends_on=edges_in(namespace, after)),
        )

    @staticmethod
    def _https_server(
        cert: _Cert, credential: str, args: HttpsGatewayArgs, only: bool
    ) -> dict[str, Any]:
        port_name = "https" if only else f"https-{cert.key}"
        if cert.mode == "PASSTHROUGH":
            port = {"number": 443, "name": port_name.replace("https", "tls"), "protocol": "TLS"}
            return {"port": port, "hosts": list(cert.hosts), "tls": {"mode": "PASSTHROUGH"}}
        tls: dict[str, Any] = {
            "mode": cert.mode,
            "credentialName": credential,
            "minProtocolVersion": args.get("min_tls_version", "TLSV1_2"),
        }
        if "cipher_suites" in args:
            tls["cipherSuites"] = list(args["cipher_suites"])
        if cert.mutual and cert.client_sans:
            tls["subjectAltNames"] = list(cert.client_sans)
        port = {"number": 443, "name": port_name, "protocol": "HTTPS"}
        return {"port": port, "hosts": list(cert.hosts), "tls": tls}


def gateway_api_workload(name: str, namespace: str, trust_domain: str) -> GatewayInfo:
    """The workload istiod deploys for a Gateway API Gateway of class ``istio``: it names the
    Deployment, Service and service account ``<gateway>-istio`` and labels the pods with the
    Gateway's name."""
    account = f"{name}-istio"
    return GatewayInfo(
        name=account,
        namespace=namespace,
        selector={"gateway.networking.k8s.io/gateway-name": name},
        service_account=account,
        principal=principal_of(namespace, account, trust_domain),
    )


SERVICE_TYPE_ANNOTATION = "networking.istio.io/service-type"
"""The Gateway annotation istiod reads for the type of the Service it deploys."""


def _service_options(service: GatewayServiceArgs) -> str | None:
    """The ``service`` overlay for fixed node ports (YAML), or ``None`` when none are set."""
    if service.get("type") != "NodePort" or "node_ports" not in service:
        return None
    ports = service["node_ports"]
    return (
        "spec:\n"
        "  ports:\n"
        f"  - port: 80\n    nodePort: {ports['http']}\n"
        f"  - port: 443\n    nodePort: {ports['https']}\n"
    )


def _kubernetes_gateway(
    certs: Sequence[_Cert], gateway_name: str, args: HttpsGatewayArgs, mutual_mode: str | None
) -> dict[str, Any]:
    """The Gateway API Gateway: an HTTPS listener per host on 443, each with its
    certificate's Secret, and an HTTP listener on 80 for the redirect."""
    listeners: list[dict[str, Any]] = []
    if args.get("https_redirect", True):
        listeners.append({"name": "http", "port": 80, "protocol": "HTTP"})
    options = (
        {"gateway.istio.io/tls-cipher-suites": ",".join(args["cipher_suites"])}
        if "cipher_suites" in args
        else {}
    )
    for cert in certs:
        credential = cert.existing_secret or f"{gateway_name}-{cert.key}-tls"
        for host in cert.hosts:
            tls: dict[str, Any] = {
                "mode": "Terminate",
                "certificateRefs": [{"group": "", "kind": "Secret", "name": credential}],
            }
            if options:
                tls["options"] = options
            listeners.append(
                {
                    "name": f"https-{host_key(host)}",
                    "port": 443,
                    "protocol": "HTTPS",
                    "hostname": host,
                    "tls": tls,
                }
            )
    spec: dict[str, Any] = {"gatewayClassName": "istio", "listeners": listeners}
    if mutual_mode is not None:
        # Client certificates are validated per port: one CA for every listener on 443.
        spec["tls"] = {
            "frontend": {
                "default": {
                    "validation": {
                        "caCertificateRefs": [
                            {"group": "", "kind": "Secret", "name": f"{gateway_name}-client-ca"}
                        ],
                        "mode": "AllowInsecureFallback"
                        if mutual_mode == "OPTIONAL_MUTUAL"
                        else "AllowValidOnly",
                    }
                }
            }
        }
    return spec


def _ca_bundle(issuer: pki.IssuerArgs | None) -> pulumi.Output[str]:
    """The CA file for client verification: the intermediates (if any) and the root."""
    assert issuer is not None
    return pki.concat_pem(issuer["chain_pem"], issuer["root_cert_pem"])


LOAD_BALANCER_JSONPATH = (
    "{.items[0].status.loadBalancer.ingress[0].ip}"
    "{.items[0].status.loadBalancer.ingress[0].hostname}"
)
"""The gateway Service's load-balancer address: its IP, or (AWS) its host name. A load
balancer reports one of the two, so printing both gives the one that is set."""


def _smoke_test(
    hosts: pulumi.Output[list[str]],
    ca_cert_pem: pulumi.Output[str],
    namespace: pulumi.Input[str],
    args: HttpsGatewayArgs,
    service_labels: pulumi.Input[Mapping[str, str]],
    mode: str,
    client_cert_pem: pulumi.Output[str],
    client_key_pem: pulumi.Input[str],
) -> pulumi.Output[str]:
    """A shell command (sh or bash) that requests the first host over HTTPS.

    It runs in a subshell that writes the CA (and, for a mutual host, the client certificate
    and key) to a private temporary directory, uses them, and removes them on exit. With the
    client key inside, the command is a secret.
    """
    selector = pulumi.Output.from_input(service_labels)
    local = args.get("local_ingress")

    def command(values: list[Any]) -> str:
        host_list, ca, ns, labels, client, key = values
        host = host_list[0].replace("*", "smoke-test", 1)
        files = {"ca.crt": ca} if ca else {}
        if mode in MUTUAL_MODES and client and key:
            files.update({"client.crt": client, "client.key": key})
        steps = ['d="$(mktemp -d)"', "trap 'rm -rf \"$d\"' EXIT", "umask 077"]
        steps += [f"printf '%s\\n' '{pem.strip()}' > \"$d/{name}\"" for name, pem in files.items()]
        parts = ["curl -sS --fail-with-body"]
        if ca:
            parts.append('--cacert "$d/ca.crt"')
        if "client.crt" in files:
            parts.append('--cert "$d/client.crt" --key "$d/client.key"')
        if local is not None:
            port = local["ports"]["https"]
            parts.append(f"--resolve {host}:{port}:{local['address']}")
            url = f"https://{host}/" if port == 443 else f"https://{host}:{port}/"
        else:
            label = ",".join(f"{k}={val}" for k, val in sorted(labels.items()))
            steps.append(
                f'address="$(kubectl -n {ns} get svc -l {label} -o '
                f"jsonpath='{LOAD_BALANCER_JSONPATH}')\""
            )
            parts.append(f'--connect-to "{host}:443:$address:443"')
            url = f"https://{host}/"
        parts.append(url)
        return "(" + " && ".join([*steps, " ".join(parts)]) + ")"

    out = pulumi.Output.all(
        hosts, ca_cert_pem, namespace, selector, client_cert_pem, client_key_pem
    )
    return out.apply(command)
