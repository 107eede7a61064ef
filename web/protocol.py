"""Reading a SPARQL 1.1 Protocol query operation from an HTTP request (no engine involved).

GET with ``query=``; POST ``application/x-www-form-urlencoded`` with ``query=``; POST
``application/sparql-query`` with the query as the UTF-8 body. ``default-graph-uri`` and ``named-graph-uri``
may be repeated (in the URL, or in the form); each must be a valid absolute IRI (RFC 3987, as the engines read
it: 400 otherwise), and the query with its graph IRIs is bounded by ``max_query_length`` (413). Any update
operation is refused (403): this endpoint is read-only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph
from flask import Request
from werkzeug.datastructures import MultiDict

from sdsf_graph.gate import READ_ONLY

from .errors import HTTPError, shown

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
UPDATE_PARAMS = ("update", "using-graph-uri", "using-named-graph-uri")
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^<>\"{}|^`\\\x00-\x20]*")


@dataclass(frozen=True)
class Operation:
    query: str | None  # None: no query, the client asks for the service description
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    formats: tuple[str, ...] = field(default_factory=tuple)  # the format= values, in order


def _charset_is_utf8(request: Request) -> bool:
    return request.mimetype_params.get("charset", "utf-8").lower().replace("_", "-") in ("utf-8", "utf8")


def _body_query(request: Request, max_length: int) -> str:
    if request.content_length is not None and request.content_length > max_length:
        raise HTTPError(413, f"the query is {request.content_length} bytes long; the limit is {max_length}")
    body = request.get_data(cache=False)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPError(400, "the query is not valid UTF-8") from None


def _params(request: Request, max_length: int) -> tuple[MultiDict[str, str], str | None]:
    """The protocol parameters, and the query when it is the body of the request."""
    if request.method != "POST":
        return MultiDict(request.args), None
    if request.mimetype == SPARQL_UPDATE:
        raise HTTPError(403, READ_ONLY)
    if request.mimetype not in (FORM, SPARQL_QUERY):
        shown = request.mimetype or "no media type"
        raise HTTPError(415, f"POST a query as {FORM} (query=…) or as {SPARQL_QUERY}, not {shown}")
    if not _charset_is_utf8(request):
        raise HTTPError(415, f"queries are UTF-8, not {request.mimetype_params['charset']}")
    if request.mimetype == FORM:
        params = MultiDict(request.args)
        for key, values in request.form.lists():
            params.setlist(key, params.getlist(key) + values)
        return params, None
    return MultiDict(request.args), _body_query(request, max_length)


def _iris(params: MultiDict[str, str], name: str, max_length: int) -> tuple[str, ...]:
    """The values of ``default-graph-uri`` or ``named-graph-uri``: absolute IRIs that every engine can read (the
    IRI parser of pyoxigraph, RFC 3987: ``a:%zz`` or ``http://[::1`` are refused here, never by an engine)."""
    values = tuple(params.getlist(name))
    for value in values:
        size = len(value.encode("utf-8"))
        if size > max_length:
            raise HTTPError(413, f"a {name} is {size} bytes long; the limit is {max_length}")
        if not _ABSOLUTE_IRI.fullmatch(value):
            raise HTTPError(400, f"{name} must be an absolute IRI, not {shown(value)}")
        try:
            pyoxigraph.NamedNode(value)
        except ValueError as exc:
            raise HTTPError(400, f"{name} is not a valid IRI ({exc}): {shown(value)}") from None
    return values


def _bounded(query: str | None, graphs: tuple[str, ...], max_length: int) -> None:
    """The query and its graph IRIs together within ``max_length`` bytes (a query alone: the gate says it)."""
    if not graphs:
        return
    size = len((query or "").encode("utf-8")) + sum(len(g.encode("utf-8")) for g in graphs)
    if size > max_length:
        raise HTTPError(413, f"the query and its {len(graphs)} graph IRIs are {size} bytes long; the limit is "
                             f"{max_length}")


def read_operation(request: Request, max_length: int) -> Operation:
    """The query operation a request asks for; raises HTTPError (4xx) when it is not a valid one."""
    params, body = _params(request, max_length)
    if any(name in params for name in UPDATE_PARAMS):
        raise HTTPError(403, READ_ONLY)
    queries = params.getlist("query")
    if body is not None:
        if queries:
            raise HTTPError(400, f"a {SPARQL_QUERY} request carries its query in the body, not in a query= parameter")
        queries = [body]
    if len(queries) > 1:
        raise HTTPError(400, f"one query per request, not {len(queries)}")
    if not queries and request.method == "POST":
        raise HTTPError(400, "no query: give it as query=… (form) or as the body (application/sparql-query)")
    if queries and not queries[0].strip():
        raise HTTPError(400, "the query is empty")
    query = queries[0] if queries else None
    default_graphs = _iris(params, "default-graph-uri", max_length)
    named_graphs = _iris(params, "named-graph-uri", max_length)
    _bounded(query, default_graphs + named_graphs, max_length)
    return Operation(query, default_graphs, named_graphs, tuple(params.getlist("format")))
