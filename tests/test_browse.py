"""Resource pages in process (Flask test client): every kind of IRI dereferences at its path, content
negotiation (Accept and suffixes, read back with rdflib), 404 / 406, and what each kind of page shows."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS

from sdsf_graph.build import write_artifact
from sdsf_graph.query import named_queries, run_query
from sdsf_graph.settings import load_settings
from sdsf_graph.store import open_engine
from web import create_app

BASE = "https://w3id.org/sdsf/"
SDSF = Namespace(BASE + "def#")
ID = BASE + "id/"
ACTION = ID + "action/26-2020-2024-1-2-1"  # « Répét parental et familial », Drôme, 3 coloured dots
OBJECTIVE = ID + "objective/26-2020-2024-1-2"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(c if isinstance(c, str) else c.text() for c in self.children)).strip()

    def all(self, tag: str, **attrs: str) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag and all(_matches(child.attrs, k.rstrip("_"), v) for k, v in attrs.items()):
                    found.append(child)
                found += child.all(tag, **attrs)
        return found

    def one(self, tag: str, **attrs: str) -> Node:
        found = self.all(tag, **attrs)
        assert found, f"no <{tag} {attrs}>"
        return found[0]

    def items(self) -> list[Node]:
        """The <li> children of a list."""
        return [c for c in self.children if isinstance(c, Node) and c.tag == "li"]


def _matches(attrs: dict[str, str], name: str, value: str) -> bool:
    return value in attrs.get(name, "").split() if name == "class" else attrs.get(name) == value


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(text: str) -> Node:
    builder = _Builder()
    builder.feed(text)
    return builder.root


def path(iri: str) -> str:
    return "/" + iri.removeprefix(BASE)


@pytest.fixture(scope="module")
def app(built_settings):
    app = create_app({"build_dir": str(built_settings.build_path), "rate_limit": 0})
    yield app
    app.extensions["sdsf_pool"].close()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def html(client, url: str, status: int = 200) -> Node:
    response = client.get(url, headers={"Accept": BROWSER})
    assert response.status_code == status, response.data[:500]
    assert response.content_type == "text/html; charset=utf-8"
    return parse_html(response.get_data(as_text=True))


def test_every_kind_of_resource_dereferences_at_its_path(client, union):
    samples: dict[str, URIRef] = {}
    for subject in union.subjects():
        if isinstance(subject, URIRef) and str(subject).startswith(ID):
            samples.setdefault(str(subject)[len(ID):].split("/")[0], subject)
    assert {"departement", "region", "scheme", "orientation", "axis", "objective", "action", "subaction",
            "organisation", "theme", "thread", "acronym", "legal-text", "governance-body", "membership", "marker",
            "document", "assessment", "result", "indicator", "observation", "institution-type", "role",
            "communication-plan", "thesaurus"} <= set(samples)
    for kind, iri in sorted(samples.items()):
        page = html(client, path(str(iri)))
        assert page.one("h1").text(), kind
        assert str(iri) in page.one("p", class_="iri").text(), kind
        assert page.one("section", id="proprietes").all("tr"), kind


def test_turtle_jsonld_and_ntriples_by_accept_and_by_suffix(client):
    graphs = {}
    for accept, suffix, fmt in (("text/turtle", ".ttl", "turtle"), ("application/ld+json", ".jsonld", "json-ld"),
                                ("application/n-triples", ".nt", "nt")):
        by_accept = client.get(path(ACTION), headers={"Accept": accept})
        by_suffix = client.get(path(ACTION) + suffix, headers={"Accept": BROWSER})
        for response in (by_accept, by_suffix):
            assert response.status_code == 200 and response.mimetype == accept
            assert "Accept" in response.headers["Vary"]
        graphs[fmt] = Graph().parse(data=by_accept.get_data(as_text=True), format=fmt)
        assert graphs[fmt].isomorphic(Graph().parse(data=by_suffix.get_data(as_text=True), format=fmt))
    turtle = graphs["turtle"]
    assert turtle.isomorphic(graphs["json-ld"]) and turtle.isomorphic(graphs["nt"])
    action, objective = URIRef(ACTION), URIRef(OBJECTIVE)
    assert (action, RDFS.label, Literal("Répét parental et familial", lang="fr")) in turtle
    assert (action, SDSF.parent, objective) in turtle
    assert (action, SDSF.colouredDotCount, Literal(3)) in turtle
    assert (action, RDF.type, SDSF.Action) in turtle
    # the labels of linked resources come with the description
    assert (objective, RDFS.label, None) in turtle and (URIRef(ID + "theme/parentalite"), RDFS.label, None) in turtle
    # incoming links: the objective's description holds its children's sdsf:parent
    incoming = Graph().parse(data=client.get(path(OBJECTIVE) + ".ttl").get_data(as_text=True), format="turtle")
    assert (action, SDSF.parent, objective) in incoming


def test_html_for_browsers_and_clients_that_say_nothing(client):
    for headers in ({"Accept": BROWSER}, {}, {"Accept": "*/*"}):
        response = client.get(path(ACTION), headers=headers)
        assert response.status_code == 200 and response.mimetype == "text/html"
    response = client.get(path(ACTION) + ".html", headers={"Accept": "text/turtle"})
    assert response.mimetype == "text/html"
    page = parse_html(client.get(path(ACTION)).get_data(as_text=True))
    alternates = {link.attrs["type"]: link.attrs["href"] for link in page.all("link", rel="alternate")}
    assert alternates == {"text/turtle": path(ACTION) + ".ttl", "application/ld+json": path(ACTION) + ".jsonld",
                          "application/n-triples": path(ACTION) + ".nt"}


def test_unknown_iri_is_404_and_unacceptable_accept_is_406(client):
    missing = html(client, "/id/action/no-such-action", 404)
    assert "Ressource inconnue" in missing.one("h1").text()
    assert client.get("/id/action/no-such-action.ttl").status_code == 404
    assert client.get("/id/nothing/at-all", headers={"Accept": "text/turtle"}).status_code == 404
    assert client.get("/id/action/%2E%2Ehidden").status_code == 404
    refused = client.get(path(ACTION), headers={"Accept": "application/pdf"})
    assert refused.status_code == 406 and "text/turtle" in refused.get_data(as_text=True)
    assert client.get(path(ACTION), headers={"Accept": "image/png, text/html;q=0"}).status_code == 406


def test_answers_carry_an_etag(client):
    first = client.get(path(ACTION) + ".ttl")
    assert first.headers["ETag"] and "max-age" in first.headers["Cache-Control"]
    again = client.get(path(ACTION) + ".ttl", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    other = client.get(path(ACTION) + ".nt")
    assert other.headers["ETag"] != first.headers["ETag"]


def test_action_page_shows_labels_hierarchy_source_dots_and_notes(client):
    page = html(client, path(ACTION))
    assert page.one("h1").text() == "Répét parental et familial"
    crumbs = [li.text() for li in page.one("nav", class_="breadcrumbs").one("ol").items()]
    assert crumbs[0] == "Drôme" and crumbs[1] == "SDSF Drôme 2020-2024" and crumbs[-1] == "Répét parental et familial"
    assert crumbs[2].endswith("PARENTALITÉ") and "fragilité" in crumbs[3]
    assert "coquille probable" in page.one("aside", class_="editorial").text()
    source = page.one("section", id="source").text()
    assert "Développer les actions pour accompagner les parents" in source and "Renouvellement du schéma" in source
    assert "3 pastilles" in page.one("section", id="marqueurs").text()
    rows = {tr.one("th").text(): tr.one("td").text() for tr in page.one("section", id="proprietes").all("tr")[1:]}
    # each property with its French label from the ontology
    assert rows["élément parent"].startswith("Développer les actions")
    assert rows["section de la source"].startswith("Développer les actions")
    assert rows["nombre de pastilles de couleur"] == "3" and rows["thème"] == "Parentalité"
    assert page.one("a", href="/ontology#parent").text() == "élément parent"


def test_action_page_has_similar_actions_elsewhere(client, app):
    page = html(client, path(ACTION))
    panel = page.one("section", id="semblables")
    assert panel.one("h2").text() == "Actions semblables ailleurs"
    results = panel.one("ol", class_="similar-results").items()
    expected = app.extensions["sdsf_search_index"].similar(iri=ACTION, limit=5)["results"]
    assert [li.one("a").attrs["href"] for li in results] == [path(r["iri"]) for r in expected]
    assert all("(26)" not in li.text() for li in results)  # never the element's own département
    assert any(li.all("mark") for li in results)


def test_objective_page_lists_its_children_in_order_and_who_refers_to_it(client):
    page = html(client, path(OBJECTIVE))
    children = page.one("section", id="enfants").one("ol").items()
    assert [li.attrs["value"] for li in children] == [str(i) for i in range(1, len(children) + 1)]
    assert children[0].one("a").attrs["href"] == path(ACTION)
    referrers = page.one("section", id="references").text()
    assert "Répét parental et familial" in referrers and "élément parent" in referrers


def test_scheme_page_shows_its_whole_plan_and_what_the_source_states(client):
    page = html(client, "/id/scheme/26-2020-2024")
    facts = page.one("section", id="schema").text()
    assert "2020–2024" in facts and "Udaf de la Drôme" in facts and "Circulaire" in facts
    assert "Petite enfance" in facts and "6 signataires" in facts
    threads = [li.text() for li in page.one("ol", class_="threads").items()]
    assert threads[0] == "Égalité des chances et investissement social" and len(threads) == 3
    plan = page.one("section", id="plan").one("ol", class_="plan")
    axes = plan.items()
    assert [a.attrs["value"] for a in axes] == ["1", "2", "3", "4", "5", "6"]
    assert axes[0].one("a").text() == "PARENTALITÉ"
    objectives = axes[0].one("ol").items()
    actions = objectives[1].one("ol").items()
    assert actions[0].one("a").attrs["href"] == path(ACTION) and "3 pastilles" in actions[0].text()
    assert any(span.text() == "N" for span in plan.all("span", class_="marker"))
    governance = page.one("section", id="gouvernance").text()  # « EN DRÔME » names no body
    assert "Aucune instance de gouvernance énoncée par la source" in governance


def test_scheme_without_stated_signatories_says_so(client):
    page = html(client, "/id/scheme/52-2020-2026")
    assert "signataires non énoncés par la source" in page.one("dd", class_="signatories").text()


def test_governance_memberships_and_roles(client):
    page = html(client, "/id/scheme/92-2022-2026")
    cards = page.one("section", id="gouvernance").all("section", class_="body-card")
    members = [tr for card in cards for tr in card.all("tr")[1:]]
    assert len(cards) >= 2 and len(members) >= 10
    assert {tr.all("td")[1].text() for tr in members} >= {"Présidence", "Membre"}


def test_departement_page_lists_its_schemes(client):
    page = html(client, "/id/departement/26")
    table = page.one("table", class_="schemes").text()
    assert "SDSF Drôme 2016-2019" in table and "SDSF Drôme 2020-2024" in table
    assert table.index("2016-2019") < table.index("2020-2024")
    assert page.one("a", href="/compare?dep=26").text() == "Comparer ce département avec d'autres"
    assert "Auvergne-Rhône-Alpes" in page.one("section", id="schemas").text()
    without = html(client, "/id/departement/01")
    assert "Aucun schéma" in without.one("section", id="schemas").text()


def test_theme_page_groups_actions_by_departement(client, built_settings):
    page = html(client, "/id/theme/parentalite")
    groups = page.one("section", id="actions-du-theme").all("section", class_="theme-group")
    engine = open_engine(built_settings, "oxigraph")
    rows = run_query(engine, named_queries()["actions-by-theme"], {"theme": ID + "theme/parentalite"}).rows
    expected: dict[str, set[str]] = {}
    for row in rows:
        expected.setdefault(str(row["departementLabel"]), set()).add(path(str(row["element"])))
    assert [g.one("h3").one("a").text() for g in groups] == sorted(expected, key=lambda label: next(
        str(r["code"]) for r in rows if str(r["departementLabel"]) == label))
    for group in groups:
        label = group.one("h3").one("a").text()
        links = {a.attrs["href"] for ul in group.all("ul") for a in ul.all("a")}
        assert links == expected[label], label
        assert f"{len(links)} action" in group.one("h3").text()
    drome = [a.attrs["href"] for a in groups[0].one("ul").all("a")]
    numbers = [[int(n) for n in href.rsplit("/", 1)[1].split("-")] for href in drome]
    assert numbers == sorted(numbers)  # in the source's order: …-1-1-2 before …-1-1-10


def test_acronym_page_shows_notation_and_replacement(client):
    page = html(client, "/id/acronym/ram")
    assert page.one("h1").text() == "RAM — relais assistants maternels"
    rows = {tr.one("th").text(): tr.one("td") for tr in page.one("section", id="proprietes").all("tr")[1:]}
    assert rows["remplacé par"].one("a").attrs["href"] == "/id/acronym/rpe"
    assert "Répét" not in page.one("section", id="references").text()  # only the elements that use it


def test_vocabulary_term_links_go_to_the_ontology_anchors(client):
    page = html(client, "/id/scheme/26-2020-2024")
    kinds = page.one("section", id="proprietes").all("tr")[1].one("td")
    assert kinds.one("a").attrs["href"] == "/ontology#Scheme"


def test_base_iri_setting_maps_iris_to_paths(tmp_path, compiled):
    other = "https://example.org/graphe/"
    settings = load_settings({"build_dir": str(tmp_path / "build"), "base_iri": other}, environ={})
    write_artifact(compiled, settings)
    app = create_app({"build_dir": str(tmp_path / "build"), "base_iri": other, "rate_limit": 0})
    try:
        client = app.test_client()
        page = html(client, path(ACTION))
        assert page.one("p", class_="iri").text().endswith(other + "id/action/26-2020-2024-1-2-1")
        assert page.one("section", id="element").one("a").attrs["href"] == "/id/scheme/26-2020-2024"
        assert page.one("a", href="/ontology#parent")
        turtle = Graph().parse(data=client.get(path(ACTION) + ".ttl").get_data(as_text=True), format="turtle")
        assert (URIRef(other + "id/action/26-2020-2024-1-2-1"), URIRef(other + "def#parent"),
                URIRef(other + "id/objective/26-2020-2024-1-2")) in turtle
        answer = json.loads(client.get(path(ACTION) + ".jsonld").get_data(as_text=True))
        assert other + "id/action/26-2020-2024-1-2-1" in json.dumps(answer)
    finally:
        app.extensions["sdsf_pool"].close()
