"""Stage 3 — build: compile every source into one dataset and write the serving artifact.

The artifact (``build/`` by default) holds ``sdsf.nq`` (one named graph per source file plus the derived
graph), ``store/`` (a pyoxigraph store the server opens read-only) and ``manifest.json`` (data version,
counts, sources). It is written to a temporary folder and moved into place, so a failed build never
leaves a half-written artifact.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import pyoxigraph as ox
from rdflib import Dataset, Graph, URIRef
from rdflib.term import Node

from .enrich import derive
from .errors import BuildError, SDSFError, ValidationFailed
from .namespaces import DEFAULT_BASE, DERIVED_GRAPH, SDSF
from .store_load import load_nquads
from .settings import Settings
from .sources import SourceFile, find_sources, parse_source
from .validate import (
    Report,
    format_text,
    load_shapes,
    partition_support,
    resolve_targets,
    sort_findings,
    sparql_target_nodes,
    sparql_targets,
    validate_focus_nodes,
    validate_graph,
)

NQUADS = "sdsf.nq"
STORE = "store"
MANIFEST = "manifest.json"


class CompiledDataset:
    """The sources of the graph, parsed each into its named graph, with the derived graph.

    ``compile_dataset`` returns it *lazy*: the files are parsed when ``graphs`` (or ``union``) is first used.
    The build and ``validate_dataset`` do not use it that way on many files: they process the files by parts,
    in worker processes, without ever holding the whole graph in one process (see ``_validate_by_parts``).
    """

    def __init__(self, graphs: list[tuple[URIRef, Graph]] | None = None, sources: list[SourceFile] | None = None,
                 settings: Settings | None = None):
        self._graphs = graphs if graphs is not None or settings is None else None
        if self._graphs is None and settings is None:
            self._graphs = []
        self.sources: list[SourceFile] = sources if sources is not None else []
        self.settings = settings
        #: Written by the validation by parts when it runs for a build: N-Quads, counts, digests.
        self.parts: _Parts | None = None

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
        return _rebase(text, base_iri)


def _rebase(text: str, base_iri: str) -> str:
    if base_iri != DEFAULT_BASE:
        # IRIs, and the literals that spell one (vann:preferredNamespaceUri), move to the new base.
        text = text.replace("<" + DEFAULT_BASE, "<" + base_iri).replace('"' + DEFAULT_BASE, '"' + base_iri)
    return text


def compile_dataset(settings: Settings) -> CompiledDataset:
    """Find every source (a missing one is an error now); they are parsed, and derived, when first used."""
    return CompiledDataset(sources=find_sources(settings), settings=settings)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def validate_dataset(compiled: CompiledDataset, settings: Settings) -> Report:
    """Validate the compiled dataset (sources and derived statements) against the project's shapes."""
    shapes = load_shapes(settings.project_path / "shapes")
    if not compiled.materialised:
        report = _validate_by_parts(compiled, settings, shapes, nquads_dir=None)
        if report is not None:
            return report
    return validate_graph(compiled.union(), shapes, dict(compiled.graphs))


def write_artifact(compiled: CompiledDataset, settings: Settings, report: Report | None = None) -> dict:
    target = settings.build_path
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    try:
        store = ox.Store(str(staging / STORE))
        if compiled.parts is not None:  # written by the validation by parts: loaded part by part
            graph_counts, version = compiled.parts.assemble(staging / NQUADS, settings.base_iri, store)
        else:
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
        shutil.rmtree(staging, ignore_errors=True)
        if compiled.parts is not None:
            compiled.parts.cleanup()


def _write_search_index(folder: Path, base_iri: str) -> None:
    """The similar-action index is built with the graph, from the store just written."""
    from .search import INDEX_DIR  # imported here: the index's builder depends on the store module
    from .search_build import write_index
    from .store import OxigraphEngine

    write_index(OxigraphEngine(str(folder / STORE)), folder / INDEX_DIR, base_iri)


def build_graph(settings: Settings) -> dict:
    """Compile and validate the sources, then write the serving artifact; returns the manifest.

    Any SHACL violation stops the build before anything is written: broken data is never served.
    """
    compiled = compile_dataset(settings)
    shapes = load_shapes(settings.project_path / "shapes")
    settings.build_path.parent.mkdir(parents=True, exist_ok=True)
    parts_dir = Path(tempfile.mkdtemp(prefix=".parts-", dir=settings.build_path.parent))
    try:
        report = _validate_by_parts(compiled, settings, shapes, nquads_dir=parts_dir)
        if report is None:
            report = validate_graph(compiled.union(), shapes, dict(compiled.graphs))
        if report.has_violations:
            raise ValidationFailed(report, format_text(report))
        return write_artifact(compiled, settings, report)
    finally:
        shutil.rmtree(parts_dir, ignore_errors=True)


def read_manifest(settings: Settings) -> dict | None:
    path = settings.build_path / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------------------
# Validation (and N-Quads writing) by parts, in worker processes
#
# The scheme files are cut into *components*: files that describe a common node, or where one file points to a
# node another file describes, or that are linked through a predicate a SPARQL target joins on, end up in the
# same component; no node of a component points into another one. Components are packed into batches of about
# BATCH_BYTES of Turtle; each batch is parsed, derived, validated (its own focus nodes only, SPARQL targets run
# on small groups by validate.sparql_target_nodes) and written as N-Quads by a worker process, so that no
# process ever holds the whole graph. The shared graph's (ontology, thesaurus, reference data) own nodes are
# validated once, in this process. When the data or the shapes do not allow it (a shared node also described
# by a scheme file, an inverse path in the shapes…), the whole graph is validated at once instead.
# ---------------------------------------------------------------------------------------------------------

#: Turtle bytes per batch: bounds the memory of one worker (about 50,000 triples).
BATCH_BYTES = 3_000_000
#: Worker processes (none when everything fits in one batch).
WORKERS = max(1, min(4, os.cpu_count() or 1))


@dataclass
class _FileFacts:
    """What a scheme file says about which nodes it describes and which it points to."""

    subjects: set[str]
    mentions: set[str]  # IRIs in subject or object position
    linked: set[str]  # IRI objects of the predicates SPARQL targets use
    size: int


def _facts(path: str, target_predicates: list[str]) -> _FileFacts | None:
    """Read one file with pyoxigraph's (fast) parser; None when it cannot (rdflib will then say why)."""
    subjects: set[str] = set()
    mentions: set[str] = set()
    linked: set[str] = set()
    wanted = set(target_predicates)
    try:
        for triple in ox.parse(path=path, format=ox.RdfFormat.TURTLE):
            subject, obj = triple.subject, triple.object
            if isinstance(subject, ox.NamedNode):
                subjects.add(subject.value)
            if isinstance(obj, ox.NamedNode):
                mentions.add(obj.value)
                if triple.predicate.value in wanted:
                    linked.add(obj.value)
    except (SyntaxError, OSError, ValueError):
        return None
    mentions |= subjects
    return _FileFacts(subjects, mentions, linked, os.path.getsize(path))


class _UnionFind:
    def __init__(self, size: int):
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        self.parent[self.find(i)] = self.find(j)

    def groups(self) -> list[list[int]]:
        found: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            found.setdefault(self.find(i), []).append(i)
        return list(found.values())


def _plan(facts: list[_FileFacts], shared_subjects: set[str], shared_objects: set[str]
          ) -> list[list[list[int]]] | None:
    """Components of scheme files (each a list of units, each a list of file indexes); None if impossible."""
    owners: dict[str, list[int]] = defaultdict(list)
    for i, fact in enumerate(facts):
        for subject in fact.subjects:
            owners[subject].append(i)
    if any(subject in shared_subjects or subject in shared_objects for subject in owners):
        return None  # a shared node described, or pointed to from the shared graph: validate it all at once
    units = _UnionFind(len(facts))
    for files in owners.values():
        for other in files[1:]:
            units.union(files[0], other)
    linked_by: dict[str, list[int]] = defaultdict(list)
    for i, fact in enumerate(facts):
        for iri in fact.linked:
            if iri not in shared_subjects:
                linked_by[iri].append(i)
    for iri, files in linked_by.items():  # linked through a SPARQL target's predicate, to a node or to one another
        for other in files[1:] + owners.get(iri, []):
            units.union(files[0], other)
    components = _UnionFind(len(facts))
    for unit in units.groups():
        for other in unit[1:]:
            components.union(unit[0], other)
    for i, fact in enumerate(facts):
        for iri in fact.mentions:
            for owner in owners.get(iri, ()):
                components.union(i, owner)
    unit_root = {i: units.find(i) for i in range(len(facts))}
    planned = []
    for component in components.groups():
        by_unit: dict[int, list[int]] = defaultdict(list)
        for i in component:
            by_unit[unit_root[i]].append(i)
        planned.append([sorted(files) for files in by_unit.values()])
    return planned


@dataclass
class _BatchResult:
    findings: list = field(default_factory=list)
    group_labels: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # source graph IRI -> triples
    derived: int = 0
    shared_targets: dict = field(default_factory=dict)  # shape -> shared nodes its SPARQL target selects
    failed: int | None = None  # index of a source file that cannot be parsed


class _Parts:
    """The N-Quads written by the batches, and what the manifest needs, until the artifact is written."""

    def __init__(self, folder: Path, files: list[Path], counts: dict[str, int]):
        self.folder, self.files, self.counts = folder, files, counts

    def assemble(self, target: Path, base_iri: str, store: ox.Store) -> tuple[dict[str, int], str]:
        """Write the parts into ``target`` and load them into ``store``, one part at a time.

        pyoxigraph's bulk loader holds what it loads in memory until it writes it: a part at a time keeps that
        to a part (about 15 MB of N-Quads) instead of the whole graph.
        """
        digest = hashlib.sha256()
        with open(target, "w", encoding="utf-8") as out:
            for part in self.files:
                text = _rebase(part.read_text(encoding="utf-8"), base_iri)
                out.write(text)
                data = text.encode("utf-8")
                digest.update(data)
                load_nquads(store, data)
        return self.counts, digest.hexdigest()[:16]

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _write_nquads(out: TextIO, graph: Graph, graph_iri: str) -> None:
    """Append ``graph`` as N-Quads in ``graph_iri`` (the base is moved when the parts are assembled)."""
    suffix = f"<{graph_iri}> .\n"
    for line in graph.serialize(format="nt").splitlines():
        if line.endswith(" ."):
            out.write(line[:-1] + suffix)


# Set once per worker process by _init_worker (and in this process when no worker is used).
_shared: Graph | None = None
_shapes: Graph | None = None


def _init_worker(shared: Graph, shapes: Graph) -> None:
    global _shared, _shapes
    _shared, _shapes = shared, shapes


def _run_batch(units: list[list[tuple[int, SourceFile]]], nquads: str | None) -> _BatchResult:
    """Parse, derive, validate (and write as N-Quads) one batch of components."""
    assert _shared is not None and _shapes is not None
    result = _BatchResult()
    data = Graph()
    unit_of: dict[Node, int] = {}
    source_of: dict[Node, tuple[int, str]] = {}
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open(nquads, "w", encoding="utf-8")) if nquads else None
        for u, unit in enumerate(units):
            for index, source in unit:
                try:
                    graph = parse_source(source)
                except SDSFError:
                    result.failed = index
                    return result
                result.counts[str(source.graph_iri)] = len(graph)
                if out:
                    _write_nquads(out, graph, str(source.graph_iri))
                for subject in graph.subjects(unique=True):
                    unit_of[subject] = u
                    if subject not in source_of or source_of[subject][0] > index:
                        source_of[subject] = (index, str(source.graph_iri))
                data += graph
                del graph
        data += _shared
        derived = Graph()
        produced = derive(data)
        for profile, scheme in produced.subject_objects(SDSF.profileOf):  # counts of this batch's schemes
            if scheme in unit_of:
                unit_of[profile] = unit_of[scheme]
        for triple in produced:
            if triple[0] in unit_of:
                derived.add(triple)
        result.derived = len(derived)
        if out:
            _write_nquads(out, derived, str(DERIVED_GRAPH))
        data += derived
        del derived
    targets = {shape: {node for node in nodes if node in unit_of}
               for shape, nodes in resolve_targets(data, _shapes).items()}
    shared_subjects = set(_shared.subjects(unique=True))
    for shape, nodes in sparql_target_nodes(data, shared_subjects, sparql_targets(_shapes)).items():
        for node in nodes:
            if node in shared_subjects:
                result.shared_targets.setdefault(shape, set()).add(node)
            else:  # described by this batch, or by no file at all (then it is validated alike anywhere)
                targets.setdefault(shape, set()).add(node)
    report = Report()
    validate_focus_nodes(data, _shapes, targets, report,
                         lambda focus: source_of[focus][1] if focus in source_of else "(graph)")
    result.findings, result.group_labels = report.findings, report.group_labels
    return result


def _batches(components: list[list[list[int]]], sizes: list[int], batch_bytes: int) -> list[list[list[int]]]:
    """Components packed into batches of about ``batch_bytes`` (largest first), at least one per worker."""
    total = sum(sizes)
    count = max(1, -(-total // batch_bytes))
    if count > 1:
        count = max(count, WORKERS)
    batches: list[list[list[int]]] = [[] for _ in range(count)]
    loads = [0] * count
    weight = [sum(sizes[i] for unit in component for i in unit) for component in components]
    for c in sorted(range(len(components)), key=lambda c: -weight[c]):
        lightest = loads.index(min(loads))
        batches[lightest].extend(components[c])
        loads[lightest] += weight[c]
    return [batch for batch in batches if batch]


def _validate_by_parts(compiled: CompiledDataset, settings: Settings, shapes: Graph,
                       nquads_dir: Path | None, batch_bytes: int | None = None) -> Report | None:
    """Validate (and, with ``nquads_dir``, write as N-Quads) by parts; None when the whole graph must be used."""
    supported, predicates = partition_support(shapes)
    if not supported:
        return None
    batch_bytes = batch_bytes or BATCH_BYTES
    shared_sources = [s for s in compiled.sources if s.kind != "scheme"]
    scheme_sources = [s for s in compiled.sources if s.kind == "scheme"]
    shared_graphs = [(source, parse_source(source)) for source in shared_sources]
    shared = Graph()
    for _, graph in shared_graphs:
        shared += graph
    shared_subjects = {str(s) for s in shared.subjects(unique=True) if isinstance(s, URIRef)}
    shared_objects = {str(o) for o in shared.objects(unique=True) if isinstance(o, URIRef)}
    target_predicates = sorted(str(p) for p in predicates or ())
    facts = []
    for source in scheme_sources:
        fact = _facts(str(source.path), target_predicates)
        if fact is None:
            parse_source(source)  # raises the error with its line, as rdflib reports it
            return None  # pyoxigraph refuses what rdflib accepts: validate the whole graph
        facts.append(fact)
    components = _plan(facts, shared_subjects, shared_objects)
    if components is None:
        return None
    batches = _batches(components, [f.size for f in facts], batch_bytes)
    index_of = {id(source): i for i, source in enumerate(compiled.sources)}
    tasks = [([[(index_of[id(scheme_sources[i])], scheme_sources[i]) for i in unit] for unit in batch],
              str(nquads_dir / f"part-{n:04d}.nq") if nquads_dir else None) for n, batch in enumerate(batches)]
    if len(tasks) <= 1:
        _init_worker(shared, shapes)
        results = [_run_batch(*task) for task in tasks]
    else:
        context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        with ProcessPoolExecutor(max_workers=min(WORKERS, len(tasks)), mp_context=context,
                                 initializer=_init_worker, initargs=(shared, shapes)) as pool:
            results = list(pool.map(_run_batch, *zip(*tasks, strict=True)))
    for result in results:
        if result.failed is not None:
            parse_source(compiled.sources[result.failed])  # raises the error with its line
    # The shared graph's own nodes, once.
    report = Report()
    for result in results:
        report.findings.extend(result.findings)
        report.group_labels.update(result.group_labels)
    _init_worker(shared, shapes)
    derived = Graph()
    for triple in derive(shared):
        derived.add(triple)
    data = shared + derived
    shared_nodes = set(shared.subjects(unique=True))
    targets = {shape: nodes & shared_nodes for shape, nodes in resolve_targets(data, shapes).items()}
    for shape, nodes in sparql_target_nodes(data, set(), sparql_targets(shapes)).items():
        targets.setdefault(shape, set()).update(nodes & shared_nodes)
    for result in results:
        for shape, nodes in result.shared_targets.items():
            targets.setdefault(shape, set()).update(nodes)
    first_source = {}
    for source, graph in reversed(shared_graphs):
        for subject in graph.subjects(unique=True):
            first_source[subject] = str(source.graph_iri)
    validate_focus_nodes(data, shapes, targets, report, lambda focus: first_source.get(focus, "(graph)"))
    unique = {(f.severity, f.focus, f.path, f.shape, f.value, f.message_fr): f for f in report.findings}
    report.findings = list(unique.values())
    sort_findings(report)
    if nquads_dir is not None:
        counts: dict[str, int] = {}
        shared_part = nquads_dir / "part-shared.nq"
        with open(shared_part, "w", encoding="utf-8") as out:
            for source, graph in shared_graphs:
                _write_nquads(out, graph, str(source.graph_iri))
                counts[str(source.graph_iri)] = len(graph)
            _write_nquads(out, derived, str(DERIVED_GRAPH))
        for result in results:
            counts.update(result.counts)
        ordered = {str(s.graph_iri): counts[str(s.graph_iri)] for s in compiled.sources}
        ordered[str(DERIVED_GRAPH)] = len(derived) + sum(r.derived for r in results)
        compiled.parts = _Parts(nquads_dir, [shared_part] + [Path(t[1]) for t in tasks if t[1]], ordered)
    return report

