#!/usr/bin/env bash
# Write-side benchmarks (see bench/write/README.md). Needs the engines and `npm run build` (bench/run.sh does both).
set -euo pipefail
cd "$(dirname "$0")/../.."
node_modules/.bin/node dist/bench/write/write-bench.js "$@"
