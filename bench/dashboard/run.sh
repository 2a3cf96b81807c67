#!/usr/bin/env bash
# Dashboard figures in Debian's Chromium (see bench/dashboard/dashboard-bench.ts). Needs the engines,
# Chromium (scripts/install-browser.sh) and `npm run build` (bench/run.sh does the last two steps before).
set -euo pipefail
cd "$(dirname "$0")/../.."
node_modules/.bin/node dist/bench/dashboard/dashboard-bench.js "$@"
