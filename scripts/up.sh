#!/usr/bin/env bash
# Deploy a stack (default: dev, a local kind cluster) with a local file state backend.
#   scripts/up.sh [STACK] [extra pulumi up flags...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"

stack="${1:-dev}"
shift || true
if [ ! -f "stacks/Pulumi.$stack.yaml" ]; then
  echo "mesh-https: no stack config stacks/Pulumi.$stack.yaml; stacks here:" \
    "$(cd stacks && ls Pulumi.*.yaml | sed 's/^Pulumi\.\(.*\)\.yaml$/\1/' | tr '\n' ' ')" >&2
  exit 1
fi

check_prerequisites "$stack"
check_host_ports_free "$stack"
prepare_virtualenv "$stack"
use_local_backend
pulumi stack select --create --secrets-provider passphrase "$stack" >/dev/null
pulumi up --yes --stack "$stack" "$@"
if smoke=$(pulumi stack output --stack "$stack" --show-secrets smokeTest 2>/dev/null); then
  printf '\nmesh-https: try it (bash):\n%s\n' "$smoke"
fi
