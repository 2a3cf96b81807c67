#!/usr/bin/env bash
# `npm test`: the whole suite on a fresh machine — install what is missing, start the engines,
# build, lint, check the formatting, type-check, check the composed supergraph, then every jest test (unit, integration
# against the real engines, end to end through the gateway, browser). Engines this run started
# are stopped at the end; engines that were already running are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

phase_start=$SECONDS
phase() { printf '[test] %-28s %4ss\n' "$1" "$((SECONDS - phase_start))" >&2; phase_start=$SECONDS; }

SIGHTLINE_WITH_BROWSER=1 bash scripts/bootstrap.sh
phase "install (deps, engines)"

was_running="$(bash scripts/engines/engines.sh status | awk '$2 == "running" {print $1}')"
stop_started_engines() {
  local to_stop=()
  for engine in rabbitmq ferretdb elasticsearch camera; do
    grep -qx "$engine" <<<"$was_running" || to_stop+=("$engine")
  done
  if [ "${#to_stop[@]}" -gt 0 ]; then bash scripts/engines/engines.sh stop "${to_stop[@]}" || true; fi
}
trap stop_started_engines EXIT
bash scripts/engines/engines.sh start
# SIGHTLINE_ENGINES=cluster: the tests and the services they start get every node.
# shellcheck source=engines/cluster-urls.sh
source scripts/engines/cluster-urls.sh
phase "engines started"

export PATH="$PWD/node_modules/.bin:$PATH"
npm run -s build
npm run -s build:web --if-present
phase "build"
npm run -s lint
prettier --check --log-level warn .
tsc -p tsconfig.json --noEmit
node dist/schema/compose.js --check
node dist/scripts/docs/api-reference.js --check
phase "lint, format, types, supergraph, docs"

jest --ci "$@"
phase "jest"
