"""The GitHub workflows, checked offline against check-jsonschema's vendored workflow schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.yml"))


def schema_check(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def load(name: str) -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load((ROOT / ".github/workflows" / name).read_text())
    return data


def steps(workflow: dict[str, object]) -> list[dict[str, object]]:
    jobs = workflow["jobs"]
    assert isinstance(jobs, dict)
    return [step for job in jobs.values() for step in job["steps"]]


def test_every_workflow_is_valid() -> None:
    assert {w.name for w in WORKFLOWS} == {"ci.yml", "synth-diff.yml", "preview.yml"}
    result = schema_check(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("name: x\non: push\njobs:\n  a:\n    steps:\n      - run: true\n")
    assert schema_check(broken).returncode != 0, "a job without runs-on must be rejected"


def test_ci_runs_the_readme_test_command() -> None:
    runs = [str(s.get("run", "")) for s in steps(load("ci.yml"))]
    assert any("scripts/test.sh" in r for r in runs)


def test_synth_diff_needs_no_credentials_and_comments() -> None:
    workflow = load("synth-diff.yml")
    text = (ROOT / ".github/workflows/synth-diff.yml").read_text()
    assert "secrets." not in text, "the synth diff must run without any credentials"
    runs = "\n".join(str(s.get("run", "")) for s in steps(workflow))
    assert "mesh-https synth -C base" in runs and "mesh-https synth -C head" in runs
    assert "mesh-https diff synth-base synth-head" in runs
    uses = [str(s.get("uses", "")) for s in steps(workflow)]
    assert any(u.startswith("marocchino/sticky-pull-request-comment") for u in uses)


def test_preview_uses_pulumi_actions_only_with_credentials() -> None:
    workflow = load("preview.yml")
    action = next(s for s in steps(workflow) if str(s.get("uses", "")).startswith("pulumi/actions"))
    with_ = action["with"]
    assert isinstance(with_, dict)
    assert with_["command"] == "preview" and with_["comment-on-pr"] is True
    assert with_["policyPacks"] == "policy" and (ROOT / "policy" / "PulumiPolicy.yaml").exists()
    assert action["if"] == "steps.creds.outputs.ready == 'true'"
