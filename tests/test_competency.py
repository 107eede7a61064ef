"""Competency questions: every shared query returns the answers the sources state, on both engines."""

from __future__ import annotations

import pytest

from sdsf_graph.errors import QueryError
from sdsf_graph.query import named_queries, run_query

QUERIES = named_queries()
D26 = "https://w3id.org/sdsf/id/scheme/26-2020-2024"
D26_OLD = "https://w3id.org/sdsf/id/scheme/26-2016-2019"


def rows(engine, name, **params):
    return run_query(engine, QUERIES[name], {k: str(v) for k, v in params.items()}).rows


def column(result_rows, name):
    return [str(r[name]) for r in result_rows if name in r]


def test_every_named_query_is_described_and_runs(engine):
    assert len(QUERIES) >= 10
    for name, q in QUERIES.items():
        assert q.title and q.title_en and q.description, name
        result = run_query(engine, q)
        assert result.kind == "select", name


@pytest.mark.parametrize("year,expected,absent", [
    (2018, {D26_OLD}, {D26}), (2024, {D26}, {D26_OLD}), (2020, {D26}, {D26_OLD}), (2015, set(), {D26, D26_OLD}),
])
def test_schemes_in_force(engine, year, expected, absent):
    found = set(column(rows(engine, "schemes-in-force", year=year), "scheme"))
    assert expected <= found
    assert not (absent & found)


def test_drome_signatories_with_institution_types(engine):
    result = [r for r in rows(engine, "signatories") if str(r["scheme"]) == D26]
    types = {str(r["institutionType"]).rsplit("/", 1)[1] for r in result}
    assert types == {"etat", "conseil-departemental", "caf", "education-nationale", "msa", "udaf"}
    old = [r for r in rows(engine, "signatories") if str(r["scheme"]) == D26_OLD]
    assert len(old) == 1 and "organisation" not in old[0] and str(old[0]["stated"]) == "false"


def test_themes_matrix(engine):
    result = [r for r in rows(engine, "themes-per-scheme") if str(r["scheme"]) == D26]
    by_theme = {str(r["theme"]).rsplit("/", 1)[1]: r for r in result}
    for field in ("petite-enfance", "parentalite", "enfance", "jeunesse", "animation-vie-sociale"):
        assert int(by_theme[field]["elements"]) > 3, field
        assert str(by_theme[field]["declaredField"]) == "true", field
    assert str(by_theme["handicap"]["declaredField"]) == "false"


def test_actions_of_one_theme_across_departements(engine):
    result = rows(engine, "actions-by-theme", theme="https://w3id.org/sdsf/id/theme/handicap")
    labels = set(column(result, "label"))
    assert {"Accueil des enfants en situation de handicap", "Droit au répit", "Handicap"} <= labels
    assert "Deuil" not in labels


def test_transversal_threads(engine):
    result = [r for r in rows(engine, "threads-per-scheme") if str(r["scheme"]) == D26]
    assert column(result, "threadLabel") == [
        "Égalité des chances et investissement social",
        "Prise en compte des réalités des familles d'aujourd'hui",
        "Environnement et développement durable",
    ]


def test_governance_body_chaired_by_the_state(engine):
    result = [r for r in rows(engine, "governance-bodies") if str(r["scheme"]) == D26]
    assert len(result) == 1
    assert str(result[0]["chairLabel"]) == "État (Drôme)"


def test_indicators_of_the_2016_2019_scheme(engine):
    result = [r for r in rows(engine, "scheme-indicators") if str(r["scheme"]) == D26_OLD]
    creche = [r for r in result if str(r["indicatorLabel"]) == "places en crèches"]
    assert len(creche) == 1 and float(creche[0]["value"]) == 373 and str(creche[0]["isChange"]) == "true"
    ram = sorted((int(r["year"]), float(r["value"])) for r in result
                 if str(r["indicatorLabel"]) == "intercommunalités couvertes par au moins un Ram")
    assert ram == [(2015, 83.0), (2019, 100.0)]


def test_legal_basis(engine):
    result = [r for r in rows(engine, "legal-basis") if str(r["scheme"]) == D26]
    assert column(result, "text") == ["https://w3id.org/sdsf/id/legal-text/circulaire-2015-01-22"]


def test_departements_without_scheme(engine):
    codes = set(column(rows(engine, "departements-without-scheme"), "code"))
    assert "26" not in codes
    assert {"01", "75", "2A", "976"} <= codes
    assert len(codes) <= 100


def test_acronym_expansion_and_the_elements_using_it(engine):
    result = rows(engine, "acronym-actions", acronym="Reap")
    assert "réseau d'écoute, d'appui et d'accompagnement des parents" in {
        str(e).lower() for e in column(result, "expansion")}
    elements = set(column(result, "element"))
    assert "https://w3id.org/sdsf/id/action/26-2020-2024-1-3-1" in elements  # « Dynamique du Reap … »
    ram = rows(engine, "acronym-actions", acronym="RAM")
    assert {"RAM", "RPE"} <= set(column(ram, "notation"))


def test_parameters_are_bound_not_pasted(engine):
    injected = '2018 } UNION { ?scheme ?p ?o'
    with pytest.raises(QueryError):
        rows(engine, "schemes-in-force", year=injected)
    # A string parameter carrying SPARQL is just a literal that matches nothing.
    assert rows(engine, "acronym-actions", acronym='RAM" ) } # ') == []
