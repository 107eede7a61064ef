"""The pages' SPARQL: the shared named queries (``sdsf_graph/queries/*.rq``), run by the query worker pool.

Pages run the same ``.rq`` files as the CLI and the tests, through the same worker processes (and time limit)
as ``/sparql``; parameters are bound as RDF terms, never pasted into the text. Queries name IRIs under the
default base; a deployment with another ``base_iri`` gets them rebased, as ``sdsf query`` does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from rdflib import Graph
from rdflib.term import Identifier

from sdsf_graph.namespaces import DEFAULT_BASE, GRAPH
from sdsf_graph.query import NamedQuery, named_queries
from sdsf_graph.query_worker import QueryJob
from sdsf_graph.settings import Settings
from sdsf_graph.store import QueryResult

from . import artifact, pool, result_cache
from .sparql import SETTINGS_KEY

PAGE_ROWS = 50000  # the pages' own queries are bounded by the data, not by the endpoint's max_rows
_QUERIES = named_queries()
_LOAD_LOCK = threading.Lock()
T = TypeVar("T")


def settings() -> Settings:
    found: Settings = current_app.config[SETTINGS_KEY]
    return found


def base_iri() -> str:
    return str(settings().base_iri)


def rebase(iri: str) -> str:
    """An IRI written under the default base, moved to this deployment's base."""
    base = base_iri()
    return base + iri.removeprefix(DEFAULT_BASE) if iri.startswith(DEFAULT_BASE) else iri


def default_values(query: NamedQuery) -> dict[str, str]:
    """The query's default parameter values, IRIs moved to this deployment's base; optional ones left out."""
    return {p.name: rebase(p.default) if p.type == "iri" else p.default
            for p in query.params if p.default is not None}


def run(name: str, **params: str) -> QueryResult:
    """Run the named query ``name`` with ``params`` (raw values, checked and bound by the query's header)."""
    query = _QUERIES[name]
    base = base_iri()
    text = query.text if base == DEFAULT_BASE else query.text.replace("<" + DEFAULT_BASE, "<" + base)
    bindings: dict[str, Identifier] = query.bindings({**default_values(query), **params})
    key = ("named", artifact.current().version, name, base, tuple(sorted((k, v.n3()) for k, v in bindings.items())))
    cache = result_cache.current()
    result: QueryResult | None = cache.get(key)
    if result is None:
        ran = pool.current().run(QueryJob(text, None, PAGE_ROWS, base, bindings))
        assert isinstance(ran, QueryResult)  # no serialiser asked: the rows themselves
        result = ran
        size = 200 + sum(80 + sum(len(v) for v in row.values()) for row in result.rows) + 200 * len(result.triples)
        cache.put(key, result, size)
    return result


def rows(name: str, **params: str) -> list[dict[str, Identifier]]:
    return run(name, **params).rows


def loaded_once(key: str, load: Callable[[], T]) -> T:
    """``app.extensions[key]``, made by ``load()`` on first use, once even when requests arrive together."""
    found: T | None = current_app.extensions.get(key)
    if found is None:
        with _LOAD_LOCK:
            found = current_app.extensions.get(key)
            if found is None:
                found = current_app.extensions[key] = load()
    return found


def source_graph(name: str) -> Graph:
    """One source file's named graph (``ontology/sdsf``, ``ontology/thesaurus``…) read from the store."""
    graph = Graph()
    for row in rows("graph-triples", graph=rebase(str(GRAPH[name]))):
        graph.add((row["s"], row["p"], row["o"]))
    return graph
