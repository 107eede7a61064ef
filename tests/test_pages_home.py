"""The home page (in process): French semantic HTML, the map of the 101 départements coloured on the server by
the chosen measure, key figures, links, its JSON twin, bad parameters, escaping of the graph's text."""

from __future__ import annotations

import re

import pytest

from web import create_app, named

from .test_endpoint import BROWSER


def path_class(html: str, code: str) -> str:
    match = re.search(rf'<path id="dep-{code}" data-code="{code}" class="([^"]+)"', html)
    assert match, code
    return match.group(1)


def test_home_is_a_french_page_with_the_map_of_all_101_departements(client):
    response = client.get("/", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.text
    assert '<html lang="fr">' in html and "<header" in html and "<nav" in html and "<main" in html
    assert html.count("<h1>") == 1 and "<caption>" in html and '<th scope="col">' in html
    codes = re.findall(r'<path id="dep-(\w+)" data-code="(\w+)"', html)
    assert len(codes) == 101 and all(a == b for a, b in codes)
    assert {"01", "2A", "2B", "26", "95", "971", "972", "973", "974", "976"} <= {a for a, _ in codes}
    assert len(re.findall(r'class="dep [^"]* inset"', html)) == 5
    for label in ("Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte"):
        assert f">{label}<tspan" in html  # the insets are labelled
    assert '<a href="/id/departement/26">' in html and "<title>Drôme (26)" in html
    assert 'href="/id/scheme/26-2020-2024"' in html and 'href="/id/theme/parentalite"' in html
    for href in ('href="/compare"', 'href="/sparql"', 'href="/downloads"'):
        assert href in html
    # no inline script, no external resource, strict CSP
    assert all('src="/static/' in tag for tag in re.findall(r"<script[^>]*>", html))
    assert "http://" not in re.sub(r'xmlns="[^"]+"', "", html).replace("http://localhost", "")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_the_measure_is_chosen_with_a_plain_get_form(client):
    html = client.get("/").text
    form = re.search(r'<form class="inline map-choice" method="get" action="/">(.*?)</form>', html, re.S)
    assert form
    for name in ("measure", "year", "theme"):
        assert f'name="{name}"' in form.group(1)
    assert '<button type="submit">' in form.group(1)


@pytest.mark.parametrize("query,expected", [
    ("measure=schemes", {"26": "m-yes", "92": "m-yes", "01": "m-none", "971": "m-none"}),
    ("measure=in-force&year=2018", {"40": "m-yes", "68": "m-yes", "26": "m-yes", "92": "m-partial", "01": "m-none"}),
    ("measure=in-force&year=2025", {"92": "m-yes", "52": "m-yes", "40": "m-partial", "68": "m-partial"}),
    ("measure=theme&theme=parentalite", {"26": "m-yes", "92": "m-yes", "01": "m-none"}),
    ("measure=actions", {"26": "heat-8", "40": "heat-4", "92": "heat-4", "52": "heat-0", "01": "m-none"}),
])
def test_the_map_is_coloured_on_the_server_by_the_measure(client, query, expected):
    html = client.get("/?" + query).text
    for code, cls in expected.items():
        assert cls in path_class(html, code).split(), (code, path_class(html, code))
    legend = re.search(r'<ul class="legend".*?</ul>', html, re.S)
    assert legend
    for cls in set(expected.values()):
        assert f'class="swatch {cls}"' in legend.group(0)


def test_the_json_twin_has_the_same_figures(client, app):
    page = client.get("/?measure=actions&year=2020&theme=handicap")
    twin = client.get("/index.json?measure=actions&year=2020&theme=handicap")
    by_format = client.get("/?measure=actions&year=2020&theme=handicap&format=json")
    by_accept = client.get("/?measure=actions&year=2020&theme=handicap", headers={"Accept": "application/json"})
    assert twin.status_code == 200 and twin.mimetype == "application/json"
    data = twin.get_json()
    assert by_format.get_json() == data == by_accept.get_json()
    assert 'href="/index.json?measure=actions&amp;year=2020&amp;theme=handicap"' in page.text
    assert data["measure"] == "actions" and data["year"] == 2020 and data["theme"]["name"] == "handicap"
    assert data["counts"] == {"schemes": 6, "departements": 5, "actions": 114, "subActions": 57, "signatories": 15}
    for figure in data["counts"].values():
        assert f"<dd>{figure}" in page.text
    assert len(data["departements"]) == 101
    drome = next(d for d in data["departements"] if d["code"] == "26")
    assert drome == {**drome, "schemes": 2, "inForce": True, "coversTheme": True, "actions": 76,
                     "href": "/id/departement/26", "class": "heat-8"}
    assert [s["href"] for s in data["schemes"]][:2] == ["/id/scheme/26-2016-2019", "/id/scheme/26-2020-2024"]
    assert data["data_version"] == app.extensions["sdsf_artifact"].version


@pytest.mark.parametrize("query,message", [
    ("measure=nombre", "mesure inconnue"), ("year=deux-mille", "année invalide"), ("year=3000", "année invalide"),
    ("theme=inconnu", "thème inconnu"), ("format=xml", "format=xml"),
])
def test_bad_parameters_get_400_and_a_message(client, query, message):
    for url in ("/?" + query, "/index.json?" + query):
        if url.startswith("/index.json?format"):
            continue
        response = client.get(url)
        assert response.status_code == 400 and message in response.text, url


def test_text_from_the_graph_is_escaped(built_settings, monkeypatch):
    # An application without the result cache: the page must be rendered from the tampered rows.
    app = create_app({"build_dir": str(built_settings.build_path), "rate_limit": 0, "result_cache_size": 0})
    client = app.test_client()
    real = named.rows

    def tampered(name, **params):
        rows = real(name, **params)
        if name == "departement-map":
            from rdflib import Literal
            rows = [{**r, "label": Literal("<b>Drôme</b> & co")} if str(r["code"]) == "26" else r for r in rows]
        return rows

    monkeypatch.setattr(named, "rows", tampered)
    try:
        html = client.get("/").text
    finally:
        app.extensions["sdsf_pool"].close()
    assert "<b>Drôme</b>" not in html and "&lt;b&gt;Drôme&lt;/b&gt; &amp; co" in html
