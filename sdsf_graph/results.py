"""Result serialisations of the SPARQL endpoint, from the engine-neutral :class:`QueryResult`.

SELECT and ASK: SPARQL 1.1 Query Results JSON and CSV (``query.to_json`` / ``query.to_csv``), XML and TSV
(here). CONSTRUCT and DESCRIBE: Turtle, N-Triples, JSON-LD and RDF/XML, through rdflib.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Identifier

from .errors import QueryError
from .namespaces import PREFIXES
from .store import QueryResult

SPARQL_RESULTS_NS = "http://www.w3.org/2005/sparql-results#"


def _xml_term(term: Identifier) -> str:
    if isinstance(term, URIRef):
        return f"<uri>{escape(str(term))}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{escape(str(term))}</bnode>"
    attribute = ""
    if isinstance(term, Literal) and term.language:
        attribute = f" xml:lang={quoteattr(term.language)}"
    elif isinstance(term, Literal) and term.datatype:
        attribute = f" datatype={quoteattr(str(term.datatype))}"
    return f"<literal{attribute}>{escape(str(term))}</literal>"


def to_xml(result: QueryResult) -> str:
    """SPARQL Query Results XML Format."""
    if result.kind == "graph":
        raise QueryError("XML results are for SELECT and ASK; use RDF/XML for CONSTRUCT/DESCRIBE")
    out = ['<?xml version="1.0" encoding="utf-8"?>', f'<sparql xmlns="{SPARQL_RESULTS_NS}">', "<head>"]
    if result.kind == "ask":
        out += ["</head>", f"<boolean>{'true' if result.boolean else 'false'}</boolean>", "</sparql>"]
        return "\n".join(out) + "\n"
    out += [f"  <variable name={quoteattr(v)}/>" for v in result.variables]
    out += ["</head>", "<results>"]
    for row in result.rows:
        out.append("  <result>")
        out += [f"    <binding name={quoteattr(v)}>{_xml_term(row[v])}</binding>" for v in result.variables if v in row]
        out.append("  </result>")
    out += ["</results>", "</sparql>"]
    return "\n".join(out) + "\n"


_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _tsv_term(term: Identifier | None) -> str:
    """A term in Turtle / N-Triples syntax, as SPARQL TSV writes it."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    text = f'"{str(term).translate(_ESCAPES)}"'
    if isinstance(term, Literal) and term.language:
        return f"{text}@{term.language}"
    if isinstance(term, Literal) and term.datatype and str(term.datatype) != str(PREFIXES["xsd"]) + "string":
        return f"{text}^^<{term.datatype}>"
    return text


def to_tsv(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results TSV (an ASK answer is one column, ``?boolean``)."""
    if result.kind == "graph":
        raise QueryError("TSV results are for SELECT and ASK; use a graph format for CONSTRUCT/DESCRIBE")
    if result.kind == "ask":
        return "?boolean\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join("?" + v for v in result.variables)]
    lines += ["\t".join(_tsv_term(row.get(v)) for v in result.variables) for row in result.rows]
    return "\n".join(lines) + "\n"


def to_rdf(result: QueryResult, rdflib_format: str) -> str:
    """The triples of a CONSTRUCT or DESCRIBE answer in one of rdflib's formats."""
    if result.kind != "graph":
        raise QueryError("graph formats are for CONSTRUCT and DESCRIBE; use JSON, XML, CSV or TSV")
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    for triple in result.triples:
        graph.add(triple)
    return graph.serialize(format=rdflib_format)
