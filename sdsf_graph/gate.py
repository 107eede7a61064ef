"""The gate every query passes before an engine sees it: it decides on the *parsed* query, never on words.

Three steps, cheapest first:

1. **Bounds on the text** (a lexer, no parser): at most ``max_query_length`` bytes (413), brackets nested at most
   ``max_query_depth`` deep (400), and at most ``max_query_terms`` keywords and operators in any one group,
   expression or list (400). The last bound keeps the engines' recursive parsers within their stack: pyoxigraph's
   query process dies on 4,000 ``MINUS {}`` or ``BIND`` in one group, 8,000 terms of a sum or 16,000 chained ``!``
   (measured on pyoxigraph 0.5), so without it a visitor could kill query processes at will.
2. **A real SPARQL 1.1 parser** (rdflib's grammar, the reference engine's own) reads the query, twice when the text
   holds ``\\uXXXX`` escapes: as rdflib reads it (every escape expanded before parsing) and as pyoxigraph reads it
   (escapes expanded only inside strings and IRIs). A text either reading cannot parse is refused (400): the
   gate never passes through what it cannot read, engine extensions (``LATERAL``, Virtuoso's ``DEFINE``…)
   included. The two readings must agree on the query's form and dataset.
3. **The decision, on the parse**: any ``SERVICE`` anywhere in the algebra (sub-queries, ``EXISTS``, ``MINUS``…) is
   refused (403), so are ``FROM`` / ``FROM NAMED`` naming a graph the store does not hold (rdflib would fetch it) and
   any SPARQL Update (403). Glued keywords (``SERVICE:x``), comments, case and whitespace cannot hide anything: the
   parser tokenises as the grammar says.

What the gate accepts is described by :class:`CheckedQuery` (the form negotiates the answer's format; the graphs
become the query's dataset). The gate is one layer of three: the query processes cannot open a network connection
(:mod:`sdsf_graph.query_worker`) and the Virtuoso account refuses federation (``scripts/virtuoso``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

from .errors import QueryError

UPDATE_WORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD"})
OPENING, CLOSING = frozenset("{(["), frozenset("})]")
#: Punctuation counted as an operator by the terms bound (with every keyword).
OPERATORS = frozenset("!+-*/&|=<>^.")
READ_ONLY = "SPARQL Update is not accepted: this endpoint is read-only"
QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
FORMS = {"SelectQuery": "select", "AskQuery": "ask", "ConstructQuery": "construct", "DescribeQuery": "describe"}
DEFAULT_MAX_TERMS = 1000
XSD = "http://www.w3.org/2001/XMLSchema#"
#: IRI schemes under which stores offer their own built-in functions (Virtuoso: bif:http_get fetches any URL).
BUILTIN_SCHEMES = ("bif:", "sql:")

_PN_CHARS = r"[\w\-\u00B7\u0300-\u036F\u203F\u2040]"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_PN_PREFIX = rf"[^\W\d_](?:(?:{_PN_CHARS}|\.)*{_PN_CHARS})?"
_PN_LOCAL = rf"(?:[^\W\d]|[:0-9]|{_PLX})(?:(?:{_PN_CHARS}|[.:]|{_PLX})*(?:{_PN_CHARS}|:|{_PLX}))?"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"

TOKEN = re.compile(rf"""
    (?P<space>\s+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>'''(?:'{{0,2}}(?:[^'\\]|\\.))*'''|\"\"\"(?:"{{0,2}}(?:[^"\\]|\\.))*\"\"\"
              |'(?:[^'\\\r\n]|\\.)*'|"(?:[^"\\\r\n]|\\.)*")
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)
  | (?P<var>[?$]{_PN_CHARS}+)
  | (?P<bnode>_:{_PN_CHARS}+(?:\.{_PN_CHARS}+)*)
  | (?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)
  | (?P<word>[^\W\d]\w*)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)

_ESCAPE = re.compile(_UCHAR)
# rdflib expands these before parsing, anywhere in the text (its own pattern: 4 or 8 digits, any case).
_RDFLIB_ESCAPE = re.compile(r"\\u([0-9a-f]{4}(?:[0-9a-f]{4})?)", re.IGNORECASE)
#: What an escape inside a string must stay written as, so that expanding it does not end the string.
_ECHAR = {'"': '\\"', "'": "\\'", "\\": "\\\\", "\n": "\\n", "\r": "\\r"}
_NOT_IN_IRI = frozenset('<>"{}|^`\\' + "".join(map(chr, range(0x21))))
_PARSE_LOCK = threading.Lock()  # pyparsing's grammar objects are not documented as thread-safe


class QueryRefused(QueryError):
    """A query the endpoint will not run; ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status

    def __reduce__(self) -> tuple[Any, ...]:  # crosses the query worker's socket intact
        return (QueryRefused, (self.status, str(self)))


@dataclass(frozen=True)
class CheckedQuery:
    form: str  # "select", "ask", "construct" or "describe", as the parser reads it
    from_graphs: tuple[str, ...] = ()
    from_named: tuple[str, ...] = ()
    depth: int = 0


@dataclass(frozen=True)
class _Parsed:
    form: str
    services: int
    from_graphs: tuple[str, ...]
    from_named: tuple[str, ...]


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    for match in TOKEN.finditer(text):
        yield match.lastgroup or "other", match.group()


def _measure(text: str, max_depth: int, max_terms: int) -> tuple[int, set[str]]:
    """Nesting depth and the bare words of the text; refuses past the depth or terms bound."""
    depth, deepest, counts, words = 0, 0, [0], set()
    for kind, value in _tokens(text):
        if kind == "word":
            words.add(value.upper())
        elif kind != "other":
            continue
        if value in OPENING:
            depth += 1
            deepest = max(deepest, depth)
            counts.append(0)
            continue
        if value in CLOSING:
            if depth:
                depth -= 1
                counts.pop()
            continue
        if kind == "word" or value in OPERATORS:
            counts[-1] += 1
            if counts[-1] > max_terms:
                raise QueryRefused(400, f"the query has more than {max_terms} keywords and operators in one group or "
                                        f"expression; the limit is {max_terms} (split it, or use VALUES)")
    if deepest > max_depth:
        raise QueryRefused(400, f"the query is nested {deepest} levels deep; the limit is {max_depth}")
    return deepest, words


def _iri(token: str, base: str) -> str:
    """The IRI of an ``<…>`` token, escapes expanded and resolved against ``base`` (used by remote_text)."""
    value = _ESCAPE.sub(lambda m: _char(m.group()), token[1:-1])
    return urljoin(base, value) if base else value


def _graph_name(token: tuple[str, str], base: str, prefixes: dict[str, str]) -> str:
    """The graph IRI of a lexer token (an IRI or a prefixed name), as remote_text rewrites GRAPH clauses."""
    kind, value = token
    if kind == "iri":
        return _iri(value, base)
    if kind == "pname":
        prefix, _, local = value.partition(":")
        if prefix not in prefixes:
            raise QueryRefused(400, f"{value} uses the prefix {prefix}:, which is not declared")
        return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    raise QueryRefused(400, "a graph must be named by an IRI")


def _as_pyoxigraph_reads(text: str) -> str:
    """The text with its escapes expanded only inside strings and IRIs (where pyoxigraph expands them)."""
    parts = []
    for kind, value in _tokens(text):
        if kind == "string" and "\\" in value:
            value = _ESCAPE.sub(lambda m: (lambda c: _ECHAR.get(c, c))(_char(m.group())), value)
        elif kind == "iri" and "\\" in value:
            value = _ESCAPE.sub(lambda m: _iri_char(_char(m.group())), value)
        parts.append(value)
    return "".join(parts)


def _char(escape: str) -> str:
    try:
        return chr(int(escape[2:], 16))
    except (ValueError, OverflowError):
        raise QueryRefused(400, f"the query holds an invalid escape {escape}") from None


def _iri_char(char: str) -> str:
    if char in _NOT_IN_IRI:
        raise QueryRefused(400, f"an IRI of the query holds an escaped {char!r}, which an IRI may not hold")
    return char


@lru_cache(maxsize=1)
def _default_prefixes() -> dict[str, Any]:
    """The prefixes the rdflib engine knows without PREFIX (its dataset's bindings): parsed the same here."""
    from rdflib import Dataset

    return {prefix: namespace for prefix, namespace in Dataset().namespaces()}


def _walk(node: Any) -> Iterator[Any]:
    """Every node of a parsed query, iteratively (a deep parse must not exhaust Python's stack here)."""
    stack, seen = [node], set()
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if id(item) in seen:
                continue
            seen.add(id(item))
            yield item
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset) or type(item).__name__ == "ParseResults":
            stack.extend(item)


@lru_cache(maxsize=256)
def _parse(text: str, base: str, rdflib_reading: bool) -> _Parsed | QueryRefused:
    """One reading of the query by rdflib's SPARQL 1.1 grammar and algebra (cached: the pages repeat theirs)."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import Query, UpdateUnit, expandUnicodeEscapes

    try:
        source = expandUnicodeEscapes(text) if rdflib_reading else text
        with _PARSE_LOCK:
            tree = Query.parse_string(source, parse_all=True)
            # SERVICE and FROM are looked for in the parse tree itself: rdflib's algebra is not faithful to it (a
            # group holding only a FILTER NOT EXISTS { … SERVICE … } loses its SERVICE in translation)
            nodes = list(_walk(tree))
            syntax = [getattr(node, "name", None) for node in nodes]
            parsed = translateQuery(tree, base=base or None, initNs=_default_prefixes())
    except ParseBaseException as exc:
        if _is_update(UpdateUnit, source):
            return QueryRefused(403, READ_ONLY)
        return QueryRefused(400, f"syntax error: at {exc.lineno}:{exc.col} (line {exc.lineno}, column {exc.col}), "
                                f"{exc.msg} (read as SPARQL 1.1)")
    except RecursionError:
        return QueryRefused(400, "the query is too deeply nested to be read; simplify it")
    except Exception as exc:  # rdflib's own errors (unknown prefix, invalid escape, wrong GROUP BY…)
        return QueryRefused(400, f"the query cannot be read as SPARQL 1.1: {exc}")
    foreign_code = _foreign_functions(nodes, _tree_prefixes(nodes))
    if foreign_code:
        return QueryRefused(403, f"{foreign_code}: this endpoint offers the SPARQL 1.1 functions and XSD casts only (a "
                                 "store's own built-ins, such as Virtuoso's bif: and sql:, can reach the network)")
    algebra = parsed.algebra
    services = syntax.count("ServiceGraphPattern") + sum(
        1 for node in _walk(algebra) if getattr(node, "name", None) == "ServiceGraphPattern")
    defaults, named = [], []
    # (CompValue.get returns the key itself for a missing key: the plain dict's get)
    for clause in dict.get(algebra, "datasetClause") or ():
        if "default" in clause:
            defaults.append(str(clause["default"]))
        if "named" in clause:
            named.append(str(clause["named"]))
    if len(defaults) + len(named) != syntax.count("DatasetClause"):
        return QueryRefused(400, "the query's FROM clauses could not be read (write each as FROM <graph IRI>)")
    return _Parsed(FORMS.get(algebra.name, "select"), services, tuple(defaults), tuple(named))


def _tree_prefixes(nodes: list[Any]) -> dict[str, str]:
    prefixes = {prefix: str(namespace) for prefix, namespace in _default_prefixes().items()}
    for node in nodes:
        if getattr(node, "name", None) == "PrefixDecl":
            prefixes[str(dict.get(node, "prefix") or "")] = str(dict.get(node, "iri"))
    return prefixes


def _foreign_functions(nodes: list[Any], prefixes: dict[str, str]) -> str:
    """The first function call that is not an XSD cast, or IRI of a store's built-ins scheme, as written; ''."""
    for node in nodes:
        name = getattr(node, "name", None)
        iri: Any = dict.get(node, "iri") if name == "Function" else node if name == "pname" else None
        if iri is None:
            continue
        if getattr(iri, "name", None) == "pname":
            written = f"{dict.get(iri, 'prefix') or ''}:{dict.get(iri, 'localname') or ''}"
            resolved = prefixes.get(str(dict.get(iri, "prefix") or ""), "") + str(dict.get(iri, "localname") or "")
        else:
            written, resolved = f"<{iri}>", str(iri)
        if resolved.lower().startswith(BUILTIN_SCHEMES):
            return f"{written} (a store's built-in)"
        if name == "Function" and not resolved.startswith(XSD):
            return f"the function {written}"
    for node in nodes:  # full IRIs anywhere (a magic predicate <bif:contains>…)
        for value in node.values():
            if isinstance(value, str) and type(value).__name__ == "URIRef" and value.lower().startswith(
                    BUILTIN_SCHEMES):
                return f"<{value}> (a store's built-in)"
    return ""


def _is_update(grammar: Any, source: str) -> bool:
    try:
        with _PARSE_LOCK:
            grammar.parse_string(source, parse_all=True)
    except Exception:
        return False
    return True


def check_query(text: str, graphs: Collection[str], max_length: int, max_depth: int, base_iri: str = "",
                max_terms: int = DEFAULT_MAX_TERMS) -> CheckedQuery:
    """Refuse (raising :class:`QueryRefused`) what must not run; describe what may.

    ``graphs`` are the store's graphs (the only ones FROM may name); ``base_iri`` resolves relative IRIs, as the
    engine will.
    """
    size = len(text.encode("utf-8", errors="replace"))
    if size > max_length:
        raise QueryRefused(413, f"the query is {size} bytes long; the limit is {max_length}")
    depth, words = _measure(text, max_depth, max_terms)
    if words & UPDATE_WORDS:  # a quick, clear answer to update text; the parser below refuses it anyway
        raise QueryRefused(403, f"{READ_ONLY} (found {', '.join(sorted(words & UPDATE_WORDS))})")
    escaped = _RDFLIB_ESCAPE.search(text) is not None
    texts = [(_as_pyoxigraph_reads(text), False), (text, True)] if escaped else [(text, True)]
    parses = [_parse(source, base_iri, rdflib_reading) for source, rdflib_reading in texts]
    readings = [p for p in parses if isinstance(p, _Parsed)]
    if any(r.services for r in readings) or "SERVICE" in words:
        raise QueryRefused(403, "SERVICE (federated query) is not allowed: this endpoint makes no outbound connections")
    refusals = sorted((p for p in parses if isinstance(p, QueryRefused)), key=lambda p: -p.status)
    if refusals:  # the update first (403), then the syntax error; a new exception: the cached one keeps no traceback
        raise QueryRefused(refusals[0].status, str(refusals[0]))
    foreign = sorted({g for r in readings for g in r.from_graphs + r.from_named} - set(graphs))
    if foreign:
        raise QueryRefused(403, "FROM and FROM NAMED may only name this store's graphs (listed in the service "
                                f"description), not {', '.join('<' + g + '>' for g in foreign)}")
    first = readings[0]
    if any((r.form, r.from_graphs, r.from_named) != (first.form, first.from_graphs, first.from_named)
           for r in readings):
        raise QueryRefused(400, "the query reads differently with and without its \\u escapes expanded; write the "
                                "characters themselves")
    return CheckedQuery(first.form, first.from_graphs, first.from_named, depth)


@dataclass(frozen=True)
class GateJob:
    """A query to check, sent to a query process: reading a long query costs seconds of parsing, which must run
    where the time limit, the memory bound and the network ban hold, not in the web process."""

    text: str
    graphs: tuple[str, ...]
    max_length: int
    max_depth: int
    base_iri: str = ""
    max_terms: int = DEFAULT_MAX_TERMS

    def run(self) -> CheckedQuery:
        return check_query(self.text, self.graphs, self.max_length, self.max_depth, self.base_iri, self.max_terms)
