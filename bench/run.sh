#!/usr/bin/env bash
# Runs every benchmark (bench/<area>/run.sh) against the local engines and prints figures with the
# hardware. Usage: bench/run.sh [area...]   e.g. bench/run.sh write read
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/engines/engines.sh start
npm run -s build
areas=("$@")
if [ "${#areas[@]}" -eq 0 ]; then
  for dir in bench/*/; do [ -f "$dir/run.sh" ] && areas+=("$(basename "$dir")"); done
fi
for area in "${areas[@]}"; do
  echo "=== bench/$area ==="
  bash "bench/$area/run.sh"
done
