#!/usr/bin/env bash
# Builds etcd and kube-apiserver from the Go module in tools/kube-apiserver (k8s.io/kubernetes
# with its staging modules replaced by their published versions, and etcd's server module) and
# prints the folder holding the two binaries.
#
# The binaries are cached outside the repository, under
# ${XDG_CACHE_HOME:-$HOME/.cache}/mesh-https/real-tier/<key>/bin, where <key> hashes the Go
# version, this script and the module's go.mod, go.sum and Go sources: an unchanged pin is a
# no-op, a changed one rebuilds. Go's own module and build caches are used as they are.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
module="$repo_root/tools/kube-apiserver"

if ! command -v go >/dev/null 2>&1; then
  echo "build-kube-apiserver: 'go' is not on PATH (Go >= 1.26 builds Kubernetes 1.36)" >&2
  exit 2
fi

key=$(
  cd "$module"
  {
    go version
    cat "$repo_root/scripts/build-kube-apiserver.sh"
    find . -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) -print | LC_ALL=C sort \
      | while read -r file; do echo "$file"; cat "$file"; done
  } | sha256sum | cut -c1-16
)
out="${XDG_CACHE_HOME:-$HOME/.cache}/mesh-https/real-tier/kube-apiserver-$key"
bin="$out/bin"

if [ -x "$bin/kube-apiserver" ] && [ -x "$bin/etcd" ]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$out"
staging="$out/bin.partial.$$"
rm -rf "$staging"
mkdir -p "$staging"
trap 'rm -rf "$staging"' EXIT

cd "$module"
# Kubernetes stamps its version at link time (hack/lib/version.sh); without it /version says
# v0.0.0 and clients that check the server's version are misled.
kube_version=$(go list -mod=readonly -m -f '{{.Version}}' k8s.io/kubernetes)
minor=${kube_version#v*.}
minor=${minor%%.*}
stamp=""
for package in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=" -X $package.gitVersion=$kube_version -X $package.gitMajor=1 -X $package.gitMinor=$minor"
  stamp+=" -X $package.gitTreeState=clean"
done
build() {
  # -mod=readonly: the checked-in go.mod and go.sum are the whole truth; CGO off like
  # Kubernetes' own release builds of these two servers.
  CGO_ENABLED=0 nice -n 10 go build -mod=readonly -trimpath -ldflags="-s -w $3" -o "$staging/$1" "$2"
}
start=$(date +%s)
build etcd ./cmd/etcd ""
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$stamp"
echo "build-kube-apiserver: built in $(($(date +%s) - start))s" >&2

# Published in one step, so a half-finished build is never taken for a cached one.
rm -rf "$bin"
mv "$staging" "$bin"
trap - EXIT
echo "$bin"
