#!/usr/bin/env bash
# The whole offline check: install, lint, type-check, test. CI runs exactly this.
#   scripts/test.sh [extra pytest args...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy --strict"
.venv/bin/mypy --strict mesh_https deploy
echo "== pytest"
.venv/bin/pytest "$@"
