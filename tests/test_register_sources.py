"""The register's source files (data/register/*.yaml, issue 15): every fact names a source with its address and
consultation date, no string is longer than a title (no sentence of a page copied), values are in their lists."""

from __future__ import annotations

import datetime
import re

import pytest
import yaml
from rdflib import Graph

from .conftest import ROOT

REGISTER = ROOT / "data" / "register"
FILES = sorted(REGISTER.glob("*.yaml"))
SEEDS = {"26", "40", "52", "68", "92"}  # encoded from their documents (data/schemes/)
MAX_TEXT = 150
WHATS = {"start_year", "end_year", "prolonged_to", "signature_date", "adoption_date", "signatory", "theme", "figure",
         "successor", "predecessor"}
CDSF_WHATS = {"installation_date", "chair", "vice_president", "members", "secretariat"}
CONFIDENCE = {"high", "medium", "low"}
DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def _thesaurus_ids(kind: str) -> set[str]:
    graph = Graph().parse(ROOT / "ontology" / "thesaurus.ttl")
    base = f"https://w3id.org/sdsf/id/{kind}/"
    return {str(s)[len(base):] for s in graph.subjects() if str(s).startswith(base)}


@pytest.fixture(scope="module")
def vocab():
    return {"theme": _thesaurus_ids("theme"), "type": _thesaurus_ids("institution-type")}


def _departements() -> set[str]:
    text = (ROOT / "data" / "reference" / "departements.ttl").read_text(encoding="utf-8")
    return set(re.findall(r'igeo:codeINSEE "([0-9AB]+)"', text))


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _check_fact(fact: dict, whats: set[str], sources: set[str], vocab, where: str) -> None:
    assert fact.get("what") in whats, f"{where}: unknown fact {fact.get('what')!r}"
    assert fact.get("source") in sources, f"{where}: fact {fact} has no source of this file"
    if "inferred" in fact or "confidence" in fact:
        assert fact.get("inferred") and fact.get("confidence") in CONFIDENCE, f"{where}: {fact}"
    value = fact["value"]
    if fact["what"] in ("start_year", "end_year", "prolonged_to"):
        assert isinstance(value, int) and 2013 <= value <= 2032, f"{where}: {fact}"
    if fact["what"] in ("signature_date", "adoption_date", "installation_date"):
        assert DATE.fullmatch(str(value)), f"{where}: {fact}"
    if fact["what"] == "theme":
        assert value in vocab["theme"], f"{where}: {fact}"
    if fact["what"] in ("signatory", "secretariat") and isinstance(value, dict):
        assert value.get("type") in vocab["type"], f"{where}: {fact}"
    if fact["what"] == "members":
        assert isinstance(value, int) and value > 0, f"{where}: {fact}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_fact_has_a_source_and_no_sentence_is_copied(path, vocab):
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    code = str(record["departement"])
    assert path.stem == code and code in _departements() and code not in SEEDS
    assert isinstance(record["searched"], datetime.date) and isinstance(record["lookups"], int)
    sources = {}
    for source in record.get("sources") or []:
        assert source["url"].startswith(("http://", "https://")) and source["title"] and source["site"]
        assert isinstance(source["consulted"], datetime.date), source
        sources[source["id"]] = source
    schemes = record.get("schemes") or []
    if not record["found"]:
        assert schemes == [] and not (record.get("cdsf") or {}).get("facts")
    for scheme in schemes:
        assert scheme.get("generation") in ("first", "current", "unknown"), scheme
        assert scheme.get("facts"), f"{code}: a scheme with no sourced fact"
        for fact in scheme["facts"]:
            _check_fact(fact, WHATS, set(sources), vocab, f"{code} {scheme.get('id')}")
        years = {f["what"]: f["value"] for f in scheme["facts"] if f["what"] in ("start_year", "end_year")
                 and "inferred" not in f}
        if len(years) == 2:
            assert years["start_year"] <= years["end_year"], f"{code} {scheme.get('id')}: {years}"
    for fact in (record.get("cdsf") or {}).get("facts") or []:
        _check_fact(fact, CDSF_WHATS, set(sources), vocab, f"{code} cdsf")
    for text in _strings(record):
        if not text.startswith(("http://", "https://")):
            assert len(text) <= MAX_TEXT, f"{code}: a string of {len(text)} characters (a copied sentence?): {text!r}"


def test_the_register_files_are_documented():
    assert (REGISTER / "README.md").exists()
