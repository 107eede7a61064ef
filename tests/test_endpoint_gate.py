"""The gate in front of the engines: what it refuses (and with which status), what it lets through."""

from __future__ import annotations

import pytest

from sdsf_graph.gate import QueryRefused, check_query

GRAPHS = {"https://w3id.org/sdsf/graph/derived", "https://w3id.org/sdsf/graph/data/reference/departements"}
BASE = "https://w3id.org/sdsf/"


def check(text: str, max_length: int = 65536, max_depth: int = 32):
    return check_query(text, GRAPHS, max_length, max_depth, BASE)


def refusal(text: str, **limits) -> QueryRefused:
    with pytest.raises(QueryRefused) as caught:
        check(text, **limits)
    return caught.value


UPDATES = [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "PREFIX ex: <http://example.org/> DELETE WHERE { ?s ex:p ?o }",
    "clear all",
    "LOAD <http://example.org/data.ttl>",
    "CREATE GRAPH <urn:g>", "DROP SILENT GRAPH <urn:g>", "COPY DEFAULT TO <urn:g>", "MOVE <urn:a> TO <urn:b>",
    "ADD <urn:a> TO <urn:b>",
    "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "SELECT * { ?s ?p ?o } ; INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    r"\u0049NSERT DATA { <urn:a> <urn:b> <urn:c> }",  # rdflib expands \u escapes before parsing
]
SERVICES = [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { service silent <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { VALUES ?e { <http://example.org/sparql> } SERVICE ?e { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o . { SELECT ?s { SERVICE<http://x.org/>{?s ?p ?o} } } }",
    r"SELECT * WHERE { \u0053ERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    r"SELECT * WHERE { \U00000053ERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    # an escaped quote ends the string for rdflib, not for pyoxigraph: both readings are checked
    'SELECT * { BIND("\\u0022" AS ?x) SERVICE <http://example.org/> { ?s ?p ?o } FILTER("""" != "") }',
]
FOREIGN_GRAPHS_IN_FROM = [
    "SELECT * FROM <http://example.org/graph> WHERE { ?s ?p ?o }",
    "SELECT * FROM NAMED <http://127.0.0.1:9/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "PREFIX ex: <http://example.org/> SELECT * FROM ex:graph WHERE { ?s ?p ?o }",
    "SELECT * FROM <graph/unknown> WHERE { ?s ?p ?o }",  # relative: resolved against the base, still not ours
    "SELECT * FROM <https://w3id.org/sdsf/graph/derived> FROM <file:///etc/passwd> { ?s ?p ?o }",
]


@pytest.mark.parametrize("text,reason", [(text, "read-only") for text in UPDATES]
                         + [(text, "SERVICE") for text in SERVICES]
                         + [(text, "FROM") for text in FOREIGN_GRAPHS_IN_FROM])
def test_updates_service_and_foreign_graphs_are_refused_403(text, reason):
    refused = refusal(text)
    assert refused.status == 403 and reason in str(refused)


def test_own_graphs_in_from_are_kept_for_the_dataset():
    checked = check("PREFIX g: <https://w3id.org/sdsf/graph/> SELECT * FROM g:derived "
                    "FROM NAMED <graph/data/reference/departements> WHERE { ?s ?p ?o }")
    assert checked.form == "select"
    assert checked.from_graphs == ("https://w3id.org/sdsf/graph/derived",)
    assert checked.from_named == ("https://w3id.org/sdsf/graph/data/reference/departements",)


@pytest.mark.parametrize("text,form", [
    ('SELECT ?s WHERE { ?s ?p "SERVICE, FROM <http://example.org/>, INSERT DATA and DROP ALL" }', "select"),
    ("SELECT ?service ?from ?insert WHERE { ?service ?from ?insert } # then SERVICE <http://x/> and DROP ALL",
     "select"),
    ("PREFIX drop: <http://example.org/> PREFIX service: <http://example.org/s#> "
     "ASK { ?s drop:load service:add }", "ask"),
    ("ASK { <http://example.org/SERVICE/insert> ?p '''it''s a SERVICE''' }", "ask"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?o < 3 && ?o > 1) }", "construct"),
    ("DESCRIBE ?x WHERE { { SELECT ?x { ?x ?p ?o } LIMIT 1 } }", "describe"),
    ('SELECT * WHERE { ?s ?p "les services aux familles"@fr }', "select"),
])
def test_words_inside_strings_iris_names_and_comments_are_not_refused(text, form):
    assert check(text).form == form


def test_length_limit_is_413_and_counts_bytes():
    assert check("ASK {}" + " " * 94, max_length=100).form == "ask"
    assert refusal("ASK {}" + " " * 95, max_length=100).status == 413
    assert refusal('ASK { ?s ?p "' + "é" * 50 + '" }', max_length=100).status == 413  # 100 bytes of é


def test_nesting_limit_is_400():
    assert check("ASK " + "{" * 5 + "}" * 5, max_depth=5).depth == 5
    refused = refusal("ASK " + "{ " * 3 + "FILTER(((((1)))))" + " }" * 3, max_depth=5)
    assert refused.status == 400 and "nested 8 levels" in str(refused)
    assert check('ASK { ?s ?p "((((((((((" }', max_depth=5).depth == 1  # brackets in strings do not count


# --- the gate decides on the parsed query (issue 13) -----------------------------------------------------------

GLUED = [  # the probe's forms: the keyword glued to a prefixed name, which a lexer reads as one token
    "PREFIX : <http://127.0.0.1:9555/>\nSELECT * WHERE { SERVICE:x { ?s ?p ?o } }",
    "PREFIX : <http://127.0.0.1:9555/>\nSELECT * WHERE { SERVICE SILENT:x { ?s ?p ?o } }",
    "PREFIX : <http://127.0.0.1:9555/>\nSELECT * FROM:x WHERE { ?s ?p ?o }",
    # rdflib's algebra drops a group holding only a FILTER: the parse tree is read, not the algebra alone
    "PREFIX : <http://x/>\nSELECT * { FILTER NOT EXISTS { FILTER NOT EXISTS { SERVICE :x { ?s ?p ?o } } } }",
    "SELECT * { OPTIONAL { FILTER EXISTS { SeRvIcE#comment\n<http://127.0.0.1:9/> { ?s ?p ?o } } } }",
]


@pytest.mark.parametrize("text", GLUED)
def test_glued_keywords_are_read_as_the_grammar_reads_them(text):
    refused = refusal(text)
    assert refused.status == 403 and ("SERVICE" in str(refused) or "FROM" in str(refused))


def test_glued_from_named_is_refused_even_where_the_readings_differ():
    # pyoxigraph reads FROM NAMED :x; rdflib's grammar reads FROM NAMED:x (an undeclared prefix): refused either way
    assert refusal("PREFIX : <http://127.0.0.1:9555/>\nSELECT * FROM NAMED:x WHERE { ?s ?p ?o }").status in (400, 403)


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { ?s ?p ?o LATERAL { SELECT * { ?s ?p ?o } LIMIT 1 } }",  # a pyoxigraph extension
    "DEFINE input:grab-all \"yes\" SELECT * WHERE { ?s ?p ?o }",  # a Virtuoso pragma (it fetches the web)
    "SELECT * WHERE { ?s ?p ?o ",
])
def test_what_the_gate_cannot_parse_is_refused_never_passed_through(text):
    refused = refusal(text)
    assert refused.status == 400 and "syntax error" in str(refused)


@pytest.mark.parametrize("text", [
    "ASK { FILTER(" + "!" * 12000 + "true) }",
    "SELECT (" + "+".join(["1"] * 30000) + " AS ?x) {}",
    "SELECT * {" + " MINUS {}" * 8000 + "}",
    "SELECT * {" + "".join(f" BIND({i} AS ?v{i})" for i in range(1500)) + "}",
])
def test_chains_that_would_overflow_the_engines_parser_stack_are_400(text):
    refused = refusal(text, max_length=10**6)
    assert refused.status == 400 and "keywords and operators" in str(refused)


def test_long_lists_of_values_are_not_operator_chains():
    assert check("SELECT * { VALUES ?x {" + " 1" * 5000 + "} }").form == "select"
    assert check("SELECT * {" + " MINUS {}" * 900 + "}").form == "select"


@pytest.mark.parametrize("text,form", [
    ("PREFIX select: <http://example.org/> # SELECT\nDESCRIBE select:x", "describe"),
    ("# ASK {}\nCONSTRUCT WHERE { ?s ?p ?o }", "construct"),
    ("BASE <http://example.org/> PREFIX ask: <ask#> CONSTRUCT { ?s ask:p ?o } WHERE { ?s ?p ?o }", "construct"),
    ("\\u0044ESCRIBE <http://example.org/x>", None),  # rdflib reads DESCRIBE, pyoxigraph a syntax error: refused
])
def test_the_form_is_the_parsed_one(text, form):
    if form is None:
        assert refusal(text).status == 400
    else:
        assert check(text).form == form


@pytest.mark.parametrize("text", [
    "PREFIX bif: <bif:> SELECT (bif:http_get('http://127.0.0.1:9/', 0) AS ?x) {}",
    "SELECT (<bif:http_get>('http://127.0.0.1:9/') AS ?x) {}",
    "PREFIX v: <sql:> SELECT * { FILTER NOT EXISTS { FILTER(v:anything(1)) } }",
    "SELECT * { ?s <bif:contains> 'x' }",
    "PREFIX ex: <http://example.org/fn#> SELECT (ex:fetch('http://127.0.0.1:9/') AS ?x) {}",
])
def test_store_builtins_and_unknown_functions_are_refused_403(text):
    refused = refusal(text)
    assert refused.status == 403 and "SPARQL 1.1 functions and XSD casts only" in str(refused)


def test_xsd_casts_and_standard_functions_pass():
    assert check("PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
                 "SELECT (xsd:integer('1') AS ?n) (STRLEN('ab') AS ?l) (<http://www.w3.org/2001/XMLSchema#date>"
                 "('2020-01-01') AS ?d) {}").form == "select"
    assert check("PREFIX bif: <http://example.org/bif#> SELECT ?bif { BIND(1 AS ?bif) ?bif bif:p ?o }").form == "select"
