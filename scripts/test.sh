#!/usr/bin/env bash
# Installs SDSF Graph with its development tools, then runs the linters and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The page tests drive a real headless Chromium: Debian's package (no browser download).
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "scripts/test.sh: Chromium is missing; install Debian's chromium (as root) for the page tests" >&2
    fi
fi
# The remote-engine tests run the endpoint suite on a real Virtuoso: Debian's package, installed by its script.
if ! command -v virtuoso-t >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        bash scripts/virtuoso/virtuoso.sh install >/dev/null
    else
        echo "scripts/test.sh: Virtuoso is missing; run 'bash scripts/virtuoso/virtuoso.sh install' (as root)" \
             "for the remote-engine tests" >&2
    fi
fi
.venv/bin/ruff check sdsf_graph web tests benchmarks
.venv/bin/mypy sdsf_graph web
.venv/bin/python -m pytest "$@"
