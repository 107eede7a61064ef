"""Stage 4 — store: open the built artifact behind one small engine interface.

Two engines answer the same queries: pyoxigraph (fast, default for serving) and rdflib (reference).
Both query the union of the named graphs as their default graph. Results come back as rdflib terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pyoxigraph as ox
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.term import Identifier, Variable

from .build import NQUADS, STORE
from .errors import ArtifactMissing, QueryError
from .settings import Settings


@dataclass
class QueryResult:
    kind: str  # "select" | "ask" | "graph"
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Identifier]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[tuple[Identifier, Identifier, Identifier]] = field(default_factory=list)


class Engine(Protocol):
    name: str

    def query(self, text: str, bindings: dict[str, Identifier] | None = None) -> QueryResult: ...


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

    def query(self, text: str, bindings: dict[str, Identifier] | None = None) -> QueryResult:
        subs: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(k): _to_oxigraph(v) for k, v in (bindings or {}).items()}
        try:
            answer = self.store.query(text, use_default_graph_as_union=True, substitutions=subs or None)
        except SyntaxError as exc:
            raise QueryError(f"syntax error: {exc}") from None
        except OSError as exc:
            raise QueryError(f"query failed: {exc}") from None
        if isinstance(answer, ox.QueryBoolean):
            return QueryResult("ask", boolean=bool(answer))
        if isinstance(answer, ox.QuerySolutions):
            names = [v.value for v in answer.variables]
            rows = []
            for solution in answer:
                row = {}
                for name in names:
                    value = solution[name]
                    if value is not None:
                        row[name] = _to_rdflib(value)
                rows.append(row)
            return QueryResult("select", variables=names, rows=rows)
        triples = [(_to_rdflib(t.subject), _to_rdflib(t.predicate), _to_rdflib(t.object)) for t in answer]
        return QueryResult("graph", triples=triples)


class RdflibEngine:
    name = "rdflib"

    def __init__(self, nquads_path: str):
        self.dataset = Dataset(default_union=True)
        self.dataset.parse(nquads_path, format="nquads")

    def query(self, text: str, bindings: dict[str, Identifier] | None = None) -> QueryResult:
        init: dict[str, Identifier] = {Variable(k): v for k, v in (bindings or {}).items()}
        try:
            answer = self.dataset.query(text, initBindings=init)
        except Exception as exc:  # rdflib raises pyparsing and plain exceptions alike
            raise QueryError(f"syntax error: {exc}") from None
        if answer.type == "ASK":
            return QueryResult("ask", boolean=bool(answer.askAnswer))
        if answer.type == "SELECT":
            names = [str(v) for v in answer.vars or []]
            rows: list[dict[str, Identifier]] = []
            for solution in answer:
                values = solution.asdict()  # type: ignore[union-attr]
                rows.append({n: values[n] for n in names if values.get(n) is not None})
            return QueryResult("select", variables=names, rows=rows)
        return QueryResult("graph", triples=list(answer))  # type: ignore[arg-type]


def open_engine(settings: Settings, engine: str | None = None) -> Engine:
    """Open the built artifact with the chosen engine (default: the ``engine`` setting)."""
    name = engine or settings.engine
    build = settings.build_path
    if not (build / NQUADS).is_file() or not (build / STORE).is_dir():
        raise ArtifactMissing(f"no built graph in {build}: run `sdsf build` first")
    if name == "oxigraph":
        return OxigraphEngine(str(build / STORE))
    if name == "rdflib":
        return RdflibEngine(str(build / NQUADS))
    raise QueryError(f"unknown engine {name!r}")
