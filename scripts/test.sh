#!/usr/bin/env bash
# The project's test command: lint, type-check, test.
set -euo pipefail
cd "$(dirname "$0")/.."
ruff check vogue_pack tests benchmarks
mypy
python -m pytest -n 2 "$@"
