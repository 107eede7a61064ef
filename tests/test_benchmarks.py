"""The benchmark scripts' canned requests stay runnable: every shared query is there (with its parameters written
in, and narrowed when it has optional ones), each text runs on the engine, and the pages they name exist."""

from __future__ import annotations

import importlib
import sys

from sdsf_graph.query import named_queries
from sdsf_graph.store import open_engine

from .conftest import ROOT


def load_harness():
    if str(ROOT / "benchmarks") not in sys.path:
        sys.path.insert(0, str(ROOT / "benchmarks"))
    return importlib.import_module("harness")


def test_canned_requests_cover_every_shared_query_and_run(built_settings, client):
    harness = load_harness()
    requests = harness.canned_requests(built_settings.build_path)
    names = {r.name.split(" [")[0] for r in requests if r.method == "sparql"}
    assert names == set(named_queries()) - harness.BUILD_ONLY
    narrowed = [r for r in requests if " [" in r.name]
    assert {r.name.split(" [")[0] for r in narrowed} == {
        n for n, q in named_queries().items() if any(p.default is None for p in q.params)}
    engine = open_engine(built_settings, "oxigraph")
    for request in requests:
        if request.method == "sparql":
            result = engine.query(request.target)
            assert result.kind in ("select", "ask"), request.name
        else:
            response = client.get(request.target)
            assert response.status_code == 200, (request.name, request.target)
