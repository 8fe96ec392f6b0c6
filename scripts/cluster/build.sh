#!/usr/bin/env bash
# Builds the local control plane from published Go modules and caches the binaries outside
# the repo, keyed by version. A warm cache (all binaries present + a .complete stamp) rebuilds
# nothing. Nothing built here is ever committed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.sh"
OUT="$CLUSTER_BIN_DIR"

if [[ -f "$OUT/.complete" ]]; then
  echo "control-plane binaries: cached in $OUT"
  exit 0
fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
start=$(date +%s)
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
minor=${K8S_VERSION#1.}; minor=${minor%%.*}; patch=${K8S_VERSION##*.}

log() { echo "[cluster:build $(( $(date +%s) - start ))s] $*"; }

# --- kube-apiserver / controller-manager / scheduler --------------------------------------
# k8s.io/kubernetes requires its staging repos at v0.0.0 and replaces them with local paths;
# a dependency's replaces are ignored, so a wrapper module maps each to its published v0.N.P.
# The list is generated from the real go.mod on the proxy, so it follows the version.
if [[ ! -x "$OUT/kube-apiserver" || ! -x "$OUT/kube-controller-manager" || ! -x "$OUT/kube-scheduler" ]]; then
  log "k8s $K8S_VERSION: resolving modules"
  modfile=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | python3 -c 'import json,sys;print(json.load(sys.stdin)["GoMod"])')
  mkdir -p "$work/k8s"
  {
    echo "module local/k8sbins"
    echo
    grep -E '^go ' "$modfile"
    grep -E '^godebug ' "$modfile" || true
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    echo "replace ("
    awk '$2=="v0.0.0" && $1 ~ /^k8s\.io\// {print $1}' "$modfile" | sort -u \
      | sed "s|.*|\t& => & v0.$minor.$patch|"
    echo ")"
    echo
    echo "tool ("
    printf '\tk8s.io/kubernetes/cmd/%s\n' kube-apiserver kube-controller-manager kube-scheduler
    echo ")"
  } > "$work/k8s/go.mod"
  (cd "$work/k8s" && go mod tidy)
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  log "k8s $K8S_VERSION: compiling (the long part)"
  (cd "$work/k8s" && go build -trimpath -tags selinux,notest -ldflags "$ld" -o "$OUT/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler)
  log "k8s done: $("$OUT/kube-apiserver" --version)"
fi

# --- etcd ----------------------------------------------------------------------------------
# etcd's server module has relative replaces too, so `go install @version` is refused; a
# wrapper module that requires it builds fine.
if [[ ! -x "$OUT/etcd" ]]; then
  log "etcd $ETCD_VERSION"
  mkdir -p "$work/etcd"
  cat > "$work/etcd/go.mod" <<MOD
module local/etcdbin

go 1.25.0

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION

tool go.etcd.io/etcd/server/v3
MOD
  (cd "$work/etcd" && go mod tidy && go build -trimpath -ldflags "-s -w" -o "$OUT/etcd" go.etcd.io/etcd/server/v3)
  log "etcd done: $("$OUT/etcd" --version | head -1)"
fi

# --- kwok ----------------------------------------------------------------------------------
if [[ ! -x "$OUT/kwok" ]]; then
  log "kwok $KWOK_VERSION"
  GOBIN="$OUT" go install -trimpath -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$K8S_VERSION" \
    "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
fi
# kwok's stock stage definitions ship in its module zip; keep a copy beside the binaries so a
# warm run does not depend on the Go module cache.
stages="$(go env GOMODCACHE)/sigs.k8s.io/kwok@v$KWOK_VERSION/kustomize/stage"
mkdir -p "$OUT/stages"
cp "$stages/node/fast/node-initialize.yaml" \
   "$stages/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
   "$stages/pod/fast/pod-complete.yaml" \
   "$stages/pod/fast/pod-delete.yaml" "$OUT/stages/"
chmod -R u+w "$OUT/stages"

date -u +%FT%TZ > "$OUT/.complete"
log "all built into $OUT"
