"""mesh-https synth and diff: determinism, layout, masking, exit codes, any program, goldens."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from mesh_https import cli, synth
from mesh_https.diff import compare, markdown
from mesh_https.versions import ISTIO_VERSION

GOLDEN = ROOT / "tests" / "golden"


def run_synth(
    tmp_path: Path, stack: str = "dev", name: str = "out", **kw: Any
) -> tuple[Path, synth.SynthResult]:
    out = tmp_path / name
    result = synth.synth(kw.pop("directory", ROOT), stack, out, **kw)
    return out, result


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_two_runs_are_byte_identical(tmp_path: Path) -> None:
    first, _ = run_synth(tmp_path, name="one")
    second, _ = run_synth(tmp_path, name="two")
    assert tree(first) == tree(second)
    assert len(tree(first)) > 10


def test_layout_objects_releases_graph_summary(tmp_path: Path) -> None:
    out, result = run_synth(tmp_path)
    assert result.exit_code == 0
    vs = yaml.safe_load((out / "objects/demo/VirtualService/app.yaml").read_text())
    assert vs["spec"]["http"][-1]["route"][0]["weight"] == 80, "integers stay integers"
    assert (out / "objects/_cluster/Namespace/demo.yaml").is_file()
    istiod = yaml.safe_load((out / "releases/istio-system/istiod.yaml").read_text())
    assert istiod["chart"] == "istiod" and istiod["version"] == ISTIO_VERSION
    assert istiod["repository"].startswith("https://")
    assert "meshConfig" in istiod["values"]
    nodes = json.loads((out / "graph.json").read_text())
    assert {"urn", "type", "name", "parent", "provider", "dependencies"} <= set(nodes[0])
    vs_node = next(n for n in nodes if n["name"] == "app-virtual-service")
    dr_node = next(n for n in nodes if n["name"] == "app-destination-rule")
    assert dr_node["urn"] in vs_node["dependencies"]
    assert (out / "graph.mmd").read_text().startswith("flowchart TD")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kinds"]["VirtualService"] == 1 and summary["findings"] == []
    assert "| Gateway | 1 |" in (out / "summary.md").read_text()


def test_secrets_are_masked_unless_revealed(tmp_path: Path) -> None:
    out, _ = run_synth(tmp_path)
    secret = yaml.safe_load(
        (out / "objects/istio-ingress/Secret/edge-hello-mesh-https-test-tls.yaml").read_text()
    )
    assert secret["stringData"] == {"tls.crt": "[secret]", "tls.key": "[secret]"}
    everything = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert "PRIVATE KEY" not in everything and "BEGIN CERTIFICATE" not in everything
    revealed, _ = run_synth(tmp_path, name="revealed", reveal=True)
    data = yaml.safe_load(
        (revealed / "objects/istio-ingress/Secret/edge-hello-mesh-https-test-tls.yaml").read_text()
    )["stringData"]
    assert data["tls.crt"].startswith("<CERTIFICATE subject=CN=hello.mesh-https.test")
    assert "sans=hello.mesh-https.test" in data["tls.crt"]
    assert data["tls.key"] == "<EC PRIVATE KEY>", "generated key material stays masked"


def make_project(
    tmp_path: Path, program: str, config: dict[str, Any] | None = None, main: str | None = None
) -> Path:
    project = tmp_path / "proj"
    (project / "src").mkdir(parents=True)
    (project / "stacks").mkdir()
    data: dict[str, Any] = {"name": "user-proj", "runtime": "python", "stackConfigDir": "stacks"}
    data["main"] = main or "src"
    data["config"] = {"user-proj:greeting": {"value": "hello"}}
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(data))
    (project / "src" / "__main__.py").write_text(program)
    (project / "src" / "helper.py").write_text("NAMESPACE = 'shop'\n")
    (project / "stacks" / "Pulumi.test.yaml").write_text(yaml.safe_dump({"config": config or {}}))
    return project


PLAIN_PROGRAM = """
import pulumi
import pulumi_kubernetes as k8s
from helper import NAMESPACE

config = pulumi.Config()
provider = k8s.Provider("k8s", kubeconfig="unused")
k8s.apiextensions.CustomResource(
    "vs",
    api_version="networking.istio.io/v1",
    kind="VirtualService",
    metadata={"name": "reviews", "namespace": NAMESPACE,
              "labels": {"greeting": config.require("greeting")}},
    spec={"hosts": ["reviews"], "gateways": [config.get("gateway") or "mesh"],
          "http": [{"route": [{"destination": {"host": "reviews"}}]}]},
    opts=pulumi.ResourceOptions(provider=provider),
)
"""


def test_any_python_program_with_plain_pulumi_kubernetes(tmp_path: Path) -> None:
    project = make_project(tmp_path, PLAIN_PROGRAM, {"user-proj:gateway": "mesh"})
    out, result = run_synth(tmp_path, stack="test", directory=project)
    assert result.exit_code == 0, result.program_error
    vs = yaml.safe_load((out / "objects/shop/VirtualService/reviews.yaml").read_text())
    assert vs["metadata"]["labels"] == {"greeting": "hello"}, "Pulumi.yaml config defaults apply"


def test_error_findings_exit_1(tmp_path: Path) -> None:
    project = make_project(tmp_path, PLAIN_PROGRAM, {"gateway": "nowhere/edge"})
    out, result = run_synth(tmp_path, stack="test", directory=project)
    assert result.exit_code == 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["findings"][0]["code"] == "IST0101"


def test_a_failing_program_exits_2(tmp_path: Path) -> None:
    project = make_project(
        tmp_path, "import mesh_https\nmesh_https.IstioInstall('istio', {'mode': 'x'})\n"
    )
    out, result = run_synth(tmp_path, stack="test", directory=project)
    assert result.exit_code == 2
    assert "IstioInstall: `mode`" in json.loads((out / "summary.json").read_text())["program_error"]


def test_a_program_that_fails_part_way_reports_its_error_and_no_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The VirtualService binds a missing gateway (an error finding) and no STRICT policy is
    # made (a warning), but the program fails before completing: its error is the report.
    program = (
        PLAIN_PROGRAM + "\nimport mesh_https\nmesh_https.IstioInstall('istio', {'mode': 'x'})\n"
    )
    project = make_project(tmp_path, program, {"gateway": "nowhere/edge"})
    out, result = run_synth(tmp_path, stack="test", directory=project)
    assert result.exit_code == 2 and result.findings == []
    assert json.loads((out / "summary.json").read_text())["findings"] == []
    code = cli.main(["synth", "-s", "test", "-o", str(tmp_path / "cli"), "-C", str(project)])
    printed = capsys.readouterr()
    assert code == 2 and "IstioInstall: `mode`" in printed.err
    assert "IST0101" not in printed.out + printed.err and "MESH015" not in printed.out


def test_our_own_analysis_guard_counts_as_findings_not_a_crash(tmp_path: Path) -> None:
    program = (
        "from mesh_https import analysis\nguard = analysis.enforce()\n"
        + PLAIN_PROGRAM
        + "\nguard.check()\n"
    )
    project = make_project(tmp_path, program, {"gateway": "nowhere/edge"})
    _, result = run_synth(tmp_path, stack="test", directory=project)
    assert result.program_error is None and result.exit_code == 1


def test_cli_exit_codes_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["synth", "--stack", "dev", "--out", str(tmp_path / "a"), "-C", str(ROOT)]) == 0
    assert (
        cli.main(["synth", "--stack", "nosuch", "--out", str(tmp_path / "b"), "-C", str(ROOT)]) == 2
    )
    assert "no stack config" in capsys.readouterr().err
    assert cli.main(["synth", "--out", str(tmp_path / "c"), "-C", str(tmp_path)]) == 2
    assert "no Pulumi.yaml" in capsys.readouterr().err


def test_console_script_from_the_project_directory(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "mesh-https"
    result = subprocess.run(
        [str(script), "synth", "--stack", "ambient", "--out", str(tmp_path / "o")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "registered" in result.stderr, "progress is shown"
    assert (tmp_path / "o/releases/istio-system/ztunnel.yaml").is_file()


def test_diff_reports_added_removed_and_changed_fields(tmp_path: Path) -> None:
    base, _ = run_synth(tmp_path, name="base")
    head = tmp_path / "head"
    config = yaml.safe_load((ROOT / "stacks/Pulumi.dev.yaml").read_text())
    config["config"]["mesh-https:canary"]["weights"] = {"v1": 50, "v2": 50}
    config["config"]["mesh-https:gateway"]["hosts"] = ["hello.mesh-https.test"]
    stack = f"synth-diff-{uuid.uuid4().hex[:6]}"
    stack_file = ROOT / "stacks" / f"Pulumi.{stack}.yaml"
    stack_file.write_text(yaml.safe_dump(config))
    try:
        synth.synth(ROOT, stack, head)
    finally:
        stack_file.unlink()
    result = compare(base, head)
    assert "objects/istio-ingress/Secret/edge-api-mesh-https-test-tls.yaml" in result.removed
    vs = next(c for c in result.changed if c.path == "objects/demo/VirtualService/app.yaml")
    assert ("spec.http[1].route[0].weight", 80, 50) in vs.fields
    text = markdown(result)
    assert "| `spec.http[1].route[0].weight` | `80` | `50` |" in text
    assert "#### Removed" in text
    assert markdown(compare(base, base)).endswith(
        "No changes to Kubernetes objects, Helm releases or findings.\n"
    )


def test_diff_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base, _ = run_synth(tmp_path, name="base")
    assert cli.main(["diff", str(base), str(base), "--exit-code"]) == 0
    assert cli.main(["diff", str(base), str(tmp_path)]) == 2
    out = tmp_path / "comment.md"
    assert cli.main(["diff", str(base), str(base), "--output", str(out)]) == 0
    assert out.read_text().startswith("### mesh-https synth diff")


def test_dev_stack_matches_the_golden_files(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    out, _ = run_synth(tmp_path)
    golden = GOLDEN / "dev"
    if request.config.getoption("--update-golden"):
        shutil.rmtree(golden, ignore_errors=True)
        shutil.copytree(out, golden)
    now, expected = tree(out), tree(golden)
    differing = sorted(p for p in set(now) | set(expected) if now.get(p) != expected.get(p))
    assert differing == [], (
        f"synth output differs from tests/golden/dev in {differing}; "
        "if intended: scripts/test.sh tests/test_synth.py --update-golden"
    )


# ------------------------------------------------------- synth never deletes what it did not write


def test_synth_marks_its_output_and_replaces_only_its_own(tmp_path: Path) -> None:
    out, _ = run_synth(tmp_path, name="marked")
    assert (out / synth.MARKER).is_file()
    stale = out / "objects" / "stale.yaml"
    stale.write_text("left by an earlier run\n")
    run_synth(tmp_path, name="marked")
    assert not stale.exists(), "an earlier synth output is replaced whole"


@pytest.mark.parametrize(
    ("layout", "words"),
    [
        ({"notes.txt": "mine"}, "was not written by synth"),
        (
            {synth.MARKER: "", "summary.json": "{}", "notes.txt": "mine"},
            "which synth did not write",
        ),
    ],
)
def test_synth_refuses_a_folder_it_did_not_write(
    tmp_path: Path, layout: dict[str, str], words: str
) -> None:
    out = tmp_path / "theirs"
    out.mkdir()
    for name, text in layout.items():
        (out / name).write_text(text)
    with pytest.raises(synth.SynthError, match=words):
        synth.synth(ROOT, "dev", out)
    assert sorted(p.name for p in out.iterdir()) == sorted(layout), "nothing was deleted"
    assert (out / "notes.txt").read_text() == "mine"


def test_synth_never_replaces_the_project_or_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "examples" / "existing-cluster", project)
    before = sorted(p.name for p in project.iterdir())
    for out in (project, tmp_path):
        with pytest.raises(synth.SynthError, match="must not"):
            synth.synth(project, "dev", out)
    monkeypatch.chdir(project / "..")
    assert cli.main(["synth", "--stack", "dev", "--out", ".", "-C", str(project)]) == 2
    assert cli.main(["synth", "--stack", "dev", "--out", str(project), "-C", str(project)]) == 2
    assert sorted(p.name for p in project.iterdir()) == before
    file_out = tmp_path / "a-file"
    file_out.write_text("x")
    with pytest.raises(synth.SynthError, match="is a file"):
        synth.synth(ROOT, "dev", file_out)
