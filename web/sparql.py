"""The ``/sparql`` blueprint: the SPARQL 1.1 Protocol query operation, read-only.

request -> protocol (what is asked) -> gate, in a query process (may it run?) -> negotiation (in what format?) ->
ETag (already known to the client?) -> worker pool (run it, within the time limit and the row cap) -> serialiser.
Without a query, RDF clients get the service description and browsers a page. CORS headers: web/headers.py.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict

from flask import Blueprint, Response, current_app, request

from sdsf_graph.gate import CheckedQuery, GateJob
from sdsf_graph.query_worker import QueryJob, SerialisedResult
from sdsf_graph.settings import Settings
from sdsf_graph.store import QueryDataset

from . import artifact, fairness, pool, result_cache
from .errors import HTTPError
from .negotiation import GRAPH, TABLES, TABULAR, Format, negotiate, offered
from .protocol import Operation, read_operation
from .service import describe
from .sparql_editor import editor_page

bp = Blueprint("sparql", __name__)

SETTINGS_KEY = "SDSF_SETTINGS"
EXPOSED_HEADERS = "ETag, Retry-After, X-Result-Truncated, X-Result-Limit, X-Result-Limit-Bytes"
HTML = Format("text/html", ("html",), lambda result: "")
#: Verdicts of the gate kept per server process: queries up to VERDICT_TEXT_MAX characters, the VERDICT_COUNT last.
VERDICT_TEXT_MAX, VERDICT_COUNT = 8192, 512
_VERDICTS: OrderedDict[tuple[str, str, str, int, int, int], CheckedQuery] = OrderedDict()
_VERDICTS_LOCK = threading.Lock()


def _settings() -> Settings:
    settings: Settings = current_app.config[SETTINGS_KEY]
    return settings


def _checked(text: str, settings: Settings) -> CheckedQuery:
    """The gate's verdict: read in a query process (bounded in time, memory and network), remembered for short
    queries (the same query asked again, in another format or by another client, is not parsed twice)."""
    version = artifact.current().version
    key = (version, text, settings.base_iri, settings.max_query_length, settings.max_query_depth,
           settings.max_query_terms)
    with _VERDICTS_LOCK:
        known = _VERDICTS.get(key)
        if known is not None:
            _VERDICTS.move_to_end(key)
            return known
    job = GateJob(text, artifact.current().graph_names, settings.max_query_length,
                  settings.max_query_depth, settings.base_iri, settings.max_query_terms)
    with fairness.query_slot():  # reading a query takes a query process too
        checked = pool.current().check(job)
    if len(text) <= VERDICT_TEXT_MAX:
        with _VERDICTS_LOCK:
            _VERDICTS[key] = checked
            while len(_VERDICTS) > VERDICT_COUNT:
                _VERDICTS.popitem(last=False)
    return checked


def _choose(kind: str, operation: Operation) -> Format:
    formats = TABLES[kind]
    fmt = negotiate(formats, request.headers.get("Accept"), operation.formats)
    if fmt is None:
        raise HTTPError(406, f"no acceptable format for a {kind.upper()} answer; this endpoint offers "
                             f"{offered(formats)}")
    return fmt


def _dataset(operation: Operation, from_graphs: tuple[str, ...], from_named: tuple[str, ...]) -> QueryDataset | None:
    """The protocol's graphs win over the query's FROM / FROM NAMED; neither means the whole store."""
    if operation.default_graphs or operation.named_graphs:
        return QueryDataset(operation.default_graphs, operation.named_graphs)
    if from_graphs or from_named:
        return QueryDataset(from_graphs, from_named)
    return None


def _etag(operation: Operation, fmt: Format, settings: Settings) -> str:
    key = [artifact.current().version, settings.engine, operation.query, operation.default_graphs,
           operation.named_graphs, fmt.media_type, settings.max_rows, settings.max_answer_bytes]
    return hashlib.sha256(json.dumps(key).encode("utf-8")).hexdigest()[:32]


def _cacheable(response: Response, tag: str, settings: Settings) -> Response:
    response.set_etag(tag, weak=True)
    response.headers["Cache-Control"] = (f"public, max-age={settings.cache_max_age}" if settings.cache_max_age
                                         else "no-cache")
    response.vary.add("Accept")
    return response


def _service_description(operation: Operation) -> Response:
    fmt = negotiate((*GRAPH, HTML), request.headers.get("Accept"), operation.formats)
    if fmt is None:
        raise HTTPError(406, f"the service description is offered as {offered((*GRAPH, HTML))}")
    if fmt is HTML:
        return editor_page(request.base_url)
    graph = describe(request.base_url, artifact.current(), _settings())
    response = Response(graph.serialize(format=fmt.rdflib_format), content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def _preflight() -> Response:
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type, If-None-Match"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def endpoint() -> Response:
    if request.method == "OPTIONS":
        return _preflight()
    settings = _settings()
    operation = read_operation(request, settings.max_query_length)
    if operation.query is None:
        return _service_description(operation)
    checked = _checked(operation.query, settings)
    fmt = _choose(checked.form, operation)  # the form as the gate's parser reads it, never a guess from words
    tag = _etag(operation, fmt, settings)
    if request.if_none_match.contains_weak(tag):
        return _cacheable(Response(status=304), tag, settings)
    cache = result_cache.current()
    kept = cache.get(tag)
    if kept is None:
        dataset = _dataset(operation, checked.from_graphs, checked.from_named)
        # The worker serialises the answer in the negotiated format; the other kind's serialiser goes along in case
        # the engine reads the form otherwise than the gate's parser (it then comes back as rows, refused below).
        accept = request.headers.get("Accept")
        serialisers = {kind: chosen.serialise for kind, formats in (("table", TABULAR), ("graph", GRAPH))
                       if (chosen := negotiate(formats, accept, operation.formats))}
        job = QueryJob(operation.query, dataset, settings.max_rows, settings.base_iri, serialisers=serialisers)
        with fairness.query_slot():  # one of this process's query workers, shared fairly between clients
            result = pool.current().run(job)
        if TABLES[result.kind] is not TABLES[checked.form]:  # the answer is cached under its own format's key
            fmt = _choose(result.kind, operation)
            tag = _etag(operation, fmt, settings)
        body = result.body if isinstance(result, SerialisedResult) else fmt.serialise(result)
        body_bytes = body.encode("utf-8")
        kept = (body_bytes, fmt.content_type, result.truncated)
        cache.put(tag, kept, len(body_bytes))
    body_bytes, content_type, truncated = kept
    response = Response(body_bytes, content_type=content_type)
    if truncated:
        response.headers["X-Result-Truncated"] = "true"
        response.headers["X-Result-Limit"] = str(settings.max_rows)
        response.headers["X-Result-Limit-Bytes"] = str(settings.max_answer_bytes)  # the other bound
    return _cacheable(response, tag, settings)
