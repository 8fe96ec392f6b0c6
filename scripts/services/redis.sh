#!/usr/bin/env bash
# A local Redis for tests and local mode: Debian's redis-server on a loopback port, data and AOF
# under the given folder. Installs redis-server when it is missing.
#   redis.sh start <dir>   starts it (or reuses a live one) and prints its URL; a Redis started
#                          again in the same folder (after a stop or a crash) gets its old port
#                          back when it is free, so clients reconnect to it by themselves
#   redis.sh stop <dir>    stops the one started in <dir>, by its PID (SIGTERM: the AOF is flushed)
#   redis.sh kill <dir>    kills it with SIGKILL, as a crash would (for the fault tests)
#
# Persistence, the project's recommendation (docs/operations.md, "Redis durability"): AOF with
# appendfsync everysec and no RDB snapshots. Redis writes every command to the AOF before it
# replies, so a killed or crashed redis-server loses nothing it acknowledged (the kernel still
# has the file); everysec's fsync matters only when the machine itself goes down (up to about a
# second lost; appendfsync always closes that too, at the cost measured by bench P2).
#   REDIS_APPENDFSYNC=everysec|always   the fsync policy (default everysec)
#   REDIS_PERSISTENCE=aof|none          none: no AOF and no snapshots (the fault test's negative control)
set -euo pipefail
cmd=${1:?usage: redis.sh start|stop|kill <dir>}
dir=${2:?usage: redis.sh start|stop|kill <dir>}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pidfile="$dir/redis.pid"
urlfile="$dir/redis.url"
portfile="$dir/redis.port"

ensure_installed() {
  command -v redis-server >/dev/null 2>&1 && return 0
  echo "redis-server is missing: installing Debian's package" >&2
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  # The package starts a system-wide service on 6379; ours runs on its own port instead.
}

alive() {
  [[ -f "$pidfile" ]] || return 1
  local pid; pid=$(cat "$pidfile")
  [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q redis-server
}

free_port() { # [wanted]: the wanted port if nothing listens there, else any free one
  # SO_REUSEADDR as Redis itself binds: connections of a killed Redis linger in TIME_WAIT on
  # its port, which must not count as taken, or the clients waiting to reconnect never would.
  python3 - "${1:-0}" <<'EOF'
import socket, sys
want = int(sys.argv[1])
for p in ([want] if want else []) + [0]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", p))
        print(s.getsockname()[1])
        break
    except OSError:
        pass
    finally:
        s.close()
EOF
}

persistence_flags() {
  case "${REDIS_PERSISTENCE:-aof}" in
    aof)
      local fsync=${REDIS_APPENDFSYNC:-everysec}
      [[ "$fsync" == everysec || "$fsync" == always ]] || { echo "REDIS_APPENDFSYNC must be everysec or always" >&2; exit 2; }
      echo "--appendonly yes --appendfsync $fsync --save \"\"" ;;
    none) echo "--appendonly no --save \"\"" ;;
    *) echo "REDIS_PERSISTENCE must be aof or none" >&2; exit 2 ;;
  esac
}

case "$cmd" in
  start)
    if alive && redis-cli -u "$(cat "$urlfile")" ping >/dev/null 2>&1; then
      cat "$urlfile"; exit 0
    fi
    ensure_installed
    flags=$(persistence_flags)
    port=$(free_port "$(cat "$portfile" 2>/dev/null || echo 0)")
    eval "set -- $flags"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" "$@" \
      --protected-mode yes --daemonize no --logfile "$dir/redis.log" </dev/null >/dev/null 2>&1 &
    # (no inherited stdout: callers read this script's output with $(…), which would wait for it)
    echo $! > "$pidfile"
    echo "$port" > "$portfile"
    url="redis://127.0.0.1:$port"
    echo "$url" > "$urlfile"
    for _ in $(seq 1 100); do
      # PING answers LOADING while the AOF is read back: wait for PONG.
      [[ "$(redis-cli -u "$url" ping 2>/dev/null)" == PONG ]] && { echo "$url"; exit 0; }
      sleep 0.1
    done
    echo "redis did not start; see $dir/redis.log" >&2; exit 1
    ;;
  stop)
    if alive; then
      pid=$(cat "$pidfile"); kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
      [[ -d /proc/$pid ]] && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile" "$urlfile"
    ;;
  kill)
    if alive; then
      pid=$(cat "$pidfile"); kill -9 "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
    fi
    rm -f "$pidfile" "$urlfile"
    ;;
  *) echo "usage: redis.sh start|stop|kill <dir>" >&2; exit 2 ;;
esac
