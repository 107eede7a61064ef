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


def test_governance_bodies_only_where_the_source_names_them(engine):
    # Drôme's « EN DRÔME » column names no body; « Piloté par la Commission départementale …, présidée par le
    # Préfet » is in its « NATIONAL » column (the circulaire's framework), so it is no body of the Drôme scheme.
    assert [r for r in rows(engine, "governance-bodies") if str(r["scheme"]) == D26] == []
    chaired = {str(r["scheme"]).rsplit("/", 1)[1]: str(r["chairLabel"]) for r in rows(engine, "governance-bodies")
               if "chairLabel" in r}
    assert chaired == {"92-2022-2026": "État (Hauts-de-Seine)"}


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



@pytest.mark.parametrize("name", sorted(n for n, q in QUERIES.items() if any(p.default is None for p in q.params)))
def test_an_optional_parameter_left_out_lists_all_and_given_narrows(engine, name):
    everything = rows(engine, name)
    schemes = {str(r["scheme"]) for r in everything}
    assert schemes, name
    for scheme in schemes:
        narrowed = rows(engine, name, scheme=scheme)
        assert narrowed and {str(r["scheme"]) for r in narrowed} == {scheme}, (name, scheme)
        assert len(narrowed) == sum(str(r["scheme"]) == scheme for r in everything), (name, scheme)

# --- All five seed schemes: expected answers taken from the source documents -------------------------------

SCHEME = "https://w3id.org/sdsf/id/scheme/"


@pytest.mark.parametrize("year,expected", [
    (2018, {"26-2016-2019", "40-2016-2018", "68-2017-2019"}),
    (2024, {"26-2020-2024", "52-2020-2026", "92-2022-2026"}),
    (2017, {"26-2016-2019", "40-2016-2018", "68-2017-2019"}),
    (2021, {"26-2020-2024", "52-2020-2026"}),
    (2026, {"52-2020-2026", "92-2022-2026"}),
])
def test_schemes_in_force_across_the_five_departements(engine, year, expected):
    found = {s.removeprefix(SCHEME) for s in column(rows(engine, "schemes-in-force", year=year), "scheme")}
    assert found == expected


def signatory_types(engine, scheme):
    return {str(r["institutionType"]).rsplit("/", 1)[1] for r in rows(engine, "signatories")
            if str(r["scheme"]) == SCHEME + scheme and "institutionType" in r}


def test_the_udaf_signs_the_landes_and_drome_schemes_only(engine):
    signing = {str(r["scheme"]).removeprefix(SCHEME) for r in rows(engine, "signatories")
               if str(r.get("institutionType", "")).endswith("/udaf")}
    assert signing == {"40-2016-2018", "26-2020-2024"}


def test_signatories_as_stated_by_each_source(engine):
    assert signatory_types(engine, "40-2016-2018") == {"etat", "conseil-departemental", "caf", "msa", "udaf"}
    assert signatory_types(engine, "68-2017-2019") == {"etat", "conseil-departemental", "caf", "msa"}
    stated = {str(r["scheme"]).removeprefix(SCHEME): str(r.get("stated")) for r in rows(engine, "signatories")}
    # Haute-Marne and Hauts-de-Seine name no signatories: the graph says so instead of guessing.
    assert stated["52-2020-2026"] == "false" and stated["92-2022-2026"] == "false"
    assert signatory_types(engine, "52-2020-2026") == set() == signatory_types(engine, "92-2022-2026")


def test_which_schemes_cover_disability(engine):
    result = rows(engine, "themes-per-scheme")
    covering = {str(r["scheme"]).removeprefix(SCHEME) for r in result if str(r["theme"]).endswith("/handicap")}
    assert covering == {"26-2020-2024", "40-2016-2018", "52-2020-2026", "92-2022-2026"}


def test_hauts_de_seine_governance(engine):
    result = {str(r["bodyLabel"]): r for r in rows(engine, "governance-bodies")
              if str(r["scheme"]) == SCHEME + "92-2022-2026"}
    assert len(result) == 6
    cdsf = [r for label, r in result.items() if "CDSF" in label or "départemental des services" in label]
    assert len(cdsf) == 1
    assert int(cdsf[0]["memberCount"]) == 37
    assert str(cdsf[0]["meetingFrequency"]) == "A minima 1 réunion / an"
    assert sum(1 for r in result.values() if str(r.get("meetingFrequency")) == "3 réunions / an") == 5


def test_haut_rhin_governance(engine):
    bodies = [str(r["bodyLabel"]).lower() for r in rows(engine, "governance-bodies")
              if str(r["scheme"]) == SCHEME + "68-2017-2019"]
    assert len(bodies) == 2
    assert any("comité directeur" in b for b in bodies) and any("pilotage élargi" in b for b in bodies)


def test_threads_and_values(engine):
    by_scheme: dict[str, list[str]] = {}
    for r in rows(engine, "threads-per-scheme"):
        by_scheme.setdefault(str(r["scheme"]).removeprefix(SCHEME), []).append(str(r["threadLabel"]))
    assert by_scheme["52-2020-2026"][0] == "Le développement des services aux familles"
    assert len(by_scheme["52-2020-2026"]) == 6
    assert len(by_scheme["68-2017-2019"]) == 1
    # the transversal orientation of a mission line of the thematic committees (l.389)
    assert by_scheme["92-2022-2026"] == ["l'inclusion des enfants porteurs de handicap"]
    assert "40-2016-2018" not in by_scheme and "26-2016-2019" not in by_scheme


def test_legal_basis_of_every_scheme(engine):
    texts: dict[str, set[str]] = {}
    for r in rows(engine, "legal-basis"):
        texts.setdefault(str(r["scheme"]).removeprefix(SCHEME), set()).add(str(r["text"]).rsplit("/", 1)[1])
    assert texts["92-2022-2026"] == {"decret-2021-1644", "casf-l214-5"}
    assert texts["40-2016-2018"] == {"circulaire-2015-01-22"}
    assert "68-2017-2019" not in texts and "52-2020-2026" not in texts


def test_departements_without_scheme_are_the_other_96(engine):
    codes = set(column(rows(engine, "departements-without-scheme"), "code"))
    assert len(codes) == 96
    assert not codes & {"26", "40", "52", "68", "92"}


def test_an_acronym_across_departements(engine):
    result = rows(engine, "acronym-actions", acronym="AVIP")
    schemes = {str(s).removeprefix(SCHEME) for s in column(result, "scheme")}
    assert {"26-2020-2024", "92-2022-2026"} <= schemes


# --- Queries behind the pages (comparison, map) ---------------------------------------------------------------


def test_departement_theme_matrix(engine):
    cells = {(str(r["code"]), str(r["theme"]).rsplit("/", 1)[1]): int(r["actions"])
             for r in rows(engine, "departement-theme-matrix")}
    assert cells[("40", "petite-enfance")] >= 4
    assert ("68", "handicap") not in cells  # Haut-Rhin lists no action
    assert sum(v for (code, _), v in cells.items() if code == "26") >= 76


def test_who_signs_where(engine):
    cells = {(str(r["code"]), str(r["institutionType"]).rsplit("/", 1)[1]) for r in
             rows(engine, "signatory-types-by-departement")}
    assert ("40", "udaf") in cells and ("26", "udaf") in cells and ("68", "udaf") not in cells
    assert not any(code in {"52", "92"} for code, _ in cells)


def test_timeline(engine):
    periods = [(str(r["code"]), int(r["start"]), int(r["end"])) for r in rows(engine, "scheme-timeline")]
    assert periods == [("26", 2016, 2019), ("26", 2020, 2024), ("40", 2016, 2018), ("52", 2020, 2026),
                       ("68", 2017, 2019), ("92", 2022, 2026)]


def test_map_measures(engine):
    by_code = {str(r["code"]): r for r in rows(engine, "departement-map", year=2018,
                                                theme="https://w3id.org/sdsf/id/theme/handicap")}
    assert len(by_code) == 101
    assert int(by_code["26"]["schemes"]) == 2 and int(by_code["26"]["inForceInYear"]) == 1
    assert int(by_code["52"]["inForceInYear"]) == 0 and int(by_code["52"]["coversTheme"]) == 1
    assert int(by_code["68"]["coversTheme"]) == 0
    assert int(by_code["01"]["schemes"]) == 0 and int(by_code["01"]["actions"]) == 0


def test_departement_profile(engine):
    facts = rows(engine, "departement-profile", code="92")
    kinds = {str(r["kind"]) for r in facts}
    assert kinds == {"scheme", "theme", "governance", "thread"}  # no signatory stated
    assert [str(r["item"]) for r in facts if str(r["kind"]) == "scheme"] == [SCHEME + "92-2022-2026"]
    drome = rows(engine, "departement-profile", code="26")
    assert sum(1 for r in drome if str(r["kind"]) == "signatory") == 6
    assert sum(1 for r in drome if str(r["kind"]) == "thread") == 3
