#!/usr/bin/env bash
# `npm stop`: stops the Sightline processes (every node), then the engines that `npm start` started.
set -euo pipefail
cd "$(dirname "$0")/.."
for node_dir in "${SIGHTLINE_DATA_DIR:-.data}"/nodes/[1-9]; do
  if [ -d "$node_dir" ]; then bash scripts/node.sh stop "$(basename "$node_dir")"; fi
done
bash scripts/services.sh stop
bash scripts/engines/engines.sh stop
