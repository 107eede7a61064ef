"""Stage 3 — build: compile every source into one dataset and write the serving artifact.

The artifact (``build/`` by default) holds ``sdsf.nq`` (one named graph per source file plus the derived
graph), ``store/`` (a pyoxigraph store the server opens read-only) and ``manifest.json`` (data version,
counts, sources). It is written to a temporary folder and moved into place, so a failed build never
leaves a half-written artifact.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph, URIRef

from .enrich import derive
from .errors import BuildError, ValidationFailed
from .namespaces import DEFAULT_BASE, DERIVED_GRAPH
from .parts import PartLoader, rebase, validate_by_parts
from .settings import Settings
from .sources import SourceFile, find_sources, parse_source
from .store_load import load_nquads
from .validate import Report, format_text, load_shapes, validate_graph

NQUADS = "sdsf.nq"
STORE = "store"
MANIFEST = "manifest.json"


class CompiledDataset:
    """The sources of the graph, parsed each into its named graph, with the derived graph.

    ``compile_dataset`` returns it *lazy*: the files are parsed when ``graphs`` (or ``union``) is first used.
    The build and ``validate_dataset`` do not use it that way on many files: they process the files by parts,
    in worker processes, without ever holding the whole graph in one process (see :mod:`sdsf_graph.parts`).
    """

    def __init__(self, graphs: list[tuple[URIRef, Graph]] | None = None, sources: list[SourceFile] | None = None,
                 settings: Settings | None = None):
        self._graphs = graphs if graphs is not None or settings is None else None
        if self._graphs is None and settings is None:
            self._graphs = []
        self.sources: list[SourceFile] = sources if sources is not None else []
        self.settings = settings

    @property
    def materialised(self) -> bool:
        return self._graphs is not None

    @property
    def graphs(self) -> list[tuple[URIRef, Graph]]:
        if self._graphs is None:
            graphs = [(source.graph_iri, parse_source(source)) for source in self.sources]
            union = Graph()
            for _, graph in graphs:
                union += graph
            graphs.append((DERIVED_GRAPH, derive(union)))
            self._graphs = graphs
        return self._graphs

    @graphs.setter
    def graphs(self, value: list[tuple[URIRef, Graph]]) -> None:
        self._graphs = value

    def union(self) -> Graph:
        union = Graph()
        for _, graph in self.graphs:
            union += graph
        return union

    def to_nquads(self, base_iri: str = DEFAULT_BASE) -> str:
        dataset = Dataset()
        for iri, graph in self.graphs:
            named = dataset.graph(iri)
            for triple in graph:
                named.add(triple)
        text = dataset.serialize(format="nquads")
        return rebase(text, base_iri)


def compile_dataset(settings: Settings) -> CompiledDataset:
    """Find every source (a missing one is an error now); they are parsed, and derived, when first used."""
    return CompiledDataset(sources=find_sources(settings), settings=settings)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def validate_dataset(compiled: CompiledDataset, settings: Settings) -> Report:
    """Validate the compiled dataset (sources and derived statements) against the project's shapes."""
    shapes = load_shapes(settings.project_path / "shapes")
    if not compiled.materialised:
        report = validate_by_parts(compiled, settings, shapes)
        if report is not None:
            return report
    return validate_graph(compiled.union(), shapes, dict(compiled.graphs))


def write_artifact(compiled: CompiledDataset, settings: Settings, report: Report | None = None,
                   loader: PartLoader | None = None) -> dict:
    """Write the artifact and move it into place; with a ``loader``, from the parts it has loaded already."""
    from .search import INDEX_DIR  # imported here: the index's builder depends on the store module

    target = settings.build_path
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = loader.folder if loader is not None else Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    try:
        if loader is not None:  # loaded part by part during the validation
            graph_counts, version, _ = loader.finish(staging / INDEX_DIR)
        else:
            store = ox.Store(str(staging / STORE))
            nquads = compiled.to_nquads(settings.base_iri)
            (staging / NQUADS).write_text(nquads, encoding="utf-8")
            graph_counts = {str(iri): len(g) for iri, g in compiled.graphs}
            version = hashlib.sha256(nquads.encode("utf-8")).hexdigest()[:16]
            load_nquads(store, nquads.encode("utf-8"))
            store.flush()
            del store
            _write_search_index(staging, settings.base_iri)
        manifest = {
            "version": version,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "base_iri": settings.base_iri,
            "quads": sum(graph_counts.values()),
            "graphs": graph_counts,
            "validation": None if report is None else {
                "violations": report.count("Violation"), "warnings": report.count("Warning"),
                "infos": report.count("Info")},
            "sources": [
                {"file": s.name, "graph": str(s.graph_iri), "sha256": _sha256(s.path)} for s in compiled.sources
            ],
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        if target.exists():
            old = target.with_name(target.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
            staging.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(target)
        return manifest
    except OSError as exc:
        raise BuildError(f"cannot write the artifact to {target}: {exc}") from exc
    finally:
        if loader is not None:
            loader.close()
        shutil.rmtree(staging, ignore_errors=True)


def _write_search_index(folder: Path, base_iri: str) -> None:
    """The similar-action index is built with the graph, from the store just written."""
    from .search import INDEX_DIR  # imported here: the index's builder depends on the store module
    from .search_build import write_index
    from .store import OxigraphEngine

    write_index(OxigraphEngine(str(folder / STORE)), folder / INDEX_DIR, base_iri)


def build_graph(settings: Settings) -> dict:
    """Compile and validate the sources, then write the serving artifact; returns the manifest.

    Any SHACL violation stops the build before anything is moved into place: broken data is never served.
    The validation by parts writes the artifact (N-Quads, store, search index) in a staging folder as it goes.
    """
    compiled = compile_dataset(settings)
    shapes = load_shapes(settings.project_path / "shapes")
    settings.build_path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=settings.build_path.parent))
    loader: PartLoader | None = PartLoader(staging, settings.base_iri, NQUADS, STORE)
    try:
        report = validate_by_parts(compiled, settings, shapes, loader)
        if report is None:  # validated as a whole: the artifact is written afterwards, from the whole graph
            assert loader is not None
            loader.close()
            loader = None
            report = validate_graph(compiled.union(), shapes, dict(compiled.graphs))
        if report.has_violations:
            raise ValidationFailed(report, format_text(report))
        written, loader = loader, None
        return write_artifact(compiled, settings, report, written)
    finally:
        if loader is not None:
            loader.close()
        shutil.rmtree(staging, ignore_errors=True)


def read_manifest(settings: Settings) -> dict | None:
    path = settings.build_path / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


