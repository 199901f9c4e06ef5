"""A real control plane for the tests: etcd and kube-apiserver, on loopback, with the real CRDs.

Both servers are built from the Go module in ``tools/kube-apiserver`` by
``scripts/build-kube-apiserver.sh`` (cached outside the repository). :func:`api_server` starts
them in a temporary folder of their own, on free loopback ports, with certificates made here
(``cryptography``), static token authentication and ``AlwaysAllow`` authorization, and the
default admission plugins (NamespaceLifecycle among them). It installs the CustomResourceDefinitions
a user's cluster has: Istio's from the ``istio.io/api`` module at the pinned Istio release, and
the Gateway API standard install from the ``sigs.k8s.io/gateway-api`` module at the version we
install, both read from Go's module cache (``go mod download``, checksum-verified). On exit both
processes are stopped and the folder is removed.

Skip policy for this tier (:func:`require_tool`): without ``go`` the tests skip and say why,
except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from real_tier import build, need

from mesh_https.gateway_api import GATEWAY_API_VERSION
from mesh_https.testing import KubeApi, KubeApiError
from mesh_https.versions import ISTIO_VERSION

ROOT = Path(__file__).resolve().parent.parent

ISTIO_API_MODULE = "istio.io/api"
ISTIO_CRD_FILE = "kubernetes/customresourcedefinitions.gen.yaml"
GATEWAY_API_MODULE = "sigs.k8s.io/gateway-api"
GATEWAY_API_CRD_DIR = "config/crd/standard"

START_TIMEOUT = 90.0


def require_tool(tool: str) -> str:
    """The path of ``tool`` (skip where it is missing; fail under ``CI=true``)."""
    return need(tool, "the real control-plane tier builds etcd and kube-apiserver from Go modules")


@dataclass
class Timings:
    """What the last build and start took, in seconds (reported by the tests)."""

    build: float | None = None
    start: dict[str, float] = field(default_factory=dict)


timings = Timings()


def build_binaries() -> Path:
    """Build (or find cached) etcd and kube-apiserver; return the folder holding them."""
    began = time.monotonic()
    built = build("build-kube-apiserver.sh", "etcd and kube-apiserver")
    timings.build = time.monotonic() - began
    return built


def module_dir(module: str, version: str) -> Path:
    """Where Go's module cache holds ``module@version`` (downloaded and checksum-verified)."""
    go = require_tool("go")
    with tempfile.TemporaryDirectory() as outside_any_module:
        result = subprocess.run(
            [go, "mod", "download", "-json", f"{module}@{version}"],
            capture_output=True,
            text=True,
            check=False,
            cwd=outside_any_module,
        )
    info = json.loads(result.stdout) if result.stdout.strip() else {}
    if result.returncode != 0 or "Dir" not in info:
        pytest.fail(f"go mod download {module}@{version}: {info.get('Error') or result.stderr}")
    return Path(info["Dir"])


def crd_documents() -> list[dict[str, Any]]:
    """The objects of Istio's CRDs at :data:`ISTIO_VERSION` and the Gateway API standard
    install at :data:`GATEWAY_API_VERSION` (its CRDs and its safe-upgrades admission policy)."""
    files = [module_dir(ISTIO_API_MODULE, f"v{ISTIO_VERSION}") / ISTIO_CRD_FILE]
    gateway_api = module_dir(GATEWAY_API_MODULE, GATEWAY_API_VERSION) / GATEWAY_API_CRD_DIR
    files += sorted(gateway_api.glob("*.yaml"))
    documents = []
    for path in files:
        documents += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return documents


# -- certificates -------------------------------------------------------------------------


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _write_certificates(folder: Path) -> dict[str, Path]:
    """A CA, the API server's serving certificate for 127.0.0.1 and its in-cluster names, and
    the service-account signing key pair."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "mesh-https test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    serving_key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.DNSName("localhost"),
        x509.DNSName("kubernetes"),
        x509.DNSName("kubernetes.default"),
        x509.DNSName("kubernetes.default.svc"),
        x509.DNSName("kubernetes.default.svc.cluster.local"),
    ]
    serving = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(serving_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = {
        "ca": folder / "ca.crt",
        "cert": folder / "apiserver.crt",
        "key": folder / "apiserver.key",
        "sa_key": folder / "sa.key",
        "sa_pub": folder / "sa.pub",
    }
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(serving.public_bytes(serialization.Encoding.PEM))
    _write_key(serving_key, paths["key"])
    sa_key = ec.generate_private_key(ec.SECP256R1())
    _write_key(sa_key, paths["sa_key"])
    paths["sa_pub"].write_bytes(
        sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return paths


# -- processes ----------------------------------------------------------------------------


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            sockets.append(probe)
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, be killed when the test process dies, so a
    crashed or killed test run leaves nothing running."""
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,  # nothing else runs in the child: no fork hazard
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_ready(
    api: KubeApi, processes: dict[str, subprocess.Popen[bytes]], logs: dict[str, Path]
) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last = ""
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{_tail(logs[name])}")
        try:
            api.request("GET", "/readyz")
            return
        except (OSError, KubeApiError) as error:
            last = str(error)
            api.close()
        time.sleep(0.2)
    raise RuntimeError(
        f"kube-apiserver not ready after {START_TIMEOUT}s ({last}):\n"
        + _tail(logs["kube-apiserver"])
    )


def install_crds(api: KubeApi, documents: list[dict[str, Any]]) -> None:
    """Apply ``documents`` and wait until every CRD among them is Established and every kind
    is in discovery at every version it serves."""
    for document in documents:
        api.apply(document, field_manager="mesh-https-tests")
    crds = [d for d in documents if d["kind"] == "CustomResourceDefinition"]
    deadline = time.monotonic() + 60
    pending = {d["metadata"]["name"] for d in crds}
    while pending:
        for name in sorted(pending):
            crd = api.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
            conditions = ((crd or {}).get("status") or {}).get("conditions") or []
            if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                pending.discard(name)
        if pending and time.monotonic() > deadline:
            raise RuntimeError(f"CRDs not Established after 60s: {sorted(pending)}")
        if pending:
            time.sleep(0.2)
    for crd in crds:
        group = crd["spec"]["group"]
        kind = crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if not version.get("served"):
                continue
            while not api.served(f"{group}/{version['name']}", kind):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{group}/{version['name']} {kind} not in discovery")
                time.sleep(0.2)


@contextlib.contextmanager
def api_server(tmp: Path, *, bin_dir: Path | None = None) -> Iterator[KubeApi]:
    """etcd and kube-apiserver in a new folder under ``tmp``, the CRDs installed; yields a
    client with cluster-admin rights. Stops both and removes the folder on exit.

    ``bin_dir`` holds ``etcd`` and ``kube-apiserver`` (built by :func:`build_binaries` when
    not given). :data:`timings` records how long the start took.
    """
    bin_dir = bin_dir or build_binaries()
    documents = crd_documents()
    folder = Path(tempfile.mkdtemp(prefix="kube-", dir=tmp))
    processes: dict[str, subprocess.Popen[bytes]] = {}
    api: KubeApi | None = None
    try:
        began = time.monotonic()
        certs = _write_certificates(folder)
        token = secrets.token_urlsafe(24)
        tokens = folder / "tokens.csv"
        tokens.write_text(f'{token},mesh-https-tests,mesh-https-tests,"system:masters"\n')
        tokens.chmod(0o600)
        etcd_client, etcd_peer, secure_port = _free_ports(3)
        logs = {"etcd": folder / "etcd.log", "kube-apiserver": folder / "kube-apiserver.log"}
        processes["etcd"] = _start(
            [
                str(bin_dir / "etcd"),
                "--name=default",
                f"--data-dir={folder / 'etcd'}",
                f"--listen-client-urls=http://127.0.0.1:{etcd_client}",
                f"--advertise-client-urls=http://127.0.0.1:{etcd_client}",
                f"--listen-peer-urls=http://127.0.0.1:{etcd_peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{etcd_peer}",
                f"--initial-cluster=default=http://127.0.0.1:{etcd_peer}",
                # Throw-away data: durability costs time and buys nothing here.
                "--unsafe-no-fsync",
                "--log-level=warn",
            ],
            logs["etcd"],
        )
        processes["kube-apiserver"] = _start(
            [
                str(bin_dir / "kube-apiserver"),
                f"--etcd-servers=http://127.0.0.1:{etcd_client}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={secure_port}",
                f"--cert-dir={folder / 'certs'}",
                f"--tls-cert-file={certs['cert']}",
                f"--tls-private-key-file={certs['key']}",
                f"--token-auth-file={tokens}",
                "--authorization-mode=AlwaysAllow",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={certs['sa_pub']}",
                f"--service-account-signing-key-file={certs['sa_key']}",
                "--service-cluster-ip-range=10.96.0.0/16",
                "--profiling=false",
            ],
            logs["kube-apiserver"],
        )
        api = KubeApi(f"https://127.0.0.1:{secure_port}", token, str(certs["ca"]))
        _wait_ready(api, processes, logs)
        timings.start["ready"] = time.monotonic() - began
        install_crds(api, documents)
        timings.start["crds"] = time.monotonic() - began - timings.start["ready"]
        yield api
    finally:
        if api is not None:
            api.close()
        for name in ("kube-apiserver", "etcd"):
            if name in processes:
                _stop(processes[name])
        shutil.rmtree(folder, ignore_errors=True)
