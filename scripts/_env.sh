# Shared by scripts/up.sh and scripts/down.sh: prerequisites, the virtualenv, a local backend.
# Sourced, not run.

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

# The cluster type a stack file names (kind unless it says otherwise).
cluster_type() {
  local found
  found=$(sed -n 's/^[[:space:]]*type:[[:space:]]*\([a-z]*\).*/\1/p' "stacks/Pulumi.$1.yaml" | head -n 1)
  echo "${found:-kind}"
}

# Every missing tool is listed, with how to get it, before anything runs: what the stack's
# cluster needs (docker and kind for kind; a cloud's CLI and credentials for EKS, GKE and
# AKS), and pulumi.
check_prerequisites() {
  local missing=()
  local type
  type=$(cluster_type "${1:-dev}")
  if ! command -v python3 >/dev/null 2>&1 \
    || ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    missing+=("python3 >= 3.11: install it from your OS packages or https://www.python.org/downloads/")
  fi
  if [ "$type" = "eks" ]; then
    if ! command -v aws >/dev/null 2>&1; then
      missing+=("aws CLI v2: the EKS kubeconfig authenticates with 'aws eks get-token' (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)")
    elif ! aws sts get-caller-identity >/dev/null 2>&1; then
      missing+=("AWS credentials: 'aws sts get-caller-identity' fails; sign in ('aws sso login --profile NAME' and export AWS_PROFILE=NAME, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)")
    fi
  fi
  if [ "$type" = "gke" ]; then
    if ! command -v gcloud >/dev/null 2>&1; then
      missing+=("gcloud CLI: https://cloud.google.com/sdk/docs/install")
    elif ! gcloud auth application-default print-access-token >/dev/null 2>&1; then
      missing+=("Google credentials: 'gcloud auth application-default print-access-token' fails; run 'gcloud auth application-default login'")
    fi
    if ! command -v gke-gcloud-auth-plugin >/dev/null 2>&1; then
      missing+=("gke-gcloud-auth-plugin: the GKE kubeconfig authenticates with it; 'gcloud components install gke-gcloud-auth-plugin'")
    fi
  fi
  if [ "$type" = "aks" ]; then
    if ! command -v az >/dev/null 2>&1; then
      missing+=("Azure CLI: https://learn.microsoft.com/cli/azure/install-azure-cli")
    elif ! az account show >/dev/null 2>&1; then
      missing+=("Azure credentials: 'az account show' fails; run 'az login' (and 'az account set --subscription ID')")
    fi
  fi
  if [ "$type" = "kind" ] && ! command -v docker >/dev/null 2>&1; then
    missing+=("docker: kind runs its nodes as containers; install Docker Engine or Docker Desktop (https://docs.docker.com/engine/install/)")
  elif [ "$type" = "kind" ] && ! docker info >/dev/null 2>&1; then
    missing+=("a running Docker engine: 'docker' is installed but 'docker info' fails; start the daemon (e.g. 'sudo systemctl start docker') or check you may use its socket")
  fi
  if [ "$type" = "kind" ] && ! command -v kind >/dev/null 2>&1; then
    missing+=("kind: 'go install sigs.k8s.io/kind@latest', 'brew install kind', or a release binary (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)")
  fi
  if ! command -v pulumi >/dev/null 2>&1; then
    missing+=("pulumi CLI: 'curl -fsSL https://get.pulumi.com | sh' or 'brew install pulumi/tap/pulumi' (https://www.pulumi.com/docs/install/)")
  fi
  if ((${#missing[@]})); then
    echo "mesh-https: cannot deploy; missing prerequisites:" >&2
    for item in "${missing[@]}"; do echo "  - $item" >&2; done
    exit 1
  fi
}

# A kind stack maps host ports to the gateway; something already listening there would make
# `kind create` fail halfway, so say so first.
check_host_ports_free() {
  local stack_file="stacks/Pulumi.$1.yaml"
  python3 - "$stack_file" "$(kind get clusters 2>/dev/null | tr '\n' ' ')" <<'PY' || exit 1
import re, socket, sys
text = open(sys.argv[1]).read()
if not re.search(r"type:\s*kind", text):
    sys.exit(0)
name = re.search(r"^\s+clusterName:\s*(\S+)", text, re.M)
if name and name.group(1) in sys.argv[2].split():
    sys.exit(0)  # the stack's own cluster is up and holds the ports
ports = re.search(r"hostPorts:\s*\{\s*http:\s*(\d+),\s*https:\s*(\d+)", text)
busy = []
for port in map(int, ports.groups() if ports else (80, 443)):
    with socket.socket() as probe:
        probe.settimeout(0.5)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            busy.append(port)
if busy:
    print(f"mesh-https: host port(s) {busy} are already in use; stop what listens there, or set "
          f"other hostPorts in {sys.argv[1]} (mesh-https:cluster.hostPorts)", file=sys.stderr)
    sys.exit(1)
PY
}

# The program runs in .venv (Pulumi.yaml: virtualenv .venv), with this package installed.
prepare_virtualenv() {
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.txt
  # A cloud cluster's SDK is an extra: only its stacks install it.
  case "$(cluster_type "${1:-dev}")" in
    eks) .venv/bin/python -m pip install --quiet -e ".[aws]" ;;
    gke) .venv/bin/python -m pip install --quiet -e ".[gcp]" ;;
    aks) .venv/bin/python -m pip install --quiet -e ".[azure]" ;;
  esac
}

# A local file backend and a passphrase secrets provider: no account needed.
use_local_backend() {
  export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$repo_root/.pulumi-state}"
  case "$PULUMI_BACKEND_URL" in
    file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;;
  esac
  if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE+set}" ]; then
    echo "mesh-https: PULUMI_CONFIG_PASSPHRASE is not set; using an empty passphrase for local secrets." >&2
    export PULUMI_CONFIG_PASSPHRASE=""
  fi
  echo "mesh-https: state backend $PULUMI_BACKEND_URL" >&2
}
