#!/usr/bin/env bash
# Builds Alertmanager from its published Go module and caches the binary outside the repo,
# keyed by version (like the control plane). Used by the one test that has the real
# Alertmanager send to the bot; nothing built here is ever committed.
#
# The module zip lacks the web UI bundle (ui/app/dist, made by npm in Alertmanager's own
# release build) that ui/web.go embeds, so we build from a scratch copy of the module with a
# one-page placeholder there. Only the UI is affected; the API and notifiers are untouched.
set -euo pipefail
AM_VERSION=${AM_VERSION:-0.34.2}
CHATOPS_K8S_CACHE=${CHATOPS_K8S_CACHE:-$HOME/.cache/chatops-k8s}
OUT="$CHATOPS_K8S_CACHE/alertmanager-$AM_VERSION"
# `build.sh --path`: print where the binary is (or will be) and build nothing.
if [[ "${1:-}" == --path ]]; then echo "$OUT/alertmanager"; exit 0; fi
if [[ -x "$OUT/alertmanager" && -f "$OUT/.complete" ]]; then
  echo "alertmanager: cached in $OUT" >&2
  exit 0
fi
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
start=$(date +%s)
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
src=$(go mod download -json "github.com/prometheus/alertmanager@v$AM_VERSION" \
  | python3 -c 'import json,sys;print(json.load(sys.stdin)["Dir"])')
cp -r "$src" "$work/am"
chmod -R u+w "$work/am"
mkdir -p "$work/am/ui/app/dist"
echo '<!doctype html><title>Alertmanager</title><p>UI not bundled in this build.' \
  > "$work/am/ui/app/dist/index.html"
mkdir -p "$OUT"
(cd "$work/am" && go build >&2 -trimpath -ldflags "-s -w" -o "$OUT/alertmanager" ./cmd/alertmanager)
"$OUT/alertmanager" --version 2>&1 | head -1 >&2
date -u +%FT%TZ > "$OUT/.complete"
echo "[alertmanager:build $(( $(date +%s) - start ))s] built into $OUT" >&2
