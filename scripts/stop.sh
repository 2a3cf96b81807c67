#!/usr/bin/env bash
# `npm stop`: stops the Sightline processes, then the engines that `npm start` started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh stop
bash scripts/engines/engines.sh stop
