#!/usr/bin/env python3
"""Rewrite mesh_https/provider/hosted.py (the components as the host reads them) from the Args
declarations, then the package schema's golden file from it.

.venv/bin/python scripts/update-provider.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOSTED = ROOT / "mesh_https" / "provider" / "hosted.py"
GOLDEN = ROOT / "tests" / "golden" / "provider-schema.json"


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from mesh_https.provider.codegen import render

    HOSTED.write_text(render())
    # Imported only now, so the schema is the one of the module just written.
    from mesh_https.provider import schema_text

    GOLDEN.write_text(schema_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
