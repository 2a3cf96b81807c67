#!/usr/bin/env bash
# Node benchmarks: takeover times and one- vs two-node throughput (see bench/nodes/README.md).
# Needs the engines and `npm run build` (bench/run.sh does both). Options: --kills N --sessions N --seconds N --only takeover|throughput
set -euo pipefail
cd "$(dirname "$0")/../.."
node_modules/.bin/node dist/bench/nodes/nodes-bench.js "$@"
