# Shared by up.sh, down.sh and status.sh. Sourced, not executed.
#
# Two independent local control planes, "gz" and "nj" (two regions). Each one is etcd +
# kube-apiserver + kube-controller-manager + kube-scheduler + kwok (simulated kubelets), run as
# plain processes from the binaries that build.sh caches. Everything listens on 127.0.0.1 only.
# See docs/local-cluster.md.

CLUSTER_SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CLUSTER_SCRIPTS_DIR/../.." && pwd)
# shellcheck source=versions.sh
source "$CLUSTER_SCRIPTS_DIR/versions.sh"
# shellcheck source=../components/versions.sh
source "$CLUSTER_SCRIPTS_DIR/../components/versions.sh"

STATE_DIR=${CHATOPS_CLUSTER_DIR:-$REPO_ROOT/.data/cluster}
# A relative CHATOPS_CLUSTER_DIR is taken from the repo root (as the integration tests do).
# Absolute from here on: it ends up in clusters.json, kubeconfigs and the processes' cmdlines.
[[ "$STATE_DIR" == /* ]] || STATE_DIR="$REPO_ROOT/$STATE_DIR"
STATE_DIR=${STATE_DIR%/}

CLUSTERS=(gz nj)
# Start order; down.sh stops them in reverse. metrics-server (the metrics.k8s.io API the HPA
# controller reads) and Prometheus (for /scale … suggest) scrape kwok's simulated usage.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok metrics-server prometheus)
NODES_PER_CLUSTER=2

# Fixed ports, all on 127.0.0.1. They sit below 32768 on purpose: Linux hands out ephemeral
# (outgoing) ports from 32768-60999 (net.ipv4.ip_local_port_range), so a listener up there can
# collide with some client's source port. gz uses 22xxx, nj 23xxx.
# CHATOPS_CLUSTER_PORT_OFFSET (default 0) shifts every port, so a second pair of clusters with
# its own CHATOPS_CLUSTER_DIR can run beside the first (e.g. a benchmark beside the tests).
port_base() {
  local off=${CHATOPS_CLUSTER_PORT_OFFSET:-0}
  [[ "$off" =~ ^[0-9]+$ ]] || { echo "CHATOPS_CLUSTER_PORT_OFFSET must be a number" >&2; return 1; }
  case "$1" in
    gz) echo $((22000 + off)) ;;
    nj) echo $((23000 + off)) ;;
    *) echo "unknown cluster $1" >&2; return 1 ;;
  esac
}
port_of() { # cluster what
  local b; b=$(port_base "$1")
  case "$2" in
    etcd-client) echo $((b + 379)) ;;
    etcd-peer) echo $((b + 380)) ;;
    apiserver) echo $((b + 443)) ;;
    kwok) echo $((b + 447)) ;;
    metrics-server) echo $((b + 451)) ;;
    controller-manager) echo $((b + 457)) ;;
    scheduler) echo $((b + 459)) ;;
    prometheus) echo $((b + 490)) ;;
    *) echo "unknown port $2" >&2; return 1 ;;
  esac
}
PORT_NAMES=(etcd-client etcd-peer apiserver kwok metrics-server controller-manager scheduler prometheus)

cdir() { echo "$STATE_DIR/$1"; }
pid_file() { echo "$STATE_DIR/$1/pids/$2.pid"; }
server_url() { echo "https://127.0.0.1:$(port_of "$1" apiserver)"; }

log() { echo "[cluster $(date +%T)] $*"; }
die() { echo "[cluster] ERROR: $*" >&2; exit 1; }

# curl that never goes through a proxy and never waits long.
kcurl() { curl --noproxy '*' --silent --show-error --max-time "${KCURL_TIMEOUT:-5}" "$@"; }

# Calls the cluster's API as the admin token user: api <cluster> <METHOD> <path> [json-body]
# PATCH bodies are sent as JSON merge patches unless API_CONTENT_TYPE says otherwise.
api() {
  local c=$1 method=$2 path=$3 body=${4-}
  local d; d=$(cdir "$c")
  local ct=${API_CONTENT_TYPE:-application/json}
  [[ "$method" == PATCH && -z "${API_CONTENT_TYPE-}" ]] && ct=application/merge-patch+json
  local args=(-X "$method" --cacert "$d/pki/ca.crt" -H "Authorization: Bearer $(cat "$d/pki/admin.token")"
              -H 'Accept: application/json')
  if [[ -n "$body" ]]; then args+=(-H "Content-Type: $ct" --data-binary "$body"); fi
  kcurl "${args[@]}" "$(server_url "$c")$path"
}

# Where a component's binary is in the cache now: the control plane in one folder, the metrics
# components each in their own (scripts/components/build.sh).
bin_of() { # component
  case "$1" in
    prometheus) echo "$PROMETHEUS_DIR/prometheus" ;;
    metrics-server) echo "$METRICS_SERVER_DIR/metrics-server" ;;
    *) echo "$CLUSTER_BIN_DIR/$1" ;;
  esac
}

# The binary a component was started from (recorded at start time, so a later version bump
# still recognises the processes of the old run).
expected_bin() { # cluster component
  local d; d=$(cdir "$1")
  if [[ -f "$d/pids/$2.bin" ]]; then cat "$d/pids/$2.bin"; return; fi
  if [[ -f "$d/bin-dir" ]]; then echo "$(cat "$d/bin-dir")/$2"; else bin_of "$2"; fi
}

# Prints the recorded pid if that process is alive AND is really ours: argv[0] is the expected
# binary and the command line mentions this cluster's state dir. Fails otherwise.
live_pid() { # cluster component
  local c=$1 comp=$2 pf pid cmd
  pf=$(pid_file "$c" "$comp")
  [[ -f "$pf" ]] || return 1
  pid=$(cat "$pf" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  cmd=$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ "$(head -n1 <<<"$cmd")" == "$(expected_bin "$c" "$comp")" ]] || return 1
  grep -qF -- "$(cdir "$c")/" <<<"$cmd" || return 1
  # a zombie is not alive
  [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]] || return 1
  echo "$pid"
}

stop_pid() { # cluster component: SIGTERM, wait up to 10 s, then SIGKILL
  local c=$1 comp=$2 pid i
  if ! pid=$(live_pid "$c" "$comp"); then
    rm -f "$(pid_file "$c" "$comp")"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    live_pid "$c" "$comp" >/dev/null || break
    sleep 0.1
  done
  if live_pid "$c" "$comp" >/dev/null; then
    log "$c: $comp (pid $pid) ignored SIGTERM for 10 s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do live_pid "$c" "$comp" >/dev/null || break; sleep 0.1; done
  fi
  rm -f "$(pid_file "$c" "$comp")"
}

stop_cluster() { # cluster: every component, in reverse start order
  local c=$1 i
  [[ -d "$(cdir "$c")/pids" ]] || return 0
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    stop_pid "$c" "${COMPONENTS[$i]}"
  done
}

apiserver_ready() { # cluster
  local d; d=$(cdir "$1")
  [[ -f "$d/pki/ca.crt" ]] || return 1
  [[ "$(KCURL_TIMEOUT=3 kcurl --cacert "$d/pki/ca.crt" "$(server_url "$1")/readyz" 2>/dev/null)" == ok ]]
}

# The secure ports of controller-manager and scheduler use self-signed serving certificates,
# hence -k; /healthz is in --authorization-always-allow-paths. kwok's server is plain HTTP.
component_healthy() { # cluster component
  local c=$1 comp=$2 url
  case "$comp" in
    etcd) [[ "$(KCURL_TIMEOUT=3 kcurl "http://127.0.0.1:$(port_of "$c" etcd-client)/health" 2>/dev/null | jq -r .health 2>/dev/null)" == true ]]; return ;;
    kube-apiserver) apiserver_ready "$c"; return ;;
    kube-controller-manager) url="https://127.0.0.1:$(port_of "$c" controller-manager)/healthz" ;;
    kube-scheduler) url="https://127.0.0.1:$(port_of "$c" scheduler)/healthz" ;;
    kwok) url="http://127.0.0.1:$(port_of "$c" kwok)/healthz" ;;
    # /readyz turns ok after its first scrape of the nodes; always allowed without a token.
    metrics-server) url="https://127.0.0.1:$(port_of "$c" metrics-server)/readyz" ;;
    prometheus) [[ "$(KCURL_TIMEOUT=3 kcurl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(port_of "$c" prometheus)/-/ready" 2>/dev/null)" == 200 ]]; return ;;
  esac
  [[ "$(KCURL_TIMEOUT=3 kcurl -k "$url" 2>/dev/null)" == ok ]]
}

ready_node_count() { # cluster
  api "$1" GET /api/v1/nodes 2>/dev/null | jq '[.items[]? | select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))] | length' 2>/dev/null || echo 0
}

cluster_healthy() { # cluster: all pids alive and ours, every health endpoint ok, nodes Ready
  local c=$1 comp
  for comp in "${COMPONENTS[@]}"; do
    live_pid "$c" "$comp" >/dev/null || return 1
  done
  for comp in "${COMPONENTS[@]}"; do
    component_healthy "$c" "$comp" || return 1
  done
  [[ "$(ready_node_count "$c")" -ge "$NODES_PER_CLUSTER" ]] || return 1
  # The aggregator re-checks the APIService with a 5 s timeout; on a busy machine one check can
  # fail. A cluster judged unhealthy is wiped, so give it a few seconds to come back first.
  local i
  for ((i = 0; i < 10; i++)); do metrics_api_available "$c" && return 0; sleep 1; done
  return 1
}

# Whether the aggregator reaches metrics-server: the APIService's Available condition.
METRICS_APISERVICE=v1beta1.metrics.k8s.io
metrics_api_available() { # cluster
  [[ "$(api "$1" GET "/apis/apiregistration.k8s.io/v1/apiservices/$METRICS_APISERVICE" 2>/dev/null \
    | jq -r '.status.conditions[]? | select(.type == "Available") | .status' 2>/dev/null)" == True ]]
}

# Who listens on a TCP port (any address)? Prints "pid=N (cmd)" or nothing.
port_listener() {
  local port=$1 line
  line=$(ss -Hltnp "sport = :$port" 2>/dev/null | head -n1) || true
  [[ -n "$line" ]] || return 1
  local pid; pid=$(grep -o 'pid=[0-9]*' <<<"$line" | head -n1 | cut -d= -f2)
  if [[ -n "$pid" ]]; then
    echo "pid $pid ($(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-120))"
  else
    echo "$(awk '{print $4}' <<<"$line")"
  fi
}

# start_proc <cluster> <component> args... : detached (own session, so closing the terminal
# does not kill it), output to logs/<component>.log, pid recorded at once.
start_proc() {
  local c=$1 comp=$2; shift 2
  local d; d=$(cdir "$c")
  # 9>&- : the daemon must not inherit the lock fd, or it would hold the up/down lock forever.
  local bin; bin=$(bin_of "$comp")
  setsid "$bin" "$@" >"$d/logs/$comp.log" 2>&1 </dev/null 9>&- &
  echo $! > "$(pid_file "$c" "$comp")"
  echo "$bin" > "$d/pids/$comp.bin"
  local i
  for ((i = 0; i < 50; i++)); do live_pid "$c" "$comp" >/dev/null && return 0; sleep 0.05; done
  echo "[cluster] $c: $comp did not start; last lines of $d/logs/$comp.log:" >&2
  tail -n 30 "$d/logs/$comp.log" >&2 || true
  return 1
}

# wait_for <cluster> <component-or-""> <timeout-s> <what> <cmd...>: polls cmd; fails early if the
# component's process died.
wait_for() {
  local c=$1 comp=$2 timeout=$3 what=$4; shift 4
  local deadline=$(( $(date +%s) + timeout ))
  while ! "$@" >/dev/null 2>&1; do
    if [[ -n "$comp" ]] && ! live_pid "$c" "$comp" >/dev/null; then
      echo "[cluster] $c: $comp exited while waiting for $what; last lines of its log:" >&2
      tail -n 40 "$(cdir "$c")/logs/$comp.log" >&2 || true
      return 1
    fi
    if (( $(date +%s) >= deadline )); then
      echo "[cluster] $c: timed out after ${timeout}s waiting for $what" >&2
      [[ -n "$comp" ]] && { echo "last lines of $(cdir "$c")/logs/$comp.log:" >&2; tail -n 40 "$(cdir "$c")/logs/$comp.log" >&2 || true; }
      return 1
    fi
    sleep 0.2
  done
}
