"""The remote engine (``engine = remote``) on the session's real Virtuoso, over loopback HTTP with SPARQLWrapper.

Same answers as pyoxigraph to every named query with its parameters bound (a VALUES block, terms escaped), the
same dataset (the built graphs, or the one asked), the same gate before anything leaves, and no partial answer
passed off as whole. A few answers Virtuoso 7.2 never gives (HTTP 206, a store that hangs, one that is down)
come from a small HTTP server of the test's own.
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from sdsf_graph.cli import main
from sdsf_graph.errors import QueryError, SettingsError
from sdsf_graph.gate import QueryRefused
from sdsf_graph.query import named_queries, run_query
from sdsf_graph.remote import RemoteEngine, RemoteError, bind_values
from sdsf_graph.settings import load_settings
from sdsf_graph.store import QueryDataset, open_engine

from .test_virtuoso import concatenated, row_set
from .virtuoso_fixture import BEING_REWRITTEN, MAX_ROWS

DERIVED = "https://w3id.org/sdsf/graph/derived"
DEPARTEMENTS = "https://w3id.org/sdsf/graph/data/reference/departements"
VIRTRDF = "http://www.openlinksw.com/schemas/virtrdf#"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . FILTER(STR(?c) < STR(?f)) }"  # seconds on Virtuoso
EVIL = 'a "quoted" \'one\' {braces} \\back\\slash\\ \\u0022 \\U0001F600\nnew line\r\t } ; DROP ALL ; { """ é'
QUERIES = named_queries()


@pytest.fixture(scope="module")
def remote(virtuoso, built_settings):
    settings = load_settings({"build_dir": str(built_settings.build_path), "engine": "remote",
                              "remote_endpoint": virtuoso.url, "query_time_limit": 30}, environ={})
    return open_engine(settings)


@pytest.fixture(scope="module")
def oxigraph(built_settings):
    return open_engine(built_settings, "oxigraph")


def count(engine, query: str, dataset: QueryDataset | None = None) -> int:
    return int(engine.query(query, dataset=dataset).rows[0]["n"])


@pytest.mark.parametrize("term", [Literal(EVIL), Literal(EVIL, lang="fr-FR"), Literal(EVIL, datatype=URIRef("https://w3id.org/sdsf/def#text")),
                                  URIRef("https://example.org/a?b=c&d=%7B#f"), Literal(2018)])
def test_a_bound_term_round_trips_unchanged(remote, oxigraph, term):
    query = "SELECT ?x ?n WHERE { { SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o } } }"
    answer = remote.query(query, {"x": term})
    expected = oxigraph.query(query, {"x": term}).rows[0]["x"]  # a simple literal comes back as an xsd:string
    assert str(expected) == str(term) and expected in (term, Literal(str(term), datatype=XSD.string))
    assert answer.rows[0]["x"] == expected and answer.rows[0]["x"].n3() == expected.n3()
    assert oxigraph.query(bind_values(query, {"x": term})).rows[0]["x"] == expected  # the text means it to both
    assert int(answer.rows[0]["n"]) == int(oxigraph.query(query).rows[0]["n"])


@pytest.mark.parametrize("term", [URIRef("http://example.org/> } ; DROP ALL ; <x"), URIRef("relative"),
                                  URIRef("http://example.org/a\nb"), BNode("b1"),
                                  Literal("x", datatype=URIRef("http://example.org/t> } ; DROP ALL ; <x"))])
def test_a_term_that_cannot_be_written_safely_is_refused(remote, term):
    with pytest.raises(QueryError):
        remote.query("SELECT ?x WHERE { }", {"x": term})


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_named_query_gives_the_same_answer_as_pyoxigraph(remote, oxigraph, name, request):
    if name in BEING_REWRITTEN:
        request.applymarker(pytest.mark.xfail(reason=BEING_REWRITTEN[name], strict=False))
    query = QUERIES[name]
    expected = run_query(oxigraph, query)
    answer = run_query(remote, query)
    assert len(expected.rows) < MAX_ROWS and not answer.truncated
    assert answer.variables == expected.variables
    unordered = concatenated(query.text)
    assert row_set(answer.rows, unordered) == row_set(expected.rows, unordered), name


def test_without_a_dataset_the_default_graph_is_the_built_graphs(remote, oxigraph, virtuoso):
    graphs = remote.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows
    assert sorted(str(r["g"]) for r in graphs) == virtuoso.graphs
    everything = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
    assert count(remote, everything) == count(oxigraph, everything)
    # Virtuoso's own graphs are not there (Virtuoso 7.2 would match this pattern once, with nothing bound).
    assert remote.query(f"ASK {{ GRAPH <{VIRTRDF}> {{ ?s ?p ?o }} }}").boolean is False
    assert count(remote, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{VIRTRDF}> {{ ?s ?p ?o }} }}") == 0


@pytest.mark.parametrize("query,dataset", [
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", QueryDataset((DERIVED,))),
    (f"SELECT (COUNT(*) AS ?n) FROM <{DERIVED}> WHERE {{ ?s ?p ?o }}", QueryDataset((DERIVED,))),
    (f"SELECT (COUNT(*) AS ?n) FROM <{DERIVED}> WHERE {{ ?s ?p ?o }}", QueryDataset((DEPARTEMENTS,))),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", QueryDataset(("http://example.org/elsewhere",))),
    ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", QueryDataset((), (DEPARTEMENTS,))),
    (f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{DERIVED}> {{ ?s ?p ?o }} }}", QueryDataset((), (DEPARTEMENTS,))),
    (f"SELECT (COUNT(*) AS ?n) FROM NAMED <{DERIVED}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
     QueryDataset((), (DERIVED,))),
])
def test_an_explicit_dataset_is_the_same_as_on_pyoxigraph(remote, oxigraph, query, dataset):
    assert count(remote, query, dataset) == count(oxigraph, query, dataset)
    if f"<{DERIVED}>" in query.split("WHERE")[0] and DERIVED in dataset.default_graphs + dataset.named_graphs:
        # the query's own FROM, with no dataset given apart (as `sdsf query` runs it), means the same
        assert count(remote, query) == count(oxigraph, query, dataset)


def test_the_gate_runs_before_anything_is_sent(built_settings):
    with stub_store(lambda handler: handler.answer(200, b"{}")) as (url, seen):
        engine = RemoteEngine(url, ["urn:x-sdsf:g"], 5)
        for query, status in (("INSERT DATA { <urn:a> <urn:b> <urn:c> }", 403), ("CLEAR ALL", 403),
                              ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", 403),
                              ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", 403),
                              ("ASK { " + "{ " * 40 + "}" * 40 + " }", 400)):
            with pytest.raises(QueryRefused) as refused:
                engine.query(query)
            assert refused.value.status == status
        assert seen == []


def test_the_row_caps_mark_the_answer_truncated(remote):
    capped = remote.query("SELECT * WHERE { ?s ?p ?o }", max_rows=10 * MAX_ROWS)
    assert len(capped.rows) == MAX_ROWS and capped.truncated  # Virtuoso's ResultSetMaxRows (X-SPARQL-MaxRows)
    ours = remote.query("CONSTRUCT WHERE { ?s ?p ?o }", max_rows=10)
    assert len(ours.triples) == 10 and ours.truncated
    whole = remote.query("SELECT * WHERE { ?s ?p ?o } LIMIT 10", max_rows=10)
    assert len(whole.rows) == 10 and not whole.truncated


def test_the_endpoint_says_when_the_store_cut_the_answer(virtuoso, built_settings):
    from web import create_app

    app = create_app({"build_dir": str(built_settings.build_path), "engine": "remote",
                      "remote_endpoint": virtuoso.url, "rate_limit": 0, "max_rows": 10 * MAX_ROWS})
    response = app.test_client().get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 200 and response.headers["X-Result-Truncated"] == "true"
    assert len(response.get_json()["results"]["bindings"]) == MAX_ROWS


def test_past_the_time_limit_the_answer_is_503(virtuoso):
    engine = RemoteEngine(virtuoso.url, virtuoso.graphs, 1.0)
    started = time.monotonic()
    with pytest.raises(RemoteError) as stopped:
        engine.query(SLOW)
    assert time.monotonic() - started < 1.5
    assert stopped.value.status == 503 and "time limit of 1 s" in str(stopped.value)


def test_an_answer_cut_by_the_store_time_limit_is_503_not_partial_rows(virtuoso):
    # The store is asked to stop after 0.3 s (Virtuoso's "anytime" query): it answers 200 with the rows found so
    # far and X-SQL-State: S1TAT; the engine must not pass that off as the answer.
    engine = RemoteEngine(virtuoso.url, virtuoso.graphs, 30, store_time_limit=0.3)
    with pytest.raises(RemoteError) as cut:
        engine.query(SLOW)
    assert cut.value.status == 503 and cut.value.retry_after


def test_a_query_the_store_estimates_too_long_is_503(remote):
    with pytest.raises(RemoteError) as refused:
        remote.query("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }")
    assert refused.value.status == 503 and "estimated execution time" in str(refused.value)


def test_a_syntax_error_is_refused_by_the_gate_before_anything_is_sent(remote):
    with pytest.raises(QueryError, match=r"^syntax error: at 1:\d+ .*read as SPARQL 1.1"):
        remote.query("SELECT ?s WHERE { ?s ?p ")


def test_a_store_that_is_down_is_502_and_one_that_hangs_is_503():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/sparql"  # bound, not listening: refused
    with pytest.raises(RemoteError) as down:
        RemoteEngine(closed, [], 5).query("ASK {}")
    assert down.value.status == 502 and "cannot be reached" in str(down.value)
    with stub_store(lambda handler: time.sleep(3)) as (url, _):
        started = time.monotonic()
        with pytest.raises(RemoteError) as hung:
            RemoteEngine(url, [], 0.5).query("ASK {}")
        assert hung.value.status == 503 and time.monotonic() - started < 1.0


@pytest.mark.parametrize("status,headers,expected", [
    (206, {}, 503),  # Virtuoso 8's partial answer
    (200, {"X-SQL-State": "S1TAT", "X-SQL-Message": "RC...: Returning incomplete results"}, 503),
    (200, {"X-SQL-State": "42000", "X-SQL-Message": "something else"}, 502),
    (503, {}, 502),
    (200, {"Content-Type": "text/html"}, 502),
])
def test_partial_or_odd_answers_are_never_passed_off_as_complete(status, headers, expected):
    body = b'{"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {"type": "literal", "value": "1"}}]}}'
    headers = {"Content-Type": "application/sparql-results+json", **headers}
    with stub_store(lambda handler: handler.answer(status, body, headers)) as (url, seen), \
            pytest.raises(RemoteError) as failed:
        RemoteEngine(url, ["urn:x-sdsf:g"], 5).query("SELECT ?n WHERE { ?s ?p ?n }")
    assert failed.value.status == expected and len(seen) == 1


def test_the_remote_setting_needs_an_endpoint(built_settings):
    with pytest.raises(SettingsError, match="remote_endpoint"):
        load_settings({"engine": "remote"}, environ={})
    with pytest.raises(SettingsError, match="http"):
        load_settings({"engine": "remote", "remote_endpoint": "file:///etc/passwd"}, environ={})
    with pytest.raises(SettingsError):
        open_engine(built_settings, "remote")


def test_sdsf_query_takes_the_remote_engine(virtuoso, built_settings, capsys):
    common = ["--build-dir", str(built_settings.build_path), "--engine", "remote"]
    assert main(["query", "schemes-in-force", "--param", "year=2018", "--format", "csv", *common,
                 "--remote-endpoint", virtuoso.url]) == 0
    out = capsys.readouterr().out
    assert "https://w3id.org/sdsf/id/scheme/" in out and out.startswith("scheme,")
    assert main(["query", "ASK {}", *common]) == 2
    assert "remote_endpoint" in capsys.readouterr().err


def test_the_pages_run_on_the_remote_engine(virtuoso, built_settings):
    from web import create_app

    app = create_app({"build_dir": str(built_settings.build_path), "engine": "remote",
                      "remote_endpoint": virtuoso.url, "rate_limit": 0})
    client = app.test_client()
    for path in ("/", "/compare", "/ontology", "/ontology/thesaurus", "/id/departement/26",
                 "/id/scheme/26-2020-2024"):
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 200, (path, response.text[:300])
    assert "Drôme" in client.get("/id/departement/26", headers={"Accept": "text/html"}).text


def test_the_pages_say_clearly_when_the_store_is_down(built_settings):
    from web import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/sparql"
    client = create_app({"build_dir": str(built_settings.build_path), "engine": "remote",
                         "remote_endpoint": closed, "rate_limit": 0}).test_client()
    for response in (client.get("/sparql", query_string={"query": "ASK {}"}), client.get("/")):
        assert response.status_code == 502 and response.mimetype == "text/plain"
        assert "cannot be reached" in response.text and "Traceback" not in response.text


# ---- a store of the test's own, for answers Virtuoso 7.2 does not give ---------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    behave = staticmethod(lambda handler: None)
    seen: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.seen.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.behave(self)

    def answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {"Content-Type": "application/sparql-results+json"}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def stub_store(behave) -> Iterator[tuple[str, list[bytes]]]:
    seen: list[bytes] = []
    handler = type("Handler", (_Handler,), {"behave": staticmethod(behave), "seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql", seen
    finally:
        server.shutdown()
        server.server_close()
