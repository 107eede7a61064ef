"""Every shared query on the national graph, within a time limit: on the default engine, and on Virtuoso.

The synthetic national graph (``benchmarks/synthetic.py``: 101 départements, 2-3 schemes each, about 500,000
quads) is generated and built once for the module. Each shared ``.rq`` query runs with its default parameters
(a value from the graph where the default names a real scheme the synthetic graph does not hold), and again
narrowed by its optional parameters (the cases of benchmarks/harness.py), through the server's own query worker
pool with a hard time limit: a query shape that is pathological at national scale (a FILTER NOT EXISTS over a
property path took minutes where MINUS took a millisecond) is killed at the limit and fails here, long before a
user meets it. The same queries then run on the project's Virtuoso loaded with the same graph (remote engine,
same limit).

rdflib, the reference engine, is not run here: parsing the national graph alone takes it about a minute per
process, and it is not meant for serving at this scale (benchmarks/queries.py measures it).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from rdflib.term import Identifier

from sdsf_graph.build import build_graph
from sdsf_graph.query import NamedQuery, named_queries
from sdsf_graph.query_worker import QueryJob
from sdsf_graph.remote import RemoteEngine
from sdsf_graph.settings import load_settings
from web.pool import QueryPool

from .conftest import ROOT
from .test_benchmarks import load_harness
from .virtuoso_fixture import SCRIPT, free_port, virtuoso_available

TIME_LIMIT = 10.0  # seconds; the slowest shared query takes about 2 s here, a pathological shape minutes
ROWS = 10**6
QUERIES = named_queries()


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    root = tmp_path_factory.mktemp("national")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "synthetic.py"), str(root / "data")], check=True,
                   capture_output=True, timeout=600)
    settings = load_settings({"data_dir": str(root / "data"), "build_dir": str(root / "build")}, environ={})
    manifest = build_graph(settings)
    assert manifest["validation"]["violations"] == 0
    assert manifest["quads"] > 400_000
    return settings, manifest


def _cases(settings) -> list[tuple[str, NamedQuery, dict[str, Identifier]]]:
    """The benchmarks' cases (benchmarks/harness.py), build-only queries included, their values bound as terms."""
    cases = load_harness().query_cases(settings.build_path, build_only=True)
    return [(name, query, query.bindings(values)) for name, query, values in cases]


def test_every_shared_query_answers_on_the_national_graph_within_the_time_limit(national):
    settings, manifest = national
    cases = _cases(settings)
    pool = QueryPool("oxigraph", str(settings.build_path), 1, TIME_LIMIT)
    answered, slow = {}, []
    try:
        for name, query, bindings in cases:
            try:
                result = pool.run(QueryJob(query.text, None, ROWS, settings.base_iri, bindings))
            except Exception as exc:  # the pool's 503 past the time limit, or anything else
                slow.append(f"{name}: {exc}")
                continue
            answered[name] = len(result.rows) if result.kind == "select" else 1
    finally:
        pool.close()
    assert slow == [], slow
    assert len(answered) == len(cases) >= len(QUERIES)
    empty = [name for name, rows in answered.items() if rows == 0 and name in QUERIES]
    # A national graph answers every question but "départements without a scheme" (every one has one); narrowed
    # to one scheme, a question may have no answer (that scheme states no indicator).
    assert empty == ["departements-without-scheme"], empty


def test_every_shared_query_answers_on_virtuoso_within_the_time_limit(national, tmp_path_factory):
    if not virtuoso_available():
        pytest.skip("virtuoso-t is not installed (bash scripts/virtuoso/virtuoso.sh install, as root)")
    settings, manifest = national
    folder = tmp_path_factory.mktemp("virtuoso-national") / "instance"
    http = free_port()
    env = {"VIRTUOSO_HTTP_PORT": str(http), "VIRTUOSO_ISQL_PORT": str(free_port()), "VIRTUOSO_MAX_ROWS": "100000",
           "VIRTUOSO_MAX_SECONDS": str(int(TIME_LIMIT)), "VIRTUOSO_MAX_COST": "0", "VIRTUOSO_BUFFERS": "40000"}

    def script(*args: str) -> None:
        done = subprocess.run(["bash", str(SCRIPT), *args], env={**os.environ, **env}, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr

    script("start", str(folder))
    try:
        script("load", str(folder), str(settings.build_path / "sdsf.nq"))
        remote = RemoteEngine(f"http://127.0.0.1:{http}/sparql", sorted(manifest["graphs"]), TIME_LIMIT)
        failed = []
        for name, query, bindings in _cases(settings):
            try:
                result = remote.query(query.text, bindings, max_rows=ROWS, base_iri=settings.base_iri)
            except Exception as exc:  # RemoteError 503 past the time limit, or the store's refusal
                failed.append(f"{name}: {exc}")
                continue
            assert not result.truncated, name
    finally:
        script("stop", str(folder))
    assert failed == [], failed
