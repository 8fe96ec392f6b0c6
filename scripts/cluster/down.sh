#!/usr/bin/env bash
# Stops both local control planes: every recorded process, verified as ours through
# /proc/<pid>/cmdline, in reverse start order (SIGTERM, up to 10 s, then SIGKILL).
#   down.sh          stop; keep state (PKI, etcd data, logs, audit logs)
#   down.sh --purge  stop and remove the whole state dir
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

purge=false
for a in "$@"; do
  case "$a" in
    --purge) purge=true ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) die "unknown argument: $a (use --purge to also remove $STATE_DIR)" ;;
  esac
done

if [[ ! -d "$STATE_DIR" ]]; then
  log "nothing to stop: $STATE_DIR does not exist"
  exit 0
fi
exec 9>"$STATE_DIR/.lock"
flock 9

stopped_any=false
for c in "${CLUSTERS[@]}"; do
  running=()
  for comp in "${COMPONENTS[@]}"; do
    live_pid "$c" "$comp" >/dev/null && running+=("$comp")
  done
  if [[ ${#running[@]} -gt 0 ]]; then
    log "$c: stopping ${running[*]}"
    stop_cluster "$c"
    stopped_any=true
  else
    stop_cluster "$c"   # only tidies stale pid files
  fi
done
$stopped_any || log "nothing was running"

# Anything left? (Should never happen: report it rather than hunt by name.)
left=()
for c in "${CLUSTERS[@]}"; do
  for comp in "${COMPONENTS[@]}"; do
    pid=$(live_pid "$c" "$comp") && left+=("$c/$comp pid $pid")
  done
done
[[ ${#left[@]} -eq 0 ]] || die "still running: ${left[*]}"

if $purge; then
  exec 9>&-
  rm -rf "$STATE_DIR"
  log "removed $STATE_DIR"
fi
