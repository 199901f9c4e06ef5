"""The README's Python examples run as written."""

from __future__ import annotations

import re
from typing import Any

from conftest import ROOT

from mesh_https.testing import MockSession

BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 2


def test_every_readme_program_example_runs() -> None:
    programs = [b for b in BLOCKS if "def test_" not in b]
    assert programs
    for block in programs:
        with MockSession() as session:
            exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
            registered = len(session.settle())
            assert registered > 0 or "enforce()" in block, block


def test_every_readme_test_example_passes() -> None:
    tests = [b for b in BLOCKS if "def test_" in b]
    assert tests
    for block in tests:
        namespace: dict[str, Any] = {"__name__": "readme"}
        exec(compile(block, "README.md", "exec"), namespace)
        for name, fn in namespace.items():
            if name.startswith("test_"):
                with MockSession() as session:
                    fn(session)
