"""Stage 4 — store: open the built artifact behind one small engine interface.

Two engines answer the same queries: pyoxigraph (fast, default for serving) and rdflib (reference); a third,
``remote`` (:mod:`.remote`), sends them to a SPARQL store holding the built graph.
Both query the union of the named graphs as their default graph, unless a query is given an explicit
:class:`QueryDataset` (the SPARQL protocol's default-graph-uri / named-graph-uri, or the query's FROM clauses):
then its default graph is the merge of the graphs it names, and only the graphs it names are visible to GRAPH.
A graph the store does not hold is empty; nothing is ever fetched. Results come back as rdflib terms, at most
``max_rows`` rows (or triples) when asked, with ``truncated`` set when more were available. ``base_iri``
resolves the query's relative IRIs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol, TypeVar

import pyoxigraph as ox
import rdflib.plugins.sparql
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Identifier, Variable

from .build import NQUADS, STORE, read_manifest
from .errors import ArtifactMissing, QueryError, SettingsError
from .settings import Settings
from .store_load import has_union_default_graph


@dataclass
class QueryResult:
    kind: str  # "select" | "ask" | "graph"
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Identifier]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[tuple[Identifier, Identifier, Identifier]] = field(default_factory=list)
    truncated: bool = False  # more rows (or triples) than ``max_rows`` were available


@dataclass(frozen=True)
class QueryDataset:
    """An explicit RDF dataset: the graphs merged into the default graph, and the named graphs."""

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


class Engine(Protocol):
    name: str

    def query(self, text: str, bindings: dict[str, Identifier] | None = None, dataset: QueryDataset | None = None,
              max_rows: int | None = None, base_iri: str | None = None) -> QueryResult: ...


T = TypeVar("T")


def _capped(items: Iterable[T], max_rows: int | None) -> tuple[list[T], bool]:
    """At most ``max_rows`` items (all when None), and whether more were available."""
    if max_rows is None:
        return list(items), False
    kept = list(islice(items, max_rows + 1))
    return kept[:max_rows], len(kept) > max_rows


def _to_rdflib(term: object) -> Identifier:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise QueryError(f"unsupported term {term!r}")


def _to_oxigraph(term: Identifier) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise QueryError(f"unsupported term {term!r}")


class OxigraphEngine:
    name = "oxigraph"

    def __init__(self, store_path: str):
        self.store = ox.Store.read_only(store_path)
        # The union of the named graphs, as the build wrote it (store_load), or computed at each lookup.
        self.union: dict[str, Any] = ({} if has_union_default_graph(self.store)
                                      else {"use_default_graph_as_union": True})

    def query(self, text: str, bindings: dict[str, Identifier] | None = None, dataset: QueryDataset | None = None,
              max_rows: int | None = None, base_iri: str | None = None) -> QueryResult:
        subs: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(k): _to_oxigraph(v) for k, v in (bindings or {}).items()}
        scope: dict[str, Any] = self.union
        if dataset is not None:  # explicit graphs override the union and the query's own FROM clauses
            scope = {"default_graph": [ox.NamedNode(g) for g in dataset.default_graphs],
                     "named_graphs": [ox.NamedNode(g) for g in dataset.named_graphs]}
        try:
            answer = self.store.query(text, base_iri=base_iri, substitutions=subs or None, **scope)
        except SyntaxError as exc:
            raise QueryError(f"syntax error: {exc}") from None
        except OSError as exc:
            raise QueryError(f"query failed: {exc}") from None
        if isinstance(answer, ox.QueryBoolean):
            return QueryResult("ask", boolean=bool(answer))
        if isinstance(answer, ox.QuerySolutions):
            names = [v.value for v in answer.variables]
            solutions, truncated = _capped(answer, max_rows)
            rows = []
            seen: dict[Any, Identifier] = {}  # answers repeat terms (a scheme on every row): convert each once
            for solution in solutions:
                row = {}
                for name in names:
                    value = solution[name]
                    if value is not None:
                        term = seen.get(value)
                        if term is None:
                            term = seen[value] = _to_rdflib(value)
                        row[name] = term
                rows.append(row)
            return QueryResult("select", variables=names, rows=rows, truncated=truncated)
        found, truncated = _capped(answer, max_rows)
        triples = [(_to_rdflib(t.subject), _to_rdflib(t.predicate), _to_rdflib(t.object)) for t in found]
        return QueryResult("graph", triples=triples, truncated=truncated)


def _dataset_clause(dataset: QueryDataset) -> list[CompValue]:
    """The dataset as rdflib's FROM / FROM NAMED clauses (it reads held graphs and, as its engine sets, loads none)."""
    clause = [CompValue("DatasetClause", default=URIRef(g)) for g in dataset.default_graphs]
    clause += [CompValue("DatasetClause", named=URIRef(g)) for g in dataset.named_graphs]
    # An empty clause would mean "the whole store" to rdflib; an empty dataset names one graph nobody holds.
    return clause or [CompValue("DatasetClause", named=URIRef("urn:x-sdsf:empty-dataset"))]


def refuse_to_load_graphs() -> None:
    """Make rdflib's SPARQL take a FROM / FROM NAMED graph it does not hold as empty, instead of fetching it
    from the web (its default). The switch is rdflib's, for the whole process: set by every rdflib engine when
    it opens, so that no query of this process, through this engine or any other rdflib graph, ever loads one."""
    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False


class RdflibEngine:
    """The reference engine: the N-Quads in memory. Opening it switches off rdflib's loading of FROM graphs
    (:func:`refuse_to_load_graphs`): a graph the store does not hold is empty, never fetched."""

    name = "rdflib"

    def __init__(self, nquads_path: str):
        refuse_to_load_graphs()
        self.dataset = Dataset(default_union=True)
        self.dataset.parse(nquads_path, format="nquads")

    def query(self, text: str, bindings: dict[str, Identifier] | None = None, dataset: QueryDataset | None = None,
              max_rows: int | None = None, base_iri: str | None = None) -> QueryResult:
        init: dict[str, Identifier] = {Variable(k): v for k, v in (bindings or {}).items()}
        try:
            prepared = prepareQuery(text, initNs=dict(self.dataset.namespaces()), base=base_iri)
            if dataset is not None:  # the explicit graphs replace the query's own FROM clauses
                prepared.algebra["datasetClause"] = _dataset_clause(dataset)
            answer = self.dataset.query(prepared, initBindings=init)
        except Exception as exc:  # rdflib raises pyparsing and plain exceptions alike
            raise QueryError(f"syntax error: {exc}") from None
        if answer.type == "ASK":
            return QueryResult("ask", boolean=bool(answer.askAnswer))
        if answer.type == "SELECT":
            names = [str(v) for v in answer.vars or []]
            solutions, truncated = _capped(answer, max_rows)
            rows: list[dict[str, Identifier]] = []
            for solution in solutions:
                values = solution.asdict()  # type: ignore[union-attr]
                rows.append({n: values[n] for n in names if values.get(n) is not None})
            return QueryResult("select", variables=names, rows=rows, truncated=truncated)
        triples, truncated = _capped(answer, max_rows)
        return QueryResult("graph", triples=triples, truncated=truncated)  # type: ignore[arg-type]


def open_engine(settings: Settings, engine: str | None = None) -> Engine:
    """Open the built artifact with the chosen engine (default: the ``engine`` setting)."""
    name = engine or settings.engine
    build = settings.build_path
    if name == "remote":  # the store holds the graph; the local manifest says which graphs are ours
        from .remote import RemoteEngine  # imported here: it builds on this module

        manifest = read_manifest(settings)
        if manifest is None:
            raise ArtifactMissing(f"no built graph in {build}: run `sdsf build` first (the remote engine reads "
                                  "the list of graphs from its manifest)")
        if not settings.remote_endpoint:
            raise SettingsError("the remote engine needs the store's URL: set remote_endpoint (--remote-endpoint)")
        return RemoteEngine(settings.remote_endpoint, list(manifest.get("graphs", {})), settings.query_time_limit,
                            settings.max_query_length, settings.max_query_depth, max_terms=settings.max_query_terms)
    if not (build / NQUADS).is_file() or not (build / STORE).is_dir():
        raise ArtifactMissing(f"no built graph in {build}: run `sdsf build` first")
    if name == "oxigraph":
        return OxigraphEngine(str(build / STORE))
    if name == "rdflib":
        return RdflibEngine(str(build / NQUADS))
    raise QueryError(f"unknown engine {name!r}")
