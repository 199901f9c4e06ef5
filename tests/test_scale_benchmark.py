"""The scale benchmark compares like with like, and runs (it is measured, never timed here)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from conftest import ROOT

from mesh_https.testing import MockSession

sys.path.insert(0, str(ROOT / "benchmarks"))
import scale


def objects(side: str, n: int) -> dict[tuple[str, str, str], Any]:
    """Every Kubernetes object a side registers, by kind, namespace and name (secret values
    left out: they are generated key material)."""
    with MockSession() as session:
        scale.SIDES[side](n)
        recording = session.settle()
    found = {}
    for resource in recording.k8s_objects():
        manifest = resource.manifest()
        manifest.pop("stringData", None)
        key = (manifest["kind"], resource.namespace or "", resource.object_name or "")
        found[key] = manifest
    return found


def test_both_sides_register_the_same_kubernetes_objects() -> None:
    ours, hand = objects("ours", 3), objects("hand", 3)
    assert sorted(ours) == sorted(hand)
    for key in ours:
        assert ours[key] == hand[key], key
    assert len(ours) == 3 * 6 + 3  # per service: 6 objects; per mesh: gateway, secret, PA


def test_a_child_run_reports_cost_and_counts() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/scale.py"), "run", "ours", "4"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["n"] == 4 and result["wall"] > 0 and result["peak_rss_kib"] > 0
    assert result["k8s_objects"] == 4 * 6 + 3
    # A canary service is its CanaryRoute, a DestinationRule and a VirtualService.
    per_canary = 3
    per_namespace = 5  # MeshNamespace, Namespace, PeerAuthentication, 2 AuthorizationPolicies
    assert result["registrations"] <= 4 * (per_canary + per_namespace) + 12
    kinds = result["kinds"]
    canary = {k: kinds[k] for k in ("CanaryRoute", "DestinationRule", "VirtualService")}
    assert canary == dict.fromkeys(canary, 4)
    namespace = ("MeshNamespace", "Namespace")
    assert [kinds[k] for k in namespace] == [4, 4] and kinds["AuthorizationPolicy"] == 8
    assert kinds["PeerAuthentication"] == 4 + 1  # one per namespace, one mesh-wide


def test_the_report_runs_at_a_tiny_size(tmp_path: Any) -> None:
    out = tmp_path / "benchmarks.md"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks/scale.py"),
            "report",
            "--sizes",
            "2,4",
            "--repetitions",
            "1",
            "--out",
            str(out),
            "--no-plot",
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    text = out.read_text()
    assert "| 2 |" in text and "| 4 |" in text and "ours / hand wall" in text


def test_edges_per_service_do_not_grow_with_the_mesh() -> None:
    small, large = scale.run_side("ours", 5), scale.run_side("ours", 20)
    assert large["edges"] / 20 <= small["edges"] / 5 + 0.5
    assert large["edges"] == scale.run_side("hand", 20)["edges"]
