"""Real TLS handshakes against what a program registered, in-process, with Python's ``ssl``.

:class:`GatewayTlsServer` plays the ingress gateway: it reads a recorded Istio ``Gateway``,
finds the Secret each HTTPS server's ``credentialName`` names in the gateway's namespace, and
serves on 127.0.0.1 with those certificates and the server's TLS settings
(``minProtocolVersion``, ``cipherSuites``, ``MUTUAL`` and ``OPTIONAL_MUTUAL`` client
verification, and ``subjectAltNames``, matched as Envoy matches them). Like Envoy, it picks the
server by the ClientHello's SNI, and closes the connection for a name no server lists.
:func:`handshake` is the client.
"""

from __future__ import annotations

import base64
import os
import socket
import ssl
import tempfile
import threading
import warnings
from dataclasses import dataclass
from typing import Any

from mesh_https.https_gateway import MUTUAL_MODES
from mesh_https.testing._recording import RecordedResource, Recording

_VERSIONS = {"TLSV1_0": "TLSv1", "TLSV1_1": "TLSv1_1", "TLSV1_2": "TLSv1_2", "TLSV1_3": "TLSv1_3"}


@dataclass(frozen=True)
class Listener:
    """One HTTPS server of a Gateway, with the PEMs its credential secret holds."""

    hosts: tuple[str, ...]
    mode: str
    min_version: str
    cipher_suites: tuple[str, ...]
    cert_chain_pem: str
    private_key_pem: str
    ca_pem: str | None
    subject_alt_names: tuple[str, ...] = ()
    """Client certificate SANs accepted (``subjectAltNames``); empty: any."""


def secret_data(secret: RecordedResource) -> dict[str, str]:
    """A recorded Secret's contents, from ``stringData`` or (base64) ``data``."""
    encoded = secret.inputs.get("data") or {}
    data = {key: base64.b64decode(value).decode() for key, value in encoded.items()}
    data.update(secret.inputs.get("stringData") or {})
    return data


def listeners(recording: Recording, gateway: RecordedResource) -> list[Listener]:
    """The TLS-terminating servers of ``gateway`` (SIMPLE, MUTUAL and OPTIONAL_MUTUAL), with
    their secrets.

    A ``credentialName`` is looked up where Istio looks: in the gateway's namespace. A missing
    secret raises ``LookupError``, as the gateway would serve nothing for it. A Gateway API
    ``Gateway`` is read the same way: its HTTPS listeners, their ``certificateRefs``, and the
    client-certificate validation of ``spec.tls.frontend``.
    """
    if (gateway.api_version or "").startswith("gateway.networking.k8s.io/"):
        return _gateway_api_listeners(recording, gateway)
    namespace = gateway.namespace
    found = []
    for server in gateway.spec.get("servers", []):
        tls = server.get("tls") or {}
        if tls.get("mode") not in ("SIMPLE", *MUTUAL_MODES):
            continue
        name = tls["credentialName"]
        data = secret_data(recording.one(kind="Secret", object_name=name, namespace=namespace))
        ca = data.get("ca.crt")
        if tls["mode"] in MUTUAL_MODES and ca is None:
            cacert = recording.find(
                kind="Secret", object_name=f"{name}-cacert", namespace=namespace
            )
            ca = secret_data(cacert[0]).get("ca.crt") if cacert else None
        found.append(
            Listener(
                hosts=tuple(server.get("hosts", [])),
                mode=tls["mode"],
                min_version=tls.get("minProtocolVersion", "TLSV1_2"),
                cipher_suites=tuple(tls.get("cipherSuites", [])),
                cert_chain_pem=data["tls.crt"],
                private_key_pem=data["tls.key"],
                ca_pem=ca,
                subject_alt_names=tuple(tls.get("subjectAltNames", [])),
            )
        )
    return found


def _gateway_api_listeners(recording: Recording, gateway: RecordedResource) -> list[Listener]:
    """The HTTPS listeners of a Gateway API Gateway, as Istio serves them."""
    namespace = gateway.namespace
    spec = gateway.spec

    def secret(ref: dict[str, Any]) -> dict[str, str]:
        where = ref.get("namespace") or namespace
        kind = ref.get("kind", "Secret")
        return secret_data(recording.one(kind=kind, object_name=ref["name"], namespace=where))

    frontend = (spec.get("tls") or {}).get("frontend") or {}
    found = []
    for listener in spec.get("listeners", []):
        tls = listener.get("tls") or {}
        if listener.get("protocol") != "HTTPS" or tls.get("mode", "Terminate") != "Terminate":
            continue
        port_config = next(
            (
                p.get("tls")
                for p in frontend.get("perPort", [])
                if p.get("port") == listener["port"]
            ),
            frontend.get("default"),
        )
        validation = (port_config or {}).get("validation")
        mode, ca = "SIMPLE", None
        if validation:
            # Istio: AllowValidOnly is MUTUAL; AllowInsecureFallback is OPTIONAL_MUTUAL.
            fallback = validation.get("mode") == "AllowInsecureFallback"
            mode = "OPTIONAL_MUTUAL" if fallback else "MUTUAL"
            (ca_ref,) = validation["caCertificateRefs"]  # Istio takes exactly one
            data = secret(ca_ref)
            ca = data.get("ca.crt") or data.get("cacert")
        data = secret(tls["certificateRefs"][0])
        suites = (tls.get("options") or {}).get("gateway.istio.io/tls-cipher-suites", "")
        found.append(
            Listener(
                hosts=(listener.get("hostname", "*"),),
                mode=mode,
                min_version="TLSV1_2",
                cipher_suites=tuple(s for s in suites.split(",") if s),
                cert_chain_pem=data["tls.crt"],
                private_key_pem=data["tls.key"],
                ca_pem=ca,
            )
        )
    return found


def _matches(pattern: str, host: str) -> bool:
    if pattern in ("*", host):
        return True
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return False


def peek_sni(conn: socket.socket) -> str | None:
    """The server name a TLS ClientHello on ``conn`` asks for, read without consuming it."""
    try:
        data = conn.recv(16384, socket.MSG_PEEK)
        # Record header (5), handshake header (4), version (2), random (32).
        if len(data) < 43 or data[0] != 22 or data[5] != 1:
            return None
        pos = 43
        pos += 1 + data[pos]  # session id
        pos += 2 + int.from_bytes(data[pos : pos + 2], "big")  # cipher suites
        pos += 1 + data[pos]  # compression methods
        end = pos + 2 + int.from_bytes(data[pos : pos + 2], "big")
        pos += 2
        while pos + 4 <= min(end, len(data)):
            kind = int.from_bytes(data[pos : pos + 2], "big")
            size = int.from_bytes(data[pos + 2 : pos + 4], "big")
            if kind == 0:  # server_name: list length (2), type (1), name length (2), name
                length = int.from_bytes(data[pos + 7 : pos + 9], "big")
                return data[pos + 9 : pos + 9 + length].decode("ascii")
            pos += 4 + size
    except (OSError, IndexError, UnicodeDecodeError):
        return None
    return None


def _context(listener: Listener, workdir: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert_file = os.path.join(workdir, f"{id(listener)}.crt")
    key_file = os.path.join(workdir, f"{id(listener)}.key")
    with open(cert_file, "w") as out:
        out.write(listener.cert_chain_pem)
    with open(key_file, "w") as out:
        out.write(listener.private_key_pem)
    context.load_cert_chain(cert_file, key_file)
    # The Gateway's settings alone decide what is accepted, not OpenSSL's local policy.
    ciphers = ":".join(listener.cipher_suites) or "DEFAULT"
    context.set_ciphers(f"{ciphers}:@SECLEVEL=0")
    with warnings.catch_warnings():  # TLS 1.0/1.1 are set on purpose, to be refused
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = getattr(ssl.TLSVersion, _VERSIONS[listener.min_version])
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    if listener.mode in MUTUAL_MODES:
        # OPTIONAL_MUTUAL asks for a certificate and verifies one that is presented.
        required = listener.mode == "MUTUAL"
        context.verify_mode = ssl.CERT_REQUIRED if required else ssl.CERT_OPTIONAL
        if listener.ca_pem:
            context.load_verify_locations(cadata=listener.ca_pem)
    return context


def san_accepted(peer: Any, accepted: tuple[str, ...]) -> bool:
    """Envoy's ``match_subject_alt_names`` with exact matchers, as Istio configures it from
    ``subjectAltNames``: some SAN of the client certificate, of any type (DNS, URI, email,
    IP), equals some accepted name. A wildcard DNS SAN (``*.example.com``) matches one
    label, as Envoy's DNS matching does. No list accepts any certificate; no certificate
    (OPTIONAL_MUTUAL) is not checked.
    """
    if not accepted or not peer:
        return True
    for kind, value in peer.get("subjectAltName", ()):
        for name in accepted:
            if value == name or (
                kind == "DNS" and value.startswith("*.") and _matches(value, name)
            ):
                return True
    return False


class GatewayTlsServer:
    """A local TLS endpoint configured from a recorded Gateway; use as a context manager.

    Each accepted connection that completes the handshake gets ``HTTP/1.1 200`` with the
    chosen server's hosts in the body. :attr:`port` is where it listens on 127.0.0.1: ``port``,
    or a free one.
    """

    def __init__(self, recording: Recording, gateway: RecordedResource, port: int = 0) -> None:
        self.listeners = listeners(recording, gateway)
        if not self.listeners:
            raise LookupError(f"{gateway} has no SIMPLE or MUTUAL server to serve")
        self._workdir = tempfile.TemporaryDirectory()
        self._contexts = [(lst, _context(lst, self._workdir.name)) for lst in self.listeners]
        self._socket = socket.create_server(("127.0.0.1", port))
        self.port: int = self._socket.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._stopping = False

    def _pick(self, name: str | None) -> tuple[Listener, ssl.SSLContext] | None:
        for listener, context in self._contexts:
            if name and any(_matches(h, name) for h in listener.hosts):
                return listener, context
        return None

    def _serve(self) -> None:
        self._socket.settimeout(0.2)
        while not self._stopping:
            try:
                conn, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                # Like Envoy's TLS inspector: read the SNI from the ClientHello, then hand the
                # connection to that server's context whole (version, ciphers, client certs).
                chosen = self._pick(peek_sni(conn))
                if chosen is None:
                    continue  # no filter chain for this name: the connection is closed
                listener, context = chosen
                try:
                    with context.wrap_socket(conn, server_side=True) as tls:
                        if not san_accepted(tls.getpeercert(), listener.subject_alt_names):
                            continue  # Envoy fails the handshake: nothing is served
                        tls.recv(4096)
                        body = ",".join(listener.hosts).encode()
                        tls.sendall(
                            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
                        )
                except (ssl.SSLError, OSError):
                    continue

    def __enter__(self) -> GatewayTlsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping = True
        self._thread.join(timeout=5)
        self._socket.close()
        self._workdir.cleanup()


@dataclass(frozen=True)
class HandshakeResult:
    """What a successful handshake negotiated, and the server's answer."""

    version: str
    cipher: str
    peer_subject: Any
    response: bytes


def handshake(
    port: int,
    server_name: str,
    ca_pem: str,
    *,
    verify_name: str | None = None,
    client_cert_pem: str | None = None,
    client_key_pem: str | None = None,
    max_version: str | None = None,
    relax_client_policy: bool = False,
) -> HandshakeResult:
    """Connect to 127.0.0.1:``port`` with SNI ``server_name``, trusting only ``ca_pem``.

    The certificate is checked against ``verify_name`` (default: ``server_name``). Raises
    ``ssl.SSLError`` (or ``ssl.SSLCertVerificationError``) when the handshake fails.
    ``relax_client_policy`` lets the client offer old protocol versions, so that a refusal
    is the server's own.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=ca_pem)
    if relax_client_policy:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    if max_version is not None:
        version = getattr(ssl.TLSVersion, _VERSIONS[max_version])
        with warnings.catch_warnings():  # an old client, on purpose
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = version
            context.maximum_version = version
    with tempfile.TemporaryDirectory() as workdir:
        if client_cert_pem is not None and client_key_pem is not None:
            cert_file = os.path.join(workdir, "client.crt")
            key_file = os.path.join(workdir, "client.key")
            with open(cert_file, "w") as out:
                out.write(client_cert_pem)
            with open(key_file, "w") as out:
                out.write(client_key_pem)
            context.load_cert_chain(cert_file, key_file)
        # Normally the name checked is the SNI sent; a different one is checked by hand.
        context.check_hostname = verify_name is None
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            try:
                tls = context.wrap_socket(raw, server_hostname=server_name)
            except (ConnectionResetError, BrokenPipeError) as err:
                raise ssl.SSLError(f"the server closed the connection: {err}") from err
            with tls:
                peer = tls.getpeercert() or {}
                if verify_name is not None:
                    _check_name(peer, verify_name)
                tls.sendall(f"GET / HTTP/1.1\r\nHost: {server_name}\r\n\r\n".encode())
                response = tls.recv(4096)
                # With TLS 1.3 a refused client certificate surfaces on the first read.
                if not response:
                    raise ssl.SSLError("the server closed the connection after the handshake")
                version = tls.version() or ""
                cipher = tls.cipher()
                subject = peer.get("subject")
                return HandshakeResult(version, cipher[0] if cipher else "", subject, response)


def _check_name(peer: Any, name: str) -> None:
    names = [value for kind, value in peer.get("subjectAltName", ()) if kind == "DNS"]
    if not any(pattern != "*" and _matches(pattern, name) for pattern in names):
        raise ssl.SSLCertVerificationError(
            f"hostname {name!r} doesn't match the certificate's names {names}"
        )
