"""HTTP hardening (security issue 13, found by a hostile probe), on the real application and the real built graph:

1. invalid or huge graph IRIs are 400 / 413, never 500, and the whole request is bounded;
2. every number a page reads is ASCII digits in a range, else 400 (``²`` is not a year);
3. the Host header never enters an answer a shared cache may keep;
4. nosniff everywhere, a strict CSP on every HTML page, request input echoed only as escaped text, and a huge
   Accept header negotiated like a short one;
5. CORS open on the read-only APIs (``/sparql``, ``/api/``) and nowhere else;
6. the result cache holds its bound, keys included.
"""

from __future__ import annotations

import random
import re

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import VOID

from web import create_app
from web.result_cache import KEY as CACHE_KEY
from web.result_cache import ResultCache

from .conftest import ROOT

EVIL = "evil.example"
JSON = "application/sparql-results+json"
ASK = "ASK {}"
GRAPH_IRI = "https://w3id.org/sdsf/graph/derived"


@pytest.fixture
def make_app(built_settings):
    made = []

    def make(**settings):
        application = create_app({"build_dir": str(built_settings.build_path), "rate_limit": 0, **settings})
        made.append(application)
        return application

    yield make
    for application in made:
        application.extensions["sdsf_pool"].close()


def test_invalid_graph_iris_are_400_long_ones_413_and_the_request_is_bounded(app, client):
    limit = app.config["SDSF_SETTINGS"].max_query_length
    for iri in ("a:%zz", "http://[::1", "http://x/a b", "<bad>"):
        for name in ("default-graph-uri", "named-graph-uri"):
            for response in (client.get("/sparql", query_string={"query": ASK, name: iri}),
                             client.post("/sparql", data={"query": ASK, name: iri})):
                assert response.status_code == 400, (iri, name, response.text)
                assert response.mimetype == "text/plain" and name in response.text
                assert "IRI" in response.text and "internal error" not in response.text
    # a valid graph IRI still answers
    assert client.get("/sparql", query_string={"query": ASK, "default-graph-uri": GRAPH_IRI},
                      headers={"Accept": JSON}).status_code == 200
    huge = "http://example.org/" + "a" * 200_000  # 200 KB: refused like a long query, not parsed
    for name in ("default-graph-uri", "named-graph-uri"):
        response = client.post("/sparql", data={"query": ASK, name: huge})
        assert response.status_code == 413 and f"the limit is {limit}" in response.text
        assert len(response.data) < 1000  # the IRI is not echoed
    # each IRI under the limit, the query and its IRIs together over it
    third = "http://example.org/" + "b" * (limit // 3)
    response = client.post("/sparql", data={"query": ASK, "default-graph-uri": [third, third],
                                            "named-graph-uri": third})
    assert response.status_code == 413 and "graph IRIs" in response.text
    # the URL is bounded as a body is: a GET of megabytes is refused before any view parses it
    response = client.get("/sparql?query=ASK%7B%7D&junk=" + "x" * 1_000_000)
    assert response.status_code == 414 and response.mimetype == "text/plain"
    assert client.get("/?junk=" + "x" * 1_000_000).status_code == 414


def test_page_numbers_are_ascii_digits_in_range_else_400(client):
    for bad in ("²", "٢٠٢٠", "２０２０", "+2020", " 2020", "2_020", "2020.0", "-2020", "1989", "2101",
                "9" * 5000):
        for url in ("/", "/index.json"):
            response = client.get(url, query_string={"year": bad})
            assert response.status_code == 400, (url, bad)
            assert "année invalide" in response.text and "whole number between 1990 and 2100" in response.text
            assert len(response.data) < 500  # a long value is not echoed whole
    for bad in ("²", "٣", "+5", "1_0", "0", "101", ""):
        response = client.get("/api/similar", query_string={"text": "horaires atypiques", "limit": bad})
        assert response.status_code == 400, bad
        assert "whole number between 1 and 100" in response.get_json()["error"]
    assert client.get("/index.json", query_string={"year": "2020"}).get_json()["year"] == 2020
    assert client.get("/index.json", query_string={"year": ""}).status_code == 200  # empty: the default year
    assert len(client.get("/api/similar", query_string={"text": "horaires atypiques", "limit": "1"})
               .get_json()["results"]) == 1
    # a département code is ASCII digits too
    assert client.get("/compare", query_string={"dep": ["٢٦", "92"]}).status_code == 400


#: Every page, twin and download that could hold an absolute URL (or anything else made from the request).
HOST_PROBES = (
    ("/downloads/void.ttl", None), ("/sparql", "text/turtle"), ("/sparql", "application/n-triples"),
    ("/sparql", "application/ld+json"), ("/sparql", "text/html"), ("/sparql?query=ASK%7B%7D", JSON),
    ("/downloads", "text/html"), ("/downloads?format=json", None), ("/downloads/sdsf.ttl", None),
    ("/", "text/html"), ("/index.json", None), ("/compare", "text/html"), ("/compare.json", None),
    ("/compare/frise.csv", None), ("/ontology", "text/html"), ("/ontology.ttl", None), ("/def", "text/turtle"),
    ("/ontology/thesaurus", "text/html"), ("/similar?text=horaires", "text/html"),
    ("/api/similar?text=horaires", None), ("/id/departement/26", "text/html"), ("/id/departement/26.ttl", None),
    ("/id/scheme/26-2020-2024", "text/html"), ("/no-such-page", None),
)


def _publicly_cacheable(response) -> bool:
    directives = response.headers.get("Cache-Control", "").lower()
    return "private" not in directives and "no-store" not in directives


def test_host_header_never_enters_a_publicly_cacheable_answer(client, make_app):
    held = []
    for path, accept in HOST_PROBES:
        response = client.get(path, headers={"Host": EVIL, **({"Accept": accept} if accept else {})})
        assert response.status_code in (200, 404), path
        text = response.get_data(as_text=True) + "".join(v for _, v in response.headers.items())
        if EVIL in text:
            held.append(path)
            assert not _publicly_cacheable(response), path
            assert "Host" in response.headers.get("Vary", ""), path
    # without public_url the answers with absolute URLs name the request's host (private), and only them
    assert set(held) == {"/downloads/void.ttl", "/sparql"}
    # with public_url, the Host plays no part: the same answers are public and name the configured site
    public = make_app(public_url="https://sdsf.example.org/").test_client()
    for path, accept in HOST_PROBES:
        response = public.get(path, headers={"Host": EVIL, **({"Accept": accept} if accept else {})})
        assert EVIL not in response.get_data(as_text=True), path
        assert all(EVIL not in v for _, v in response.headers.items()), path
    void = public.get("/downloads/void.ttl", headers={"Host": EVIL})
    assert void.headers["Cache-Control"].startswith("public") and "Host" not in void.headers.get("Vary", "")
    graph = Graph().parse(data=void.text, format="turtle")
    dataset = URIRef("https://sdsf.example.org/downloads/void.ttl#dataset")
    assert graph.value(dataset, VOID.sparqlEndpoint) == URIRef("https://sdsf.example.org/sparql")
    described = public.get("/sparql", headers={"Host": EVIL, "Accept": "application/n-triples"})
    assert "<https://sdsf.example.org/sparql>" in described.text
    editor = public.get("/sparql", headers={"Host": EVIL, "Accept": "text/html"})
    assert "https://sdsf.example.org/sparql" in editor.text


#: Values a hostile client puts where a page or the endpoint may quote them in an error.
PAYLOAD = "<script>alert(1)</script>"


def test_nosniff_everywhere_strict_csp_on_html_no_raw_echo_and_big_accept_negotiated(client):
    answers = {
        "page": client.get("/", headers={"Accept": "text/html"}),
        "twin": client.get("/index.json"),
        "endpoint": client.get("/sparql", query_string={"query": ASK}),
        "editor": client.get("/sparql", headers={"Accept": "text/html"}),
        "static": client.get("/static/css/sdsf.css"),
        "script": client.get("/static/js/map.js"),
        "404": client.get("/no-such-page"),
        "405": client.put("/sparql"),
        "400": client.get("/?year=x"),
        "missing resource": client.get("/id/scheme/none", headers={"Accept": "text/html"}),
        "304": client.get("/downloads/void.ttl", headers={"If-None-Match": client.get(
            "/downloads/void.ttl").headers["ETag"]}),
    }
    assert answers["304"].status_code == 304
    for name, response in answers.items():
        assert response.headers.get("X-Content-Type-Options") == "nosniff", name
        if response.mimetype == "text/html":
            csp = response.headers["Content-Security-Policy"]
            assert "default-src 'self'" in csp and "object-src 'none'" in csp, name
            script_src = re.search(r"script-src ([^;]*)", csp)
            assert script_src and script_src.group(1).strip() == "'self'", name
    # no inline script, style or handler in any page (the CSP would block them)
    for path in ("/", "/compare?dep=26&dep=92", "/sparql", "/downloads", "/ontology", "/ontology/thesaurus",
                 "/similar?text=horaires", "/id/scheme/26-2020-2024", "/id/departement/26"):
        html = client.get(path, headers={"Accept": "text/html"}).text
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", html), path
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html), path
    # request input comes back only escaped, or as text/plain (nosniff)
    echoes = [
        client.get("/", query_string={"measure": PAYLOAD}), client.get("/", query_string={"year": PAYLOAD}),
        client.get("/", query_string={"theme": PAYLOAD}), client.get("/", query_string={"format": PAYLOAD}),
        client.get("/sparql", query_string={"query": ASK, "default-graph-uri": "x:" + PAYLOAD}),
        client.get("/sparql", query_string={"query": ASK, "format": PAYLOAD}),
        client.get("/downloads/" + PAYLOAD), client.get("/compare/" + PAYLOAD + ".csv"),
        client.get("/compare", query_string={"dep": [PAYLOAD, "26"]}, headers={"Accept": "text/html"}),
        client.get("/compare.json", query_string={"dep": [PAYLOAD, "26"]}),
        client.get("/similar", query_string={"text": "a", "exclude_departement": PAYLOAD}),
        client.get("/api/similar", query_string={"text": "a", "exclude_departement": PAYLOAD}),
        client.get("/id/scheme/" + PAYLOAD, headers={"Accept": "text/html"}),
    ]
    for response in echoes:
        assert response.status_code >= 400
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        if PAYLOAD in response.get_data(as_text=True):
            assert response.mimetype == "text/plain", response.request.url
    # an Accept of 8 KB with hundreds of q-values (and parameters, and a stray quote) is negotiated
    rng = random.Random(13)
    items = [f"application/x-{i};charset=utf-8;q=0.{rng.randint(1, 999):03d}" for i in range(300)]
    items.insert(150, 'text/x-broken;p="unclosed')
    accept = ", ".join(items[:150]) + ", text/csv;q=0.4, " + JSON + ";charset=utf-8;q=0.5, " + ", ".join(items[150:])
    assert 8000 < len(accept) < 16000
    response = client.get("/sparql", query_string={"query": ASK}, headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == JSON
    page_accept = ", ".join(items[:150]) + ", text/html;q=0.2, application/json;q=0.9"
    assert client.get("/", headers={"Accept": page_accept}).mimetype == "application/json"
    assert client.get("/sparql", query_string={"query": ASK},
                      headers={"Accept": JSON + "; charset=utf-8"}).mimetype == JSON  # a parameter is no refusal
    assert client.get("/sparql", query_string={"query": ASK}, headers={"Accept": "*/*, text/csv"}).mimetype == \
        "text/csv"  # the more specific range wins a tie
    assert client.get("/id/departement/26", headers={"Accept": "image/png, text/html;q=0"}).status_code == 406
    too_long = client.get("/sparql", query_string={"query": ASK}, headers={"Accept": "text/csv, " * 5000})
    assert too_long.status_code == 400 and "Accept" in too_long.text


def test_cors_is_open_on_sparql_and_the_api_and_nowhere_else(client):
    open_answers = [client.get("/sparql", query_string={"query": ASK}), client.get("/sparql?query=ASK%20%7B"),
                    client.get("/api/similar", query_string={"text": "horaires atypiques"}),
                    client.get("/api/similar")]
    assert [a.status_code for a in open_answers] == [200, 400, 200, 400]
    for answer in open_answers:
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        assert "ETag" in answer.headers["Access-Control-Expose-Headers"]
    for path in ("/", "/index.json", "/downloads/void.ttl", "/compare.json", "/similar?text=a", "/ontology.ttl",
                 "/id/departement/26.ttl", "/static/css/sdsf.css"):
        assert "Access-Control-Allow-Origin" not in client.get(path).headers, path
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`/sparql` alone" not in readme and "`/sparql` and `/api/`" in readme


def _held(value: object) -> int:
    """Bytes of the strings a cached key or value holds (tuples and lists walked)."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, tuple | list):
        return sum(_held(v) for v in value)
    return 8


def test_result_cache_counts_keys_and_holds_its_bound_under_junk_query_strings(make_app):
    # max_query_length raised so that 1 MB of junk passes the URL bound and reaches the page cache
    app = make_app(result_cache_size=1, max_query_length=400_000)
    client = app.test_client()
    cache: ResultCache = app.extensions[CACHE_KEY]
    bound = cache.max_bytes
    assert bound == 2**20
    for i in range(100):
        response = client.get(f"/?n={i}&junk=" + "j" * 1_000_000, headers={"Accept": "text/html"})
        assert response.status_code == 200
        assert cache.size <= bound
    hits = cache.hits
    again = client.get("/?n=99&junk=" + "j" * 1_000_000, headers={"Accept": "text/html"})
    assert cache.hits == hits + 1 and again.data == response.data  # junk requests were kept (and evicted)
    entries = list(cache._entries.items())
    pages = [key for key, _ in entries if isinstance(key, tuple) and key[0] == "page"]
    assert 1 <= len(pages) < 100
    # a page's real bytes are its key's and value's strings; another entry's value is a query result, whose
    # recorded size (key and overhead included) is what it is counted for
    real = sum(_held(key) + _held(value) if isinstance(key, tuple) and key[0] == "page" else size
               for key, (value, size) in entries)
    assert real <= cache.size <= bound
    assert all(_held(key) < 200 for key in pages)  # a key is a digest of the request, not its query string
