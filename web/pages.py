"""The ``pages`` blueprint: the pages people read (for now a home page and the endpoint's placeholder)."""

from __future__ import annotations

from html import escape

from flask import Blueprint, Response, url_for

bp = Blueprint("pages", __name__)

_PAGE = """<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body>
<main>
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"""


def page(title: str, body: str) -> str:
    """A whole page; ``body`` is HTML the caller built with every outside value escaped."""
    return _PAGE.format(title=escape(title), body=body)


def sparql_placeholder(endpoint: str) -> str:
    url = escape(endpoint)
    example = escape(endpoint + "?query=ASK%20%7B%7D")
    return page("SDSF Graph — point d'accès SPARQL", f"""
<p>Ce point d'accès SPARQL 1.1 (lecture seule) répond aux requêtes envoyées à <code>{url}</code>
par <code>GET ?query=…</code> ou par <code>POST</code>. L'éditeur de requêtes arrive bientôt.</p>
<p lang="en">This read-only SPARQL 1.1 endpoint answers queries sent to <code>{url}</code>; the query editor
comes later. Example: <a href="{example}">{example}</a>. RDF clients asking for Turtle, N-Triples, JSON-LD or
RDF/XML get its service description here.</p>""")


@bp.route("/")
def home() -> Response:
    endpoint = escape(url_for("sparql.endpoint"))
    body = (f'<p>Le graphe des schémas départementaux des services aux familles. '
            f'Point d\'accès SPARQL : <a href="{endpoint}">{endpoint}</a>.</p>')
    return Response(page("SDSF Graph", body), content_type="text/html; charset=utf-8")
