#!/usr/bin/env bash
# Installs SDSF Graph with its development tools, then runs the linters and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check sdsf_graph web tests benchmarks
.venv/bin/mypy sdsf_graph web
.venv/bin/python -m pytest "$@"
