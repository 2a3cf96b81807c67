#!/usr/bin/env bash
# Media benchmarks (see bench/media/README.md). Needs the engines and `npm run build` (bench/run.sh does both).
set -euo pipefail
cd "$(dirname "$0")/../.."
node_modules/.bin/node dist/bench/media/media-bench.js "$@"
