#!/usr/bin/env bash
# Debian's Chromium for the browser tests (test/integration/console/console-browser.test.ts,
# driven by playwright-core): installs the package when it is missing and prints its path.
set -euo pipefail
bin=${CHROMIUM_PATH:-/usr/bin/chromium}
if [[ ! -x "$bin" ]]; then
  echo "chromium is missing: installing Debian's package" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
[[ -x "$bin" ]] || { echo "no Chromium at $bin" >&2; exit 1; }
echo "$bin"
