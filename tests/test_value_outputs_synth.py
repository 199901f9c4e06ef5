"""Value inputs given as Outputs, bad once known, through a real Pulumi Python program.

Each case writes a tiny Pulumi project (``Pulumi.yaml``, ``__main__.py``, a stack file) and runs
``mesh-https synth`` on it in a fresh interpreter, as a user would. The program fails (exit 2)
with the package's one error, naming the component, the field and what is valid, and never
with a Python traceback or the SDK's wrapper ("ValueError has risen: ... While processing
input ..."), which is what a ``ValidationError`` that is also a ``ValueError`` turns into.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, ca_pair, ca_pem, leaf

from mesh_https import ValidationError, synth

SERVER_CERT, _ = leaf("a.example.com", "brought CA")
CA_CERT = ca_pem("brought CA")
_, OTHER_KEY_PEM = ca_pair("a key that belongs to neither")
SECRET_LINE = OTHER_KEY_PEM.splitlines()[1]
"""A line of a secret key: never in what the user sees."""

KUBECONFIG_WITHOUT_CURRENT = (
    "apiVersion: v1\nclusters: [{name: k, cluster: {server: 'https://10.0.0.1'}}]\n"
    "contexts: [{name: a, context: {cluster: k, user: u}}]\n"
    "users: [{name: u, user: {token: TOKEN-abc123}}]\n"
)


@dataclass(frozen=True)
class Program:
    """A program whose value input, given as an Output, is bad once known."""

    id: str
    body: str
    words: tuple[str, ...]
    """What the message must say: the component, the field, what is valid."""
    config: dict[str, Any] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    """Parts of secret inputs the output must never show."""


PROGRAMS = [
    Program(
        "kubeconfig-without-current-context",
        "m.ExistingCluster('c', {'kubeconfig': Output.from_input("
        f"{KUBECONFIG_WITHOUT_CURRENT!r})}})",
        ("ExistingCluster: `context` is missing", "no current-context; give one of ['a']"),
        secrets=("TOKEN-abc123",),
    ),
    Program(
        "kubeconfig-secret-stack-value",
        "m.ExistingCluster('c', {'kubeconfig': pulumi.Config().get_secret('kubeconfig'),"
        " 'context': 'prod'})",
        ("ExistingCluster: `context` is 'prod'", "the kubeconfig has ['a']"),
        config={"tiny:kubeconfig": KUBECONFIG_WITHOUT_CURRENT},
        secrets=("TOKEN-abc123",),
    ),
    Program(
        "kubeconfig-secret-not-a-kubeconfig",
        "m.ExistingCluster('c', {'kubeconfig': Output.secret('token: TOKEN-abc123')})",
        ("ExistingCluster: `kubeconfig` is (a secret value)", "at least one context"),
        secrets=("TOKEN-abc123",),
    ),
    Program(
        "gateway-principal-namespace-protected",
        textwrap.dedent(
            """
            istio = m.IstioInstall("istio")
            m.StrictMtls("mtls", {
                "namespaces": ["shop", istio.info.gateway_namespace],
                "gateway_principal": istio.gateway_principal,  # as the README writes it
            })
            """
        ),
        (
            "StrictMtls: `namespaces` includes 'istio-ingress', the namespace of gateway",
            "`gateway_principal`",
            "Protect the application namespaces",
        ),
    ),
    Program(
        "gateway-principal-form",
        "m.StrictMtls('mtls', {'namespaces': ['shop'],"
        " 'gateway_principal': Output.from_input('spiffe://cluster.local/ns/a/sa/b')})",
        ("StrictMtls: `gateway_principal` is 'spiffe://", "a principal looks like"),
    ),
    Program(
        "brought-pems-mismatched-key",
        textwrap.dedent(
            f"""
            m.HttpsGateway("edge", {{
                "gateway_namespace": "istio-ingress",
                "selector": {{"istio": "ingress"}},
                "certificates": [{{
                    "hosts": ["a.example.com"],
                    "cert_pem": Output.from_input({SERVER_CERT!r}),
                    "private_key_pem": Output.secret({OTHER_KEY_PEM!r}),
                }}],
            }})
            """
        ),
        (
            "HttpsGateway: `certificates[0].private_key_pem`",
            "does not match the certificate's (leaf's) public key",
        ),
        secrets=(SECRET_LINE,),
    ),
    Program(
        "issuer-mismatched-key",
        textwrap.dedent(
            f"""
            m.HttpsGateway("edge", {{
                "gateway_namespace": "istio-ingress",
                "selector": {{"istio": "ingress"}},
                "hosts": ["a.example.com"],
                "issuer": {{
                    "cert_pem": Output.from_input({CA_CERT!r}),
                    "private_key_pem": Output.secret({OTHER_KEY_PEM!r}),
                    "chain_pem": "",
                    "root_cert_pem": Output.from_input({CA_CERT!r}),
                }},
            }})
            """
        ),
        (
            "HttpsGateway: `issuer.private_key_pem`",
            "is not the key of the certificate it goes with (CN=brought CA)",
            "Give the key that certificate was issued for",
        ),
        secrets=(SECRET_LINE,),
    ),
]


def _project(directory: Path, program: Program) -> None:
    directory.mkdir()
    (directory / "Pulumi.yaml").write_text("name: tiny\nruntime: python\n")
    (directory / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": program.config}))
    (directory / "__main__.py").write_text(
        "import pulumi\nfrom pulumi import Output\n\nimport mesh_https as m\n\n"
        + program.body.strip()
        + "\n"
    )


def _synth(directory: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = ["synth", "-C", str(directory), "-s", "dev", "-o", str(out)]
    return subprocess.run(
        [sys.executable, "-m", "mesh_https.cli", *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.id)
def test_a_bad_value_output_fails_synth_with_the_package_error(
    tmp_path: Path, program: Program
) -> None:
    _project(tmp_path / "project", program)
    result = _synth(tmp_path / "project", tmp_path / "out")
    seen = result.stdout + result.stderr
    assert result.returncode == 2, seen
    for words in program.words:
        assert words in seen, seen
    assert "Traceback" not in seen, seen
    assert "has risen" not in seen, seen
    assert "While processing" not in seen, seen
    for secret in program.secrets:
        assert secret not in seen, "a secret value is never printed"


def test_synth_keeps_the_error_itself(tmp_path: Path) -> None:
    program = next(p for p in PROGRAMS if p.id == "gateway-principal-namespace-protected")
    _project(tmp_path / "project", program)
    result = synth.run_program(synth.Project.load(tmp_path / "project"), "dev")
    error = result.program_error
    assert isinstance(error, ValidationError) and not isinstance(error, ValueError), repr(error)
    assert (error.component, error.field) == ("StrictMtls", "namespaces")
    assert result.exit_code == 2
    assert not result.recording.find(kind="AuthorizationPolicy", namespace="istio-ingress")
