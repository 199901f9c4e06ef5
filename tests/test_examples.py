"""Every program in examples/ runs under the test kit, as a user's program would."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from mesh_https import synth
from mesh_https.testing import MockSession

EXAMPLES = sorted(
    p.parent
    for p in (ROOT / "examples").glob("*/Pulumi.yaml")
    if (p.parent / "__main__.py").exists()  # the Python ones; test_language_examples has the rest
)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_and_uses_explicit_providers(example: Path, tmp_path: Path) -> None:
    project = yaml.safe_load((example / "Pulumi.yaml").read_text())
    assert "kubernetes" in project["config"]["pulumi:disable-default-providers"]["value"]
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text("apiVersion: v1\ncontexts: [{name: ctx, context: {}}]\n")
    name = project["name"]
    config = {f"{name}:kubeconfigPath": str(kubeconfig), f"{name}:context": "ctx"}
    with MockSession(project=name, stack="test", config=config) as session:
        runpy.run_path(str(example / "__main__.py"))
        rec = session.settle()
        exports = session.exports()
    provider = rec.one("pulumi:providers:kubernetes")
    k8s = [r for r in rec if r.custom and r.type.startswith("kubernetes:")]
    assert k8s and all(r.provider_urn == provider.urn for r in k8s)
    assert exports["analysis"] == [] or example.name == "existing-cluster"
    if example.name == "existing-cluster":
        assert exports["gatewayPrincipal"].startswith("cluster.local/ns/")


SCENARIOS = [p for p in EXAMPLES if (p / "Pulumi.dev.yaml").exists()]


@pytest.mark.parametrize("example", SCENARIOS, ids=lambda p: p.name)
def test_scenario_runs_clean_under_synth(example: Path, tmp_path: Path) -> None:
    """Its own stack file, through synth: no program error and no finding of any level."""
    result = synth.synth(example, "dev", tmp_path / "out")
    assert result.program_error is None, result.program_error
    assert [str(f) for f in result.findings] == []
    assert result.exit_code == 0


def test_the_scenarios_are_the_ones_promised() -> None:
    assert {p.name for p in SCENARIOS} >= {"secure-ingress", "bookinfo-canary", "two-gateways"}
