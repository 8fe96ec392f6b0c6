#!/usr/bin/env bash
# Builds the metrics components of the local clusters from their published Go modules and
# caches each binary outside the repo, keyed by version, with a .complete stamp (like the
# control plane and Alertmanager). Nothing built here is ever committed.
#
#   build.sh [prometheus|metrics-server ...]   build what is missing (default: both)
#   build.sh --path prometheus|metrics-server  print where the binary is (or will be)
#
# Both are built through a wrapper module of our own that requires the component and lists its
# command as a `tool`: `go install pkg@version` is refused for a module whose go.mod has
# replace or exclude directives (Prometheus has had excludes), and a wrapper needs no such care.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.sh"

bin_of() {
  case "$1" in
    prometheus) echo "$PROMETHEUS_DIR/prometheus" ;;
    metrics-server) echo "$METRICS_SERVER_DIR/metrics-server" ;;
    *) echo "unknown component $1 (prometheus or metrics-server)" >&2; return 1 ;;
  esac
}

if [[ "${1:-}" == --path ]]; then bin_of "${2:-}"; exit; fi
want=("$@"); [[ ${#want[@]} -gt 0 ]] || want=(prometheus metrics-server)
for w in "${want[@]}"; do bin_of "$w" >/dev/null; done

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
mkdir -p "$CHATOPS_K8S_CACHE"
# One build at a time per cache (parallel test workers and `npm start` may all ask).
exec 8>"$CHATOPS_K8S_CACHE/.components.lock"
flock 8

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# wrapper <dir> <module> <version> <tool package>: a module of our own whose one tool is the
# component's command. `go get -tool` fetches only what that command imports (a `go mod tidy`
# would also fetch the tests' dependencies of every package: minutes more on a cold cache).
wrapper() {
  local dir=$1 mod=$2 ver=$3 pkg=$4 modfile
  mkdir -p "$dir"
  modfile=$(go mod download -json "$mod@$ver" | python3 -c 'import json,sys;print(json.load(sys.stdin)["GoMod"])')
  {
    echo "module local/$(basename "$pkg")bin"
    echo
    grep -E '^go ' "$modfile"       # the component's own language version and GODEBUG defaults
    grep -E '^godebug ' "$modfile" || true
  } > "$dir/go.mod"
  (cd "$dir" && go get >&2 -tool "$pkg@$ver")
}

build_prometheus() {
  local out=$PROMETHEUS_DIR minor patch mver start
  [[ -x "$out/prometheus" && -f "$out/.complete" ]] && { echo "prometheus: cached in $out" >&2; return; }
  start=$(date +%s)
  minor=${PROMETHEUS_VERSION#*.}; patch=${minor#*.}; minor=${minor%%.*}
  mver=$(printf 'v0.%d%02d.%d' "${PROMETHEUS_VERSION%%.*}" "$minor" "$patch")
  echo "[components:build] prometheus $PROMETHEUS_VERSION (module $mver)" >&2
  wrapper "$work/prometheus" github.com/prometheus/prometheus "$mver" github.com/prometheus/prometheus/cmd/prometheus
  # remove_all_sd: only the file and http service discoveries (static targets are all we use).
  # No builtinassets tag: the web UI (built by npm in Prometheus's own release) is left out
  # and its pages answer 404; the HTTP API that the bot queries is complete.
  local v=github.com/prometheus/common/version
  mkdir -p "$out"
  (cd "$work/prometheus" && go build >&2 -trimpath -tags remove_all_sd \
    -ldflags "-s -w -X $v.Version=$PROMETHEUS_VERSION -X $v.Branch=release -X $v.Revision=module-$mver -X $v.BuildUser=chatops -X $v.BuildDate=19700101-00:00:00" \
    -o "$out/prometheus" github.com/prometheus/prometheus/cmd/prometheus)
  "$out/prometheus" --version 2>&1 | head -1 >&2
  date -u +%FT%TZ > "$out/.complete"
  echo "[components:build] prometheus built in $(( $(date +%s) - start ))s into $out" >&2
}

build_metrics_server() {
  local out=$METRICS_SERVER_DIR start
  [[ -x "$out/metrics-server" && -f "$out/.complete" ]] && { echo "metrics-server: cached in $out" >&2; return; }
  start=$(date +%s)
  echo "[components:build] metrics-server $METRICS_SERVER_VERSION" >&2
  wrapper "$work/metrics-server" sigs.k8s.io/metrics-server "v$METRICS_SERVER_VERSION" sigs.k8s.io/metrics-server/cmd/metrics-server
  local v=k8s.io/client-go/pkg/version   # where its Makefile puts the version
  mkdir -p "$out"
  (cd "$work/metrics-server" && go build >&2 -trimpath \
    -ldflags "-s -w -X $v.gitVersion=v$METRICS_SERVER_VERSION -X $v.buildDate=1970-01-01T00:00:00Z" \
    -o "$out/metrics-server" sigs.k8s.io/metrics-server/cmd/metrics-server)
  "$out/metrics-server" --version 2>&1 | head -1 >&2 || true
  date -u +%FT%TZ > "$out/.complete"
  echo "[components:build] metrics-server built in $(( $(date +%s) - start ))s into $out" >&2
}

for w in "${want[@]}"; do
  case "$w" in
    prometheus) build_prometheus ;;
    metrics-server) build_metrics_server ;;
  esac
done
