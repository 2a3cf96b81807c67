#!/usr/bin/env bash
# Read-side benchmarks (see bench/read/README.md). Needs the engines and `npm run build` (bench/run.sh does both).
set -euo pipefail
cd "$(dirname "$0")/../.."
node_modules/.bin/node dist/bench/read/read-bench.js "$@"
