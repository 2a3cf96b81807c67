#!/usr/bin/env bash
# Dashboard figures in Debian's Chromium. Needs the engines, Chromium (scripts/install-browser.sh)
# and `npm run build` (bench/run.sh does the last two steps before).
#   bash bench/dashboard/run.sh [options]        live flow: one camera, events one at a time (dashboard-bench.ts)
#   bash bench/dashboard/run.sh site [options]   site scale: 300 cameras, 5,000 events (site-scale-bench.ts)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = site ]; then
  shift
  exec node_modules/.bin/node dist/bench/dashboard/site-scale-bench.js "$@"
fi
node_modules/.bin/node dist/bench/dashboard/dashboard-bench.js "$@"
