"""The ``api`` blueprint: JSON answers for programs — ``/api/similar`` (similar plan elements elsewhere).

    GET /api/similar?text=…&limit=10[&exclude_departement=CODE][&theme=IRI]
    GET /api/similar?iri=<plan element IRI>&limit=10      (leaves out the element's own département)

The text is compared with the search index built with the graph; it never enters a SPARQL query. Like
``/sparql``, ``/api/`` is open to other sites (CORS, set in web/headers.py for both).
"""

from __future__ import annotations

import json
import re

from flask import Blueprint, Flask, Response, current_app, request

from sdsf_graph.errors import ArtifactMissing, QueryError
from sdsf_graph.search import MAX_TEXT, SimilarityIndex, load_index
from sdsf_graph.settings import Settings

from .errors import HTTPError, shown
from .pagekit import whole_number

bp = Blueprint("api", __name__, url_prefix="/api")
KEY = "sdsf_search_index"
MAX_LIMIT = 100
DEPARTEMENT_CODE = re.compile(r"^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-46])\Z")  # \Z: no trailing \n


def init_app(app: Flask, settings: Settings) -> None:
    """Opens the index built with the graph; an artifact without one (older build) serves no search (503).

    The index's arrays are memory-mapped (``sdsf_graph.search``): opening it reads a small JSON file, a query
    reads only the postings of its terms, and the server's processes share the pages the system caches.
    """
    try:
        app.extensions[KEY] = load_index(settings.build_path)
    except ArtifactMissing:
        app.extensions[KEY] = None
    app.register_error_handler(SearchUnavailable, _unavailable)
    app.register_blueprint(bp)


def _unavailable(exc: Exception) -> Response:
    response = Response(f"{exc}\n", status=503, content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


def current_index() -> SimilarityIndex:
    index: SimilarityIndex | None = current_app.extensions[KEY]
    if index is None:
        raise SearchUnavailable("no search index in the built artifact: run `sdsf build` again")
    return index


class SearchUnavailable(Exception):
    """The artifact has no search index."""


def json_response(payload: dict, status: int = 200) -> Response:
    # <, > and & escaped as \u003c…: the JSON stays inert even if a browser were to sniff it as HTML.
    text = json.dumps(payload, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace(
        "&", "\\u0026")
    response = Response(text, status=status,
                        content_type="application/json; charset=utf-8")
    response.headers["Cache-Control"] = "no-store" if status >= 400 else "public, max-age=60"
    return response


def bad_request(message: str) -> Response:
    return json_response({"error": message}, 400)


def similar_arguments() -> dict:
    """The request's parameters, checked; raises QueryError with a message for a person."""
    args = request.args
    text, iri = args.get("text"), args.get("iri")
    if (text is None) == (iri is None):
        raise QueryError("give either text=… or iri=… (one of them)")
    if text is not None and not text.strip():
        raise QueryError("empty text")
    if text is not None and len(text) > MAX_TEXT:
        raise QueryError(f"text longer than {MAX_TEXT} characters")
    try:
        limit = whole_number(args.get("limit", "10"), "limit", 1, MAX_LIMIT)
    except HTTPError as exc:
        raise QueryError(str(exc)) from None
    exclude = args.get("exclude_departement") or None
    if exclude is not None and not DEPARTEMENT_CODE.match(exclude):
        raise QueryError(f"exclude_departement: {shown(exclude)} is not a département code")
    theme = args.get("theme") or None
    if theme is not None and not theme.startswith(("http://", "https://")):
        raise QueryError("theme must be the IRI of a theme")
    return {"text": text, "iri": iri, "limit": limit, "exclude_departement": exclude, "theme": theme}


@bp.route("/similar")
def similar() -> Response:
    try:
        answer = current_index().similar(**similar_arguments())
    except QueryError as exc:
        return bad_request(str(exc))
    except SearchUnavailable as exc:
        return json_response({"error": str(exc)}, 503)
    return json_response(answer)  # open to other sites, as /sparql is: web/headers.py
