"""The gate every query passes before an engine sees it: a small SPARQL lexer, no parser.

It skips strings, IRIs and comments, and refuses what a read-only public endpoint must not run:
SPARQL Update (in any form), ``SERVICE`` (the engines would open outbound connections), ``FROM`` /
``FROM NAMED`` naming a graph the store does not hold (rdflib would fetch it from the web), queries longer
than ``max_query_length`` bytes (413) or nested deeper than ``max_query_depth`` (400).

The text is lexed twice: as written (what pyoxigraph parses, expanding ``\\uXXXX`` only inside strings and
IRIs) and with every ``\\uXXXX`` expanded first (what rdflib parses: ``\\u0053ERVICE`` is ``SERVICE`` to
it). A construct either reading shows is refused, so neither engine can be smuggled past the gate.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin

from .errors import QueryError

UPDATE_WORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD"})
QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
OPENING, CLOSING = frozenset("{(["), frozenset("})]")
READ_ONLY = "SPARQL Update is not accepted: this endpoint is read-only"

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

# rdflib expands these before parsing, anywhere in the text (its own pattern: 4 or 8 digits, any case).
_RDFLIB_ESCAPE = re.compile(r"\\u([0-9a-f]{4}(?:[0-9a-f]{4})?)", re.IGNORECASE)
_IRI_ESCAPE = re.compile(_UCHAR)
_LOCAL_ESCAPE = re.compile(r"\\(.)")


class QueryRefused(QueryError):
    """A query the endpoint will not run; ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class CheckedQuery:
    form: str | None  # "select", "ask", "construct", "describe" (None: the engine will report the syntax error)
    from_graphs: tuple[str, ...] = ()
    from_named: tuple[str, ...] = ()
    depth: int = 0


@dataclass
class _Reading:
    words: list[str] = field(default_factory=list)
    form: str | None = None
    from_graphs: list[str] = field(default_factory=list)
    from_named: list[str] = field(default_factory=list)
    depth: int = 0


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    for match in TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            yield kind, match.group()


def _iri(token: str, base: str) -> str:
    value = _IRI_ESCAPE.sub(lambda m: chr(int(m.group()[2:], 16)), token[1:-1])
    return urljoin(base, value) if base else value


def _read(text: str, base: str) -> _Reading:
    """One pass over the tokens: words at any depth, the query form, dataset clauses, nesting depth."""
    reading = _Reading()
    prefixes: dict[str, str] = {}
    tokens = list(_tokens(text))
    depth = 0
    for i, (kind, value) in enumerate(tokens):
        if kind == "other":
            depth += value in OPENING
            depth = max(0, depth - (value in CLOSING))
            reading.depth = max(reading.depth, depth)
            continue
        if kind != "word":
            continue
        word = value.upper()
        reading.words.append(word)
        following = tokens[i + 1:i + 3]
        if word in QUERY_FORMS and reading.form is None and depth == 0:
            reading.form = word.lower()
        elif word == "BASE" and following and following[0][0] == "iri":
            base = _iri(following[0][1], base)
        elif word == "PREFIX" and len(following) == 2 and following[0][0] == "pname" and following[1][0] == "iri":
            prefixes[following[0][1].split(":", 1)[0]] = _iri(following[1][1], base)
        elif word == "FROM":
            following += [("", "")] * (2 - len(following))
            named = following[0][0] == "word" and following[0][1].upper() == "NAMED"
            graph = _graph_name(following[1] if named else following[0], base, prefixes)
            (reading.from_named if named else reading.from_graphs).append(graph)
    return reading


def _graph_name(token: tuple[str, str], base: str, prefixes: dict[str, str]) -> str:
    kind, value = token
    if kind == "iri":
        return _iri(value, base)
    if kind == "pname":
        prefix, _, local = value.partition(":")
        if prefix not in prefixes:
            raise QueryRefused(400, f"FROM names {value}, but the prefix {prefix}: is not declared")
        return prefixes[prefix] + _LOCAL_ESCAPE.sub(r"\1", local)
    raise QueryRefused(400, "FROM and FROM NAMED must be followed by a graph IRI")


def _expand_like_rdflib(text: str) -> str:
    try:
        return _RDFLIB_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    except (ValueError, OverflowError):
        raise QueryRefused(400, "the query holds an invalid \\u escape") from None


def check_query(text: str, graphs: Collection[str], max_length: int, max_depth: int,
                base_iri: str = "") -> CheckedQuery:
    """Refuse (raising :class:`QueryRefused`) what must not run; describe what may.

    ``graphs`` are the store's graphs (the only ones FROM may name); ``base_iri`` resolves relative IRIs, as the
    engine will.
    """
    size = len(text.encode("utf-8", errors="replace"))
    if size > max_length:
        raise QueryRefused(413, f"the query is {size} bytes long; the limit is {max_length}")
    expanded = _expand_like_rdflib(text)
    readings = [_read(text, base_iri)] + ([_read(expanded, base_iri)] if expanded != text else [])
    words = {w for r in readings for w in r.words}
    if words & UPDATE_WORDS:
        raise QueryRefused(403, f"{READ_ONLY} (found {', '.join(sorted(words & UPDATE_WORDS))})")
    if "SERVICE" in words:
        raise QueryRefused(403, "SERVICE (federated query) is not allowed: this endpoint makes no outbound connections")
    depth = max(r.depth for r in readings)
    if depth > max_depth:
        raise QueryRefused(400, f"the query is nested {depth} levels deep; the limit is {max_depth}")
    foreign = sorted({g for r in readings for g in r.from_graphs + r.from_named} - set(graphs))
    if foreign:
        raise QueryRefused(403, "FROM and FROM NAMED may only name this store's graphs (listed in the service "
                                f"description), not {', '.join('<' + g + '>' for g in foreign)}")
    last = readings[-1]
    return CheckedQuery(last.form or readings[0].form, tuple(last.from_graphs), tuple(last.from_named), depth)
