"""Validation (and N-Quads writing) by parts, in worker processes; the artifact loaded part by part meanwhile.

The scheme files are cut into batches of components (:mod:`sdsf_graph.partition`). Each batch is parsed,
derived, validated (its own focus nodes only) and written as N-Quads by a worker process, so that no process
ever holds the whole graph; the shared graph's (ontology, thesaurus, reference data) own nodes are validated
once, in this process. For a build, a :class:`PartLoader` puts each part into the artifact as soon as a
worker has written it, while the other batches are still validated: loaded into the pyoxigraph store, its
schemes' plan elements read into the search index, and appended, in the order of the parts, to ``sdsf.nq``.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing
import re
import shutil
import sys
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Node

from . import partition
from .enrich import derive
from .errors import SDSFError
from .namespaces import DEFAULT_BASE, DERIVED_GRAPH, SDSF
from .settings import Settings
from .sources import SourceFile, parse_source
from .store_load import load_nquads
from .validate import (
    Report,
    partition_support,
    resolve_targets,
    sort_findings,
    sparql_target_nodes,
    sparql_targets,
    validate_focus_nodes,
)

if TYPE_CHECKING:
    from .build import CompiledDataset
    from .search_build import IndexBuilder

@dataclass
class _BatchResult:
    findings: list = field(default_factory=list)
    group_labels: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # source graph IRI -> triples
    derived: int = 0
    shared_targets: dict = field(default_factory=dict)  # shape -> shared nodes its SPARQL target selects
    failed: int | None = None  # index of a source file that cannot be parsed


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


def validate_by_parts(compiled: CompiledDataset, settings: Settings, shapes: Graph,
                      loader: PartLoader | None = None, batch_bytes: int | None = None) -> Report | None:
    """Validate by parts (and, with a ``loader``, write the artifact meanwhile); None when the whole graph must be
    validated at once."""
    supported, predicates = partition_support(shapes)
    if not supported:
        return None
    batch_bytes = batch_bytes or partition.BATCH_BYTES
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
        fact = partition.file_facts(str(source.path), target_predicates)
        if fact is None:
            parse_source(source)  # raises the error with its line, as rdflib reports it
            return None  # pyoxigraph refuses what rdflib accepts: validate the whole graph
        facts.append(fact)
    components = partition.plan(facts, shared_subjects, shared_objects)
    if components is None:
        return None
    batches = partition.batches(components, [f.size for f in facts], batch_bytes)
    del facts, shared_subjects, shared_objects  # the main process keeps little while the workers run
    index_of = {id(source): i for i, source in enumerate(compiled.sources)}
    shared_derived = Graph()
    for triple in derive(shared):
        shared_derived.add(triple)
    counts: dict[str, int] = {}

    def load_shared() -> None:  # part 0: the shared graph, loaded first
        if loader is not None:
            with open(loader.path(0), "w", encoding="utf-8") as out:
                for source, graph in shared_graphs:
                    _write_nquads(out, graph, str(source.graph_iri))
                    counts[str(source.graph_iri)] = len(graph)
                _write_nquads(out, shared_derived, str(DERIVED_GRAPH))
            loader.add(0)

    tasks = [([[(index_of[id(scheme_sources[i])], scheme_sources[i]) for i in unit] for unit in batch],
              str(loader.path(n + 1)) if loader else None) for n, batch in enumerate(batches)]
    results: list[_BatchResult] = []
    if len(tasks) <= 1:
        load_shared()
        _init_worker(shared, shapes)
        for n, task in enumerate(tasks):
            results.append(_run_batch(*task))
            if loader is not None and results[-1].failed is None:
                loader.add(n + 1)
    else:
        context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        with ProcessPoolExecutor(max_workers=min(partition.WORKERS, len(tasks)), mp_context=context,
                                 initializer=_init_worker, initargs=(shared, shapes)) as pool:
            futures: dict[Future, int] = {pool.submit(_run_batch, *task): n for n, task in enumerate(tasks)}
            load_shared()  # once the workers are forked: they never hold the store open
            pending = set(futures)
            while pending:  # each part into the artifact as soon as it is written, while the others run
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(finished, key=futures.__getitem__):
                    if loader is not None and future.result().failed is None:
                        loader.add(futures[future] + 1)
            results = [future.result() for future in futures]
    for result in results:
        if result.failed is not None:
            parse_source(compiled.sources[result.failed])  # raises the error with its line
    # The shared graph's own nodes, once.
    report = Report()
    for result in results:
        report.findings.extend(result.findings)
        report.group_labels.update(result.group_labels)
    _init_worker(shared, shapes)
    data = shared + shared_derived
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
    if loader is not None:
        for result in results:
            counts.update(result.counts)
        loader.counts = {str(s.graph_iri): counts[str(s.graph_iri)] for s in compiled.sources}
        loader.counts[str(DERIVED_GRAPH)] = len(shared_derived) + sum(r.derived for r in results)
    return report


def rebase(text: str, base_iri: str) -> str:
    if base_iri != DEFAULT_BASE:
        # IRIs, and the literals that spell one (vann:preferredNamespaceUri), move to the new base.
        text = text.replace("<" + DEFAULT_BASE, "<" + base_iri).replace('"' + DEFAULT_BASE, '"' + base_iri)
    return text


class PartLoader:
    """Writes the artifact's N-Quads, store and search index from the parts, as the workers write them.

    Part 0 (the shared graph) comes first; the others in any order. Each is loaded into the store at once
    (pyoxigraph's bulk loader holds what it loads in memory: a part at a time bounds that to a part, about 15 MB
    of N-Quads), and its schemes indexed; ``sdsf.nq`` receives the parts in their order, so that its content,
    and the version digested from it, do not depend on which worker finished first.
    """

    def __init__(self, folder: Path, base_iri: str, nquads: str, store: str):
        self.folder, self.base_iri = folder, base_iri
        self.parts = folder / ".parts"
        self.parts.mkdir()
        self.store_path = folder / store
        self.store: ox.Store | None = None  # opened by the first part (after the workers are forked)
        self.out = open(folder / nquads, "wb")  # noqa: SIM115 - closed by finish() or close()
        self.digest = hashlib.sha256()
        self.done: set[int] = set()
        self.written = 0
        self.index: IndexBuilder | None = None
        self.counts: dict[str, int] = {}
        self.in_scheme = re.compile(" <" + re.escape(base_iri) + "def#inScheme> <([^<>\\s]*)> ")

    def path(self, n: int) -> Path:
        return self.parts / f"part-{n:04d}.nq"

    def add(self, n: int) -> None:
        from .search_build import IndexBuilder, StoreEngine  # the index's builder depends on the store module

        if self.store is None:
            self.store = ox.Store(str(self.store_path))
        path = self.path(n)
        text = rebase(path.read_text(encoding="utf-8"), self.base_iri)
        data = text.encode("utf-8")
        if self.base_iri != DEFAULT_BASE:
            path.write_bytes(data)
        load_nquads(self.store, data)
        if self.index is None:  # the shared graph: the glossary, and the départements' labels
            self.index = IndexBuilder(StoreEngine(self.store), self.base_iri)
        self.index.add_schemes(sorted(set(self.in_scheme.findall(text))))
        del text, data
        self.done.add(n)
        while self.written in self.done:
            with open(self.path(self.written), "rb") as part:
                while chunk := part.read(1 << 20):
                    self.digest.update(chunk)
                    self.out.write(chunk)
            self.path(self.written).unlink()
            self.written += 1

    def finish(self, index_folder: Path) -> tuple[dict[str, int], str, int]:
        """Close the N-Quads and the store, write the search index: (graph counts, version, elements indexed)."""
        assert self.index is not None and self.store is not None and self.written == len(self.done)
        self.out.close()
        self.store.flush()
        size = self.index.write(index_folder)
        self.close()
        return self.counts, self.digest.hexdigest()[:16], size

    def close(self) -> None:
        self.out.close()
        self.store = self.index = None
        gc.collect()  # the store's files closed before the folder is moved or removed
        shutil.rmtree(self.parts, ignore_errors=True)
