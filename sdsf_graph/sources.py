"""Stage 1 — sources: find the Turtle files of the graph and parse each into its own named graph."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.plugins.parsers.notation3 import BadSyntax

from .errors import SourceError
from .namespaces import GRAPH
from .settings import Settings


@dataclass(frozen=True)
class SourceFile:
    path: Path
    #: Name of the file relative to the project ("ontology/sdsf.ttl", "data/schemes/26-….ttl").
    name: str
    kind: str  # ontology | thesaurus | reference | scheme

    @property
    def graph_iri(self) -> URIRef:
        return GRAPH[self.name.removesuffix(".ttl")]


def find_sources(settings: Settings) -> list[SourceFile]:
    """Every source file in build order: ontology, thesaurus, reference data, schemes."""
    project, data = settings.project_path, settings.data_path
    found = [
        SourceFile(project / "ontology" / "sdsf.ttl", "ontology/sdsf.ttl", "ontology"),
        SourceFile(project / "ontology" / "thesaurus.ttl", "ontology/thesaurus.ttl", "thesaurus"),
    ]
    for kind, folder in (("reference", "reference"), ("scheme", "schemes")):
        for path in sorted((data / folder).glob("*.ttl")):
            found.append(SourceFile(path, f"data/{folder}/{path.name}", kind))
    for source in found:
        if not source.path.is_file():
            raise SourceError(str(source.path), "file not found")
    if not any(s.kind == "reference" for s in found):
        raise SourceError(str(data / "reference"), "no reference data (*.ttl) found")
    return found


def parse_source(source: SourceFile) -> Graph:
    """Parse one Turtle file; a syntax error names the file and the line."""
    graph = Graph()
    try:
        graph.parse(source.path, format="turtle")
    except BadSyntax as exc:
        raise SourceError(str(source.path), f"Turtle syntax error: {exc._why}", exc.lines + 1) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(str(source.path), f"cannot read: {exc}") from None
    except Exception as exc:  # rdflib raises plain exceptions for some lexical errors
        raise SourceError(str(source.path), f"cannot parse: {exc}") from None
    return graph


def load_sources(settings: Settings) -> Iterator[tuple[SourceFile, Graph]]:
    for source in find_sources(settings):
        yield source, parse_source(source)
