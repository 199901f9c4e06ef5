"""The deploy command names every missing prerequisite, with no stack trace."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from conftest import ROOT


def fake_bin(tmp_path: Path, tools: dict[str, str]) -> str:
    """A PATH with python3, coreutils and the given fake tools (name → script body)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    for name, body in tools.items():
        tool = bin_dir / name
        tool.write_text(f"#!/bin/sh\n{body}\n")
        tool.chmod(0o755)
    return f"{bin_dir}:/usr/bin:/bin"


def up(path: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": path, "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        ["bash", str(ROOT / "scripts/up.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_up_lists_every_missing_tool_and_how_to_get_it(tmp_path: Path) -> None:
    result = up(fake_bin(tmp_path, {}))
    assert result.returncode == 1
    err = result.stderr
    assert "missing prerequisites" in err
    assert "- docker:" in err and "install Docker Engine" in err
    assert "- kind:" in err and "go install sigs.k8s.io/kind" in err
    assert "- pulumi CLI:" in err and "get.pulumi.com" in err
    assert "Traceback" not in err + result.stdout


def test_up_says_when_docker_is_installed_but_not_running(tmp_path: Path) -> None:
    path = fake_bin(tmp_path, {"docker": "exit 1", "kind": "exit 0", "pulumi": "exit 0"})
    result = up(path)
    assert result.returncode == 1
    assert "a running Docker engine" in result.stderr
    assert "- kind" not in result.stderr and "- pulumi" not in result.stderr


def test_up_rejects_an_unknown_stack_and_lists_the_real_ones(tmp_path: Path) -> None:
    result = up(fake_bin(tmp_path, {}), "nosuch")
    assert result.returncode == 1
    assert "no stack config stacks/Pulumi.nosuch.yaml" in result.stderr
    for stack in ("dev", "staging", "ambient"):
        assert stack in result.stderr


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci/run").read_text()
    assert "scripts/test.sh" in readme and "scripts/test.sh" in ci
    assert "scripts/up.sh" in readme


def _stack_file(name: str, http: int, https: int) -> Path:
    path = ROOT / "stacks" / f"Pulumi.{name}.yaml"
    path.write_text(
        "config:\n  mesh-https:cluster:\n    type: kind\n    clusterName: porttest-cluster\n"
        f"    hostPorts: {{http: {http}, https: {https}}}\n"
    )
    return path


def test_up_refuses_host_ports_already_in_use(tmp_path: Path) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as listener:
        busy = listener.getsockname()[1]
        name = f"porttest-busy-{uuid.uuid4().hex[:6]}"
        stack = _stack_file(name, busy, busy + 1 if busy < 65535 else busy - 1)
        try:
            tools = {"docker": "exit 0", "kind": "exit 0", "pulumi": "exit 0"}
            result = up(fake_bin(tmp_path, tools), name)
        finally:
            stack.unlink()
    assert result.returncode == 1
    assert f"host port(s) [{busy}] are already in use" in result.stderr


def test_up_runs_pulumi_up_with_a_local_backend(tmp_path: Path) -> None:
    log = tmp_path / "pulumi.log"
    tools = {
        "docker": "exit 0",
        # The stack's own cluster is up: its ports being taken is expected.
        "kind": "echo porttest-cluster",
        "pulumi": f'echo "$PULUMI_BACKEND_URL $*" >> {log}; '
        'case "$*" in "stack output"*) echo "curl smoke";; esac',
    }
    name = f"porttest-up-{uuid.uuid4().hex[:6]}"
    stack = _stack_file(name, 80, 443)
    try:
        env_path = fake_bin(tmp_path, tools)
        result = subprocess.run(
            ["bash", str(ROOT / "scripts/up.sh"), name],
            env={
                "PATH": env_path,
                "HOME": os.environ.get("HOME", "/tmp"),
                "PULUMI_BACKEND_URL": f"file://{tmp_path}/state",
            },
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        stack.unlink()
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    backend = f"file://{tmp_path}/state"
    assert f"{backend} stack select --create --secrets-provider passphrase {name}" in calls
    assert f"{backend} up --yes --stack {name}" in calls
    assert "empty passphrase" in result.stderr
    assert "curl smoke" in result.stdout


def up_with_only(
    tmp_path: Path, stack: str, tools: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """scripts/up.sh with only the given tools (and the utilities it needs): a cloud CLI
    installed on this machine must not hide what a machine without it would be told."""
    path = tmp_path / str(len(list(tmp_path.iterdir())))
    path.mkdir()
    bin_dir = Path(fake_bin(path, tools).split(":")[0])
    for utility in ("sed", "head", "dirname", "tr", "ls", "cat"):
        found = shutil.which(utility)
        assert found, utility
        (bin_dir / utility).symlink_to(found)
    return subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(ROOT / "scripts/up.sh"), stack],
        env={"PATH": str(bin_dir), "HOME": os.environ.get("HOME", "/tmp")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
