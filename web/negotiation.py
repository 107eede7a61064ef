"""Content negotiation as tables: media type -> serialiser, one table per kind of answer.

The ``format`` parameter (a short name such as ``json``, ``tsv``, ``turtle``, or a media type) wins over
``Accept``; ``Accept`` is read with its q-values (werkzeug), ties going to the first entry of the table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from sdsf_graph.query import to_csv, to_json
from sdsf_graph.results import to_rdf, to_tsv, to_xml
from sdsf_graph.store import QueryResult

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
    best = parse_accept_header(accept, MIMEAccept).best_match([t for t, _ in offers])
    return next((fmt for t, fmt in offers if t == best), None)


def offered(formats: Sequence[Format]) -> str:
    return ", ".join(f"{f.media_type} (format={f.names[0]})" for f in formats)
