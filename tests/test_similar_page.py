"""/similar: the similar-action search for people (GET form, no JavaScript), its checks and its JSON twin."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef

from web import create_app
from web.similar import Segment, highlight

from .test_browse import BROWSER, parse_html

HANDICAP = "https://w3id.org/sdsf/id/theme/handicap"
THEME = URIRef("https://w3id.org/sdsf/def#theme")


@pytest.fixture(scope="module")
def client(built_settings):
    app = create_app({"build_dir": str(built_settings.build_path), "rate_limit": 0})
    yield app.test_client()
    app.extensions["sdsf_pool"].close()


def get(client, status: int = 200, **params):
    response = client.get("/similar", query_string=params, headers={"Accept": BROWSER})
    assert response.status_code == status
    assert response.mimetype == "text/html"
    return parse_html(response.get_data(as_text=True))


def test_highlight_marks_the_matched_words_and_keeps_the_rest_as_text():
    assert highlight("Accueil en horaires atypiques", ["horaires", "atypiques"]) == [
        Segment("Accueil en ", False), Segment("horaires", True), Segment(" ", False), Segment("atypiques", True)]
    assert highlight("L'accueil <b>", ["accueil"]) == [Segment("L'", False), Segment("accueil", True),
                                                       Segment(" <b>", False)]
    assert highlight("", ["x"]) == [] and highlight("rien", []) == [Segment("rien", False)]


def test_form_alone_without_a_text(client):
    page = get(client)
    form = page.one("form", class_="similar-form")
    assert form.attrs["method"] == "get" and form.one("textarea").attrs["name"] == "text"
    assert {s.attrs["name"] for s in form.all("select")} == {"exclude_departement", "theme"}
    assert any(o.attrs["value"] == HANDICAP for o in form.one("select", name="theme").all("option"))
    assert not page.all("section", id="resultats")


def test_results_show_marked_words_departement_scheme_score_and_link(client):
    page = get(client, text="horaires atypiques")
    results = page.one("section", id="resultats").one("ol", class_="similar-results").items()
    assert results
    first = results[0]
    label = first.one("a", class_="similar-label")
    assert label.attrs["href"].startswith("/id/")
    assert "horaires" in [m.text().lower() for m in label.all("mark")]
    assert first.one("span", class_="similar-where").one("a").attrs["href"].startswith("/id/scheme/")
    assert first.one("span", class_="similar-score").text().startswith("score 0,")
    assert "mots communs" in first.one("span", class_="similar-why").text()
    assert page.one("link", rel="alternate").attrs["href"].startswith("/api/similar?text=horaires+atypiques")
    assert page.one("textarea").text() == "horaires atypiques"  # the form keeps what was asked


def test_acronyms_are_expanded(client):
    page = get(client, text="RAM")
    labels = " ".join(li.text() for li in page.one("ol", class_="similar-results").items()).lower()
    assert "relais" in labels


def test_departement_and_theme_filters(client):
    page = get(client, text="horaires atypiques", exclude_departement="40")
    assert all("(40)" not in li.text() for li in page.one("ol", class_="similar-results").items())
    assert page.one("option", value="40").attrs.get("selected") is not None
    page = get(client, text="accueil", theme=HANDICAP)
    assert "« Handicap et inclusion »" in page.one("section", id="resultats").one("h2").text()
    for li in page.one("ol", class_="similar-results").items():
        element = li.one("a", class_="similar-label").attrs["href"]
        graph = Graph().parse(data=client.get(element + ".ttl").get_data(as_text=True), format="turtle")
        assert (URIRef("https://w3id.org/sdsf" + element), THEME, URIRef(HANDICAP)) in graph


@pytest.mark.parametrize("params,message", [
    ({"text": ""}, "Saisissez un texte"), ({"text": "   "}, "Saisissez un texte"),
    ({"text": "x" * 2001}, "2001 caractères, pour 2000 au plus"),
    ({"text": "a", "exclude_departement": "20"}, "n'est pas un code de département"),
    ({"text": "a", "theme": "https://example.org/x"}, "Ce thème n'existe pas"),
])
def test_bad_input_is_a_clear_400(client, params, message):
    page = get(client, 400, **params)
    assert message in page.one("p", class_="error").text()
    assert page.one("form", class_="similar-form")


def test_text_is_escaped(client):
    response = client.get("/similar", query_string={"text": "<script>alert(1)</script> parents"})
    text = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; parents" in text
