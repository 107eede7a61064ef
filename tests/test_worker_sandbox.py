"""The query workers' sandbox (issue 13): the engine cannot fetch, memory per query, answers bounded in bytes.

Every test runs the real worker processes (``web.pool.QueryPool``, or the Flask application around it) on the
built artifact, past the gate: each layer must hold even when a query reaches a worker directly. Listeners are
real loopback TCP servers that count the connections they accept.
"""

from __future__ import annotations

import csv
import io
import json
import random
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from xml.etree import ElementTree

import pytest
import rdflib.plugins.sparql
from rdflib import Graph, Literal, URIRef

from sdsf_graph.errors import QueryError, SettingsError
from sdsf_graph.query import to_csv, to_json
from sdsf_graph.query_worker import QueryJob, SerialisedResult, answer
from sdsf_graph.results import to_rdf, to_tsv, to_xml
from sdsf_graph.settings import load_settings
from sdsf_graph.store import QueryResult, open_engine
from web.errors import HTTPError
from web.pool import QueryPool

from .conftest import ROOT

BASE = "https://w3id.org/sdsf/"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ENGINES = ["oxigraph", "rdflib"]


class Listener:
    """A loopback TCP server that accepts and closes every connection, counting them."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


@contextmanager
def pool_of(built_settings, engine: str, **limits: int) -> Iterator[QueryPool]:
    pool = QueryPool(engine, str(built_settings.build_path), 1, 30, **limits)
    try:
        yield pool
    finally:
        pool.close()


def run(pool: QueryPool, query: str, serialisers=None) -> QueryResult | SerialisedResult:
    return pool.run(QueryJob(query, None, 1000, BASE, serialisers=serialisers))


def count_of(pool: QueryPool) -> int:
    result = run(pool, COUNT)
    assert isinstance(result, QueryResult)
    return int(result.rows[0]["n"])


def doubling(times: int, start: str = "xxxxxxxx", project: str | None = None) -> str:
    """A query binding ``start`` doubled ``times`` times (the issue's memory and size bombs)."""
    binds = [f'BIND("{start}" AS ?v0)'] + [f"BIND(CONCAT(?v{i - 1},?v{i - 1}) AS ?v{i})" for i in range(1, times + 1)]
    return f"SELECT {project or f'?v{times}'} WHERE {{ {' '.join(binds)} }}"


# -- the engine cannot fetch --------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_service_call_past_the_gate_opens_no_connection(built_settings, listener, engine, host):
    with pool_of(built_settings, engine) as pool:
        before = count_of(pool)
        started = time.monotonic()
        with pytest.raises((HTTPError, QueryError)) as refused:
            run(pool, f"SELECT * WHERE {{ SERVICE <http://{host}:{listener.port}/sparql> {{ ?s ?p ?o }} }}")
        assert time.monotonic() - started < 20  # an error, not a hang up to the time limit
        assert "Traceback" not in str(refused.value)
        time.sleep(0.3)
        assert listener.accepted == 0
        assert count_of(pool) == before > 0  # the same worker, or its replacement, still answers


@pytest.mark.parametrize("engine", ENGINES)
def test_workers_run_under_a_seccomp_filter(built_settings, engine):
    with pool_of(built_settings, engine) as pool:
        count_of(pool)
        (worker,) = pool._workers
        with open(f"/proc/{worker.process.pid}/status", encoding="ascii") as status:
            fields = dict(line.split(":", 1) for line in status)
        assert fields["Seccomp"].strip() == "2"  # filter mode
        assert int(fields["Seccomp_filters"]) >= 1


def test_the_kernel_refuses_network_sockets_but_not_unix_ones(listener):
    """The seccomp layer alone (no audit hook): pyoxigraph's Rust client is stopped by this, not by Python."""
    script = textwrap.dedent(f"""
        import errno, socket
        from sdsf_graph.query_worker import deny_network_syscalls
        ours, theirs = socket.socketpair()
        deny_network_syscalls()
        for family, address in ((socket.AF_INET, ("127.0.0.1", {listener.port})), (socket.AF_INET6, ("::1", 1))):
            try:
                socket.socket(family, socket.SOCK_STREAM).connect(address)
            except PermissionError as exc:
                assert exc.errno == errno.EACCES, exc
            else:
                raise SystemExit("connected")
        for family in (socket.AF_NETLINK, socket.AF_PACKET):
            try:
                socket.socket(family, socket.SOCK_RAW)
            except PermissionError:
                pass
            else:
                raise SystemExit("opened a raw socket")
        ours.sendall(b"ping")
        assert theirs.recv(4) == b"ping"  # the inherited Unix socket still works
        a, b = socket.socketpair()  # and new Unix sockets too
        print("sandboxed")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "sandboxed"
    assert listener.accepted == 0


def test_a_worker_without_seccomp_refuses_to_start(built_settings, tmp_path, monkeypatch, caplog):
    """Fail closed: a machine where the filter cannot be installed serves no query (503 at once, logged)."""
    (tmp_path / "pyseccomp.py").write_text('raise RuntimeError("Unable to find libseccomp")\n')
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    with pool_of(built_settings, "oxigraph") as pool:
        started = time.monotonic()
        with pytest.raises(HTTPError) as refused:
            run(pool, COUNT)
        assert refused.value.status == 503 and "could start" in str(refused.value)
        assert time.monotonic() - started < 30
    assert any("seccomp" in record.getMessage() and record.levelname == "ERROR" for record in caplog.records)


def test_importing_the_store_does_not_switch_rdflib_loading_off():
    script = "import rdflib.plugins.sparql as s, sdsf_graph.store; print(s.SPARQL_LOAD_GRAPHS)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.stdout.strip() == "True", done.stderr


def test_the_rdflib_engine_refuses_to_fetch_from_graphs_when_it_opens(built_settings, listener, monkeypatch):
    """In this process (no audit hook, no seccomp): only the engine's own switch stands between FROM and the web."""
    monkeypatch.setattr(rdflib.plugins.sparql, "SPARQL_LOAD_GRAPHS", True)
    engine = open_engine(built_settings, "rdflib")
    assert rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS is False
    result = engine.query(f"SELECT * FROM <http://127.0.0.1:{listener.port}/g> WHERE {{ ?s ?p ?o }}")
    assert result.rows == []
    time.sleep(0.3)
    assert listener.accepted == 0


def test_a_from_graph_past_the_gate_opens_no_connection_from_an_rdflib_worker(built_settings, listener):
    with pool_of(built_settings, "rdflib") as pool:
        result = run(pool, f"SELECT * FROM <http://127.0.0.1:{listener.port}/g> "
                           f"FROM NAMED <http://127.0.0.1:{listener.port}/n> WHERE {{ ?s ?p ?o }}")
        assert isinstance(result, QueryResult) and result.rows == []
    assert listener.accepted == 0


# -- memory per query ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_query_past_the_memory_limit_is_refused_and_the_pool_recovers(built_settings, engine, caplog):
    """The issue's 866-byte query (a string doubled 26 times: 512 MB, 1.5 GB in all) against a 256 MB limit:
    pyoxigraph's allocation fails and aborts its process, rdflib's raises MemoryError; both are said as such."""
    with pool_of(built_settings, engine, memory_limit=256) as pool:
        before = count_of(pool)
        started = time.monotonic()
        with pytest.raises(HTTPError) as refused:
            run(pool, doubling(26, project="(STRLEN(?v26) AS ?n)"), {"table": to_json})
        assert time.monotonic() - started < 25
        assert refused.value.status == 503
        assert "more memory than the limit of 256 MB" in str(refused.value)
        assert count_of(pool) == before  # a replacement answers
    replaced = [r.getMessage() for r in caplog.records if "replacement" in r.getMessage()]
    assert replaced and ("failed allocation" in replaced[0] or "out of memory" in replaced[0]), replaced


def test_a_value_of_max_answer_bytes_can_still_be_built(built_settings):
    """The smallest memory limit the settings accept leaves room for an answer of max_answer_bytes."""
    max_bytes = 4 * 2**20
    settings = load_settings({"max_answer_bytes": max_bytes, "query_memory_limit": 40}, environ={})
    with pool_of(built_settings, "oxigraph", memory_limit=settings.query_memory_limit,
                 max_answer_bytes=max_bytes) as pool:
        result = run(pool, doubling(19, "xxxxxxx"), {"table": to_json})  # 3.5 MiB
        assert isinstance(result, SerialisedResult) and not result.truncated
        assert len(json.loads(result.body)["results"]["bindings"][0]["v19"]["value"]) == 7 * 2**19


@pytest.mark.parametrize("overrides", [{"query_memory_limit": -1}, {"max_answer_bytes": 0},
                                       {"query_memory_limit": 100, "max_answer_bytes": 16 * 2**20}])
def test_bad_limits_are_refused(overrides):
    with pytest.raises(SettingsError):
        load_settings(overrides, environ={})


def test_no_memory_limit_is_allowed():
    assert load_settings({"query_memory_limit": 0, "max_answer_bytes": 2**30}, environ={}).query_memory_limit == 0


# -- answers bounded in bytes -------------------------------------------------------------------------------

SMALL = 1_000_000  # max_answer_bytes of the application below


@pytest.fixture(scope="module")
def bounded(built_settings):
    from web import create_app

    application = create_app({"build_dir": str(built_settings.build_path), "rate_limit": 0,
                              "max_answer_bytes": SMALL})
    yield application.test_client()
    application.extensions["sdsf_pool"].close()


def test_a_64_mb_value_is_cut_to_the_byte_bound(bounded):
    """The issue's 22 doublings of 16 characters: one 64 MB value, which streamed 128 MB before."""
    response = bounded.post("/sparql", data={"query": doubling(22, "x" * 16)},
                            headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200
    assert len(response.data) <= SMALL
    answer_ = json.loads(response.data)
    assert answer_["head"]["vars"] == ["v22"] and answer_["results"]["bindings"] == []
    assert response.headers["X-Result-Truncated"] == "true"
    assert response.headers["X-Result-Limit-Bytes"] == str(SMALL)


def _binds(times: int) -> str:
    return doubling(times).split("WHERE { ", 1)[1].rsplit("}", 1)[0]


VALUES = "VALUES ?i { " + " ".join(str(i) for i in range(1, 21)) + " } "
VALUE = 8 * 2**13  # characters of each row's value: 20 rows of 64 KB, in a bound of 1 MB
ROWS_QUERY = f'SELECT ?i ?v WHERE {{ {VALUES} {_binds(13)} BIND(CONCAT(STR(?i), "é", ?v13) AS ?v) }}'
GRAPH_QUERY = (f"CONSTRUCT {{ ?s <urn:x:value> ?v }} WHERE {{ {VALUES} {_binds(13)} "
               'BIND(IRI(CONCAT("urn:x:", STR(?i))) AS ?s) BIND(CONCAT(STR(?i), ?v13) AS ?v) }')


def _rows(fmt: str, body: bytes) -> int:
    text = body.decode("utf-8")
    if fmt == "json":
        return len(json.loads(text)["results"]["bindings"])
    if fmt == "xml":
        return len(ElementTree.fromstring(body).findall("{http://www.w3.org/2005/sparql-results#}results/*"))
    rows = list(csv.reader(io.StringIO(text), delimiter="\t" if fmt == "tsv" else ","))
    assert all(len(row) == 2 for row in rows)
    return len(rows) - 1


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_many_rows_are_cut_at_a_row_boundary_in_every_format(bounded, fmt):
    response = bounded.post("/sparql", data={"query": ROWS_QUERY, "format": fmt})
    assert response.status_code == 200, response.data[:200]
    assert len(response.data) <= SMALL
    assert response.headers["X-Result-Truncated"] == "true"
    kept = _rows(fmt, response.data)
    assert 12 <= kept < 20 and kept == SMALL // (VALUE + 200) or kept == SMALL // VALUE
    assert len(response.data) + VALUE > SMALL  # one row more would not have fitted


@pytest.mark.parametrize("fmt, rdflib_format", [("turtle", "turtle"), ("nt", "nt"), ("json-ld", "json-ld"),
                                                ("rdfxml", "xml")])
def test_many_triples_are_cut_at_a_triple_boundary(bounded, fmt, rdflib_format):
    response = bounded.post("/sparql", data={"query": GRAPH_QUERY, "format": fmt})
    assert response.status_code == 200, response.data[:200]
    assert len(response.data) <= SMALL
    assert response.headers["X-Result-Truncated"] == "true"
    graph = Graph().parse(data=response.data.decode("utf-8"), format=rdflib_format)
    assert 12 <= len(graph) <= SMALL // VALUE


def test_a_small_answer_is_not_marked(bounded):
    response = bounded.post("/sparql", data={"query": doubling(10)}, headers={"Accept": "text/csv"})
    assert response.status_code == 200 and "X-Result-Truncated" not in response.headers


def _table(values: list[str]) -> QueryResult:
    return QueryResult("select", variables=["v"], rows=[{"v": Literal(v)} for v in values])


@pytest.mark.parametrize("serialise", [to_json, to_xml, to_csv, to_tsv])
def test_the_byte_bound_counts_utf8_bytes_and_keeps_the_longest_prefix(serialise):
    result = _table(["é" * 1000] * 50)  # 2000 bytes of UTF-8 per row
    job = QueryJob("", None, 100, BASE, serialisers={"table": serialise})
    empty = len(serialise(_table([])).encode("utf-8"))
    for limit in (empty, empty + 1999, 10_000, 50_000, 99_000):
        cut = answer(job, result, limit)
        assert isinstance(cut, SerialisedResult) and cut.truncated
        size = len(cut.body.encode("utf-8"))
        assert size <= limit
        kept = cut.body.count("é" * 1000)
        longer = serialise(_table(["é" * 1000] * (kept + 1)))
        assert len(longer.encode("utf-8")) > limit  # the longest prefix that fits
    whole = answer(job, result, 10**6)
    assert isinstance(whole, SerialisedResult) and not whole.truncated and whole.body == serialise(result)


def test_a_bound_smaller_than_the_empty_answer_gives_the_empty_answer():
    job = QueryJob("", None, 100, BASE, serialisers={"table": to_json})
    cut = answer(job, _table(["a", "b"]), 5)
    assert isinstance(cut, SerialisedResult) and cut.truncated
    assert json.loads(cut.body)["results"]["bindings"] == []


def test_rows_sent_back_unserialised_are_bounded_by_their_text():
    result = QueryResult("graph", triples=[(URIRef(f"urn:x:{i}"), URIRef("urn:x:p"), Literal("x" * 1000))
                                           for i in range(10)])
    job = QueryJob("", None, 100, BASE, serialisers={"table": to_json})  # no graph format acceptable
    cut = answer(job, result, 3500)
    assert isinstance(cut, QueryResult) and cut.truncated and len(cut.triples) == 3
    pages = QueryJob("", None, 100, BASE)  # the pages' own queries are not cut
    assert answer(pages, result, 3500) is result
    graph_job = QueryJob("", None, 100, BASE, serialisers={"graph": lambda r: to_rdf(r, rdflib_format="nt")})
    nt = answer(graph_job, result, 3500)
    assert isinstance(nt, SerialisedResult) and nt.truncated and len(nt.body.encode()) <= 3500
    assert len(Graph().parse(data=nt.body, format="nt")) == 3  # lines of 1,032 bytes


def test_pool_defaults_are_the_settings_defaults(built_settings):
    pool = QueryPool("oxigraph", str(built_settings.build_path), 1, 10)
    defaults = load_settings(environ={})
    assert (pool.memory_limit, pool.max_answer_bytes) == (defaults.query_memory_limit, defaults.max_answer_bytes)


@pytest.mark.parametrize("serialise", [to_json, to_xml, to_csv, to_tsv])
def test_rows_of_uneven_sizes_are_cut_at_the_longest_prefix_that_fits(serialise):
    rng = random.Random(13)
    values = ["ü" * rng.choice([1, 10, 100, 5000]) + '"\\\n<&' * rng.randint(0, 50) for _ in range(120)]
    bodies = [serialise(_table(values[:n])) for n in range(len(values) + 1)]
    job = QueryJob("", None, 1000, BASE, serialisers={"table": serialise})
    for limit in (rng.randint(100, len(bodies[-1].encode("utf-8"))) for _ in range(20)):
        cut = answer(job, _table(values), limit)
        assert isinstance(cut, SerialisedResult) and cut.truncated
        assert len(cut.body.encode("utf-8")) <= limit
        kept = bodies.index(cut.body)
        assert len(bodies[kept + 1].encode("utf-8")) > limit  # the longest prefix that fits
