#!/usr/bin/env bash
# `npm run test:cluster`: the tests of test/cluster/ (*.cluster.spec.ts). Each file starts engine
# clusters of its own (SIGHTLINE_ENGINES=cluster on ports and data folders of its own, under
# .data/test-engines/), kills their nodes, and removes them at the end; the shared engines are
# neither needed nor touched, except the MongoDB-protocol store (FerretDB), which the end-to-end test
# uses as `npm test` does. Kept out of `npm test` for their length (README, "Clustered engines").
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
was_running="$(bash scripts/engines/engines.sh status ferretdb | awk '$2 == "running" {print $1}')"
stop_started() {
  if [ -z "$was_running" ]; then bash scripts/engines/engines.sh stop ferretdb || true; fi
}
trap stop_started EXIT
bash scripts/engines/engines.sh start ferretdb

export PATH="$PWD/node_modules/.bin:$PATH"
npm run -s build
SIGHTLINE_CLUSTER_TESTS=1 jest --ci --runInBand test/cluster "$@"
