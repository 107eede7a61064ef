"""Find similar plan elements in other départements: a French TF-IDF index with thesaurus expansion.

Each plan element is indexed by its own words (label, variant labels, and the expansions of the acronyms
it uses: « RAM » brings « relais assistants maternels » and its successor « relais petite enfance »), and,
with smaller weights, by its context: its parent's label and its themes. A query is analysed the same way.
Scores are cosine similarities (scikit-learn); user text is only ever compared, never put in a query.
"""

from __future__ import annotations

import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from .errors import ArtifactMissing, QueryError
from .namespaces import DEFAULT_BASE
from .query import named_queries, run_query
from .store import Engine
from .textnorm import STOP_WORDS, analyse, fold, words

INDEX_FILE = "search-index.pickle"
CONTEXT_WEIGHT = 0.35
THEME_WEIGHT = 0.3
MAX_TEXT = 2000
ORIGINAL_WORD = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿ]+")


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


def load_elements(engine: Engine, base_iri: str = DEFAULT_BASE) -> list[Element]:
    elements = []
    for row in run_query(engine, named_queries()["search-elements"], base_iri=base_iri).rows:
        elements.append(Element(
            iri=str(row["element"]), type=str(row["type"]).rsplit("#", 1)[-1], label=str(row["label"]),
            parent_label=str(row.get("parentLabel", "")), scheme=str(row["scheme"]),
            scheme_label=str(row["schemeLabel"]), code=str(row["code"]),
            departement_label=str(row["departementLabel"]),
            alt_labels=[a for a in str(row.get("altLabels", "")).split("\n") if a],
            themes=sorted(t for t in str(row.get("themes", "")).split() if t),
        ))
    return elements


class SimilarityIndex:
    def __init__(self, elements: list[Element], glossary: Glossary):
        self.elements = elements
        self.glossary = glossary
        self.by_iri = {e.iri: i for i, e in enumerate(elements)}
        own = [self._own_text(e) for e in elements]
        context = [e.parent_label for e in elements]
        themes = [" ".join(lbl for t in e.themes for lbl in glossary.theme_labels.get(t, ())) for e in elements]
        self.vectorizer = TfidfVectorizer(analyzer=analyse, sublinear_tf=True)
        # An empty graph still gets a (useless but working) index: the vocabulary of the thesaurus.
        self.vectorizer.fit(own + context + themes + [" ".join(" ".join(v) for v in glossary.labels.values())
                                                      or "vide"])
        if elements:
            combined = (self.vectorizer.transform(own) + CONTEXT_WEIGHT * self.vectorizer.transform(context)
                        + THEME_WEIGHT * self.vectorizer.transform(themes))
            self.matrix = sparse.csr_matrix(normalize(combined))
        else:  # no scheme in the graph yet: an index that finds nothing
            self.matrix = sparse.csr_matrix((0, len(self.vectorizer.vocabulary_)))
        self.own_terms = [set(analyse(e.label + " " + " ".join(e.alt_labels))) for e in elements]

    def _own_text(self, element: Element) -> str:
        text = " ".join([element.label, *element.alt_labels])
        return text + " " + self.glossary.expansion(text)

    def _query_vector(self, text: str, context: str = "") -> sparse.csr_matrix:
        expanded = text + " " + self.glossary.expansion(text, lenient=True)
        vector = self.vectorizer.transform([expanded])
        if context:
            vector = vector + CONTEXT_WEIGHT * self.vectorizer.transform([context])
        return sparse.csr_matrix(normalize(vector))

    def similar(self, text: str | None = None, iri: str | None = None, limit: int = 10,
                exclude_departement: str | None = None, theme: str | None = None) -> dict:
        if iri is not None:
            if iri not in self.by_iri:
                raise QueryError(f"no plan element {iri}")
            source = self.elements[self.by_iri[iri]]
            query_text = source.label
            vector = self._query_vector(self._own_text(source), source.parent_label)
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
        scores = (self.matrix @ vector.T).toarray().ravel()
        query_terms = set(analyse(query_text + " " + self.glossary.expansion(query_text, lenient=iri is None)))
        results: list[dict] = []
        for index in np.argsort(-scores, kind="stable"):
            score = float(scores[index])
            if score <= 0 or len(results) >= limit:
                break
            element = self.elements[index]
            if element.iri == iri or (exclude_departement and element.code == exclude_departement):
                continue
            if theme and theme not in element.themes:
                continue
            results.append(self._result(element, score, query_terms, query_themes, theme))
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


def build_index(engine: Engine, base_iri: str = DEFAULT_BASE) -> SimilarityIndex:
    return SimilarityIndex(load_elements(engine, base_iri), load_glossary(engine, base_iri))


def save_index(index: SimilarityIndex, folder: Path) -> None:
    with open(folder / INDEX_FILE, "wb") as handle:
        pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)


def load_index(folder: Path) -> SimilarityIndex:
    """The index written by `sdsf build` (a file of our own making, never user input)."""
    path = folder / INDEX_FILE
    if not path.is_file():
        raise ArtifactMissing(f"no search index in {folder}: run `sdsf build` first")
    with open(path, "rb") as handle:
        return pickle.load(handle)  # noqa: S301 - our own build artifact
