#!/usr/bin/env bash
# `npm start`: on a fresh machine, installs what is missing, starts the engines, builds, and starts
# the four Sightline processes on local defaults. Safe to run again: what runs keeps running.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
bash scripts/engines/engines.sh start
# SIGHTLINE_ENGINES=cluster: the services get every node (issue #17).
# shellcheck source=engines/cluster-urls.sh
source scripts/engines/cluster-urls.sh
npm run -s build
npm run -s build:web --if-present
bash scripts/services.sh start

cat <<TXT

Sightline is running:
  GraphQL (HTTP + graphql-ws)  http://127.0.0.1:${GATEWAY_PORT:-4000}/graphql
  Dashboard                    http://127.0.0.1:${GATEWAY_PORT:-4000}/
  Health / readiness / metrics http://127.0.0.1:${GATEWAY_PORT:-4000}/healthz /readyz /metrics
  Test camera (RTSP)           rtsp://127.0.0.1:${CAMERA_PORT:-8554}/<any-name>
  A development token:         npm run -s token -- --role admin
  Logs: .data/logs/   Stop everything: npm stop
TXT
