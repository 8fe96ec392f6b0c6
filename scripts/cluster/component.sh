#!/usr/bin/env bash
# Stops or restarts one component of a running local cluster, keeping its state (etcd data,
# certificates): `component.sh stop gz kube-apiserver`, later `component.sh start gz kube-apiserver`.
# Used by the fault tests (the apiserver stopped mid-rollout). `stop` saves the process's
# command line so `start` runs exactly the same thing again. Only our own recorded PIDs are
# touched.
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
verb=${1:-}; c=${2:-}; comp=${3:-}
[[ "$verb" == stop || "$verb" == start ]] && [[ -n "$c" && -n "$comp" ]] \
  || die "usage: component.sh stop|start <cluster> <component>"
port_base "$c" >/dev/null
[[ " ${COMPONENTS[*]} " == *" $comp "* ]] || die "unknown component $comp (one of: ${COMPONENTS[*]})"
args="$(cdir "$c")/pids/$comp.args"

case "$verb" in
  stop)
    pid=$(live_pid "$c" "$comp") || die "$c: $comp is not running"
    # argv without argv[0], NUL-separated, as the kernel has it.
    tail -z -n +2 "/proc/$pid/cmdline" > "$args"
    stop_pid "$c" "$comp"
    log "$c: $comp stopped (was pid $pid)"
    ;;
  start)
    if live_pid "$c" "$comp" >/dev/null; then log "$c: $comp already running"; exit 0; fi
    [[ -s "$args" ]] || die "$c: no saved command line for $comp (stop it with this script first)"
    mapfile -d '' -t argv < "$args"
    if [[ "$comp" == kwok ]]; then export KWOK_WORKDIR="$(cdir "$c")/kwok"; fi
    start_proc "$c" "$comp" "${argv[@]}"
    if [[ "$comp" == kube-apiserver ]]; then
      wait_for "$c" kube-apiserver 50 "kube-apiserver /readyz" apiserver_ready "$c"
    fi
    log "$c: $comp started again (pid $(live_pid "$c" "$comp"))"
    ;;
esac
