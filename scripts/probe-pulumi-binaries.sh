#!/usr/bin/env bash
# Asks the Go module proxy, once each, for the exact versions rung 3 of the real toolchain
# tier would build (tools/pulumi-binaries.tsv lists them and the last answers), and prints
# each answer. It needs the network; the test command does not run it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v go >/dev/null 2>&1 || { echo "go is not installed" >&2; exit 127; }
# The proxy alone: no fallback to the modules' own source hosts.
proxy=$(go env GOPROXY | tr ',|' '\n\n' | grep -v '^direct$' | head -1)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
grep -v '^#' tools/pulumi-binaries.tsv | while IFS=$'\t' read -r module version what _; do
  if answer=$(cd "$scratch" && GOPROXY="$proxy" GOFLAGS=-mod=mod go list -m -json "$module@$version" 2>&1); then
    echo -e "$module\t$version\t$what\tserved"
  else
    echo -e "$module\t$version\t$what\trefused: $(echo "$answer" | tail -1)"
  fi
done
