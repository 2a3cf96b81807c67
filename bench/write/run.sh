#!/usr/bin/env bash
# Write-side benchmarks (see bench/write/README.md). Needs the engines and `npm run build` (bench/run.sh does both).
#   bash bench/write/run.sh [--events N] [--latency-seconds S] [--rate R]     raw limits, ingest, batches, latency
#   bash bench/write/run.sh scale [--small 10000] [--large 1000000]           write-path latency vs stored data
#   bash bench/write/run.sh floor [--rate 200] [--seconds 10]                 CPU of the bare operations one recordEvent needs
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ "${1:-}" == scale ]]; then
  shift
  exec node_modules/.bin/node dist/bench/write/scale-bench.js "$@"
fi
if [[ "${1:-}" == floor ]]; then
  shift
  exec node_modules/.bin/node dist/bench/write/floor-bench.js "$@"
fi
node_modules/.bin/node dist/bench/write/write-bench.js "$@"
