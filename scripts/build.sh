#!/usr/bin/env bash
# `npm run build [-- <out dir>]`: the production build. Compiles src/ and commands/ to
# JavaScript under <out dir> (default dist/) in the project's own layout, and copies what the
# code reads at run time beside it (the console's static files, the embedded config,
# package.json for "type": "module"). The Dockerfile runs it; so does the P5 benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
# The project's Node 24 when installed (npm ci); in the image's build stage, which installs
# without scripts, the image's own Node.
if node_modules/.bin/node --version >/dev/null 2>&1; then export PATH="$(pwd)/node_modules/.bin:$PATH"; fi
out=${1:-dist}
rm -rf "$out"
node node_modules/typescript/bin/tsc -p tsconfig.build.json --outDir "$out"
mkdir -p "$out/src/chat/console/static" "$out/deploy"
cp -r src/chat/console/static/. "$out/src/chat/console/static/"
cp deploy/config.example.yaml "$out/deploy/"
cp package.json "$out/"
echo "built into $out" >&2
