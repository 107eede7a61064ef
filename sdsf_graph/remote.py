"""The remote engine: any SPARQL 1.1 store reached over HTTP with SPARQLWrapper (``engine = remote``).

The store holds the built graph (e.g. Virtuoso loaded by ``scripts/virtuoso/virtuoso.sh``); the local artifact's
manifest says which graphs are ours. Every query passes the same gate as the local engines (:mod:`.gate`)
before anything is sent, and is then sent with an explicit dataset, because a store's default graph may be
anything (Virtuoso's is every graph it holds, its system graphs included):

* no dataset asked: the built graphs, as ``default-graph-uri`` and ``named-graph-uri`` (pyoxigraph's union);
* a dataset asked (protocol parameters or the query's FROM): its graphs that are ours, as those parameters; the
  query's FROM clauses are taken out of the text (Virtuoso would merge them with the parameters), and a
  ``GRAPH <iri>`` naming a graph outside the dataset is pointed at an empty named graph (Virtuoso 7.2 would
  match it once, with nothing bound);
* bindings (the pages' parameters) become a ``VALUES`` block opening the outer WHERE group, each term written
  by :func:`sparql_term` (escaped, IRIs checked), never pasted from raw text.

An answer the store says is partial is never passed off as complete: cut at the store's time limit (HTTP 206, or
``X-SQL-State`` on a 200) is a 503 like our own time limit; cut at its row cap (``X-SPARQL-MaxRows``) is
``truncated``. The whole exchange must end within ``time_limit`` seconds (503 otherwise); a store that cannot be
reached, or fails, is a 502. These come as :class:`RemoteError` (with the HTTP status to answer).
"""

from __future__ import annotations

import ast
import http.client
import json
import logging
import math
import queue
import re
import sys
import threading
import urllib.error
from collections.abc import Sequence
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Identifier
from SPARQLWrapper import POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from .errors import QueryError, SDSFError
from .gate import DEFAULT_MAX_TERMS, check_query
from .remote_text import EMPTY_GRAPH, bind_values, iri_ref, scoped_text, sparql_term
from .store import QueryDataset, QueryResult, _capped

__all__ = ["EMPTY_GRAPH", "RemoteEngine", "RemoteError", "bind_values", "sparql_term"]

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
MAX_ANSWER_BYTES = 256 * 2**20
log = logging.getLogger("sdsf.remote")

_GRAPH_FORMATS = {"application/n-triples": "nt", "text/plain": "nt", "text/turtle": "turtle",
                  "application/rdf+xml": "xml", "application/ld+json": "json-ld"}
_ACCEPT_TABLE = "application/sparql-results+json"
_ACCEPT_GRAPH = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"


class RemoteError(SDSFError):
    """The store did not give a whole answer: ``status`` is the HTTP status to answer (502, 503)."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.retry_after = status, retry_after


# ---- reading answers -----------------------------------------------------------------------------------


def _term(cell: dict[str, str]) -> Identifier:
    if cell["type"] == "uri":
        return URIRef(cell["value"])
    if cell["type"] == "bnode":  # Virtuoso's "nodeID://b1234" is no valid blank node label
        return BNode("r" + re.sub(r"[^A-Za-z0-9]", "", cell["value"]))
    if "xml:lang" in cell:
        return Literal(cell["value"], lang=cell["xml:lang"])
    # A simple literal is an xsd:string (RDF 1.1), written out as pyoxigraph's answers have it.
    return Literal(cell["value"], datatype=URIRef(cell.get("datatype", XSD_STRING)))


def _store_message(exc: BaseException) -> str:
    """What the store said (SPARQLWrapper keeps the body only in its message), on one short line."""
    text = str(exc)
    if "Response:\n" in text:
        raw = text.split("Response:\n", 1)[1]
        try:
            body = ast.literal_eval(raw)
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        except (ValueError, SyntaxError):
            text = raw
    text = text.split("\n\nSPARQL query:", 1)[0]
    return " ".join(text.split())[:500]


def allow_dataset_headers(graphs: int) -> None:
    """Let http.client read the answer to a query sent with ``graphs`` dataset graphs.

    Virtuoso echoes each dataset graph as a response header (X-SPARQL-default-graph, -named-graph): a national
    graph's 265 graphs make 530 headers, over http.client's limit of 100 (which SPARQLWrapper's urllib uses).
    The limit is process-wide; it is only ever raised, to what the dataset needs.
    """
    http.client._MAXHEADERS = max(http.client._MAXHEADERS, 2 * graphs + 100)  # type: ignore[attr-defined]


class RemoteEngine:
    name = "remote"

    def __init__(self, url: str, graphs: Sequence[str], time_limit: float, max_length: int = 65536,
                 max_depth: int = 32, store_time_limit: float | None = None, max_terms: int = DEFAULT_MAX_TERMS):
        """``store_time_limit``: seconds the store is asked to stop after (Virtuoso's anytime ``timeout``);
        by default the time limit itself, so the store stops working when the answer is no longer awaited."""
        iri_ref(url)
        self.url, self.graphs, self.time_limit = url, sorted(graphs), time_limit
        self.max_length, self.max_depth, self.max_terms = max_length, max_depth, max_terms
        self.store_time_limit = store_time_limit or time_limit
        allow_dataset_headers(len(self.graphs))

    def query(self, text: str, bindings: dict[str, Identifier] | None = None, dataset: QueryDataset | None = None,
              max_rows: int | None = None, base_iri: str | None = None) -> QueryResult:
        base = base_iri or ""
        checked = check_query(text, self.graphs, self.max_length, self.max_depth, base, self.max_terms)
        if dataset is None and (checked.from_graphs or checked.from_named):
            dataset = QueryDataset(checked.from_graphs, checked.from_named)
        ours = set(self.graphs)
        if dataset is None:
            default, named = self.graphs, self.graphs
        else:  # only graphs of ours, and never an empty list (which would mean "everything" to the store)
            default = [g for g in dataset.default_graphs if g in ours] or [EMPTY_GRAPH]
            named = [g for g in dataset.named_graphs if g in ours]
        # The empty graph is always a named graph: Virtuoso matches GRAPH <iri> outside the named graphs once,
        # with nothing bound (ASK true, COUNT 1); GRAPH <the empty graph> matches nothing, as it should.
        named = [*named, EMPTY_GRAPH]
        sent = scoped_text(bind_values(text, bindings or {}), base, set(named))
        if base:
            sent = f"BASE {iri_ref(base)} {sent}"
        # what leaves passes the gate too
        check_query(sent, self.graphs, sys.maxsize, self.max_depth + 3, base, self.max_terms)
        status, headers, body = self._exchange(sent, checked.form, default, named)
        return self._result(status, headers, body, max_rows)

    def _client(self, text: str, form: str | None, default: list[str], named: list[str]) -> SPARQLWrapper:
        client = SPARQLWrapper(self.url)
        client.setMethod(POST)
        client.setOnlyConneg(True)
        client.setQuery(text)
        client.addCustomHttpHeader("Accept", _ACCEPT_GRAPH if form in ("construct", "describe") else _ACCEPT_TABLE)
        for graph in default:
            client.addDefaultGraph(graph)
        for graph in named:
            client.addNamedGraph(graph)
        # Virtuoso's "anytime" limit (ms), so the store stops working when we stop waiting; others ignore it.
        client.addParameter("timeout", str(max(1, int(self.store_time_limit * 1000))))
        client.setTimeout(math.ceil(self.time_limit) + 1)  # frees the exchange's thread after the deadline
        return client

    def _exchange(self, text: str, form: str | None, default: list[str],
                  named: list[str]) -> tuple[int, dict[str, str], bytes]:
        """Status, headers (lower-case names) and body, within the time limit (run in a thread of its own)."""
        client = self._client(text, form, default, named)
        box: queue.Queue[tuple[bool, Any]] = queue.Queue(1)

        def fetch() -> None:
            try:
                response = client.query().response
                body = response.read(MAX_ANSWER_BYTES + 1)
                box.put((True, (response.status, {k.lower(): v for k, v in response.headers.items()}, body)))
            except BaseException as exc:  # handed to the waiting thread
                box.put((False, exc))

        threading.Thread(target=fetch, name="sdsf-remote-query", daemon=True).start()
        try:
            done, value = box.get(timeout=self.time_limit)
        except queue.Empty:
            log.warning("remote query abandoned: it ran past the %g s time limit (%s)", self.time_limit, self.url)
            raise self._too_long() from None
        if not done:
            raise self._failure(value)
        if len(value[2]) > MAX_ANSWER_BYTES:
            raise RemoteError(502, f"the SPARQL store's answer is larger than {MAX_ANSWER_BYTES // 2**20} MB")
        return value

    def _too_long(self) -> RemoteError:
        return RemoteError(503, f"query stopped: it ran longer than the time limit of {self.time_limit:g} s "
                                "(narrow it down, add a LIMIT, or avoid unbounded joins)", retry_after=1)

    def _failure(self, exc: BaseException) -> Exception:
        """The error to raise for a failed exchange (QueryError: the query's fault; RemoteError: the store's)."""
        if isinstance(exc, QueryBadFormed):
            return QueryError(f"syntax error: {_store_message(exc)}")
        if isinstance(exc, SPARQLWrapperException | urllib.error.HTTPError):
            said = _store_message(exc)
            if "estimated execution time" in said.lower():
                return RemoteError(503, f"query refused by the SPARQL store: {said} (narrow it down or add a LIMIT)",
                                   retry_after=1)
            if "S1T00" in said or "timed out" in said.lower():
                return self._too_long()
            if " 37000 " in f" {said} ":  # Virtuoso's SQL state for a query it cannot compile
                return QueryError(f"syntax error: {said}")
            log.error("the SPARQL store at %s failed: %s", self.url, said)
            return RemoteError(502, f"the SPARQL store failed to answer: {said}")
        if isinstance(exc, TimeoutError):
            return self._too_long()
        if isinstance(exc, urllib.error.URLError | http.client.HTTPException | OSError):
            reason = getattr(exc, "reason", exc)
            log.error("the SPARQL store at %s cannot be reached: %s", self.url, reason)
            if isinstance(reason, TimeoutError):
                return self._too_long()
            return RemoteError(502, f"the SPARQL store cannot be reached ({reason}): retry later", retry_after=5)
        return exc if isinstance(exc, Exception) else RuntimeError(str(exc))

    def _result(self, status: int, headers: dict[str, str], body: bytes, max_rows: int | None) -> QueryResult:
        if status == 206 or "x-sql-state" in headers:
            said = headers.get("x-sql-message", "") or f"HTTP {status}"
            if status == 206 or headers.get("x-sql-state") == "S1TAT" or "timeout" in said.lower():
                log.warning("the SPARQL store cut an answer at its time limit: %s", said)
                raise self._too_long()
            raise RemoteError(502, f"the SPARQL store gave an incomplete answer: {said}")
        capped_by_store = "x-sparql-maxrows" in headers
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if media_type in ("application/sparql-results+json", "application/json"):
                answer = json.loads(body)
                if "boolean" in answer:
                    return QueryResult("ask", boolean=bool(answer["boolean"]))
                rows = [{k: _term(v) for k, v in b.items()} for b in answer["results"]["bindings"]]
                kept, truncated = _capped(rows, max_rows)
                return QueryResult("select", variables=list(answer["head"].get("vars", [])), rows=kept,
                                   truncated=truncated or capped_by_store)
            if media_type in _GRAPH_FORMATS:
                graph = Graph().parse(data=body, format=_GRAPH_FORMATS[media_type])
                triples, truncated = _capped(iter(graph), max_rows)
                return QueryResult("graph", triples=triples, truncated=truncated or capped_by_store)  # type: ignore
        except (ValueError, KeyError, TypeError, SyntaxError) as exc:
            raise RemoteError(502, f"the SPARQL store's answer cannot be read ({media_type}): {exc}") from None
        raise RemoteError(502, f"the SPARQL store answered in an unexpected format ({media_type or 'none'})")
