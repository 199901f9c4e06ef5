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


def test_the_input_tables_are_generated_from_the_declarations() -> None:
    from deploy.config import SECTIONS, reference_blocks
    from mesh_https.reference import package_blocks, render

    text = (ROOT / "README.md").read_text()
    generated = {**package_blocks(), **reference_blocks()}
    assert render(text, generated) == text, "run scripts/update-readme.py"
    for name in [*(f"config:{s}" for s in SECTIONS), "IstioInstallArgs", "StrictMtlsArgs"]:
        assert f"<!-- reference:{name} -->" in text


def test_a_table_row_follows_the_declaration() -> None:
    from mesh_https import StrictMtlsArgs
    from mesh_https.reference import table

    rows = table(StrictMtlsArgs).splitlines()
    assert "| `gateway_principal` | value |" in next(r for r in rows if "gateway_principal" in r)
    assert "| `namespaces` | structural |" in next(r for r in rows if "`namespaces`" in r)
