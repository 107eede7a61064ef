"""How the scheme files are cut into parts that can be validated apart (the validation by parts: `parts.py`).

The scheme files are cut into *components*: files that describe a common node, or where one file points to a
node another file describes, or that are linked through a predicate a SPARQL target joins on, end up in the
same component; no node of a component points into another one. Components are packed into batches of about
BATCH_BYTES of Turtle; each batch is parsed, derived, validated (its own focus nodes only, SPARQL targets run
on small groups by validate.sparql_target_nodes) and written as N-Quads by a worker process, so that no
process ever holds the whole graph. The shared graph's (ontology, thesaurus, reference data) own nodes are
validated once, in the main process. When the data or the shapes do not allow it (a shared node also described
by a scheme file, an inverse path in the shapes…), the whole graph is validated at once instead.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox

#: Turtle bytes per batch: bounds the memory of one worker (about 50,000 triples).
BATCH_BYTES = 3_000_000
#: Worker processes (none when everything fits in one batch).
WORKERS = max(1, min(4, os.cpu_count() or 1))


@dataclass
class FileFacts:
    """What a scheme file says about which nodes it describes and which it points to."""

    subjects: set[str]
    mentions: set[str]  # IRIs in subject or object position
    linked: set[str]  # IRI objects of the predicates SPARQL targets use
    size: int


def file_facts(path: str, target_predicates: list[str]) -> FileFacts | None:
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
    return FileFacts(subjects, mentions, linked, os.path.getsize(path))


class UnionFind:
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


def plan(facts: list[FileFacts], shared_subjects: set[str], shared_objects: set[str]
          ) -> list[list[list[int]]] | None:
    """Components of scheme files (each a list of units, each a list of file indexes); None if impossible."""
    owners: dict[str, list[int]] = defaultdict(list)
    for i, fact in enumerate(facts):
        for subject in fact.subjects:
            owners[subject].append(i)
    if any(subject in shared_subjects or subject in shared_objects for subject in owners):
        return None  # a shared node described, or pointed to from the shared graph: validate it all at once
    units = UnionFind(len(facts))
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
    components = UnionFind(len(facts))
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


def batches(components: list[list[list[int]]], sizes: list[int], batch_bytes: int) -> list[list[list[int]]]:
    """Components packed into batches of about ``batch_bytes`` (largest first), at least one per worker."""
    total = sum(sizes)
    count = max(1, -(-total // batch_bytes))
    if count > 1:  # a multiple of the workers: they all finish about together
        count = -(-count // WORKERS) * WORKERS
    batches: list[list[list[int]]] = [[] for _ in range(count)]
    loads = [0] * count
    weight = [sum(sizes[i] for unit in component for i in unit) for component in components]
    for c in sorted(range(len(components)), key=lambda c: -weight[c]):
        lightest = loads.index(min(loads))
        batches[lightest].extend(components[c])
        loads[lightest] += weight[c]
    return [batch for batch in batches if batch]
