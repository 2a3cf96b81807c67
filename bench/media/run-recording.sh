#!/usr/bin/env bash
# Recording benchmarks (see bench/media/README.md, "Recordings"). Needs the engines and `npm run build`.
# Options: --cameras 1,4,8,16 --seconds 20 --events 20
# `capacity [--steps 8,16,24,32 --per-server 8 --seconds 30]`: the most recording cameras sustained.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ "${1:-}" == capacity ]]; then
  shift
  exec node_modules/.bin/node dist/bench/media/recording-capacity.js "$@"
fi
node_modules/.bin/node dist/bench/media/recording-bench.js "$@"
