"""What the real toolchain tier's tests share: the skip policy and the cached builds.

The tier builds real tools from Go modules (``tools/``), cached outside the repository by
``scripts/build-*.sh``. Where a tool it needs (``go``, ``node``, ``npm``) is missing, its tests
skip and say why, except under ``CI=true``, where every tier must run and a missing tool is
a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def need(tool: str, why: str) -> str:
    """The path of ``tool``; if it is missing, skip saying ``why`` it is needed (fail under
    ``CI=true``)."""
    found = shutil.which(tool)
    if found is not None:
        return found
    message = f"{tool} is not installed: {why}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: this tier must run)")
    pytest.skip(message)


def build(script: str, what: str) -> Path:
    """Run ``scripts/<script>`` (a no-op when its cache is warm) and return the path it
    prints last: the built binary or the folder of binaries."""
    need("go", f"the real toolchain tier builds {what} from Go modules")
    built = subprocess.run(
        ["bash", str(ROOT / "scripts" / script)],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if built.returncode != 0:
        pytest.fail(f"building {what} failed:\n{built.stderr[-4000:]}")
    return Path(built.stdout.strip().splitlines()[-1])
