"""The pages in a real headless Chromium against a real server (gunicorn, oxigraph): the map draws all 101
départements, the SPARQL editor runs an example and shows its rows, the comparison page renders its tables.
Nothing is fetched from another origin and the pages raise no JavaScript error. Screenshots: test-artifacts/.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from .browser import browser, page, screenshot, servers, site  # noqa: F401 - fixtures


def watch(page, root: str) -> dict[str, list[str]]:  # noqa: F811
    """Requests to other origins, failed requests of the page's resources, console errors (CSP refusals)."""
    seen: dict[str, list[str]] = {"foreign": [], "console": [], "failed": []}
    origin = urlsplit(root).netloc
    page.on("request", lambda r: seen["foreign"].append(r.url)
            if urlsplit(r.url).scheme in ("http", "https") and urlsplit(r.url).netloc != origin else None)
    page.on("response", lambda r: seen["failed"].append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document" and not r.url.endswith("/favicon.ico")
            else None)
    page.on("console", lambda m: seen["console"].append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    return seen


def clean(page, seen: dict[str, list[str]]) -> bool:  # noqa: F811
    return not (page.js_errors or seen["foreign"] or seen["console"] or seen["failed"])


def test_the_map_draws_all_101_departements_coloured_by_the_measure(page, site):  # noqa: F811
    seen = watch(page, site)
    page.goto(site + "/?measure=actions&year=2024&theme=parentalite")
    shapes = page.locator("#france-map path[data-code]")
    assert shapes.count() == 101
    assert page.locator("#france-map path.inset").count() == 5
    codes = set(shapes.evaluate_all("els => els.map(e => e.dataset.code)"))
    assert {"01", "2A", "2B", "26", "95", "971", "972", "973", "974", "976"} <= codes
    drome = page.locator("#dep-26")
    assert "heat-" in drome.get_attribute("class")
    assert drome.bounding_box()["width"] > 5
    assert page.locator("#dep-974").bounding_box()["width"] > 5  # the insets are drawn, not just present
    drome.hover()
    assert "Drôme" in page.locator("#map-info").inner_text()
    assert page.locator("#france-map a[href='/id/departement/26']").count() == 1
    screenshot(page, "home-map")
    page.select_option("#measure", "in-force")  # map.js sends the form on change
    page.wait_for_url("**measure=in-force**")
    assert "m-yes" in page.locator("#dep-26").get_attribute("class")
    assert clean(page, seen), (page.js_errors, seen)


def test_the_editor_runs_an_example_and_shows_its_rows(page, site):  # noqa: F811
    seen = watch(page, site)
    page.goto(site + "/sparql")
    page.wait_for_selector(".yasqe .CodeMirror")
    editor_text = page.evaluate("() => window.sdsfEditor.getTab().getQuery()")
    assert "PREFIX sdsf: <https://w3id.org/sdsf/def#>" in editor_text
    page.click("button.load-example[data-example='themes-per-scheme']")
    rows = page.locator(".yasr table.dataTable tbody tr")
    rows.first.wait_for()
    assert rows.count() > 5
    assert "Drôme" in page.locator(".yasr table.dataTable").inner_text()
    assert page.locator(".yasr .yasr_downloadIcon").count() >= 1  # the results download
    screenshot(page, "sparql-editor")
    assert clean(page, seen), (page.js_errors, seen)


def test_the_comparison_page_renders_its_tables(page, site):  # noqa: F811
    seen = watch(page, site)
    page.goto(site + "/compare?dep=26&dep=92&dep=40")
    tables = page.locator("main table")
    assert tables.count() == 4
    side = page.locator("table.cote-a-cote")
    assert side.locator("thead th").count() == 4
    assert "Parentalité" in side.inner_text()
    assert page.locator("table.departements-themes td.heat-9").count() >= 1
    assert page.locator("figure.timeline rect.bar").count() >= 6
    screenshot(page, "compare")
    page.goto(site + "/compare?dep=26")
    assert "Comparaison impossible" in page.locator("[role=alert]").inner_text()
    assert clean(page, seen), (page.js_errors, seen)


@pytest.mark.parametrize("path", ["/downloads", "/?measure=theme&theme=handicap"])
def test_the_other_pages_render_without_javascript_errors(page, site, path):  # noqa: F811
    seen = watch(page, site)
    page.goto(site + path)
    assert page.locator("main h1").count() == 1
    screenshot(page, "downloads" if path == "/downloads" else "home-theme")
    assert clean(page, seen), (page.js_errors, seen)
