#!/usr/bin/env bash
# Installs SDSF Graph, builds the graph from the sources and serves it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/sdsf build
# The SPARQL endpoint and pages come with the «SPARQL 1.1 endpoint» issue; until then, print what was built.
.venv/bin/sdsf stats
