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
# The Istio and Gateway API schemas the suite validates against come from npm
# (schemas/package-lock.json).
if ! command -v npm >/dev/null 2>&1; then
  echo "scripts/test.sh: npm is missing; install Node.js 20+ with npm (https://nodejs.org/)" >&2
  exit 1
fi
npm ci --prefix schemas --no-audit --no-fund --silent

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy --strict"
.venv/bin/mypy --strict mesh_https deploy
echo "== pytest"
.venv/bin/pytest "$@"
