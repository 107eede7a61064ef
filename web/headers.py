"""What every answer carries, whatever made it (a view, an error handler, the page cache, a static file):

* ``X-Content-Type-Options: nosniff``: a browser reads a body as its declared type only (an error message
  that quotes a request's value is text/plain, never sniffed as HTML);
* a ``Content-Security-Policy``: the strict one of web/layout.py unless the view set its own (the editor's);
* CORS, in this one place: ``/sparql`` and ``/api/`` are read-only public APIs open to other sites
  (``Access-Control-Allow-Origin: *``, and the endpoint's headers exposed); no other route sends it.

And a request's URL is bounded as its body is: a path and query string longer than ``MAX_CONTENT_LENGTH``
(what a form-encoded query may take) get 414 before any view reads them.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from .errors import text_response
from .layout import CSP
from .sparql import EXPOSED_HEADERS

#: The routes open to other origins (path, or path prefix ending with "/").
OPEN_TO_OTHER_SITES = ("/sparql", "/api/")


def is_open(path: str) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in OPEN_TO_OTHER_SITES)


def _bounded_url() -> Response | None:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    size = len(request.path) + len(request.query_string)
    if size > limit:
        return text_response(414, f"the URL is {size} bytes long; the limit is {limit} (send a long query by "
                                  "POST)")
    return None


def _headers(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Content-Security-Policy", CSP)
    if is_open(request.path):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def init_app(app: Flask) -> None:
    app.before_request(_bounded_url)
    app.after_request(_headers)
