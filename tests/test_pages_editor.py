"""The SPARQL editor at /sparql for browsers (in process): YASGUI bound to this endpoint, the project's prefixes,
the shared queries as examples that run as they are, a CSP that lets the editor work without inline script, and
RDF and SPARQL clients still answered as before."""

from __future__ import annotations

import json
import re

from rdflib import Graph

from sdsf_graph.namespaces import PREFIXES
from sdsf_graph.query import named_queries, run_query
from web.sparql_editor import editor_text

from .conftest import ROOT
from .test_endpoint import BROWSER

EDITOR_JS = ROOT / "web" / "static" / "js" / "sparql-editor.js"


def editor(client):
    response = client.get("/sparql", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    return response


def test_browsers_get_yasgui_bound_to_this_endpoint(client):
    html = editor(client).text
    for src in ("/static/vendor/yasgui-4.2.28/yasgui.min.js", "/static/js/sparql-editor.js"):
        assert f'<script src="{src}" defer></script>' in html
    assert '<link rel="stylesheet" href="/static/vendor/yasgui-4.2.28/yasgui.min.css">' in html
    block = re.search(r'<script type="application/json" id="editor-config">(.*?)</script>', html, re.S)
    assert block
    config = json.loads(block.group(1))
    assert config["endpoint"] == "http://localhost/sparql" and config["prefixes"] == PREFIXES
    assert all(f"PREFIX {p}: <{iri}>" in config["query"] for p, iri in PREFIXES.items())
    # every other <script> has a src: no inline script
    assert all("src=" in tag or "application/json" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert '<html lang="fr">' in html and html.count("<h1>") == 1


def test_the_csp_widens_style_src_on_this_page_only(client):
    csp = editor(client).headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert directives["script-src"] == "'self'" and directives["connect-src"] == "'self'"
    assert "unsafe-inline" not in client.get("/").headers["Content-Security-Policy"]


def test_the_shared_queries_are_offered_as_described_examples(client):
    html = editor(client).text
    for name, query in named_queries().items():
        item = re.search(rf'<li id="exemple-{re.escape(name)}">(.*?)</li>\s*(?:<li id|</ol>)', html, re.S)
        assert item, name
        assert f"<h3>{query.title.replace(chr(39), '&#39;')}</h3>" in item.group(1), name
        assert f'data-example="{name}"' in item.group(1) and f'<pre id="rq-{name}">' in item.group(1)


def test_the_script_turns_off_what_calls_other_origins():
    script = EDITOR_JS.read_text(encoding="utf-8")
    assert 'forkAutocompleter("prefixes"' in script and '"sdsf-prefixes", "variables"' in script
    assert "corsProxy: undefined" in script and "endpointCatalogueOptions" in script
    assert not re.search(r"https?://", script)


def test_every_example_runs_as_it_is_and_answers_like_the_named_query(app, engine):
    with app.app_context():
        for name, query in named_queries().items():
            text = editor_text(query)
            ran, expected = engine.query(text), run_query(engine, query)
            assert ran.kind == expected.kind == "select", name
            columns = expected.variables

            def key(rows, columns=columns):
                return sorted(tuple(str(r.get(c)) for c in columns) for r in rows)

            assert key(ran.rows) == key(expected.rows), name
            if any(p.default is not None for p in query.params):
                assert "# Paramètres (valeurs par défaut" in text, name
            if any(p.default is None for p in query.params):
                assert "# Paramètres facultatifs" in text, name


def test_rdf_and_sparql_clients_are_answered_as_before(client):
    description = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert description.mimetype == "text/turtle" and len(Graph().parse(data=description.text, format="turtle"))
    answer = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": BROWSER})
    assert answer.status_code == 200 and answer.mimetype.startswith("application/sparql-results")
