"""Shared test set-up: the public test kit's fixture, and helpers to run the stack program."""

from __future__ import annotations

import datetime as dt
import functools
import runpy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mesh_https import ValidationError
from mesh_https.testing import KubeApi, MockSession, Recording, Resolved

pytest_plugins = ["mesh_https.testing.pytest_plugin"]

ROOT = Path(__file__).resolve().parent.parent


def stack_config(stack: str) -> dict[str, Any]:
    """The config block of ``stacks/Pulumi.<stack>.yaml``."""
    data = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())
    return dict(data.get("config") or {})


def local_overrides(stack: str, tmp_path: Path) -> dict[str, Any]:
    """Config overrides so a stack for an existing cluster runs here: its kubeconfig path
    points at a throw-away file with the stack's context. Other stacks need none."""
    cluster = stack_config(stack).get("mesh-https:cluster") or {}
    if cluster.get("type") != "existing":
        return {}
    kubeconfig = tmp_path / f"kubeconfig-{stack}"
    context = cluster.get("context", "default")
    kubeconfig.write_text(f"apiVersion: v1\ncontexts: [{{name: {context}, context: {{}}}}]\n")
    return {"mesh-https:cluster": {**cluster, "kubeconfigPath": str(kubeconfig)}}


def run_stack(stack: str, **overrides: Any) -> tuple[Recording, dict[str, Any]]:
    """Run the project's program under mocks with a stack's config (keys overridable)."""
    config = {**stack_config(stack), **overrides}
    with MockSession(project="mesh-https", stack=stack, config=config) as session:
        runpy.run_path(str(ROOT / "__main__.py"))
        recording = session.settle()
        return recording, session.exports()


def run_stack_resolved(stack: str, **overrides: Any) -> tuple[Recording, dict[str, Resolved[Any]]]:
    """Like :func:`run_stack`, with each export's secret and known flags."""
    config = {**stack_config(stack), **overrides}
    with MockSession(project="mesh-https", stack=stack, config=config) as session:
        runpy.run_path(str(ROOT / "__main__.py"))
        recording = session.settle()
        return recording, session.resolved_exports()


@functools.cache
def ca_pem(common_name: str) -> str:
    """A real, self-signed CA certificate (PEM) named ``common_name``; the same each call."""
    return _ca(common_name)[0]


@functools.cache
def _ca(common_name: str, issuer: str | None = None) -> tuple[str, str]:
    """A real CA certificate and its key (PEMs), self-signed or signed by the CA ``issuer``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name)])
    signer, signer_name = key, name
    if issuer is not None:
        issuer_cert_pem, issuer_key_pem = _ca(issuer)
        signer = serialization.load_pem_private_key(issuer_key_pem.encode(), None)  # type: ignore[assignment]
        signer_name = x509.load_pem_x509_certificate(issuer_cert_pem.encode()).subject
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(signer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(signer, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def ca_pair(common_name: str) -> tuple[str, str]:
    """A real, self-signed CA certificate named ``common_name`` and its key (PEMs); the same
    each call."""
    return _ca(common_name)


@functools.cache
def leaf(host: str, issuer: str) -> tuple[str, str]:
    """A real server certificate for ``host`` (its SAN) signed by the CA ``issuer``, and its
    key (PEMs); the same each call."""
    issuer_cert_pem, issuer_key_pem = _ca(issuer)
    signer = serialization.load_pem_private_key(issuer_key_pem.encode(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, host)]))
        .issuer_name(x509.load_pem_x509_certificate(issuer_cert_pem.encode()).subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=60))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(signer, hashes.SHA256())  # type: ignore[arg-type]
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def plugged_ca_files(intermediate: str, root: str = "ROOT") -> dict[str, str]:
    """A consistent plug-in CA (``PluggedCaArgs``): the intermediate ``intermediate``, signed
    by the root ``root``, its key, the chain and the root; the same each call."""
    cert, key = _ca(intermediate, root)
    return {
        "ca_cert_pem": cert,
        "ca_key_pem": key,
        "root_cert_pem": ca_pem(root),
        "cert_chain_pem": cert + ca_pem(root),
    }


def assert_refused(
    session: MockSession, build: Callable[[], object], component: str, field: str, words: str
) -> ValidationError:
    """``build()`` raises the package's error for ``component``'s ``field``, saying ``words``,
    and nothing was registered."""
    with pytest.raises(ValidationError) as err:
        build()
    assert (err.value.component, err.value.field) == (component, field)
    assert words in str(err.value)
    assert len(session.settle()) == 0
    return err.value


def pytest_addoption(parser: Any) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/ from the current synth output instead of comparing",
    )


@pytest.fixture(scope="session")
def kube_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeApi]:
    """One real kube-apiserver (with etcd and the real Istio and Gateway API CRDs) for the
    whole session, shared by every test that asks for it; built on first use (cached) and
    stopped at the end. Skips without ``go`` (fails under ``CI=true``)."""
    from kube_server import api_server

    with api_server(tmp_path_factory.mktemp("kube-apiserver")) as api:
        yield api
