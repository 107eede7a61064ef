"""A query's parameters written into its text, as a person would write them: for examples that run as they are.

The SPARQL editor shows each named query this way (its default values in place of its variables), and the
benchmarks send the canned queries so to every engine, which all accept plain SPARQL text. A value written in
place of a variable is projected as ``(value AS ?name)`` and dropped from GROUP BY. The values are RDF terms
(checked and escaped by rdflib), never raw text; the server binds a person's values as terms instead.
"""

from __future__ import annotations

import re

from rdflib import XSD, Literal
from rdflib.term import Identifier

_SELECT = re.compile(r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?", re.IGNORECASE)


def _projection_end(text: str, start: int) -> int:
    """Where the projection that starts at ``start`` ends: the WHERE keyword or the first ``{`` at depth 0."""
    depth = 0
    for i in range(start, len(text)):
        char = text[i]
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and (char == "{" or text[i:i + 5].upper() == "WHERE"):
            return i
    return len(text)


def _at_depth_zero(segment: str, variable: str, replacement: str) -> str:
    out, depth, i = [], 0, 0
    token = re.compile(re.escape(variable) + r"(?![\w])")
    while i < len(segment):
        char = segment[i]
        depth += {"(": 1, ")": -1}.get(char, 0)
        match = token.match(segment, i) if depth == 0 else None
        if match:
            out.append(replacement)
            i = match.end()
            continue
        out.append(char)
        i += 1
    return "".join(out)


def written(term: Identifier) -> str:
    """A term as a person writes it in SPARQL (integers bare, the rest in N-Triples form)."""
    if isinstance(term, Literal) and term.datatype == XSD.integer:
        return str(term)
    return term.n3()


def _substitute(segment: str, variable: str, term: str) -> str:
    """Outside projections: dropped from GROUP BY, replaced by the value anywhere else (comments are left)."""
    lines = []
    for line in segment.splitlines(keepends=True):
        if line.startswith("#"):
            lines.append(line)
        elif line.lstrip().upper().startswith("GROUP BY"):
            lines.append(re.sub(r"\s" + re.escape(variable) + r"(?![\w])", "", line))
        else:
            lines.append(re.sub(re.escape(variable) + r"(?![\w])", lambda _: term, line))
    return "".join(lines)


def inline_terms(text: str, terms: dict[str, Identifier]) -> str:
    """``text`` with each variable of ``terms`` replaced by its value."""
    for name, term in terms.items():
        value, variable = written(term), "?" + name
        pieces, last = [], 0
        for match in _SELECT.finditer(text):
            end = _projection_end(text, match.end())
            pieces += [_substitute(text[last:match.end()], variable, value),
                       _at_depth_zero(text[match.end():end], variable, f"({value} AS {variable})")]
            last = end
        pieces.append(_substitute(text[last:], variable, value))
        text = "".join(pieces)
    return text
