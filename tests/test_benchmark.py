"""The benchmark script runs and reports ratios (it is measured, never timed in tests)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_benchmark_quick_run_reports_ratios() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/bench.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith("baseline: one-resource mock run")
    rows = [line for line in lines if line.startswith(("dev stack", "HttpsGateway", "RSA-2048"))]
    assert len(rows) == 3
    for row in rows:
        assert float(row.split()[-1]) > 0
