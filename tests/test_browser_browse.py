"""Resource, ontology and similar-action pages in real headless Chromium, on live servers (gunicorn).

One server answers from the real data; another from a small data folder (the reference data and one valid
scheme whose action label is an XSS payload) built with ``sdsf build``: the payload must show as text, and
no script of it may run. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from rdflib import Literal

from .browser import browser, page, screenshot  # noqa: F401 - fixtures
from .conftest import ROOT
from .test_endpoint_live import LiveServer, start_server, stop_server

PAYLOAD = """<img src=x onerror="document.title='pwned'"><script>window.pwned=1</script>"""
ACTION = "/id/action/26-2020-2024-1-2-1"
SHAPES = ROOT / "tests" / "shapes"


def serve(build: Path, log: Path) -> LiveServer:
    return start_server(build, "oxigraph", log, rate_limit=0, query_time_limit=10, threads=4, query_workers=2)


@pytest.fixture(scope="module")
def live(built_settings, tmp_path_factory):
    """The real data (the session's artifact), served by gunicorn."""
    server = serve(built_settings.build_path, tmp_path_factory.mktemp("browse-live") / "server.log")
    yield server.root
    stop_server(server)


def xss_data(folder: Path) -> Path:
    """data/reference and one valid scheme (tests/shapes/_base.ttl) whose first action is labelled PAYLOAD."""
    shutil.copytree(ROOT / "data" / "reference", folder / "reference")
    (folder / "schemes").mkdir()
    scheme = (SHAPES / "_base.ttl").read_text(encoding="utf-8")
    original = 'rdfs:label "Créer des places en crèche"@fr'
    assert original in scheme
    scheme = scheme.replace(original, f"rdfs:label {Literal(PAYLOAD, lang='fr').n3()} ;\n"
                                      f"    skos:editorialNote {Literal('Note ' + PAYLOAD, lang='fr').n3()}")
    prefixes = (SHAPES / "_prefixes.ttl").read_text(encoding="utf-8")
    (folder / "schemes" / "01-ain-2022-2026.ttl").write_text(prefixes + "\n" + scheme, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("browse-xss")
    data, build = xss_data(root / "data"), root / "build"
    built = subprocess.run([sys.executable, "-m", "sdsf_graph.cli", "build", "--data", str(data), "--build-dir",
                            str(build)], cwd=ROOT, capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    server = serve(build, root / "server.log")
    yield server.root
    stop_server(server)


def test_action_page_shows_label_hierarchy_and_similar_actions(page, live):  # noqa: F811
    response = page.goto(live + ACTION)
    assert response is not None and response.status == 200
    assert page.locator("h1").inner_text() == "Répét parental et familial"
    crumbs = page.locator("nav.breadcrumbs li")
    assert crumbs.first.inner_text() == "Drôme" and "PARENTALITÉ" in crumbs.nth(2).inner_text()
    assert page.locator("nav.breadcrumbs").is_visible()
    panel = page.locator("#semblables")
    assert panel.locator("h2").inner_text() == "Actions semblables ailleurs"
    assert panel.locator("ol.similar-results > li").count() >= 1 and panel.locator("mark").count() >= 1
    assert "(26)" not in panel.locator("ol.similar-results").inner_text()
    screenshot(page, "browse-action")
    panel.locator("ol.similar-results a.similar-label").first.click()
    page.wait_for_load_state()
    assert "/id/" in page.url and page.locator("h1").inner_text()
    assert page.js_errors == []


def test_scheme_page_shows_the_plan_as_nested_ordered_lists(page, live):  # noqa: F811
    page.goto(live + "/id/scheme/26-2020-2024")
    plan = page.locator("#plan > ol.plan")
    assert plan.locator(":scope > li").count() == 6
    assert plan.locator(":scope > li").first.locator(":scope > ol.plan > li").count() >= 3
    # the Drôme 2020-2024 document states no governance of its own (its « NATIONAL » column is the framework's)
    assert page.locator("#gouvernance").is_visible()
    assert "Aucune instance de gouvernance énoncée par la source" in page.locator("#gouvernance").inner_text()
    screenshot(page, "browse-scheme")


def test_xss_payload_in_a_label_is_shown_as_text(page, xss_site):  # noqa: F811
    response = page.goto(xss_site + "/id/test/action-1")
    assert response is not None and response.status == 200
    assert page.locator("h1").inner_text() == PAYLOAD
    assert PAYLOAD in page.locator("main").inner_text()
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.title() == PAYLOAD + " — SDSF Graph"  # the title shows the label as text; no handler set it
    assert page.locator("img").count() == 0 and page.locator("main script").count() == 0
    screenshot(page, "browse-xss-action")
    for path in ("/id/test/scheme", "/id/theme/petite-enfance", "/id/test/objective"):
        page.goto(xss_site + path)
        assert PAYLOAD in page.locator("main").inner_text(), path
        assert page.evaluate("typeof window.pwned") == "undefined" and page.locator("img").count() == 0, path
        assert page.title() != "pwned" and page.title().endswith(" — SDSF Graph"), path
    # the similar-action search marks words inside the payload, and still shows it as text
    page.goto(xss_site + "/similar?text=" + quote("pwned document window"))
    label = page.locator("ol.similar-results a.similar-label").first
    assert label.inner_text() == PAYLOAD and label.locator("mark").count() >= 3
    assert page.evaluate("typeof window.pwned") == "undefined" and page.locator("img").count() == 0
    screenshot(page, "similar-xss")
    assert page.js_errors == []


def test_similar_page_highlights_matched_words_without_javascript(browser, live):  # noqa: F811
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    try:
        opened = context.new_page()
        opened.goto(live + "/similar")
        opened.fill("textarea#text", "horaires atypiques")
        opened.select_option("select#exclude_departement", "40")
        opened.click("button[type=submit]")
        opened.wait_for_load_state()
        assert "text=horaires+atypiques" in opened.url
        results = opened.locator("ol.similar-results > li")
        assert results.count() >= 1 and "(40)" not in opened.locator("ol.similar-results").inner_text()
        marks = [m.lower() for m in results.first.locator("a.similar-label mark").all_inner_texts()]
        assert "horaires" in marks
        assert results.first.locator(".similar-score").inner_text().startswith("score 0,")
        screenshot(opened, "similar")
        opened.goto(live + "/similar?text=")
        assert "Saisissez un texte" in opened.locator("p.error").inner_text()
    finally:
        context.close()


def test_ontology_page_shows_classes_and_def_iris_land_on_their_anchor(page, live):  # noqa: F811
    page.goto(live + "/ontology")
    assert page.locator("section#classes table tbody tr").count() >= 25
    assert page.locator("figure.diagram svg").is_visible()
    screenshot(page, "ontology")
    page.goto(live + "/def#Scheme")
    assert page.url.endswith("/ontology#Scheme")
    target = page.locator("section#Scheme")
    assert target.is_visible() and "Schéma départemental des services aux familles" in target.inner_text()
    assert page.evaluate("Math.abs(document.getElementById('Scheme').getBoundingClientRect().top) < 50")
    page.goto(live + "/ontology/thesaurus#acronym-ram")
    assert "relais petite enfance" in page.locator("tr#acronym-ram").inner_text()
    screenshot(page, "thesaurus")
    assert page.js_errors == []
