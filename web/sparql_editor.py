"""The SPARQL query editor: what a browser gets at ``/sparql`` without a query (RDF clients get the service
description there, SPARQL clients their results — see web/sparql.py).

YASGUI (vendored in ``static/vendor/yasgui-4.2.28``) is bound to this endpoint, with the project's prefixes
preloaded and the shared ``.rq`` files offered as examples. Its start-up code is ``static/js/sparql-editor.js``;
the configuration comes in a ``<script type="application/json">`` block, never as inline script. The page's CSP
widens ``style-src`` only, for the styles YASGUI sets at run time; the features that would call other origins
(prefix.cc and LOV autocompletion, CORS proxy, endpoint catalogue) are turned off by that script.
"""

from __future__ import annotations

import re

from flask import Response
from rdflib import XSD, Literal
from rdflib.term import Identifier

from sdsf_graph.namespaces import DEFAULT_BASE, PREFIXES
from sdsf_graph.query import NamedQuery, named_queries

from . import named  # module import: web.named imports web.sparql, which imports this module
from .layout import CSP, render_page

EDITOR_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
DEFAULT_QUERY = """SELECT ?departement ?code ?nom WHERE {
  ?departement a igeo:Departement ;
               igeo:codeINSEE ?code ;
               skos:prefLabel ?nom .
}
ORDER BY ?code
LIMIT 20
"""
_SELECT = re.compile(r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?", re.IGNORECASE)


def _projection_end(text: str, start: int) -> int:
    """Where the projection that starts at ``start`` ends: the WHERE keyword or the first ``{`` at depth 0."""
    depth = 0
    for i in range(start, len(text)):
        char = text[i]
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and (char == "{" or text[i:i + 5].upper() == "WHERE"):
            return i
    return len(text)


def _at_depth_zero(segment: str, variable: str, replacement: str) -> str:
    out, depth, i = [], 0, 0
    token = re.compile(re.escape(variable) + r"(?![\w])")
    while i < len(segment):
        char = segment[i]
        depth += {"(": 1, ")": -1}.get(char, 0)
        match = token.match(segment, i) if depth == 0 else None
        if match:
            out.append(replacement)
            i = match.end()
            continue
        out.append(char)
        i += 1
    return "".join(out)


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
    defaults = {p.name: named.rebase(p.default) if p.type == "iri" else p.default
                for p in query.params if p.default is not None}  # an optional parameter stays a variable
    terms = {name: _written(term) for name, term in query.bindings(defaults).items()}
    for name, term in terms.items():
        variable = "?" + name
        pieces, last = [], 0
        for match in _SELECT.finditer(text):
            end = _projection_end(text, match.end())
            pieces += [_substitute(text[last:match.end()], variable, term),
                       _at_depth_zero(text[match.end():end], variable, f"({term} AS {variable})")]
            last = end
        pieces.append(_substitute(text[last:], variable, term))
        text = "".join(pieces)
    values = ", ".join(f"{n} = {t}" for n, t in terms.items())
    notes.insert(0, "# Paramètres (valeurs par défaut, à modifier) : " + values)
    return _with_notes(text, notes)


def _with_notes(text: str, notes: list[str]) -> str:
    header_end = _header_end(text)
    return text[:header_end] + "".join(note + "\n" for note in notes) + text[header_end:]


def _written(term: Identifier) -> str:
    """A term as a person writes it in SPARQL (integers bare, the rest in N-Triples form)."""
    if isinstance(term, Literal) and term.datatype == XSD.integer:
        return str(term)
    return term.n3()


def _header_end(text: str) -> int:
    end = 0
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        end += len(line)
    return end


def _substitute(segment: str, variable: str, term: str) -> str:
    """Outside projections: dropped from GROUP BY, replaced by the value anywhere else (comments are left)."""
    lines = []
    for line in segment.splitlines(keepends=True):
        if line.startswith("#"):
            lines.append(line)
        elif line.lstrip().upper().startswith("GROUP BY"):
            lines.append(re.sub(r"\s" + re.escape(variable) + r"(?![\w])", "", line))
        else:
            lines.append(re.sub(re.escape(variable) + r"(?![\w])", lambda _: term, line))
    return "".join(lines)


def examples() -> list[dict]:
    return [{"name": q.name, "title": q.title, "title_en": q.title_en, "description": q.description,
             "params": [{"name": p.name, "default": p.default} for p in q.params], "text": editor_text(q)}
            for q in named_queries().values()]


def editor_page(endpoint: str) -> Response:
    prefixes = {name: named.rebase(iri) for name, iri in PREFIXES.items()}
    declarations = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes.items())
    config = {"endpoint": endpoint, "prefixes": prefixes, "query": declarations + "\n" + DEFAULT_QUERY}
    return render_page("sparql_editor.html", title="Requêtes SPARQL", csp=EDITOR_CSP, endpoint=endpoint,
                       config=config, examples=examples())
