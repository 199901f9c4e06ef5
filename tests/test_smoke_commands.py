"""The smoke-test commands run: the kubectl part through a real kubectl against a fake API
server, and the whole command through a real curl against the test kit's TLS server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kube_api import FakeKubeApi

from mesh_https.https_gateway import HttpsGateway
from mesh_https.testing import GatewayTlsServer, MockSession

BASE: dict[str, Any] = {"gateway_namespace": "istio-ingress", "selector": {"istio": "ingress"}}
_VENV_KUBECTL = Path(sys.executable).parent / "kubectl"
KUBECTL = str(_VENV_KUBECTL) if _VENV_KUBECTL.exists() else shutil.which("kubectl")
CURL = shutil.which("curl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
needs_curl = pytest.mark.skipif(CURL is None, reason="curl is not installed")

# Stands in for curl: prints its arguments, and the first line of each file it was given.
FAKE_CURL = """#!/bin/sh
for arg in "$@"; do
  printf 'arg %s\\n' "$arg"
  if [ -f "$arg" ]; then
    printf 'file %s %s %s\\n' "$arg" "$(stat -c %a "$arg")" "$(head -n 1 "$arg")"
  fi
done
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _run(shell: str, command: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shell, "-c", command],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


@needs_kubectl
@pytest.mark.parametrize(
    ("ingress", "address"),
    [({"ip": "203.0.113.7"}, "203.0.113.7"), ({"hostname": "lb.example.net"}, "lb.example.net")],
)
@pytest.mark.parametrize("mode", ["SIMPLE", "MUTUAL"])
def test_load_balancer_command_runs_with_a_real_kubectl(
    tmp_path: Path, ingress: dict[str, str], address: str, mode: str
) -> None:
    with MockSession() as session:
        gateway = HttpsGateway("web", {**BASE, "hosts": ["app.example.com"], "mode": mode})
        command = session.value(gateway.smoke_test)
        ca = session.value(gateway.ca_cert_pem)
        key = session.value(gateway.client_private_key_pem)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "curl").write_text(FAKE_CURL)
    (bin_dir / "curl").chmod(0o755)
    (bin_dir / "kubectl").symlink_to(str(KUBECTL))
    service = {
        "metadata": {"name": "istio-ingress", "labels": {"istio": "ingress", "app": "x"}},
        "status": {"loadBalancer": {"ingress": [ingress]}},
    }
    with FakeKubeApi("istio-ingress", [service]) as api:
        result = _run(
            "bash",
            command,
            PATH=f"{bin_dir}:/usr/bin:/bin",
            KUBECONFIG=str(api.kubeconfig),
        )
    assert result.returncode == 0, result.stderr
    assert any("labelSelector=istio%3Dingress" in r for r in api.requests)
    lines = result.stdout.splitlines()
    assert f"arg app.example.com:443:{address}:443" in lines
    assert "arg https://app.example.com/" in lines
    files = {
        line.split()[1]: line.split(maxsplit=3)[2:] for line in lines if line.startswith("file ")
    }
    names = sorted(Path(path).name for path in files)
    assert names == (["ca.crt", "client.crt", "client.key"] if mode == "MUTUAL" else ["ca.crt"])
    for path, (permissions, first_line) in files.items():
        assert permissions == "600", path  # written under umask 077
        assert first_line.startswith("-----BEGIN"), path
        assert not Path(path).exists(), "the subshell removes its files on exit"
    assert ca.splitlines()[0] in {first for _, first in files.values()}
    if mode == "MUTUAL":
        assert key.strip().splitlines()[0] in {first for _, first in files.values()}


@needs_curl
@pytest.mark.parametrize("shell", ["bash", "sh"])
@pytest.mark.parametrize("mode", ["SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL"])
def test_local_command_completes_a_request_with_a_real_curl(shell: str, mode: str) -> None:
    port = _free_port()
    local = {"address": "127.0.0.1", "ports": {"http": 80, "https": port}}
    with MockSession() as session:
        gateway = HttpsGateway(
            "web", {**BASE, "hosts": ["app.example.com"], "mode": mode, "local_ingress": local}
        )
        command = session.value(gateway.smoke_test)
        recording = session.settle()
    with GatewayTlsServer(recording, recording.one(kind="Gateway"), port=port):
        result = _run(shell, command)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "app.example.com"
        if mode == "MUTUAL":
            # The server does require the client certificate the command presents.
            without = command.replace('--cert "$d/client.crt" --key "$d/client.key" ', "")
            assert _run(shell, without).returncode != 0
