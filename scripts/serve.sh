#!/usr/bin/env bash
# Installs SDSF Graph, builds the graph from the sources and serves it (gunicorn, http://127.0.0.1:8000/).
# Extra arguments go to `sdsf serve`: --host, --port, --workers, --engine (settings: docs/settings.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/sdsf build
exec .venv/bin/sdsf serve "$@"
