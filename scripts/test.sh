#!/usr/bin/env bash
# The README's test command (npm test). On a fresh machine it installs and starts what the
# tests need and stops what it started:
#   - dependencies (npm ci) when node_modules is missing
#   - Redis (Debian's redis-server, installed when missing) on a free loopback port
#   - Debian's Chromium for the browser tests (installed when missing)
#   - Alertmanager, built from its Go module when not cached (scripts/alertmanager/build.sh)
#   - Prometheus and metrics-server, built from their Go modules when not cached
#     (scripts/components/build.sh); the clusters run them (pod metrics, HPAs)
#   - the local Kubernetes control planes, built from Go modules when not cached
#     (test/integration/global-setup.ts runs scripts/cluster/up.sh)
# then typechecks, lints and runs the unit and integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [[ ! -x node_modules/.bin/node ]]; then npm ci --no-audit --no-fund; fi
export PATH="$root/node_modules/.bin:$PATH"   # the project's Node 24, not the machine's

redis_dir="$root/.data/test-redis"
REDIS_URL=$(bash scripts/services/redis.sh start "$redis_dir")
export REDIS_URL
trap 'bash scripts/services/redis.sh stop "$redis_dir"' EXIT
CHROMIUM_PATH=$(bash scripts/services/chromium.sh)   # the browser tests' Debian Chromium
export CHROMIUM_PATH
# The real Alertmanager for the test that has it send to the bot (built from its Go module
# once, a minute or two, then cached beside the control-plane binaries).
bash scripts/alertmanager/build.sh
ALERTMANAGER_BIN=$(bash scripts/alertmanager/build.sh --path)
export ALERTMANAGER_BIN
# Prometheus and metrics-server beside each local cluster (a few minutes cold, then cached);
# built here rather than inside up.sh so a cold build shows its progress.
bash scripts/components/build.sh

# `scripts/test.sh <integration test files…>` (e.g. `npm run test:faults`): the same services,
# only those files.
if [[ $# -gt 0 ]]; then
  echo "== integration tests: $*"; vitest run --project integration "$@"
  exit 0
fi
echo "== typecheck"; tsc -p tsconfig.json
echo "== lint"; eslint .
echo "== unit tests"; vitest run --project unit
echo "== integration tests (real Redis at $REDIS_URL, real control planes)"; vitest run --project integration
