"""Find similar plan elements in other départements: a French TF-IDF index with thesaurus expansion.

Each plan element is indexed by its own words (label, variant labels, and the expansions of the acronyms
it uses: « RAM » brings « relais assistants maternels » and its successor « relais petite enfance »), and,
with smaller weights, by its context: its parent's label and its themes. A query is analysed the same way.
Scores are cosine similarities; user text is only ever compared, never put in a query.

The weights are scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``: ``1 + ln tf`` times the smoothed idf
``ln((1 + n) / (1 + df)) + 1`` over the element texts (own, context, themes: three documents per element) and
the glossary, each vector normalised, then ``own + 0.35 context + 0.3 themes`` normalised again.

The index (``search-index/`` in the artifact, written by :mod:`sdsf_graph.search_build`) is a folder of NumPy
arrays and one small JSON file: the weights as an inverted index (for each term, the elements that use it and
their weights, float32), the elements' columns (IRIs, labels… as UTF-8 bytes with offsets; scheme, type and
themes as small integers), the vocabulary with its idf and the glossary. The arrays are memory-mapped: server
processes share one copy in the page cache, and a query reads only the postings of its own terms.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ArtifactMissing, QueryError
from .textnorm import STOP_WORDS, analyse, fold, words

INDEX_DIR = "search-index"
META = "meta.json"
FORMAT = 2
CONTEXT_WEIGHT = 0.35
THEME_WEIGHT = 0.3
MAX_TEXT = 2000
ORIGINAL_WORD = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿ]+")
STRING_COLUMNS = ("iri", "label", "parent", "alts")


@dataclass
class Element:
    iri: str
    type: str
    label: str
    parent_label: str
    scheme: str
    scheme_label: str
    code: str
    departement_label: str
    alt_labels: list[str]
    themes: list[str]


@dataclass
class Glossary:
    """Acronyms (notation → labels, related entries) and theme labels, from the thesaurus."""

    acronyms: dict[str, set[str]] = field(default_factory=dict)  # folded notation → entry IRIs
    phrases: list[tuple[str, str]] = field(default_factory=list)  # (folded label, entry IRI)
    labels: dict[str, list[str]] = field(default_factory=dict)  # entry IRI → notation + labels
    related: dict[str, list[str]] = field(default_factory=dict)  # entry IRI → replaced/replacing entries
    theme_labels: dict[str, list[str]] = field(default_factory=dict)  # theme IRI → labels

    def entries_in(self, text: str, lenient: bool = False) -> set[str]:
        """Glossary entries that ``text`` uses: an acronym as a word, or an expansion as a phrase.

        Acronyms count when written in capitals or capitalised; with ``lenient`` (a person's query) also in
        lower case, when the word is not a French stop word.
        """
        found: set[str] = set()
        for original in ORIGINAL_WORD.findall(text):
            key = fold(original)
            if key in self.acronyms and (not original.islower() or (lenient and key not in STOP_WORDS)):
                found |= self.acronyms[key]
        folded = " " + " ".join(fold(w) for w in words(text)) + " "
        for phrase, entry in self.phrases:
            if f" {phrase} " in folded:
                found.add(entry)
        return found

    def expansion(self, text: str, lenient: bool = False) -> str:
        entries = self.entries_in(text, lenient)
        for entry in list(entries):
            entries.update(self.related.get(entry, ()))
        return " ".join(" ".join(self.labels.get(e, ())) for e in sorted(entries))

    def to_json(self) -> dict:
        return {"acronyms": {k: sorted(v) for k, v in sorted(self.acronyms.items())},
                "phrases": [list(p) for p in self.phrases], "labels": self.labels, "related": self.related,
                "theme_labels": self.theme_labels}

    @classmethod
    def from_json(cls, data: dict) -> Glossary:
        return cls({k: set(v) for k, v in data["acronyms"].items()}, [(p, e) for p, e in data["phrases"]],
                   data["labels"], data["related"], data["theme_labels"])


def own_text(label: str, alt_labels: list[str], glossary: Glossary) -> str:
    """An element's own words: its labels and the expansions of the glossary entries they use."""
    text = " ".join([label, *alt_labels])
    return text + " " + glossary.expansion(text)


def weigh(terms: list[str], vocabulary: dict[str, int], idf: np.ndarray) -> dict[int, float]:
    """The normalised TF-IDF vector (term index → weight) of one analysed text; unknown terms are left out."""
    counts = Counter(vocabulary[t] for t in terms if t in vocabulary)
    weights = {t: (1.0 + math.log(c)) * float(idf[t]) for t, c in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {t: w / norm for t, w in weights.items()} if norm else {}


def combine(parts: list[tuple[float, dict[int, float]]]) -> dict[int, float]:
    """The normalised weighted sum of vectors."""
    total: dict[int, float] = {}
    for factor, vector in parts:
        for term, weight in vector.items():
            total[term] = total.get(term, 0.0) + factor * weight
    norm = math.sqrt(sum(w * w for w in total.values()))
    return {t: w / norm for t, w in total.items()} if norm else {}


def _array(folder: Path, name: str) -> np.ndarray:
    try:
        return np.load(folder / f"{name}.npy", mmap_mode="r")
    except ValueError:  # an empty array cannot be mapped
        return np.load(folder / f"{name}.npy")


class Strings(Sequence[str]):
    """A column of strings stored as UTF-8 bytes and offsets, decoded on access."""

    def __init__(self, folder: Path, name: str):
        self.blob, self.offsets = _array(folder, name), _array(folder, f"{name}-offsets")

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i):
        return bytes(self.blob[int(self.offsets[i]):int(self.offsets[i + 1])]).decode("utf-8")


class IriLookup:
    """IRI → element index, by binary search in the sorted IRI column (no dictionary held in memory)."""

    def __init__(self, iris: Strings):
        self.iris = iris

    def get(self, iri: str) -> int | None:
        i = bisect.bisect_left(self.iris, iri)
        return i if i < len(self.iris) and self.iris[i] == iri else None

    def __contains__(self, iri: object) -> bool:
        return isinstance(iri, str) and self.get(iri) is not None

    def __getitem__(self, iri: str) -> int:
        i = self.get(iri)
        if i is None:
            raise KeyError(iri)
        return i


class Elements(Sequence[Element]):
    def __init__(self, index: SimilarityIndex):
        self.owner = index

    def __len__(self) -> int:
        return self.owner.size

    def __getitem__(self, i):
        return self.owner.element(i)

    def __iter__(self) -> Iterator[Element]:
        return (self.owner.element(i) for i in range(self.owner.size))


class SimilarityIndex:
    """The index in ``folder`` (arrays memory-mapped, read lazily)."""

    def __init__(self, folder: Path):
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ArtifactMissing(f"the search index in {folder} is of another version: run `sdsf build` again")
        self.size: int = meta["elements"]
        self.glossary = Glossary.from_json(meta["glossary"])
        self.vocabulary = {term: i for i, term in enumerate(meta["vocabulary"])}
        self.types: list[str] = meta["types"]
        self.themes: list[str] = meta["themes"]
        self.theme_index = {t: i for i, t in enumerate(self.themes)}
        self.schemes: list[list[str]] = meta["schemes"]  # [iri, label, code, département label]
        self.idf = np.asarray(_array(folder, "idf"), dtype=np.float64)
        self.postings = (_array(folder, "postings-ptr"), _array(folder, "postings-rows"),
                         _array(folder, "postings-weights"))
        self.scheme_of, self.type_of = _array(folder, "scheme"), _array(folder, "type")
        self.theme_ptr, self.theme_ids = _array(folder, "themes-ptr"), _array(folder, "themes-ids")
        self.columns = {name: Strings(folder, name) for name in STRING_COLUMNS}
        codes = sorted({s[2] for s in self.schemes})
        self.code_index = {c: i for i, c in enumerate(codes)}
        scheme_code = np.array([self.code_index[s[2]] for s in self.schemes], dtype=np.int32)
        self.code_of = scheme_code[np.asarray(self.scheme_of)] if self.size else np.zeros(0, np.int32)
        self.elements = Elements(self)
        self.by_iri = IriLookup(self.columns["iri"])

    def element(self, i: int) -> Element:
        scheme = self.schemes[int(self.scheme_of[i])]
        alts = self.columns["alts"][i]
        return Element(self.columns["iri"][i], self.types[int(self.type_of[i])], self.columns["label"][i],
                       self.columns["parent"][i], scheme[0], scheme[1], scheme[2], scheme[3],
                       alts.split("\n") if alts else [],
                       [self.themes[t] for t in self.theme_ids[int(self.theme_ptr[i]):int(self.theme_ptr[i + 1])]])

    def departements(self) -> list[tuple[str, str]]:
        """(code, label) of the départements that have indexed plan elements."""
        return sorted({(s[2], s[3]) for s in self.schemes})

    def _query_vector(self, text: str, context: str = "") -> dict[int, float]:
        expanded = text + " " + self.glossary.expansion(text, lenient=True)
        parts = [(1.0, weigh(analyse(expanded), self.vocabulary, self.idf))]
        if context:
            parts.append((CONTEXT_WEIGHT, weigh(analyse(context), self.vocabulary, self.idf)))
        return combine(parts)

    def _scores(self, vector: dict[int, float]) -> np.ndarray:
        ptr, rows, weights = self.postings
        scores = np.zeros(self.size, dtype=np.float64)
        for term, weight in sorted(vector.items()):
            start, end = int(ptr[term]), int(ptr[term + 1])
            scores[rows[start:end]] += weight * weights[start:end].astype(np.float64)
        return scores

    def _with_theme(self, theme: str) -> np.ndarray:
        found = np.zeros(self.size, dtype=bool)
        if theme in self.theme_index:
            positions = np.flatnonzero(np.asarray(self.theme_ids) == self.theme_index[theme])
            found[np.searchsorted(self.theme_ptr, positions, side="right") - 1] = True
        return found

    def similar(self, text: str | None = None, iri: str | None = None, limit: int = 10,
                exclude_departement: str | None = None, theme: str | None = None) -> dict:
        source_index = None
        if iri is not None:
            source_index = self.by_iri.get(iri)
            if source_index is None:
                raise QueryError(f"no plan element {iri}")
            source = self.element(source_index)
            query_text = source.label
            vector = self._query_vector(own_text(source.label, source.alt_labels, self.glossary),
                                        source.parent_label)
            exclude_departement = exclude_departement or source.code
            query_themes = set(source.themes)
        else:
            query_text = (text or "").strip()
            if not query_text:
                raise QueryError("empty text")
            if len(query_text) > MAX_TEXT:
                raise QueryError(f"text longer than {MAX_TEXT} characters")
            vector = self._query_vector(query_text)
            query_themes = set()
        scores = self._scores(vector)
        keep = scores > 0
        if exclude_departement and exclude_departement in self.code_index:
            keep &= self.code_of != self.code_index[exclude_departement]
        if theme:
            keep &= self._with_theme(theme)
        if source_index is not None:
            keep[source_index] = False
        candidates = np.flatnonzero(keep)
        values = scores[candidates]
        if len(candidates) > limit:  # the best ``limit`` (and any tied with the last of them)
            kth = np.partition(values, len(values) - limit)[len(values) - limit]
            candidates, values = candidates[values >= kth], values[values >= kth]
        best = candidates[np.lexsort((candidates, -values))[:limit]]  # by score, then index (deterministic)
        query_terms = set(analyse(query_text + " " + self.glossary.expansion(query_text, lenient=iri is None)))
        results = [self._result(self.element(int(i)), float(scores[i]), query_terms, query_themes, theme)
                   for i in best]
        return {"query": {"text": query_text if iri is None else None, "iri": iri, "limit": limit,
                          "exclude_departement": exclude_departement, "theme": theme},
                "results": results}

    def _result(self, element: Element, score: float, query_terms: set[str], query_themes: set[str],
                theme: str | None) -> dict:
        matched = [w for w in dict.fromkeys(words(element.label)) if any(t in query_terms for t in analyse(w))]
        shared = sorted(set(element.themes) & (query_themes | ({theme} if theme else set())))
        return {
            "iri": element.iri, "label": element.label, "type": element.type,
            "departement": {"code": element.code, "label": element.departement_label},
            "scheme": {"iri": element.scheme, "label": element.scheme_label},
            "score": round(score, 4),
            "why": {"terms": matched, "themes": shared},
        }


def load_index(folder: Path) -> SimilarityIndex:
    """The index written by `sdsf build` into the artifact ``folder``."""
    path = folder / INDEX_DIR
    if not (path / META).is_file():
        raise ArtifactMissing(f"no search index in {folder}: run `sdsf build` first")
    return SimilarityIndex(path)
