"""The text the remote engine sends (:mod:`.remote`): parameters as a VALUES block of escaped terms, the dataset
made explicit.

Terms are written by :func:`sparql_term`: IRIs checked (absolute, nothing that could end them early), strings on
one line with every quote, backslash and control character escaped, so that they read the same whether or not
``\\uXXXX`` sequences are expanded before parsing (as rdflib does), language tags checked. Nothing is pasted
from raw text. The lexer is the gate's (:mod:`.gate`): strings, IRIs and comments are skipped alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rdflib import Literal, URIRef
from rdflib.term import Identifier

from .errors import QueryError
from .gate import QUERY_FORMS, TOKEN, _graph_name, _iri

EMPTY_GRAPH = "urn:x-sdsf:empty-dataset"  # a graph nobody holds: an empty part of a dataset
_VARNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_LANG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*\Z")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_NOT_IN_IRI = re.compile(r'[<>"{}|^`\\\x00-\x20\x7f]')
_ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def iri_ref(value: str) -> str:
    """An absolute IRI as ``<…>``; anything that could end the IRI early is refused."""
    if not _SCHEME.match(value) or _NOT_IN_IRI.search(value):
        raise QueryError(f"not an absolute IRI: {value!r}")
    return f"<{value}>"


def string_literal(value: str) -> str:
    """A quoted SPARQL string on one line; reads the same whether or not ``\\u`` escapes are expanded first."""
    out = []
    for i, char in enumerate(value):
        if char in _ECHAR:
            out.append(_ECHAR[char])
        elif ord(char) < 0x20 or char == "\x7f" or (char in "uU" and i and value[i - 1] == "\\"):
            out.append(f"\\U{ord(char):08X}")  # a "u" after a backslash too: it must not read as an escape
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def sparql_term(term: Identifier) -> str:
    """An RDF term as SPARQL text, to bind a parameter (a blank node cannot be named to another store)."""
    if isinstance(term, URIRef):
        return iri_ref(str(term))
    if isinstance(term, Literal):
        text = string_literal(str(term))
        if term.language:
            if not _LANG.match(term.language):
                raise QueryError(f"not a language tag: {term.language!r}")
            return f"{text}@{term.language}"
        return f"{text}^^{iri_ref(str(term.datatype))}" if term.datatype else text
    raise QueryError(f"a {type(term).__name__} cannot be bound as a parameter of a remote query")


def _tokens(text: str) -> Iterator[tuple[str, re.Match[str]]]:
    for match in TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            yield kind, match


def _where_group(text: str) -> int:
    """Where the outer WHERE group's ``{`` ends: a VALUES block placed there binds the whole group."""
    tokens, depth, form, bare = list(_tokens(text)), 0, "", None
    for i, (kind, match) in enumerate(tokens):
        value = match.group()
        if kind == "other" and value in "{([":
            if value == "{" and depth == 0 and form and bare is None:
                bare = match.end()
            depth += 1
        elif kind == "other" and value in "})]":
            depth = max(0, depth - 1)
        elif kind == "word" and depth == 0 and value.upper() in QUERY_FORMS and not form:
            form = value.upper()
        elif kind == "word" and depth == 0 and value.upper() == "WHERE" and form:
            following = tokens[i + 1:i + 2]
            if following and following[0][1].group() == "{":
                return following[0][1].end()
    if bare is not None and form in ("SELECT", "ASK", "DESCRIBE"):
        return bare
    raise QueryError("the query has no WHERE group to bind its parameters in")


def bind_values(text: str, bindings: dict[str, Identifier]) -> str:
    """The query with ``VALUES (?a ?b) { (term term) }`` opening its outer WHERE group."""
    if not bindings:
        return text
    for name in bindings:
        if not _VARNAME.match(name):
            raise QueryError(f"not a variable name: {name!r}")
    names = " ".join(f"?{name}" for name in bindings)
    terms = " ".join(sparql_term(term) for term in bindings.values())
    at = _where_group(text)
    return f"{text[:at]} VALUES ({names}) {{ ({terms}) }}{text[at:]}"


def scoped_text(text: str, base: str, named: set[str]) -> str:
    """The text without its FROM clauses, its ``GRAPH <iri>`` outside ``named`` pointed at an empty graph."""
    tokens, edits, prefixes, depth = list(_tokens(text)), [], {}, 0
    for i, (kind, match) in enumerate(tokens):
        value, following = match.group(), tokens[i + 1:i + 3]
        if kind == "other":
            depth = max(0, depth + (value in "{([") - (value in "})]"))
            continue
        if kind != "word":
            continue
        word = value.upper()
        if word == "BASE" and following and following[0][0] == "iri":
            base = _iri(following[0][1].group(), base)
        elif word == "PREFIX" and len(following) == 2 and [k for k, _ in following] == ["pname", "iri"]:
            prefixes[following[0][1].group().split(":", 1)[0]] = _iri(following[1][1].group(), base)
        elif word == "FROM" and depth == 0 and following:
            named_clause = following[0][0] == "word" and following[0][1].group().upper() == "NAMED"
            last = following[-1] if named_clause else following[0]
            edits.append((match.start(), last[1].end(), " "))
        elif word == "GRAPH" and following and following[0][0] in ("iri", "pname"):
            target = following[0][1]
            if _graph_name((following[0][0], target.group()), base, prefixes) not in named:
                edits.append((target.start(), target.end(), f"<{EMPTY_GRAPH}>"))
    for start, end, replacement in reversed(edits):
        text = text[:start] + replacement + text[end:]
    return text
