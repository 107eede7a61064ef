"""Build the similar-element index (:mod:`sdsf_graph.search`) from the store, in bounded memory.

The plan elements are read scheme by scheme (the ``search-elements`` query with ``?scheme`` bound), each
distinct text analysed once, and only term counts kept (integer arrays); the vocabulary and its document
frequencies come out of that one pass, the weights are then computed with NumPy on whole arrays and written
as an inverted index in float32. No step holds more than the arrays themselves and the elements' strings.
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyoxigraph as ox
from scipy import sparse

from .namespaces import DEFAULT_BASE
from .query import named_queries, parse_named_query, run_query
from .search import (
    CONTEXT_WEIGHT,
    FORMAT,
    META,
    STRING_COLUMNS,
    THEME_WEIGHT,
    Glossary,
    own_text,
)
from .store import Engine, OxigraphEngine
from .store_load import has_union_default_graph
from .textnorm import analyse, fold, words

SCHEMES = parse_named_query("search-schemes", """
PREFIX sdsf: <https://w3id.org/sdsf/def#>
SELECT DISTINCT ?scheme WHERE { ?element sdsf:inScheme ?scheme } ORDER BY ?scheme
""")
KINDS = ("own", "context", "themes")
FACTORS = (1.0, CONTEXT_WEIGHT, THEME_WEIGHT)


def load_glossary(engine: Engine, base_iri: str = DEFAULT_BASE) -> Glossary:
    glossary = Glossary()
    for row in run_query(engine, named_queries()["search-glossary"], base_iri=base_iri).rows:
        concept = str(row["concept"])
        labels = [lbl for lbl in str(row.get("labels", "")).split("\n") if lbl]
        if str(row["kind"]) == "theme":
            glossary.theme_labels[concept] = labels
            continue
        notation = str(row.get("notation", ""))
        glossary.labels[concept] = [notation, *labels] if notation else labels
        glossary.related[concept] = [r for r in str(row.get("relatedEntries", "")).split() if r]
        for label in [notation, *labels]:
            if not label:
                continue
            if " " in label.strip():
                glossary.phrases.append((" ".join(fold(w) for w in words(label)), concept))
            elif len(label) >= 2:
                glossary.acronyms.setdefault(fold(label), set()).add(concept)
    return glossary


class _Collector:
    """Term counts of the three documents of every element, and the elements' columns, in one pass.

    Everything per element is kept in integer arrays (terms and counts, scheme, type, themes) or as shared
    strings (a label, a parent's label: one copy, however many elements repeat it); only the IRIs are many.
    """

    def __init__(self, glossary: Glossary):
        self.glossary = glossary
        self.terms: dict[str, int] = {}
        self.docs = {kind: (array("i"), array("i"), array("i")) for kind in KINDS}  # lengths, term ids, counts
        self.analysed: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        self.expanded: dict[str, str] = {}
        self.shared: dict[str, str] = {}
        self.strings: dict[str, list[str]] = {name: [] for name in STRING_COLUMNS}
        self.scheme, self.type = array("i"), array("i")
        self.theme_lengths, self.theme_ids = array("i"), array("i")
        self.types: dict[str, int] = {}
        self.schemes: dict[tuple[str, str, str, str], int] = {}
        self.themes: dict[str, int] = {}

    def counts(self, text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        found = self.analysed.get(text)
        if found is None:
            counted = Counter(self.terms.setdefault(t, len(self.terms)) for t in analyse(text))
            found = (tuple(counted), tuple(counted.values()))
            self.analysed[text] = found
        return found

    def add(self, row: dict) -> None:
        label = str(row["label"])
        alts = [a for a in str(row.get("altLabels", "")).split("\n") if a]
        themes = sorted(t for t in str(row.get("themes", "")).split() if t)
        parent = str(row.get("parentLabel", ""))
        key = "\n".join([label, *alts])
        own = self.expanded.get(key)
        if own is None:
            own = self.expanded[key] = own_text(label, alts, self.glossary)
        theme_text = " ".join(lbl for t in themes for lbl in self.glossary.theme_labels.get(t, ()))
        for kind, text in zip(KINDS, (own, parent, theme_text), strict=True):
            terms, counts = self.counts(text)
            lengths, term_ids, term_counts = self.docs[kind]
            lengths.append(len(terms))
            term_ids.extend(terms)
            term_counts.extend(counts)
        values = (str(row["element"]), label, parent, "\n".join(alts))
        for name, value in zip(STRING_COLUMNS, values, strict=True):
            self.strings[name].append(value if name == "iri" else self.shared.setdefault(value, value))
        scheme = (str(row["scheme"]), str(row["schemeLabel"]), str(row["code"]), str(row["departementLabel"]))
        self.scheme.append(self.schemes.setdefault(scheme, len(self.schemes)))
        self.type.append(self.types.setdefault(str(row["type"]).rsplit("#", 1)[-1], len(self.types)))
        self.theme_lengths.append(len(themes))
        self.theme_ids.extend(self.themes.setdefault(t, len(self.themes)) for t in themes)


def _sorted_ids(ids: dict) -> tuple[list, np.ndarray]:
    """The keys of ``ids`` (key → number in order of arrival) sorted, and each old number's new one."""
    keys = sorted(ids)
    renumber = np.empty(len(keys), dtype=np.int32)
    renumber[[ids[k] for k in keys]] = np.arange(len(keys), dtype=np.int32)
    return keys, renumber


class StoreEngine(OxigraphEngine):
    """The engine over a store being written (the build's), instead of one opened read-only."""

    def __init__(self, store: ox.Store):  # noqa: D107 - no read-only store opened
        self.store = store
        self.union: dict[str, Any] = {} if has_union_default_graph(store) else {"use_default_graph_as_union": True}


def _rows(engine: Engine, query: str) -> Iterator[dict]:
    """The rows of a SELECT query as plain strings, streamed straight from pyoxigraph when it is the engine."""
    store = getattr(engine, "store", None)
    if not isinstance(store, ox.Store):
        yield from ({k: str(v) for k, v in row.items()} for row in engine.query(query).rows)
        return
    solutions = store.query(query, **getattr(engine, "union", {"use_default_graph_as_union": True}))
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    for solution in solutions:
        yield {name: value.value for name in names if (value := solution[name]) is not None}


def _schemes(engine: Engine, base_iri: str) -> list[str]:
    store = getattr(engine, "store", None)
    if isinstance(store, ox.Store):  # much faster than the query's DISTINCT
        in_scheme = ox.NamedNode(base_iri + "def#inScheme")
        return sorted({q.object.value for q in store.quads_for_pattern(None, in_scheme, None, None)
                       if isinstance(q.object, ox.NamedNode)})
    return [str(row["scheme"]) for row in run_query(engine, SCHEMES, base_iri=base_iri).rows]


class IndexBuilder:
    """Reads the plan elements of schemes as they are added to the store, then writes the index."""

    def __init__(self, engine: Engine, base_iri: str = DEFAULT_BASE):
        self.engine = engine
        self.glossary = load_glossary(engine, base_iri)
        self.collector = _Collector(self.glossary)
        self.done: set[str] = set()
        query = named_queries()["search-elements"].text
        if base_iri != DEFAULT_BASE:
            query = query.replace("<" + DEFAULT_BASE, "<" + base_iri)
        self.query = query
        self.head, self.where, tail = query.partition("WHERE {")
        self.tail = tail.replace("ORDER BY ?element", "")  # the elements are put in order afterwards

    def add_schemes(self, schemes: Iterable[str]) -> None:
        """Index the plan elements of these schemes (each scheme once; all its elements must be in the store)."""
        if not self.where:  # not a query we can bind: all elements at once, in write()
            return
        for scheme in schemes:
            if scheme not in self.done:
                self.done.add(scheme)
                query = f"{self.head}{self.where}\n  VALUES ?scheme {{ <{scheme}> }}{self.tail}"
                for row in _rows(self.engine, query):
                    self.collector.add(row)

    def write(self, folder: Path) -> int:
        if not self.where:
            for row in _rows(self.engine, self.query):
                self.collector.add(row)
        return _write(self.collector, folder)


def write_index(engine: Engine, folder: Path, base_iri: str = DEFAULT_BASE) -> int:
    """Build the index of the whole graph in ``engine`` into ``folder``; returns the number of elements."""
    builder = IndexBuilder(engine, base_iri)
    builder.add_schemes(_schemes(engine, base_iri))
    return builder.write(folder)


def _save(folder: Path, name: str, values: np.ndarray) -> None:
    np.save(folder / f"{name}.npy", values, allow_pickle=False)


def _save_strings(folder: Path, name: str, values: list[str]) -> None:
    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    _save(folder, name, np.frombuffer(b"".join(encoded), dtype=np.uint8))
    _save(folder, f"{name}-offsets", offsets)


def _write(collector: _Collector, folder: Path) -> int:
    glossary = collector.glossary
    # An empty graph still gets a (useless but working) index: the vocabulary of the thesaurus.
    glossary_terms, _ = collector.counts(" ".join(" ".join(v) for v in glossary.labels.values()) or "vide")
    collector.analysed.clear()
    collector.expanded.clear()
    collector.shared.clear()
    size = len(collector.scheme)
    # Elements in IRI order: the server finds one by binary search, and ties are ranked in that order.
    order = np.asarray(sorted(range(size), key=collector.strings["iri"].__getitem__), dtype=np.int64)
    position = np.empty(size, dtype=np.int32)
    position[order] = np.arange(size, dtype=np.int32)
    # The vocabulary in alphabetical order, with the smoothed idf over the 3 × size + 1 documents.
    vocabulary, renumber = _sorted_ids(collector.terms)
    counted = np.zeros(len(vocabulary), dtype=np.int64)
    for _, ids, _ in collector.docs.values():
        counted += np.bincount(np.frombuffer(ids, dtype=np.int32), minlength=len(vocabulary))
    counted[list(glossary_terms)] += 1
    frequency = np.empty_like(counted)
    frequency[renumber] = counted
    idf = np.log((1 + 3 * size + 1) / (1 + frequency)) + 1
    combined = sparse.csr_matrix((size, len(vocabulary)), dtype=np.float64)
    for kind, factor in zip(KINDS, FACTORS, strict=True):  # one kind at a time: a third of the arrays at once
        length_array, term_array, count_array = collector.docs.pop(kind)
        rows = np.repeat(position, np.frombuffer(length_array, dtype=np.int32))
        terms = renumber[np.frombuffer(term_array, dtype=np.int32)]
        weights = (1 + np.log(np.frombuffer(count_array, dtype=np.int32))) * idf[terms]
        del length_array, term_array, count_array
        norms = np.sqrt(np.bincount(rows, weights * weights, minlength=size))
        weights = factor * weights / norms[rows]
        combined = combined + sparse.csr_matrix((weights, (rows, terms)), shape=(size, len(vocabulary)))
        del rows, terms, weights
    combined.sort_indices()  # sums in one order, however the elements came in
    norms = np.sqrt(np.asarray(combined.multiply(combined).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    postings = sparse.csc_matrix(sparse.diags(1 / norms) @ combined)
    del combined
    postings.sort_indices()
    folder.mkdir(parents=True, exist_ok=True)
    _save(folder, "idf", idf)
    _save(folder, "postings-ptr", postings.indptr.astype(np.int64))
    _save(folder, "postings-rows", postings.indices.astype(np.int32))
    _save(folder, "postings-weights", postings.data.astype(np.float32))
    del postings
    schemes, scheme_ids = _sorted_ids(collector.schemes)
    types, type_ids = _sorted_ids(collector.types)
    _save(folder, "scheme", scheme_ids[np.frombuffer(collector.scheme, dtype=np.int32)][order])
    _save(folder, "type", type_ids[np.frombuffer(collector.type, dtype=np.int32)][order].astype(np.int8))
    for theme in sorted(glossary.theme_labels):
        collector.themes.setdefault(theme, len(collector.themes))
    themes, theme_ids = _sorted_ids(collector.themes)
    lengths = np.frombuffer(collector.theme_lengths, dtype=np.int32).astype(np.int64)
    starts = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    theme_ptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(lengths[order], out=theme_ptr[1:])
    picked = np.repeat(starts[:-1][order] - theme_ptr[:-1], lengths[order]) + np.arange(theme_ptr[-1])
    _save(folder, "themes-ptr", theme_ptr)
    _save(folder, "themes-ids", theme_ids[np.frombuffer(collector.theme_ids, dtype=np.int32)][picked])
    for name in STRING_COLUMNS:
        column = collector.strings[name]
        _save_strings(folder, name, [column[i] for i in order])
        column.clear()
    meta = {"format": FORMAT, "elements": size, "vocabulary": vocabulary,
            "types": types, "themes": themes, "schemes": [list(s) for s in schemes],
            "glossary": glossary.to_json()}
    (folder / META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return size
