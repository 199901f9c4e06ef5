#!/usr/bin/env python3
"""Rewrite the README's generated input tables from the Args declarations.

.venv/bin/python scripts/update-readme.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.config import reference_blocks  # noqa: E402
from mesh_https.reference import package_blocks, render  # noqa: E402


def main() -> int:
    readme = ROOT / "README.md"
    readme.write_text(render(readme.read_text(), {**package_blocks(), **reference_blocks()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
