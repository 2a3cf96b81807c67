#!/usr/bin/env bash
# Live views of recorded cameras: served from the recordings vs. their own ffmpeg (see bench/media/README.md).
# Needs the engines and `npm run build`. Options: --cameras 4 --seconds 20 --runs 3
set -euo pipefail
cd "$(dirname "$0")/../.."
node_modules/.bin/node dist/bench/media/live-reuse-bench.js "$@"
