#!/usr/bin/env bash
# Everything a fresh machine needs before Sightline can build, run or test: Node packages
# (including Node 24 itself, from the npm registry) and the engines. Idempotent and quick when done.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[bootstrap] %s\n' "$*" >&2; }

# npm ci only when the lock file changed since the last install (npm writes node_modules/.package-lock.json).
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing Node packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
log "node $(node_modules/.bin/node --version)"

bash scripts/engines/engines.sh install

# Browser tests need Debian's Chromium; only the test command asks for it.
if [ "${SIGHTLINE_WITH_BROWSER:-0}" = 1 ] && [ -f scripts/install-browser.sh ]; then
  bash scripts/install-browser.sh
fi
