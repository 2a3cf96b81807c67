#!/usr/bin/env bash
# `npm run node -- start|stop|status <k>`: node k (0..9) is one set of the four services on the same
# engines and namespace as the others, on ports 4000+100k .. 4003+100k, with its own HLS, recordings and clips folders, logs
# and pid files under .data/nodes/<k>/. Node 0 is what `npm start` runs (its files stay in .data/).
# `start` starts whichever of the node's services is not running, so it also brings back a killed one.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: npm run node -- start|stop|status <k>   (k = 0..9)" >&2; exit 2; }
action="${1:-}"
k="${2:-}"
[[ "$action" =~ ^(start|stop|status)$ ]] || usage
[[ "$k" =~ ^[0-9]$ ]] || usage

if [ "$k" != 0 ]; then
  DATA_DIR="${SIGHTLINE_DATA_DIR:-.data}"
  NODE_DIR="$DATA_DIR/nodes/$k"
  base=$((4000 + 100 * k))
  export GATEWAY_PORT=$base COMMAND_PORT=$((base + 1)) QUERY_PORT=$((base + 2)) MEDIA_PORT=$((base + 3))
  export HLS_DIR="$NODE_DIR/hls" RECORDINGS_DIR="$NODE_DIR/recordings" CLIPS_DIR="$NODE_DIR/clips" SIGHTLINE_RUN_DIR="$NODE_DIR/run" SIGHTLINE_LOG_DIR="$NODE_DIR/logs"
  export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://127.0.0.1:$base}"
fi

if [ "$action" = start ]; then
  export PATH="$PWD/node_modules/.bin:$PATH"
  [ -f dist/gateway/src/main.js ] || { echo "[node] not built yet: run npm start first" >&2; exit 1; }
fi
bash scripts/services.sh "$action"
if [ "$action" = start ]; then echo "[node] node $k: http://127.0.0.1:${GATEWAY_PORT:-4000}/graphql"; fi
