"""Similar-action search: French analysis, thesaurus expansion, filters, bad input, and quality."""

from __future__ import annotations

import json
import sys

import pytest

from sdsf_graph.errors import QueryError
from sdsf_graph.search import load_index
from sdsf_graph.textnorm import analyse

from .conftest import ROOT, SHARED
from .test_cli import sdsf

sys.path.insert(0, str(ROOT / "benchmarks"))
from similar_eval import evaluate, read_queries  # noqa: E402


@pytest.fixture(scope="module")
def index(built_settings):
    return load_index(built_settings.build_path)


def labels(answer):
    return [r["label"] for r in answer["results"]]


def test_analysis_handles_case_accents_elisions_stop_words_and_stems():
    assert analyse("L'ACCUEIL des Enfants") == analyse("accueil enfant")
    assert analyse("qu'il s'agit d'horaires atypiques") == analyse("agit horaire atypique")
    assert analyse("Répit") == analyse("repit")
    assert analyse("de la et les") == []


def test_an_acronym_finds_its_expansion_and_its_successor(index):
    found = labels(index.similar(text="RAM", limit=10))
    assert "finaliser le maillage territorial des relais assistants maternels" in found  # expansion
    assert any("RPE" in label or "relais petite enfance" in label for label in found)  # successor
    found = labels(index.similar(text="relais petite enfance", limit=10))
    assert "finaliser le maillage territorial des relais assistants maternels" in found  # predecessor
    assert labels(index.similar(text="ram", limit=10)) == labels(index.similar(text="RAM", limit=10))


def test_results_are_ranked_and_explained(index):
    answer = index.similar(text="répondre aux besoins d'accueil en horaires atypiques", limit=5)
    top = answer["results"][0]
    assert set(top) == {"iri", "label", "type", "departement", "scheme", "score", "why"}
    assert "horaires" in top["why"]["terms"] and "atypiques" in top["why"]["terms"]
    scores = [r["score"] for r in answer["results"]]
    assert scores == sorted(scores, reverse=True)


def test_exclude_departement_and_theme_filters(index):
    answer = index.similar(text="horaires atypiques", limit=10, exclude_departement="40")
    assert answer["results"] and all(r["departement"]["code"] != "40" for r in answer["results"])
    theme = "https://w3id.org/sdsf/id/theme/handicap"
    answer = index.similar(text="accueil des enfants", limit=10, theme=theme)
    assert answer["results"]
    for r in answer["results"]:
        assert theme in index.elements[index.by_iri[r["iri"]]].themes
        assert r["why"]["themes"] == [theme]


def test_by_iri_excludes_the_elements_own_departement(index):
    iri = "https://w3id.org/sdsf/id/action/40-2016-2018-5-4"  # Landes: horaires atypiques
    answer = index.similar(iri=iri, limit=5)
    assert answer["results"] and all(r["departement"]["code"] != "40" for r in answer["results"])
    assert "horaires atypiques" in answer["results"][0]["label"]
    with pytest.raises(QueryError):
        index.similar(iri="https://w3id.org/sdsf/id/action/nope")


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001])
def test_bad_text_is_refused(index, text):
    with pytest.raises(QueryError):
        index.similar(text=text)


@pytest.mark.parametrize("text", ["' } UNION { ?s ?p ?o } #", "😀 répit \u0000 \u202e", "<script>alert(1)</script>"])
def test_any_unicode_is_safe(index, text):
    answer = index.similar(text=text, limit=3)
    assert isinstance(answer["results"], list)


def test_quality_on_the_development_set(index):
    figures = evaluate(index, read_queries(SHARED / "eval" / "similar-dev.tsv"))
    assert figures["recall@5"] >= 0.9
    assert figures["mrr@10"] >= 0.7


def test_cli_similar_prints_the_api_json(built_settings):
    done = sdsf("similar", "répit parental", "--limit", "3", "--json", "--build-dir", str(built_settings.build_path))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert len(answer["results"]) == 3 and answer["query"]["text"] == "répit parental"
    done = sdsf("similar", "", "--build-dir", str(built_settings.build_path))
    assert done.returncode == 2 and "empty text" in done.stderr


def test_a_graph_without_schemes_gets_an_index_that_finds_nothing(tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "reference", data / "reference")
    (data / "schemes").mkdir()
    done = sdsf("build", "--data", str(data), "--build-dir", str(tmp_path / "build"))
    assert done.returncode == 0, done.stderr
    assert load_index(tmp_path / "build").similar(text="RAM")["results"] == []


def test_scores_are_scikit_learn_tfidf_cosines(index):
    """The index computes what the earlier pickled scikit-learn index did (same weights, same scores)."""
    import numpy as np
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    from sdsf_graph.search import CONTEXT_WEIGHT, THEME_WEIGHT, own_text

    glossary, elements = index.glossary, list(index.elements)
    own = [own_text(e.label, e.alt_labels, glossary) for e in elements]
    context = [e.parent_label for e in elements]
    themes = [" ".join(lbl for t in e.themes for lbl in glossary.theme_labels.get(t, ())) for e in elements]
    vectorizer = TfidfVectorizer(analyzer=analyse, sublinear_tf=True)
    vectorizer.fit(own + context + themes + [" ".join(" ".join(v) for v in glossary.labels.values())])
    assert sorted(vectorizer.vocabulary_) == sorted(index.vocabulary)
    matrix = sparse.csr_matrix(normalize(vectorizer.transform(own) + CONTEXT_WEIGHT * vectorizer.transform(context)
                                         + THEME_WEIGHT * vectorizer.transform(themes)))
    for text in ["RAM", "horaires atypiques", "soutien à la parentalité des familles", "répit"]:
        expected = (matrix @ normalize(vectorizer.transform([text + " " + glossary.expansion(text, True)])).T)
        assert np.allclose(index._scores(index._query_vector(text)), expected.toarray().ravel(), atol=1e-6)


def test_the_index_is_memory_mapped_and_found_by_iri(index, built_settings):
    import numpy as np

    assert isinstance(index.postings[1], np.memmap) and index.postings[2].dtype == np.float32
    assert not list(built_settings.build_path.glob("*.pickle"))
    iris = [e.iri for e in index.elements]
    assert iris == sorted(iris) and len(iris) == len(index.elements) > 100
    assert all(index.by_iri[iri] == i for i, iri in enumerate(iris))
    assert "https://w3id.org/sdsf/id/action/nope" not in index.by_iri and 3 not in index.by_iri
    assert ("26", "Drôme") in index.departements()
