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
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph, URIRef

from .enrich import derive
from .errors import BuildError, ValidationFailed
from .namespaces import DEFAULT_BASE, DERIVED_GRAPH
from .settings import Settings
from .sources import SourceFile, load_sources
from .validate import Report, format_text, load_shapes, validate_graph

NQUADS = "sdsf.nq"
STORE = "store"
MANIFEST = "manifest.json"


@dataclass
class CompiledDataset:
    graphs: list[tuple[URIRef, Graph]] = field(default_factory=list)
    sources: list[SourceFile] = field(default_factory=list)

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
        if base_iri != DEFAULT_BASE:
            # IRIs, and the literals that spell one (vann:preferredNamespaceUri), move to the new base.
            text = text.replace("<" + DEFAULT_BASE, "<" + base_iri).replace('"' + DEFAULT_BASE, '"' + base_iri)
        return text


def compile_dataset(settings: Settings) -> CompiledDataset:
    """Parse every source into its named graph and add the derived graph."""
    compiled = CompiledDataset()
    for source, graph in load_sources(settings):
        compiled.sources.append(source)
        compiled.graphs.append((source.graph_iri, graph))
    compiled.graphs.append((DERIVED_GRAPH, derive(compiled.union())))
    return compiled


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def validate_dataset(compiled: CompiledDataset, settings: Settings) -> Report:
    """Validate the compiled dataset (sources and derived statements) against the project's shapes."""
    shapes = load_shapes(settings.project_path / "shapes")
    return validate_graph(compiled.union(), shapes, dict(compiled.graphs))


def write_artifact(compiled: CompiledDataset, settings: Settings, report: Report | None = None) -> dict:
    target = settings.build_path
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    try:
        nquads = compiled.to_nquads(settings.base_iri)
        (staging / NQUADS).write_text(nquads, encoding="utf-8")
        store = ox.Store(str(staging / STORE))
        store.bulk_load(path=str(staging / NQUADS), format=ox.RdfFormat.N_QUADS)
        store.flush()
        del store
        _write_search_index(staging, settings.base_iri)
        manifest = {
            "version": hashlib.sha256(nquads.encode("utf-8")).hexdigest()[:16],
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "base_iri": settings.base_iri,
            "quads": sum(len(g) for _, g in compiled.graphs),
            "graphs": {str(iri): len(g) for iri, g in compiled.graphs},
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
        shutil.rmtree(staging, ignore_errors=True)


def _write_search_index(folder: Path, base_iri: str) -> None:
    """The similar-action index is built with the graph, from the store just written."""
    from .search import build_index, save_index  # imported here: search depends on the store module
    from .store import OxigraphEngine

    save_index(build_index(OxigraphEngine(str(folder / STORE)), base_iri), folder)


def build_graph(settings: Settings) -> dict:
    """Compile and validate the sources, then write the serving artifact; returns the manifest.

    Any SHACL violation stops the build before anything is written: broken data is never served.
    """
    compiled = compile_dataset(settings)
    report = validate_dataset(compiled, settings)
    if report.has_violations:
        raise ValidationFailed(report, format_text(report))
    return write_artifact(compiled, settings, report)


def read_manifest(settings: Settings) -> dict | None:
    path = settings.build_path / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
