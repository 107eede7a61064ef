"""The result cache: an identical request is answered from memory, with the same bytes and headers; anything
that differs (query, format, parameters) is its own entry; failures are never kept; size 0 turns it off."""

from __future__ import annotations

import pytest

from web import create_app
from web.result_cache import KEY, ResultCache

QUERY = "PREFIX igeo: <http://rdf.insee.fr/def/geo#> SELECT ?d WHERE { ?d a igeo:Departement } ORDER BY ?d"
JSON = "application/sparql-results+json"


def make(built_settings, size):
    app = create_app({"build_dir": str(built_settings.build_path), "rate_limit": 0, "result_cache_size": size})
    return app, app.test_client()


@pytest.fixture(scope="module")
def cached(built_settings):
    app, client = make(built_settings, 64)
    yield app, client
    app.extensions["sdsf_pool"].close()


def test_a_repeated_query_is_answered_from_the_cache_with_the_same_answer(cached):
    app, client = cached
    cache: ResultCache = app.extensions[KEY]
    first = client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": JSON})
    hits = cache.hits
    again = client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": JSON})
    assert first.status_code == again.status_code == 200
    assert cache.hits == hits + 1
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert again.content_type == first.content_type
    as_csv = client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": "text/csv"})
    assert cache.hits == hits + 1 and as_csv.content_type.startswith("text/csv")  # another entry
    other = client.get("/sparql", query_string={"query": QUERY + " LIMIT 3"}, headers={"Accept": JSON})
    assert cache.hits == hits + 1 and other.data != first.data


def test_failures_are_not_kept(cached):
    app, client = cached
    cache: ResultCache = app.extensions[KEY]
    for _ in range(2):
        bad = client.get("/sparql", query_string={"query": "SELECT ?x WHERE { ?x ?y }"}, headers={"Accept": JSON})
        assert bad.status_code == 400
    assert all(entry[0][0] != bad.data for entry in cache._entries.values() if isinstance(entry[0], tuple))


def test_truncation_headers_come_back_with_a_cached_answer(built_settings):
    app = create_app({"build_dir": str(built_settings.build_path), "rate_limit": 0, "max_rows": 5})
    client = app.test_client()
    try:
        answers = [client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": JSON}) for _ in range(2)]
        assert app.extensions[KEY].hits >= 1
        assert [a.headers.get("X-Result-Truncated") for a in answers] == ["true", "true"]
        assert answers[0].data == answers[1].data
    finally:
        app.extensions["sdsf_pool"].close()


def test_pages_reuse_their_named_queries(cached):
    app, client = cached
    cache: ResultCache = app.extensions[KEY]
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
    hits = cache.hits
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
    assert cache.hits > hits


def test_size_zero_keeps_nothing(built_settings):
    app, client = make(built_settings, 0)
    try:
        for _ in range(2):
            assert client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": JSON}).status_code == 200
        cache: ResultCache = app.extensions[KEY]
        assert cache.hits == 0 and cache.size == 0
    finally:
        app.extensions["sdsf_pool"].close()


def test_least_recently_used_entries_go_first():
    cache = ResultCache(1000)
    for key in "abcd":
        cache.put(key, key, 240)
    assert cache.get("a") == "a"  # a is now the most recent
    cache.put("e", "e", 240)  # over 1000 bytes: b, the least recently used, goes
    assert cache.get("b") is None and cache.get("a") == "a" and cache.get("e") == "e"
    cache.put("huge", "x", 600)  # more than a quarter of the cache: not kept
    assert cache.get("huge") is None and cache.size <= 1000


def test_whole_pages_are_kept_and_failures_are_not(cached):
    app, client = cached
    cache: ResultCache = app.extensions[KEY]
    first = client.get("/compare", headers={"Accept": "text/html"})
    hits = cache.hits
    again = client.get("/compare", headers={"Accept": "text/html"})
    assert first.status_code == again.status_code == 200 and again.data == first.data
    assert cache.hits == hits + 1  # the whole page, not its queries one by one
    twin = client.get("/compare", headers={"Accept": "application/json"})
    assert twin.data != first.data  # Accept is part of the key
    for _ in range(2):
        assert client.get("/id/scheme/does-not-exist", headers={"Accept": "text/html"}).status_code == 404
        assert client.get("/compare?dep=999", headers={"Accept": "text/html"}).status_code == 400
    assert not any(key[0] == "page" and ("does-not-exist" in key[3] or "999" in key[3])
                   for key in cache._entries if isinstance(key, tuple))
