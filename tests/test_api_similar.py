"""GET /api/similar: the similar-action search over HTTP (in-process client, and the live server)."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from web import create_app

from .test_endpoint_live import engine_server, servers  # noqa: F401 - the live-server fixture


@pytest.fixture(scope="module")
def client(built_settings):
    app = create_app({"build_dir": str(built_settings.build_path), "rate_limit": 0})
    yield app.test_client()
    app.extensions["sdsf_pool"].close()


def test_text_query_answers_the_documented_json(client):
    response = client.get("/api/similar", query_string={"text": "horaires atypiques", "limit": 3})
    assert response.status_code == 200
    assert response.content_type.startswith("application/json")
    answer = response.get_json()
    assert answer["query"]["text"] == "horaires atypiques" and len(answer["results"]) <= 3
    first = answer["results"][0]
    assert set(first) == {"iri", "label", "type", "departement", "scheme", "score", "why"}
    assert set(first["departement"]) == {"code", "label"} and set(first["scheme"]) == {"iri", "label"}
    assert set(first["why"]) == {"terms", "themes"} and "horaires" in first["why"]["terms"]
    scores = [r["score"] for r in answer["results"]]
    assert scores == sorted(scores, reverse=True)


def test_filters(client):
    answer = client.get("/api/similar", query_string={"text": "horaires atypiques", "exclude_departement": "40"}
                        ).get_json()
    assert all(r["departement"]["code"] != "40" for r in answer["results"])
    theme = "https://w3id.org/sdsf/id/theme/handicap"
    answer = client.get("/api/similar", query_string={"text": "accueil", "theme": theme}).get_json()
    assert answer["results"] and all(r["why"]["themes"] == [theme] for r in answer["results"])


def test_iri_query_leaves_out_its_own_departement(client):
    iri = "https://w3id.org/sdsf/id/action/26-2020-2024-1-2-1"  # Drôme, « Répét parental et familial »
    answer = client.get("/api/similar", query_string={"iri": iri, "limit": 5}).get_json()
    assert answer["query"]["exclude_departement"] == "26"
    assert answer["results"] and all(r["departement"]["code"] != "26" for r in answer["results"])


@pytest.mark.parametrize("params,message", [
    ({}, "either text"), ({"text": ""}, "empty text"), ({"text": "   "}, "empty text"),
    ({"text": "x" * 2001}, "longer than 2000"), ({"text": "a", "iri": "https://x"}, "either text"),
    ({"text": "a", "limit": "ten"}, "whole number"), ({"text": "a", "limit": "0"}, "between 1"),
    ({"text": "a", "exclude_departement": "20"}, "not a département code"),
    ({"text": "a", "theme": "handicap"}, "IRI of a theme"),
    ({"iri": "https://w3id.org/sdsf/id/action/none"}, "no plan element"),
])
def test_bad_input_is_400_with_a_json_message(client, params, message):
    response = client.get("/api/similar", query_string=params)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


@pytest.mark.parametrize("text", ['" } ; DROP ALL ; #', "😀\u202e\u0000", "<script>alert(1)</script>"])
def test_any_unicode_is_safe(client, text):
    response = client.get("/api/similar", query_string={"text": text})
    assert response.status_code == 200
    assert "<script>" not in response.get_data(as_text=True)  # JSON escapes nothing needed, but never HTML


def test_live_server_answers(servers):  # noqa: F811
    root = engine_server(servers, "oxigraph").root
    url = root + "/api/similar?" + urllib.parse.urlencode({"text": "RAM", "limit": 5})
    with urllib.request.urlopen(url, timeout=30) as reply:
        answer = json.load(reply)
    assert any("RPE" in r["label"] or "relais" in r["label"].lower() for r in answer["results"])
