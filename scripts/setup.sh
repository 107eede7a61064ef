#!/usr/bin/env bash
# Installs SDSF Graph and its development tools into ./.venv (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
# The query workers install a seccomp filter (no network) through pyseccomp, which loads libseccomp.so.2; without
# it they refuse to start. Debian ships it as libseccomp2 (apt itself depends on it, so it is nearly always there).
if ! .venv/bin/python -c "import ctypes.util, sys; sys.exit(ctypes.util.find_library('seccomp') is None)"; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libseccomp2 >/dev/null
    else
        echo "setup.sh: libseccomp.so.2 is missing (Debian: apt-get install libseccomp2): the query workers will" \
             "refuse to start" >&2
    fi
fi
