#!/usr/bin/env bash
# Gateway benchmarks (see bench/gateway/README.md). Needs the engines and `npm run build` (bench/run.sh does both).
set -euo pipefail
cd "$(dirname "$0")/../.."
node_modules/.bin/node dist/bench/gateway/gateway-bench.js "$@"
