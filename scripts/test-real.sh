#!/usr/bin/env bash
# The real toolchain tier alone, with one summary line per rung:
#   1. Pulumi's own schema binder and SDK generators; the examples compiled against the SDKs.
#   2. A real etcd + kube-apiserver with Istio's and the Gateway API's CRDs: every emitted
#      object dry-run applied; every stack and example applied, updated and deleted.
#   3. The pulumi CLI, language host and providers: built only if the proxy serves every pin.
# Run scripts/test.sh once first (it makes .venv). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -x .venv/bin/pytest ] || { echo "scripts/test-real.sh: run scripts/test.sh first (it creates .venv)" >&2; exit 2; }

rung() {
  local name=$1; shift
  local log started status
  log=$(mktemp)
  started=$SECONDS
  status=0
  .venv/bin/pytest -q -p no:cacheprovider "$@" >"$log" 2>&1 || status=$?
  echo "rung $name: $(grep -E '(passed|failed|skipped|error)' "$log" | tail -1 | sed 's/=//g; s/^ *//') [$((SECONDS - started)) s]"
  if [ "$status" -ne 0 ]; then cat "$log" >&2; fi
  rm -f "$log"
  return "$status"
}

failed=0
rung "1 (Pulumi's binder and SDK generators)" tests/test_real_codegen.py \
  "tests/test_provider.py::test_the_schema_binds_with_pulumis_own_binder" "${@}" || failed=1
rung "2 (real kube-apiserver)" tests/test_real_apiserver.py tests/test_real_stacks.py \
  tests/test_kube_orders.py tests/test_schemas.py "${@}" || failed=1
refused=$(grep -v '^#' tools/pulumi-binaries.tsv | awk -F'\t' '$4 != "served"' | wc -l)
echo "rung 3 (pulumi CLI and providers): not built: $refused of $(grep -vc '^#' tools/pulumi-binaries.tsv) pins refused by the module proxy (tools/pulumi-binaries.tsv)"
exit "$failed"
