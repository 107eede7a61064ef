"""Stage 5 — query: the named competency questions (``queries/*.rq``) and result formatting.

A named query declares its parameters in its header (``# param: NAME TYPE DEFAULT``); a value given by a
person is bound as an RDF term (never pasted into the query text). A parameter declared without a default
(``# param: NAME TYPE``) is optional: left out, its variable stays free (a national listing); given, it narrows
the answer (one scheme's rows), so that a page asks the engine for what it shows instead of filtering a
national answer.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from rdflib import BNode, Literal, URIRef
from rdflib.term import Identifier

from .errors import QueryError
from .namespaces import DEFAULT_BASE, XSD
from .store import Engine, QueryResult

QUERY_PACKAGE = "sdsf_graph.queries"


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # "iri" or an xsd datatype as a prefixed name ("xsd:integer", "xsd:string")
    default: str | None  # None: optional, unbound unless given

    def term(self, raw: str) -> Identifier:
        if self.type == "iri":
            if not raw.startswith(("http://", "https://")) or any(c in raw for c in '<>" {}|\\^`'):
                raise QueryError(f"parameter {self.name!r}: {raw!r} is not an IRI")
            return URIRef(raw)
        if self.type == "xsd:integer":
            try:
                return Literal(int(raw))
            except ValueError:
                raise QueryError(f"parameter {self.name!r}: {raw!r} is not an integer") from None
        if self.type == "xsd:string":
            return Literal(raw)
        return Literal(raw, datatype=XSD[self.type.removeprefix("xsd:")])


@dataclass(frozen=True)
class NamedQuery:
    name: str
    text: str
    title: str
    title_en: str = ""
    description: str = ""
    params: tuple[Param, ...] = field(default_factory=tuple)

    def bindings(self, values: dict[str, str] | None = None) -> dict[str, Identifier]:
        values = dict(values or {})
        known = {p.name for p in self.params}
        unknown = set(values) - known
        if unknown:
            raise QueryError(f"query {self.name!r} has no parameter {', '.join(sorted(unknown))}")
        chosen = {p: values.get(p.name, p.default) for p in self.params}
        return {p.name: p.term(raw) for p, raw in chosen.items() if raw is not None}


def parse_named_query(name: str, text: str) -> NamedQuery:
    meta: dict[str, str] = {}
    params: list[Param] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].strip().partition(":")
        value = value.strip()
        if key == "param":
            pname, ptype, *default = value.split(maxsplit=2)
            params.append(Param(pname, ptype, default[0] if default else None))
        else:
            meta[key] = value
    return NamedQuery(name, text, meta.get("title", name), meta.get("title@en", ""),
                      meta.get("description", ""), tuple(params))


def named_queries() -> dict[str, NamedQuery]:
    """Every shared query, by name (file name without ``.rq``)."""
    found = {}
    for entry in sorted(resources.files(QUERY_PACKAGE).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            name = entry.name.removesuffix(".rq")
            found[name] = parse_named_query(name, entry.read_text(encoding="utf-8"))
    return found


def resolve_query(spec: str) -> NamedQuery:
    """A query name, a path to a ``.rq`` file, or the text of a query."""
    queries = named_queries()
    if spec in queries:
        return queries[spec]
    if spec.endswith(".rq"):
        path = Path(spec)
        if not path.is_file():
            raise QueryError(f"no such query file: {spec}")
        return parse_named_query(path.stem, path.read_text(encoding="utf-8"))
    if not spec.strip():
        raise QueryError("empty query")
    return parse_named_query("query", spec)


def run_query(engine: Engine, query: NamedQuery, params: dict[str, str] | None = None,
              base_iri: str = DEFAULT_BASE) -> QueryResult:
    text = query.text if base_iri == DEFAULT_BASE else query.text.replace("<" + DEFAULT_BASE, "<" + base_iri)
    return engine.query(text, query.bindings(params))


def _cell(term: Identifier | None) -> str:
    return "" if term is None else str(term)


def to_json(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results JSON."""
    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": result.boolean})
    if result.kind == "graph":
        raise QueryError("JSON results are for SELECT and ASK; use a graph format for CONSTRUCT/DESCRIBE")

    def encode(term: Identifier) -> dict:
        if isinstance(term, URIRef):
            return {"type": "uri", "value": str(term)}
        if isinstance(term, BNode):
            return {"type": "bnode", "value": str(term)}
        out: dict = {"type": "literal", "value": str(term)}
        if isinstance(term, Literal) and term.language:
            out["xml:lang"] = term.language
        elif isinstance(term, Literal) and term.datatype:
            out["datatype"] = str(term.datatype)
        return out

    bindings = [{k: encode(v) for k, v in row.items()} for row in result.rows]
    return json.dumps({"head": {"vars": result.variables}, "results": {"bindings": bindings}},
                      ensure_ascii=False, separators=(",", ":"))


def to_csv(result: QueryResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if result.kind == "ask":
        writer.writerow(["boolean"])
        writer.writerow(["true" if result.boolean else "false"])
    else:
        writer.writerow(result.variables)
        for row in result.rows:
            writer.writerow([_cell(row.get(v)) for v in result.variables])
    return buffer.getvalue()


def to_table(result: QueryResult, width: int = 60) -> str:
    if result.kind == "ask":
        return "true" if result.boolean else "false"
    if result.kind == "graph":
        return "\n".join(f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in result.triples)
    rows = [[_cell(r.get(v))[:width] for v in result.variables] for r in result.rows]
    widths = [max([len(v)] + [len(r[i]) for r in rows]) for i, v in enumerate(result.variables)]
    line = "  ".join(v.ljust(w) for v, w in zip(result.variables, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


FORMATTERS = {"table": to_table, "csv": to_csv, "json": to_json}
