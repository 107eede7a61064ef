"""The /sparql endpoint in process (Flask test client), on every engine (the remote one on the session's
Virtuoso): protocol, formats, limits, caching."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import select
import socket
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from rdflib import Graph, Namespace, URIRef

from sdsf_graph.errors import ArtifactMissing
from sdsf_graph.query_worker import QueryJob
from sdsf_graph.settings import load_settings
from web import create_app
from web.errors import HTTPError
from web.pool import QueryPool

from .virtuoso_fixture import ENGINES, engine_settings

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SRX = "{http://www.w3.org/2005/sparql-results#}"
DERIVED = "https://w3id.org/sdsf/graph/derived"
DEPARTEMENTS = "https://w3id.org/sdsf/graph/data/reference/departements"
DEPARTEMENT_COUNT = ("PREFIX igeo: <http://rdf.insee.fr/def/geo#> "
                     "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a igeo:Departement }")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
MAX_ROWS = 1000


def make_app(built_settings, engine, **settings):
    values = {"build_dir": str(built_settings.build_path), "engine": engine, "rate_limit": 0,
              "query_time_limit": 30, "max_rows": MAX_ROWS, **settings}
    return create_app(values)


@pytest.fixture(scope="module", params=ENGINES)
def app(request, built_settings):
    app = make_app(built_settings, **engine_settings(request, request.param))
    yield app
    app.extensions["sdsf_pool"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def get(client, query, **params):
    headers = {"Accept": params.pop("accept")} if "accept" in params else {}
    return client.get("/sparql", query_string={"query": query, **params}, headers=headers)


def count(response) -> int:
    return int(response.get_json()["results"]["bindings"][0]["n"]["value"])


def test_create_app_is_a_factory_with_one_blueprint_per_area(app, built_settings, tmp_path):
    assert {"pages", "sparql"} <= set(app.blueprints)
    assert app.view_functions["sparql.endpoint"] and app.view_functions["pages.home"]
    with pytest.raises(ArtifactMissing, match="sdsf build"):
        create_app({"build_dir": str(tmp_path / "nothing")})
    assert create_app(load_settings({"build_dir": str(built_settings.build_path)})).config["SDSF_SETTINGS"]


def test_get_form_post_and_direct_post_answer_alike(client):
    by_get = get(client, DEPARTEMENT_COUNT)
    by_form = client.post("/sparql", data={"query": DEPARTEMENT_COUNT})
    by_body = client.post("/sparql", data=DEPARTEMENT_COUNT.encode(), content_type="application/sparql-query")
    assert [r.status_code for r in (by_get, by_form, by_body)] == [200, 200, 200]
    assert count(by_get) == count(by_form) == count(by_body) == 101


@pytest.mark.parametrize("query,accept,expected", [
    ("SELECT * { ?s ?p ?o } LIMIT 1", None, "application/sparql-results+json"),
    ("SELECT * { ?s ?p ?o } LIMIT 1", "*/*", "application/sparql-results+json"),
    ("SELECT * { ?s ?p ?o } LIMIT 1", "text/csv;q=0.5, application/sparql-results+xml",
     "application/sparql-results+xml"),
    ("SELECT * { ?s ?p ?o } LIMIT 1", "application/sparql-results+json;q=0.2, text/tab-separated-values;q=0.9",
     "text/tab-separated-values"),
    ("SELECT * { ?s ?p ?o } LIMIT 1", "text/*", "text/csv"),
    ("SELECT * { ?s ?p ?o } LIMIT 1", "application/json", "application/sparql-results+json"),
    ("ASK { ?s ?p ?o }", "application/sparql-results+xml;q=1, application/sparql-results+json;q=0.9",
     "application/sparql-results+xml"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1", None, "text/turtle"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1", "application/n-triples, text/turtle;q=0.5",
     "application/n-triples"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1", "application/ld+json", "application/ld+json"),
    ("DESCRIBE <https://w3id.org/sdsf/id/departement/26>", "application/rdf+xml;q=0.9, text/turtle;q=0.8",
     "application/rdf+xml"),
])
def test_accept_with_q_values_chooses_the_format(client, query, accept, expected):
    response = get(client, query, **({"accept": accept} if accept else {}))
    assert response.status_code == 200
    assert response.mimetype == expected


@pytest.mark.parametrize("query,value,expected", [
    ("SELECT * { ?s ?p ?o } LIMIT 1", "tsv", "text/tab-separated-values"),
    ("SELECT * { ?s ?p ?o } LIMIT 1", "xml", "application/sparql-results+xml"),
    ("ASK {}", "csv", "text/csv"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1", "json", "application/ld+json"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1", "xml", "application/rdf+xml"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1", "application/n-triples", "application/n-triples"),
])
def test_format_parameter_wins_over_accept(client, query, value, expected):
    response = get(client, query, format=value, accept="application/sparql-results+json, text/turtle")
    assert response.status_code == 200 and response.mimetype == expected


@pytest.mark.parametrize("query,params", [
    ("SELECT * { ?s ?p ?o } LIMIT 1", {"accept": "image/png"}),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1", {"format": "csv"}),
])
def test_nothing_acceptable_is_406_and_lists_the_formats(client, query, params):
    response = get(client, query, **params)
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.text or "text/turtle" in response.text


def test_every_result_format_says_the_same(client):
    query = ("PREFIX igeo: <http://rdf.insee.fr/def/geo#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
             "SELECT ?d ?label WHERE { ?d igeo:codeINSEE \"26\" ; skos:prefLabel ?label }")
    rows = get(client, query).get_json()["results"]["bindings"]
    expected = {(r["d"]["value"], r["label"]["value"]) for r in rows}
    assert expected and all("xml:lang" in r["label"] for r in rows)
    tree = ET.fromstring(get(client, query, format="xml").data)
    assert {tuple(b[0].text for b in r) for r in tree.iter(SRX + "result")} == expected
    assert {tuple(r) for r in csv.reader(io.StringIO(get(client, query, format="csv").text))} - {("d", "label")} \
        == expected
    tsv = [line.split("\t") for line in get(client, query, format="tsv").text.splitlines()]
    assert tsv[0] == ["?d", "?label"]
    assert {(d.strip("<>"), label.rsplit("@", 1)[0].strip('"')) for d, label in tsv[1:]} == expected
    construct = query.replace("SELECT ?d ?label", "CONSTRUCT { ?d <urn:label> ?label }")
    for value, rdflib_format in (("turtle", "turtle"), ("nt", "nt"), ("json-ld", "json-ld"), ("rdfxml", "xml")):
        graph = Graph().parse(data=get(client, construct, format=value).data, format=rdflib_format)
        assert {(str(s), str(o)) for s, _, o in graph} == expected, value


def test_ask_in_every_tabular_format(client):
    query = "ASK { ?d <http://rdf.insee.fr/def/geo#codeINSEE> \"26\" }"
    assert get(client, query).get_json() == {"head": {}, "boolean": True}
    assert ET.fromstring(get(client, query, format="xml").data).find(SRX + "boolean").text == "true"
    assert get(client, query, format="csv").text.split() == ["boolean", "true"]
    assert get(client, query, format="tsv").text.split() == ["?boolean", "true"]


def test_service_description_for_rdf_clients(client, built_settings):
    manifest = json.loads((built_settings.build_path / "manifest.json").read_text())
    for accept, rdflib_format in (("text/turtle", "turtle"), ("application/rdf+xml", "xml"),
                                  ("application/ld+json", "json-ld"), ("*/*", "turtle")):
        response = client.get("/sparql", headers={"Accept": accept})
        assert response.status_code == 200
        graph = Graph().parse(data=response.data, format=rdflib_format)
        service = graph.value(None, SD.endpoint, URIRef("http://localhost/sparql"))
        assert (service, None, SD.Service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    formats = {str(f).rsplit("/", 1)[1] for f in graph.objects(service, SD.resultFormat)}
    assert formats == {"SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                       "Turtle", "N-Triples", "JSON-LD", "RDF_XML"}
    assert {str(n) for n in graph.objects(None, SD.name)} == set(manifest["graphs"])


def test_browsers_get_a_placeholder_page(client):
    response = client.get("/sparql", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "query editor" in response.text and "http://localhost/sparql" in response.text
    home = client.get("/", headers={"Accept": BROWSER})
    assert home.status_code == 200 and 'href="/sparql"' in home.text


UPDATES = [
    ("get update=", lambda c: c.get("/sparql", query_string={"update": "CLEAR ALL"})),
    ("form update=", lambda c: c.post("/sparql", data={"update": "DROP ALL"})),
    ("sparql-update body", lambda c: c.post("/sparql", data=b"CLEAR ALL", content_type="application/sparql-update")),
    ("update as query=", lambda c: get(c, "INSERT DATA { <urn:a> <urn:b> <urn:c> }")),
    ("update as form query=", lambda c: c.post("/sparql", data={"query": "delete where { ?s ?p ?o }"})),
    ("update as query body", lambda c: c.post("/sparql", data=b"LOAD <http://example.org/x.ttl>",
                                               content_type="application/sparql-query")),
    ("using-graph-uri", lambda c: c.post("/sparql?using-graph-uri=urn:g", data={"query": "ASK {}"})),
]


@pytest.mark.parametrize("how,send", UPDATES, ids=[u[0] for u in UPDATES])
def test_updates_in_any_form_are_refused_403(client, how, send):
    response = send(client)
    assert response.status_code == 403
    assert "SPARQL Update is not accepted: this endpoint is read-only" in response.text
    assert count(get(client, DEPARTEMENT_COUNT)) == 101


@pytest.mark.parametrize("query,word", [
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE"),
    (r"SELECT * WHERE { \u0053ERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE"),
    ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "FROM"),
    ("SELECT * FROM NAMED <http://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }", "FROM"),
])
def test_service_and_foreign_graphs_are_refused_403(client, query, word):
    response = get(client, query)
    assert response.status_code == 403 and word in response.text


def test_the_store_graphs_may_be_named_in_from_and_in_the_protocol(client):
    from_derived = f"SELECT (COUNT(*) AS ?n) FROM <{DERIVED}> WHERE {{ ?s ?p ?o }}"
    all_graphs = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    derived = count(get(client, from_derived))
    assert 0 < derived < count(get(client, all_graphs))
    assert count(get(client, all_graphs, **{"default-graph-uri": DERIVED})) == derived
    named = get(client, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", **{"named-graph-uri": DEPARTEMENTS})
    assert [b["g"]["value"] for b in named.get_json()["results"]["bindings"]] == [DEPARTEMENTS]
    # the protocol's graphs win over FROM; a graph the store does not hold is empty (and never fetched)
    departements = count(get(client, all_graphs, **{"default-graph-uri": DEPARTEMENTS}))
    assert departements != derived
    assert count(get(client, from_derived, **{"default-graph-uri": DEPARTEMENTS})) == departements
    assert count(get(client, all_graphs, **{"default-graph-uri": "http://example.org/elsewhere"})) == 0
    assert get(client, all_graphs, **{"default-graph-uri": "not an iri"}).status_code == 400


def test_words_in_strings_and_names_are_not_refused(client):
    query = 'SELECT ?service WHERE { BIND("SERVICE <http://example.org/> FROM INSERT DROP" AS ?service) }'
    response = get(client, query)
    assert response.status_code == 200
    assert response.get_json()["results"]["bindings"][0]["service"]["value"].startswith("SERVICE")


def test_too_long_is_413_too_deep_is_400(app, client):
    limit = app.config["SDSF_SETTINGS"].max_query_length
    long_query = "ASK {}" + "#" * limit
    assert get(client, long_query).status_code == 413
    assert client.post("/sparql", data={"query": long_query}).status_code == 413
    assert client.post("/sparql", data=long_query.encode(), content_type="application/sparql-query").status_code == 413
    assert get(client, "ASK {}" + "#" * (limit - 10)).status_code == 200
    deep = "ASK { FILTER(" + "(" * 40 + "1" + ")" * 40 + ") }"
    response = get(client, deep)
    assert response.status_code == 400 and "nested" in response.text


def test_row_cap_truncates_and_says_so(client):
    capped = get(client, "SELECT * WHERE { ?s ?p ?o }")
    assert capped.headers["X-Result-Truncated"] == "true" and capped.headers["X-Result-Limit"] == str(MAX_ROWS)
    assert len(capped.get_json()["results"]["bindings"]) == MAX_ROWS
    graph = get(client, "CONSTRUCT WHERE { ?s ?p ?o }", format="nt")
    assert graph.headers["X-Result-Truncated"] == "true" and len(graph.text.splitlines()) == MAX_ROWS
    whole = get(client, "SELECT * WHERE { ?s ?p ?o } LIMIT 10")
    assert "X-Result-Truncated" not in whole.headers and len(whole.get_json()["results"]["bindings"]) == 10


def test_syntax_error_is_400_with_the_parsers_message(client):
    response = get(client, "SELECT ?s WHERE { ?s ?p ")
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert response.text.startswith("syntax error:")
    # pyoxigraph "1:…", rdflib "line:1" / "at char", Virtuoso "SPARQL compiler, line 2: syntax error at '}'"
    assert any(where in response.text for where in ("1:", "line:1", "at char", "syntax error at"))


def test_no_answer_ever_holds_a_traceback(app, built_settings):
    settings = app.config["SDSF_SETTINGS"]
    fresh = make_app(built_settings, settings.engine, remote_endpoint=settings.remote_endpoint)

    @fresh.route("/test-only-boom")
    def boom():
        raise RuntimeError("boom")

    client = fresh.test_client()
    answers = [
        client.get("/test-only-boom"),
        client.put("/sparql?query=ASK%20%7B%7D"),
        client.post("/sparql", data=b"ASK {}"),
        client.post("/sparql", data=b"ASK {}", content_type="text/plain"),
        client.post("/sparql", data="ASK {}".encode("utf-16"), content_type="application/sparql-query; charset=UTF-16"),
        client.post("/sparql", data=b"ASK { \xff }", content_type="application/sparql-query"),
        client.get("/sparql?query=ASK%20%7B%7D&query=ASK%20%7B%7D"),
        client.get("/sparql", query_string={"query": "   "}),
        client.get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o FILTER(?o = ) }"}),
        client.get("/sparql", query_string={"query": "ASK {}", "default-graph-uri": "<bad>"}),
        client.get("/sparql", query_string={"query": "ASK {", "format": "yaml"}),
        client.get("/no-such-page"),
    ]
    # "ASK {" with format=yaml: the gate reads the query before the format is negotiated (400, not 406)
    assert [a.status_code for a in answers] == [500, 405, 415, 415, 415, 400, 400, 400, 400, 400, 400, 404]
    for answer in answers:
        assert answer.mimetype == "text/plain"
        assert "Traceback" not in answer.text and 'File "' not in answer.text and "boom" not in answer.text
    assert "POST" in answers[1].headers["Allow"]
    fresh.extensions["sdsf_pool"].close()


def test_rate_limit_answers_429_with_retry_after(built_settings):
    app = make_app(built_settings, "oxigraph", rate_limit=3)
    client = app.test_client()
    statuses = [client.get("/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/sparql")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "3 requests per minute" in refused.text
    assert client.get("/", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200  # another client


def test_etag_and_cache_control_on_results(app, client):
    first = get(client, DEPARTEMENT_COUNT)
    tag = first.headers["ETag"]
    assert tag.startswith('W/"') and first.headers["Cache-Control"] == "public, max-age=300"
    assert "Accept" in first.headers["Vary"]
    assert get(client, DEPARTEMENT_COUNT).headers["ETag"] == tag
    again = client.get("/sparql", query_string={"query": DEPARTEMENT_COUNT}, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag
    assert get(client, DEPARTEMENT_COUNT + " ").headers["ETag"] != tag
    assert get(client, DEPARTEMENT_COUNT, format="csv").headers["ETag"] != tag
    artifact = app.extensions["sdsf_artifact"]
    app.extensions["sdsf_artifact"] = dataclasses.replace(artifact, version="another-build")
    try:
        assert get(client, DEPARTEMENT_COUNT).headers["ETag"] != tag
    finally:
        app.extensions["sdsf_artifact"] = artifact
    assert get(client, "ASK {").headers["Cache-Control"] == "no-store"


def test_cors_is_open_on_sparql_only(client):
    answer = get(client, "ASK {}")
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Result-Truncated" in answer.headers["Access-Control-Expose-Headers"]
    assert get(client, "ASK {").headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options("/sparql", headers={"Origin": "https://example.org",
                                                  "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in client.get("/").headers


def test_a_query_in_a_long_get_url(client):
    padded = DEPARTEMENT_COUNT + " #" + "x" * 20000
    response = client.get("/sparql?query=" + quote(padded))
    assert response.status_code == 200 and count(response) == 101


def test_query_workers_have_no_network_even_past_the_gate(built_settings):
    """Defence in depth: a SERVICE call that reached an rdflib worker directly still opens no connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    pool = QueryPool("rdflib", str(built_settings.build_path), 1, 30)
    try:
        query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.getsockname()[1]}/sparql> {{ ?s ?p ?o }} }}"
        with pytest.raises(HTTPError) as failed:
            pool.run(QueryJob(query, None, 10, "https://w3id.org/sdsf/"))
        assert failed.value.status == 500 and "Traceback" not in str(failed.value)
        assert select.select([listener], [], [], 0.5)[0] == []
    finally:
        pool.close()
        listener.close()
