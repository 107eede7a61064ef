"""Every error becomes a short plain-text answer with the right HTTP status; no traceback ever leaves.

A refused or failed query says why (400 with the parser's message, 403 for what a read-only endpoint does not
run, 413, 503 with the time limit…); anything unexpected is logged and answered 500 without details.
"""

from __future__ import annotations

from flask import Flask, Response, current_app
from werkzeug.exceptions import HTTPException

from sdsf_graph.errors import QueryError, SDSFError
from sdsf_graph.gate import QueryRefused


class HTTPError(SDSFError):
    """An answer other than success, decided by the endpoint (status, message, extra headers)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def shown(value: str, width: int = 60, quoted: bool = True) -> str:
    """A value from the request as an error message quotes it: ``repr`` (control characters escaped), cut to
    ``width`` characters; ``quoted=False`` leaves the quotes out. Error bodies are text/plain with ``nosniff``; a
    long value is never echoed whole."""
    text = repr(value[:width])
    text = text if len(value) <= width else text[:-1] + "…" + text[-1]
    return text if quoted else text[1:-1]


def text_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    response = Response(message.rstrip() + "\n", status=status, content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers or {})
    return response


def _http_exception(exc: HTTPException) -> Response:
    extra = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return text_response(exc.code or 500, f"{exc.code} {exc.name}: {exc.description}", extra)


def _http_error(exc: HTTPError) -> Response:
    return text_response(exc.status, str(exc), exc.headers)


def _refused(exc: QueryRefused) -> Response:
    return text_response(exc.status, str(exc))


def _query_error(exc: QueryError) -> Response:
    return text_response(400, str(exc))


def _unexpected(exc: Exception) -> Response:
    current_app.logger.exception("unexpected error while answering a request")
    return text_response(500, "internal error: the server could not answer this request (the error is logged)")


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_exception)
    app.register_error_handler(HTTPError, _http_error)
    app.register_error_handler(QueryRefused, _refused)
    app.register_error_handler(QueryError, _query_error)
    app.register_error_handler(Exception, _unexpected)
