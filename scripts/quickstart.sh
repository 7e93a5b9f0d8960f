#!/usr/bin/env bash
# Quick start: set everything up, then run the main job on the embedded default
# (SQLite under MEDIATURE_HOME, the sample mailbox and scans of data/samples/, a local outbox).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/mediature demo "$@"
