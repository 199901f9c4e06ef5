"""The real thing: the kind stacks (dev, gateway-api, ambient) on a kind cluster, through the
Automation API.

Runs only where docker (with a running engine), kind, kubectl and the pulumi CLI exist;
elsewhere it is skipped and the reason names what is missing. It checks the install, then the
HTTPS chain (the right SNI is served with a certificate the exported CA verifies, a wrong SNI
is refused, plain HTTP is redirected), the canary split and header route, that plaintext from
outside the mesh is refused under STRICT, and that a second preview changes nothing. It uses
a throw-away local file backend and its own kind cluster name and host ports, so it never
touches a developer's own dev stack. Run it alone with ``scripts/test.sh -m e2e tests/e2e -s``.
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import ssl
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 900


def missing_tools() -> list[str]:
    """What this machine lacks for the e2e test, in words a person can act on."""
    missing = [tool for tool in ("docker", "kind", "kubectl", "pulumi") if not shutil.which(tool)]
    if "docker" not in missing:
        engine = subprocess.run(["docker", "info"], capture_output=True, check=False)
        if engine.returncode != 0:
            missing.append("a running Docker engine ('docker info' fails)")
    return missing


pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        bool(missing_tools()),
        reason=f"e2e needs docker, kind, kubectl and pulumi; missing: {', '.join(missing_tools())}",
    ),
]


def poll(check: Callable[[], bool], what: str, deadline: float) -> None:
    """Call ``check`` until it is true; fail naming ``what`` once ``deadline`` passes."""
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(2)  # between polls of a real condition, never instead of one


def kubectl(kubeconfig: Path, *args: str, timeout: int = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module", params=["dev", "gateway-api", "ambient"])
def deployed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """A kind stack's config (the Istio APIs, the Gateway API, ambient with a waypoint) on a
    fresh kind cluster, up; destroyed afterwards. One at a time, on the same host ports."""
    from pulumi import automation as auto

    suffix = uuid.uuid4().hex[:6]
    stack_name = f"e2e-{suffix}"
    state = tmp_path_factory.mktemp("state")
    config = yaml.safe_load((ROOT / f"stacks/Pulumi.{request.param}.yaml").read_text())
    cluster = config["config"]["mesh-https:cluster"]
    cluster["clusterName"] = f"mesh-https-e2e-{suffix}"
    cluster["hostPorts"] = {"http": 18080, "https": 18443}
    cluster.setdefault("nodePorts", {"http": 30080, "https": 30443})
    stack_file = ROOT / "stacks" / f"Pulumi.{stack_name}.yaml"
    stack_file.write_text(yaml.safe_dump(config))

    env = {"PULUMI_BACKEND_URL": f"file://{state}", "PULUMI_CONFIG_PASSPHRASE": ""}
    stack = auto.create_or_select_stack(
        stack_name=stack_name,
        work_dir=str(ROOT),
        opts=auto.LocalWorkspaceOptions(env_vars=env),
    )
    try:
        result = stack.up(on_output=print, color="never")
        outputs = {key: value.value for key, value in result.outputs.items()}
        kubeconfig = tmp_path_factory.mktemp("kube") / "config"
        kubeconfig.write_text(outputs["kubeconfig"])
        yield {"stack": stack, "outputs": outputs, "kubeconfig": kubeconfig, "cluster": cluster}
    finally:
        stack.destroy(on_output=print, color="never")
        stack.workspace.remove_stack(stack_name)
        stack_file.unlink(missing_ok=True)


def deployment_available(kubeconfig: Path, namespace: str, selector: str) -> bool:
    result = kubectl(
        kubeconfig, "get", "deployments", "-n", namespace, "-l", selector, "-o", "json"
    )
    if result.returncode != 0:
        return False
    items = json.loads(result.stdout)["items"]
    return bool(items) and all(
        item.get("status", {}).get("availableReplicas", 0) >= 1 for item in items
    )


def test_istiod_and_gateway_become_ready(deployed: dict[str, Any]) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    kubeconfig = deployed["kubeconfig"]
    poll(
        lambda: deployment_available(kubeconfig, "istio-system", "app=istiod"),
        "istiod to be available",
        deadline,
    )
    selector = deployed["outputs"]["gatewaySelector"]
    label = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    poll(
        lambda: deployment_available(kubeconfig, deployed["outputs"]["gatewayNamespace"], label),
        f"the gateway ({label}) to be available",
        deadline,
    )
    service = kubectl(kubeconfig, "get", "svc", "-n", "istio-ingress", "-o", "json")
    # By port, not name: istiod names a Gateway API Service's ports after the listeners.
    ports = {
        p["port"]: p.get("nodePort")
        for item in json.loads(service.stdout)["items"]
        for p in item["spec"]["ports"]
    }
    assert ports[443] == deployed["cluster"]["nodePorts"]["https"]


def https_get(host: str, port: int, ca_pem: str, sni: str | None = None) -> tuple[int, bytes]:
    """GET https://host/ through 127.0.0.1:port, trusting only ``ca_pem``; SNI may differ."""
    context = ssl.create_default_context(cadata=ca_pem)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=sni or host) as tls:
            tls.sendall(
                f"GET /hello HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
            )
            data = b""
            while chunk := tls.recv(65536):
                data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data


def test_https_with_the_exported_ca(deployed: dict[str, Any]) -> None:
    outputs = deployed["outputs"]
    port = deployed["cluster"]["hostPorts"]["https"]
    deadline = time.monotonic() + DEADLINE_SECONDS
    for host in outputs["hosts"]:

        def serves(host: str = host) -> bool:
            try:
                return https_get(host, port, outputs["caCertPem"])[0] == 200
            except (OSError, ssl.SSLError):
                return False

        poll(serves, f"https://{host}/hello to answer 200", deadline)


def test_a_wrong_sni_is_refused(deployed: dict[str, Any]) -> None:
    outputs = deployed["outputs"]
    port = deployed["cluster"]["hostPorts"]["https"]
    with pytest.raises((ssl.SSLError, OSError)):
        https_get(outputs["hosts"][0], port, outputs["caCertPem"], sni="wrong.mesh-https.test")


def test_plain_http_is_redirected_to_https(deployed: dict[str, Any]) -> None:
    host = deployed["outputs"]["hosts"][0]
    port = deployed["cluster"]["hostPorts"]["http"]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/hello", headers={"Host": host})
    response = connection.getresponse()
    assert response.status == 301
    assert response.getheader("location", "").startswith(f"https://{host}")


SPLIT_REQUESTS = 200
SPLIT_TOLERANCE = 0.10
"""The v2 share must land within ±10 points of the configured weight over 200 requests
(the binomial standard deviation at 20% is under 3 points, so this is over 3 sigma)."""


def version_of(body: bytes) -> str:
    text = body.decode(errors="replace")
    return "v2" if "version: v2" in text else "v1" if "version: v1" in text else "?"


def test_canary_split_lands_within_tolerance(deployed: dict[str, Any]) -> None:
    outputs = deployed["outputs"]
    host = outputs["hosts"][0]
    port = deployed["cluster"]["hostPorts"]["https"]
    counts = {"v1": 0, "v2": 0, "?": 0}
    for _ in range(SPLIT_REQUESTS):
        status, body = https_get(host, port, outputs["caCertPem"])
        assert status == 200
        counts[version_of(body)] += 1
    assert counts["?"] == 0, counts
    expected = outputs["routeTable"][-1]["to"]["v2"] / 100
    share = counts["v2"] / SPLIT_REQUESTS
    assert abs(share - expected) <= SPLIT_TOLERANCE, f"v2 got {share:.0%}, expected {expected:.0%}"


def test_header_route_forces_v2(deployed: dict[str, Any]) -> None:
    outputs = deployed["outputs"]
    host = outputs["hosts"][0]
    port = deployed["cluster"]["hostPorts"]["https"]
    context = ssl.create_default_context(cadata=outputs["caCertPem"])
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                request = (
                    f"GET /hello HTTP/1.1\r\nHost: {host}\r\nx-canary: always\r\n"
                    "Connection: close\r\n\r\n"
                )
                tls.sendall(request.encode())
                data = b""
                while chunk := tls.recv(65536):
                    data += chunk
        assert version_of(data) == "v2"


def test_plaintext_from_outside_the_mesh_is_refused(deployed: dict[str, Any]) -> None:
    kubeconfig = deployed["kubeconfig"]
    namespace = deployed["outputs"]["appNamespace"]
    probe = kubectl(
        kubeconfig,
        "run",
        f"plaintext-probe-{uuid.uuid4().hex[:5]}",
        "--namespace=default",
        "--rm",
        "-i",
        "--restart=Never",
        "--image=curlimages/curl:8.10.1",
        "--pod-running-timeout=180s",
        "--",
        "curl",
        "-sS",
        "-m",
        "10",
        f"http://helloworld.{namespace}:5000/hello",
        timeout=300,
    )
    assert "Hello version" not in probe.stdout, "a plaintext client was served under STRICT"
    assert probe.returncode != 0, probe.stdout + probe.stderr


def test_a_second_up_changes_nothing(deployed: dict[str, Any]) -> None:
    preview = deployed["stack"].preview(color="never")
    changes = {op: n for op, n in preview.change_summary.items() if op != "same" and n}
    assert changes == {}, f"a second up would change: {changes}"
