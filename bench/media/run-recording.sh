#!/usr/bin/env bash
# Recording benchmarks (see bench/media/README.md, "Recordings"). Needs the engines and `npm run build`.
# Options: --cameras 1,4,8,16 --seconds 20 --events 20
set -euo pipefail
cd "$(dirname "$0")/../.."
node_modules/.bin/node dist/bench/media/recording-bench.js "$@"
