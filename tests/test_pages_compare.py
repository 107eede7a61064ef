"""/compare (in process): the three tables and the timeline, the side-by-side view of 2 to 5 départements, each
table's CSV with the same rows as the page, the JSON twin, and clear 400s for wrong ``dep`` parameters."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest

TABLES = ("departements-themes", "signataires", "frise")


class TableReader(HTMLParser):
    """The cells' texts of each <table class="data NAME">; a cell's list items joined with " ; "."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.cell: list[str] | None = None
        self.items: list[str] = []
        self.in_caption = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data" in (attrs.get("class") or "").split():
            self.current = attrs["class"].split()[1]
            self.tables[self.current] = []
        elif self.current and tag == "caption":
            self.in_caption = True
        elif self.current and tag == "tr":
            self.tables[self.current].append([])
        elif self.current and tag in ("th", "td"):
            self.cell, self.items = [], []
        elif self.cell is not None and tag == "li":
            self.items.append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self.current = None
        elif tag == "caption":
            self.in_caption = False
        elif self.current and tag in ("th", "td") and self.cell is not None:
            text = " ; ".join(i.strip() for i in self.items) if self.items else " ".join("".join(self.cell).split())
            self.tables[self.current][-1].append(text)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None and not self.in_caption:
            if self.items:
                self.items[-1] += data
            else:
                self.cell.append(data)


def html_tables(html: str) -> dict[str, list[list[str]]]:
    reader = TableReader()
    reader.feed(html)
    return reader.tables


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text)))


def test_the_page_renders_its_tables_and_the_timeline(client):
    response = client.get("/compare")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.text
    assert '<html lang="fr">' in html and html.count("<h1>") == 1 and html.count("<caption>") == 3
    tables = html_tables(html)
    assert set(tables) == set(TABLES)
    matrix = tables["departements-themes"]
    assert matrix[0][0] == "Département" and "Parentalité" in matrix[0]
    assert [row[0] for row in matrix[1:]] == ["Drôme (26)", "Landes (40)", "Hauts-de-Seine (92)"]
    drome = dict(zip(matrix[0], matrix[1], strict=True))
    assert drome["Parentalité"] == "20" and drome["Petite enfance"] == "16"  # themes by data/README.md's rule
    assert re.search(r'<td class="num heat-\d">', html) and "heat-9" in html  # the heatmap: classes, no style
    assert "style=" not in html
    assert 'href="/id/departement/26"' in html and 'href="/id/theme/parentalite"' in html
    assert 'href="/id/institution-type/caf"' in html and 'href="/id/scheme/92-2022-2026"' in html
    who = {row[0]: row[1:] for row in tables["signataires"][1:]}
    assert tables["signataires"][0][1:] == ["Drôme (26)", "Landes (40)", "Haut-Rhin (68)"]
    assert who["Éducation nationale (DSDEN)"] == ["1", "0", "0"]
    assert html.count('<rect class="bar"') == 6 and [r[2:4] for r in tables["frise"][1:3]] == [
        ["2016", "2019"], ["2020", "2024"]]
    for name in TABLES:
        assert f'href="/compare/{name}.csv"' in html


def test_side_by_side_view_of_the_chosen_departements(client):
    html = client.get("/compare?dep=26&dep=92&dep=40").text
    side = html_tables(html)["cote-a-cote"]
    assert side[0] == ["", "Drôme (26)", "Hauts-de-Seine (92)", "Landes (40)"]
    rows = {row[0]: row[1:] for row in side[1:]}
    assert set(rows) >= {"Schémas", "Fils conducteurs", "Signataires", "Gouvernance", "Actions — Parentalité"}
    assert rows["Schémas"][0] == "SDSF Drôme 2016-2019 ; SDSF Drôme 2020-2024"
    assert "Caf de la Drôme" in rows["Signataires"][0] and rows["Signataires"][1] == "—"
    assert rows["Actions — Parentalité"] == ["20", "24", "6"]
    assert 'checked> Drôme (26)' in html and 'href="/compare/cote-a-cote.csv?dep=26&amp;dep=92&amp;dep=40"' in html


@pytest.mark.parametrize("query", ["", "?dep=26&dep=92"])
def test_every_table_downloads_as_csv_with_the_same_rows(client, query):
    tables = html_tables(client.get("/compare" + query).text)
    for name, rows in tables.items():
        url = f"/compare/{name}.csv" + (query if name == "cote-a-cote" else "")
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "text/csv", url
        assert f'filename="{name}.csv"' in response.headers["Content-Disposition"]
        assert csv_rows(response) == rows, name
    assert ("cote-a-cote" in tables) == bool(query)


def test_the_json_twin_has_the_tables(client):
    data = client.get("/compare.json?dep=26&dep=92").get_json()
    assert data["departements"] == ["26", "92"]
    assert [t["name"] for t in data["tables"]] == [*TABLES, "cote-a-cote"]
    for table in data["tables"]:
        url = f"/compare/{table['name']}.csv" + ("?dep=26&dep=92" if table["name"] == "cote-a-cote" else "")
        assert [table["columns"], *table["rows"]] == csv_rows(client.get(url))
    assert client.get("/compare?format=json").get_json()["tables"][0]["name"] == "departements-themes"


@pytest.mark.parametrize("query,message", [
    ("dep=26", "de 2 à 5 départements"),
    ("dep=26&dep=26", "de 2 à 5 départements"),
    ("dep=01&dep=26&dep=40&dep=52&dep=68&dep=92", "de 2 à 5 départements"),
    ("dep=26&dep=999", "code de département inconnu : 999"),
    ("dep=26&dep=<script>", "code de département inconnu"),
])
def test_wrong_departements_get_a_clear_400(client, query, message):
    page = client.get("/compare?" + query)
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "Comparaison impossible" in page.text and message in page.text and "<script>" not in page.text
    for url in ("/compare.json?" + query, "/compare/cote-a-cote.csv?" + query):
        response = client.get(url)
        assert response.status_code == 400 and message in response.text, url


def test_unknown_tables_and_missing_choices(client):
    assert client.get("/compare/nothing.csv").status_code == 404
    missing = client.get("/compare/cote-a-cote.csv")
    assert missing.status_code == 400 and "dep=" in missing.text
    known_without_scheme = client.get("/compare?dep=01&dep=26")
    assert known_without_scheme.status_code == 200
    assert html_tables(known_without_scheme.text)["cote-a-cote"][1] == ["Schémas", "—", (
        "SDSF Drôme 2016-2019 ; SDSF Drôme 2020-2024")]
