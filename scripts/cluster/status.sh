#!/usr/bin/env bash
# Health of both local control planes: each component's recorded pid (alive and ours), its
# health endpoint, the apiserver's /readyz, the number of Ready nodes and whether the
# metrics.k8s.io APIService (metrics-server) is Available.
# Exit status 0 only if everything is healthy.
set -uo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

all_ok=true
for c in "${CLUSTERS[@]}"; do
  echo "$c  $(server_url "$c")  state: $(cdir "$c")"
  if [[ ! -d "$(cdir "$c")/pids" ]]; then
    echo "  not started"
    all_ok=false
    continue
  fi
  for comp in "${COMPONENTS[@]}"; do
    if pid=$(live_pid "$c" "$comp"); then
      if component_healthy "$c" "$comp"; then h=healthy; else h=UNHEALTHY; all_ok=false; fi
      printf '  %-24s pid %-8s %s\n' "$comp" "$pid" "$h"
    else
      printf '  %-24s %-12s %s\n' "$comp" "-" "NOT RUNNING"
      all_ok=false
    fi
  done
  if apiserver_ready "$c"; then
    echo "  apiserver /readyz        ok"
    n=$(ready_node_count "$c")
    echo "  nodes Ready              $n/$NODES_PER_CLUSTER"
    [[ "$n" -ge "$NODES_PER_CLUSTER" ]] || all_ok=false
    if metrics_api_available "$c"; then
      echo "  metrics.k8s.io           Available (prometheus http://127.0.0.1:$(port_of "$c" prometheus))"
    else
      echo "  metrics.k8s.io           NOT AVAILABLE"
      all_ok=false
    fi
  else
    echo "  apiserver /readyz        NOT READY"
    all_ok=false
  fi
done
if $all_ok; then
  echo "all healthy; kubeconfig: $STATE_DIR/kubeconfig.yaml"
  exit 0
fi
echo "NOT all healthy (start with: bash scripts/cluster/up.sh)"
exit 1
