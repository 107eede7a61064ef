"""Page layout shared by every blueprint: navigation, machine-readable twins and the security headers.

``render_page("x.html", title=…, twins=[…], **context)`` renders a Jinja template that extends
``base.html`` (autoescaped: literal text from the graph is always escaped) and answers it with a strict
Content-Security-Policy. Each page lists its machine-readable twins (JSON, Turtle, JSON-LD…) in the footer
and as ``<link rel="alternate">``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, render_template, request, url_for

#: Strict by default: nothing from another origin, no inline script. The SPARQL editor page widens
#: ``style-src`` for the styles its vendored library sets at run time (see web/sparql_editor).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")

NAVIGATION = (
    ("pages.home", "Carte et synthèse"),
    ("compare.compare", "Comparer"),
    ("sparql.endpoint", "Requêtes SPARQL"),
    ("similar.page", "Actions similaires"),
    ("ontology.page", "Ontologie"),
    ("downloads.page", "Téléchargements"),
)


@dataclass(frozen=True)
class Twin:
    href: str
    media_type: str
    label: str


def navigation() -> list[dict]:
    items = []
    for endpoint, label in NAVIGATION:
        try:
            href = url_for(endpoint)
        except Exception:  # a blueprint not registered (yet): leave the entry out
            continue
        items.append({"href": href, "label": label, "current": request.endpoint == endpoint})
    return items


def render_page(template: str, *, title: str, twins: list[Twin] | None = None, status: int = 200,
                csp: str = CSP, **context: object) -> Response:
    html = render_template(template, title=title, twins=twins or [], navigation=navigation(), **context)
    response = Response(html, status=status, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = csp
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Vary"] = "Accept"
    return response
