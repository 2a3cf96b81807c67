#!/usr/bin/env bash
# Clustered vs single engines (see bench/cluster/README.md). Needs the single engines (FerretDB is
# used in both modes) and `npm run build` (bench/run.sh does both); starts and removes its own clusters.
#   bash bench/cluster/run.sh [--seconds 15] [--clients 4] [--batch 500]
set -euo pipefail
cd "$(dirname "$0")/../.."
node_modules/.bin/node dist/bench/cluster/cluster-bench.js "$@"
