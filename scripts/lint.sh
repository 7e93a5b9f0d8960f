#!/usr/bin/env bash
# Lint and type check with the pinned tools of the .venv that scripts/setup.sh creates:
# `ruff format --check`, `ruff check` (rules in pyproject.toml [tool.ruff.lint]) on the repository, then `mypy triage`.
# Extra arguments go to ruff (e.g. --fix).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
echo "==> ruff format --check"
.venv/bin/ruff format --check .
echo "==> ruff check"
.venv/bin/ruff check "$@" .
echo "==> mypy triage"
.venv/bin/mypy triage
