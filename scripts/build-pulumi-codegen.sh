#!/usr/bin/env bash
# Builds tools/pulumi-codegen (Pulumi's schema binder and SDK generators, pkg/v3 v3.276.0)
# and its .NET half (tools/pulumi-codegen/dotnet) into
#   ${XDG_CACHE_HOME:-$HOME/.cache}/mesh-https/real-tier/pulumi-codegen-<key>/
# where <key> hashes both modules' go.mod, go.sum and Go sources and the Go version, so a
# changed pin rebuilds and an unchanged one is a no-op. Prints the pulumi-codegen binary's
# path (pulumi-codegen-dotnet is beside it). Nothing is written inside the repository.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src="$repo_root/tools/pulumi-codegen"

command -v go >/dev/null 2>&1 || { echo "go is not installed: it builds Pulumi's code generators" >&2; exit 127; }

key=$(
  {
    go env GOVERSION GOOS GOARCH
    cd "$src"
    find . -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) | LC_ALL=C sort | while read -r f; do
      echo "$f"; cat "$f"
    done
  } | sha256sum | cut -c1-16
)
out="${XDG_CACHE_HOME:-$HOME/.cache}/mesh-https/real-tier/pulumi-codegen-$key"

if [ -x "$out/pulumi-codegen" ] && [ -x "$out/pulumi-codegen-dotnet" ]; then
  echo "$out/pulumi-codegen"
  exit 0
fi

mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d "$out.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Go builds are CPU heavy on a shared machine: nice, and the module's own go.sum only.
(cd "$src" && nice -n 10 go build -mod=readonly -trimpath -o "$tmp/pulumi-codegen" .) >&2
(cd "$src/dotnet" && nice -n 10 go build -mod=readonly -trimpath -o "$tmp/pulumi-codegen-dotnet" .) >&2
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "$out/pulumi-codegen"
