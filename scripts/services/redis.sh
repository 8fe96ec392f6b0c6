#!/usr/bin/env bash
# A local Redis for tests and local mode: Debian's redis-server on a free loopback port,
# data and AOF under the given folder. Installs redis-server when it is missing.
#   redis.sh start <dir>   starts it (or reuses a live one) and prints its URL
#   redis.sh stop <dir>    stops the one started in <dir>, by its PID
set -euo pipefail
cmd=${1:?usage: redis.sh start|stop <dir>}
dir=${2:?usage: redis.sh start|stop <dir>}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pidfile="$dir/redis.pid"
urlfile="$dir/redis.url"

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

case "$cmd" in
  start)
    if alive && redis-cli -u "$(cat "$urlfile")" ping >/dev/null 2>&1; then
      cat "$urlfile"; exit 0
    fi
    ensure_installed
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --appendonly yes --appendfsync everysec \
      --save "" --protected-mode yes --daemonize no --logfile "$dir/redis.log" </dev/null >/dev/null 2>&1 &
    # (no inherited stdout: callers read this script's output with $(…), which would wait for it)
    echo $! > "$pidfile"
    url="redis://127.0.0.1:$port"
    echo "$url" > "$urlfile"
    for _ in $(seq 1 100); do
      redis-cli -u "$url" ping >/dev/null 2>&1 && { echo "$url"; exit 0; }
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
  *) echo "usage: redis.sh start|stop <dir>" >&2; exit 2 ;;
esac
