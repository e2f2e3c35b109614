#!/usr/bin/env bash
# The project's test command: lint, type-check, then the whole test suite (including the browser test).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-chromium.sh
ruff check vogue_pack tests benchmarks
lint-imports --no-cache   # the layers of docs/architecture.md
mypy
python -m pytest -q -n 2 "$@"
