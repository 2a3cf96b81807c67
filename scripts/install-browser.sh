#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboard's browser tests (test/browser, Playwright via
# playwright-core). `npx playwright install` downloads browsers from the internet and cannot work
# on a closed network; Debian's package can. Idempotent: does nothing when Chromium is present.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
  echo "chromium: already installed ($("$CHROMIUM" --version 2>/dev/null || echo unknown version))"
  exit 0
fi

as_root=()
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null || { echo "chromium: run as root or install sudo" >&2; exit 1; }
  as_root=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get install -y --no-install-recommends chromium ||
  { "${as_root[@]}" apt-get update && "${as_root[@]}" apt-get install -y --no-install-recommends chromium; }
echo "chromium: installed ($("$CHROMIUM" --version 2>/dev/null || echo unknown version))"
