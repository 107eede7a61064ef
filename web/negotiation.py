"""Content negotiation as tables: media type -> serialiser, one table per kind of answer.

The ``format`` parameter (a short name such as ``json``, ``tsv``, ``turtle``, or a media type) wins over
``Accept``; ``Accept`` is read with its q-values (RFC 9110 §12.5.1: each offer takes the q of the most specific
range that matches it; media-type parameters other than q do not prevent a match — every answer is UTF-8), ties
going to the more specific range, then to the first entry of the table. A malformed item is skipped, never the
whole header; a header longer than ``MAX_ACCEPT`` bytes is refused (400).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from sdsf_graph.query import to_csv, to_json
from sdsf_graph.results import to_rdf, to_tsv, to_xml
from sdsf_graph.store import QueryResult

from .errors import HTTPError

FORMATS_NS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    media_type: str                      # sent as Content-Type
    names: tuple[str, ...]               # values of format= that choose it
    serialise: Callable[[QueryResult], str]
    aliases: tuple[str, ...] = ()        # other media types that choose it
    iri: str = ""                        # its W3C format IRI (service description)
    rdflib_format: str = ""              # graph formats: the rdflib serializer's name

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8"


#: SELECT and ASK answers, in order of preference.
TABULAR: tuple[Format, ...] = (
    Format("application/sparql-results+json", ("json", "srj"), to_json, ("application/json",),
           FORMATS_NS + "SPARQL_Results_JSON"),
    Format("application/sparql-results+xml", ("xml", "srx"), to_xml, ("application/xml", "text/xml"),
           FORMATS_NS + "SPARQL_Results_XML"),
    Format("text/csv", ("csv",), to_csv, (), FORMATS_NS + "SPARQL_Results_CSV"),
    Format("text/tab-separated-values", ("tsv",), to_tsv, (), FORMATS_NS + "SPARQL_Results_TSV"),
)


def _graph_format(media_type: str, names: tuple[str, ...], rdflib_format: str, aliases: tuple[str, ...],
                  iri: str) -> Format:
    return Format(media_type, names, partial(to_rdf, rdflib_format=rdflib_format), aliases, FORMATS_NS + iri,
                  rdflib_format)


#: CONSTRUCT and DESCRIBE answers (and the service description), in order of preference.
GRAPH: tuple[Format, ...] = (
    _graph_format("text/turtle", ("turtle", "ttl", "n3"), "turtle",
                  ("application/turtle", "application/x-turtle", "text/n3", "text/rdf+n3", "application/n3"),
                  "Turtle"),
    _graph_format("application/n-triples", ("nt", "ntriples", "n-triples"), "nt", ("text/plain",), "N-Triples"),
    _graph_format("application/ld+json", ("json-ld", "jsonld", "json"), "json-ld",
                  ("application/x-json+ld", "application/json"), "JSON-LD"),
    _graph_format("application/rdf+xml", ("rdf+xml", "rdfxml", "rdf", "xml"), "xml", ("application/xml", "text/xml"),
                  "RDF_XML"),
)

TABLES = {"select": TABULAR, "ask": TABULAR, "construct": GRAPH, "describe": GRAPH, "graph": GRAPH}


MAX_ACCEPT = 32768  # bytes of Accept read (gunicorn already refuses a header line over 8190)
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_ITEMS = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*"?)+')  # comma-separated, commas inside quotes kept
_Q = re.compile(r"\s*[qQ]\s*=\s*([0-9]*\.?[0-9]*)\s*")


def parse_accept(accept: str) -> list[tuple[str, str, float]]:
    """The media ranges of an Accept header as (type, subtype, q), lower case, in order; malformed items skipped."""
    if len(accept) > MAX_ACCEPT:
        raise HTTPError(400, f"the Accept header is {len(accept)} bytes long; at most {MAX_ACCEPT} are read")
    ranges = []
    for match in _ITEMS.finditer(accept):
        media, *params = match.group().split(";")
        kind, slash, sub = media.strip().lower().partition("/")
        if not (slash and _TOKEN.fullmatch(kind) and _TOKEN.fullmatch(sub)) or (kind == "*" and sub != "*"):
            continue
        q = 1.0
        for param in params:
            found = _Q.fullmatch(param)
            if found:  # the first q= ends the media type's parameters; what follows is an accept-extension
                try:
                    q = float(found.group(1))
                except ValueError:
                    q = -1.0
                break
        if 0.0 <= q <= 1.0:
            ranges.append((kind, sub, q))
    return ranges


def best_media_type(offers: Sequence[str], accept: str | None) -> str | None:
    """The offer (a media type) the client prefers, or None when it accepts none; no header accepts the first."""
    if not accept:
        return offers[0] if offers else None
    ranges = parse_accept(accept)
    best, best_rank = None, (0.0, -1)
    for offer in offers:
        kind, _, sub = offer.lower().partition("/")
        specificity, q = -1, 0.0
        for r_kind, r_sub, r_q in ranges:
            level = 2 if (r_kind, r_sub) == (kind, sub) else 1 if (r_kind, r_sub) == (kind, "*") else \
                0 if r_kind == "*" else -1
            if level < 0:  # this range does not match the offer
                continue
            if level > specificity or (level == specificity and r_q > q):
                specificity, q = level, r_q
        if q > 0 and (q, specificity) > best_rank:
            best, best_rank = offer, (q, specificity)
    return best


def negotiate(formats: Sequence[Format], accept: str | None, requested: Sequence[str] = ()) -> Format | None:
    """The format to answer with, or None when nothing the client accepts is on offer."""
    if requested:
        for value in requested:
            wanted = value.strip().lower()
            for fmt in formats:
                if wanted in fmt.names or wanted == fmt.media_type or wanted in fmt.aliases:
                    return fmt
        return None
    if not accept:
        return formats[0]
    # canonical media types first: a wildcard (text/*) picks one of them before any alias (text/xml)
    offers = [(fmt.media_type, fmt) for fmt in formats] + [(t, fmt) for fmt in formats for t in fmt.aliases]
    best = best_media_type([t for t, _ in offers], accept)
    return next((fmt for t, fmt in offers if t == best), None)


def offered(formats: Sequence[Format]) -> str:
    return ", ".join(f"{f.media_type} (format={f.names[0]})" for f in formats)
