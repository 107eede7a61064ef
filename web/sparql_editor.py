"""The SPARQL query editor: what a browser gets at ``/sparql`` without a query (RDF clients get the service
description there, SPARQL clients their results — see web/sparql.py).

YASGUI (vendored in ``static/vendor/yasgui-4.2.28``) is bound to this endpoint, with the project's prefixes
preloaded and the shared ``.rq`` files offered as examples. Its start-up code is ``static/js/sparql-editor.js``;
the configuration comes in a ``<script type="application/json">`` block, never as inline script. The page's CSP
widens ``style-src`` only, for the styles YASGUI sets at run time; the features that would call other origins
(prefix.cc and LOV autocompletion, CORS proxy, endpoint catalogue) are turned off by that script. The endpoint's
URL is on the ``public_url`` setting; without it, on the request's root, and the page is then private (web/public).
"""

from __future__ import annotations

from flask import Response

from sdsf_graph.inline import inline_terms, written
from sdsf_graph.namespaces import DEFAULT_BASE, PREFIXES
from sdsf_graph.query import NamedQuery, named_queries

from . import named  # module import: web.named imports web.sparql, which imports this module
from .layout import CSP, render_page
from .public import rebased

EDITOR_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
DEFAULT_QUERY = """SELECT ?departement ?code ?nom WHERE {
  ?departement a igeo:Departement ;
               igeo:codeINSEE ?code ;
               skos:prefLabel ?nom .
}
ORDER BY ?code
LIMIT 20
"""
def editor_text(query: NamedQuery) -> str:
    """The query as it runs in the editor: its parameters' default values written in place of their variables
    (projected as ``(value AS ?name)``, dropped from GROUP BY), so the example runs as it is."""
    base = named.base_iri()
    text = query.text if base == DEFAULT_BASE else query.text.replace("<" + DEFAULT_BASE, "<" + base)
    optional = [p.name for p in query.params if p.default is None]
    notes = ["# Paramètres facultatifs, laissés libres (toutes les valeurs) : " + ", ".join("?" + n for n in optional)
             ] if optional else []
    if len(optional) == len(query.params):
        return _with_notes(text, notes)
    bound = query.bindings(named.default_values(query))  # an optional parameter stays a variable
    text = inline_terms(text, bound)
    values = ", ".join(f"{n} = {written(t)}" for n, t in bound.items())
    notes.insert(0, "# Paramètres (valeurs par défaut, à modifier) : " + values)
    return _with_notes(text, notes)


def _with_notes(text: str, notes: list[str]) -> str:
    header_end = _header_end(text)
    return text[:header_end] + "".join(note + "\n" for note in notes) + text[header_end:]


def _header_end(text: str) -> int:
    end = 0
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        end += len(line)
    return end


def examples() -> list[dict]:
    return [{"name": q.name, "title": q.title, "title_en": q.title_en, "description": q.description,
             "params": [{"name": p.name, "default": p.default} for p in q.params], "text": editor_text(q)}
            for q in named_queries().values()]


def editor_page(endpoint: str) -> Response:
    endpoint = rebased(endpoint)
    prefixes = {name: named.rebase(iri) for name, iri in PREFIXES.items()}
    declarations = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes.items())
    config = {"endpoint": endpoint, "prefixes": prefixes, "query": declarations + "\n" + DEFAULT_QUERY}
    return render_page("sparql_editor.html", title="Requêtes SPARQL", csp=EDITOR_CSP, endpoint=endpoint,
                       config=config, examples=examples())
