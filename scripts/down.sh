#!/usr/bin/env bash
# Destroy a stack deployed by scripts/up.sh (for kind stacks this deletes the cluster too).
#   scripts/down.sh [STACK] [extra pulumi destroy flags...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"

stack="${1:-dev}"
shift || true
check_prerequisites "$stack"
prepare_virtualenv "$stack"
use_local_backend
pulumi destroy --yes --stack "$stack" "$@"
