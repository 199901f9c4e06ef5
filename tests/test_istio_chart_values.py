"""Every value we pass is one the chart it goes to reads.

The key lists in ``tests/data/istio-chart-values/<minor>/`` are the value keys each chart
documents in its ``values.yaml`` (written by ``scripts/chart_value_keys.py``; each file's
``source`` says which commit). A chart ignores a key it does not know, silently; this test makes
that loud, for every current minor (one with no end of support yet), each release checked
against the charts of the version it installs.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import plugged_ca_files

from mesh_https import IstioInstall, versions
from mesh_https.testing import MockSession

DATA = Path(__file__).parent / "data" / "istio-chart-values"

# Keys a chart reads without listing them in values.yaml, each with where it is read.
TEMPLATE_ONLY = {
    "profile",  # every chart: templates/zzz_profile.yaml selects files/profile-<name>.yaml
    "meshConfig",  # istiod: templates/configmap.yaml renders the whole MeshConfig over defaults
}
# gateway and ztunnel copy `global.X` to `X` (zzz_profile.yaml's "flatten globals").
FLATTENS_GLOBALS = {"gateway", "ztunnel"}


# The minors Istio supports today: those with no end of support yet, each at its newest patch.
CURRENT = {
    f"{major}.{minor}": version
    for (major, minor), version in sorted(versions.NEWEST_PATCH.items())
    if (major, minor) not in versions.END_OF_SUPPORT
}


def minor_of(version: str) -> str:
    parsed = versions.parse_istio_version(version)
    assert parsed is not None, version
    return f"{parsed.major}.{parsed.minor}"


@cache
def chart_keys(minor: str, chart: str) -> tuple[frozenset[str], frozenset[str]]:
    path = DATA / minor / f"{chart}.json"
    assert path.exists(), f"no value keys for {chart} {minor}: run scripts/chart_value_keys.py"
    data = json.loads(path.read_text())
    return frozenset(data["keys"]), frozenset(data["open_maps"])


def paths(values: Any, prefix: str = "") -> list[str]:
    """Dotted paths to every leaf (lists are leaves, as Helm replaces them whole)."""
    if isinstance(values, dict) and values:
        return [p for k, v in values.items() for p in paths(v, f"{prefix}.{k}" if prefix else k)]
    return [prefix]


def unknown_keys(
    chart: str, values: dict[str, Any], minor: str = minor_of(versions.ISTIO_VERSION)
) -> list[str]:
    keys, open_maps = chart_keys(minor, chart)
    unknown = []
    for path in paths(values):
        candidates = {path}
        if chart in FLATTENS_GLOBALS and path.startswith("global."):
            candidates.add(path.removeprefix("global."))
        known = False
        for candidate in candidates:
            parts = candidate.split(".")
            prefixes = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
            if candidate in keys or prefixes & (open_maps | TEMPLATE_ONLY):
                known = True
        if not known:
            unknown.append(path)
    return unknown


def chart_of(release: dict[str, Any]) -> str:
    return str(release["chart"]).rsplit("/", 1)[-1]


EVERY_OPTION: list[dict[str, Any]] = [
    {
        "mode": "ambient",
        "revision": "stable",
        "ambient_namespace": "kube-system",
        "gateway_service": {
            "type": "NodePort",
            "node_ports": {"http": 30080, "https": 30443},
        },
        "plugged_ca": plugged_ca_files("intermediate", "root"),
        "trust_domain": "corp.example",
    },
    {
        "revisions": [{"name": "old", "tags": ["prod"]}, {"name": "new", "tags": ["default"]}],
        "workload_revision": "prod",
        "gateway_service": {"type": "LoadBalancer", "annotations": {"a": "b"}},
        "image_hub": "registry.corp.example/istio",
    },
]


def test_the_current_minors_are_the_pinned_one_and_the_newer_one() -> None:
    # The pin is the newest patch of its minor, and every current minor has its key lists.
    assert CURRENT["1.31"] == versions.ISTIO_VERSION
    assert sorted(CURRENT) == ["1.31", "1.32"]
    for minor in CURRENT:
        assert sorted(p.stem for p in (DATA / minor).glob("*.json")) == [
            "base", "cni", "gateway", "istiod", "ztunnel"
        ]  # fmt: skip


@pytest.mark.parametrize("minor", sorted(CURRENT))
@pytest.mark.parametrize("args", EVERY_OPTION)
def test_every_value_we_pass_is_documented_by_its_chart(minor: str, args: dict[str, Any]) -> None:
    version = CURRENT[minor]
    with MockSession() as session:
        IstioInstall("istio", {**args, "version": version})  # type: ignore[arg-type]
        rec = session.settle()
    charts = set()
    for release in rec.helm_releases():
        chart = chart_of(release)
        charts.add(chart)
        assert release["version"] == version
        unknown = unknown_keys(chart, release["values"], minor_of(release["version"]))
        assert unknown == [], f"{chart} {version} ignores these"
    assert charts >= {"base", "istiod", "gateway"}


def test_the_check_catches_a_key_the_chart_ignores() -> None:
    # The slip this test exists for: cni never reads global.istioNamespace.
    assert unknown_keys("cni", {"global": {"istioNamespace": "istio-system"}}) == [
        "global.istioNamespace"
    ]
    assert unknown_keys("istiod", {"pilot": {"typo": 1}}) == ["pilot.typo"]
    assert unknown_keys("gateway", {"podAnnotations": {"any/key": "x"}}) == []
    assert unknown_keys("ztunnel", {"global": {"hub": "x"}}) == []
