#!/usr/bin/env bash
# One step from a fresh Debian 12 machine (as root) to a built berth with its test fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
npm ci --no-audit --no-fund
npm run build
bash scripts/make-fixtures.sh >/dev/null
