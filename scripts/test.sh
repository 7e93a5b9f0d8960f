#!/usr/bin/env bash
# Runs the whole test suite (unit, golden, integration against Dovecot, PostgreSQL, SMTP, Tesseract
# and Chromium). Sets the machine up first if needed. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
exec .venv/bin/python -m pytest "$@"
