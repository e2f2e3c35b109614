#!/usr/bin/env bash
# The project's test command: lint, type-check, then the whole test suite (including the browser test).
set -euo pipefail
cd "$(dirname "$0")/.."
# README's install is a plain `pip install .`; the tests need this checkout importable (installed editable, or on
# PYTHONPATH) and the dev extras: install them when either is missing (checked from outside the checkout).
here="$(pwd -P)"
if ! (cd / && python - "$here" <<'PY'
import importlib.util, pathlib, sys
import vogue_pack
here = pathlib.Path(sys.argv[1])
dev = ("pytest", "xdist", "hypothesis", "mypy", "ruff", "importlinter", "build", "playwright", "mlcroissant", "datasets")
sys.exit(pathlib.Path(vogue_pack.__file__).resolve().parent != here / "vogue_pack"
         or not all(importlib.util.find_spec(m) for m in dev))
PY
) 2>/dev/null; then
  python -m pip install -q -e '.[dev]'
fi
bash scripts/ensure-chromium.sh
ruff check vogue_pack tests benchmarks
lint-imports --no-cache   # the layers of docs/architecture.md
mypy
python -m pytest -q -n 2 "$@"
