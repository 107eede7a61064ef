"""Turtle of a draft's governance bodies, indicators and observations, assessment and communication plans."""

from __future__ import annotations

from rdflib import XSD, Graph, Literal, URIRef
from rdflib.namespace import ORG, RDF, RDFS, SKOS

from ..namespaces import SDSF
from .spec import BODY_TYPES
from .turtle_base import NS, Writer, fr
from .values import blank, boolean, period
from .vocab import slugify
from .yamlsrc import Path_


def governance(w: Writer, data: dict, g: Graph, scheme: URIRef) -> None:
    used: set[str] = set()
    for i, body in enumerate(data.get("gouvernance") or []):
        kind = slugify(str(body["type"]))
        default = {"cdsf": "cdsf", "comite-de-pilotage": "copil",
                   "comite-thematique": f"ct-{w.vocab.lookup('theme', str(body.get('theme') or '')) or i + 1}"}
        bid = slugify(str(body.get("id") or default.get(kind) or slugify(str(body["libelle"]))[:40]))
        bid = bid if bid not in used else f"{bid}-{i + 1}"
        used.add(bid)
        s = NS["body"][f"{w.key}-{bid}"]
        b = w.scheme_part(g, scheme, SDSF.governanceBody, s, ("gouvernance", i), "Governance" if i == 0 else None,
                          BODY_TYPES[kind], body["libelle"])
        w.add_texts(b, s, SDSF.statedAs, body, "tel_que_dans_la_source")
        w.add_text(b, s, SDSF.sourceSection, body, "section")
        if not blank(body.get("presidence")):
            b.add((s, SDSF.chair, NS["orga"][f"{w.code}-{slugify(str(body['presidence']))}"]))
        if not blank(body.get("theme")):
            b.add((s, SDSF.theme, w.theme(str(body["theme"]))))
        for prop, key in ((SDSF.memberCount, "nombre_de_membres"), (SDSF.meetingsPerYear, "reunions_par_an")):
            if not blank(body.get(key)):
                b.add((s, prop, Literal(int(body[key]))))
        w.add_text(b, s, SDSF.meetingFrequency, body, "frequence")
        w.add_texts(b, s, SDSF.mission, body, "missions")
        w.notes(b, s, body)
        for j, member in enumerate(body.get("membres") or [], 1):
            ms = NS["membership"][f"{w.key}-{bid}-{j}"]
            m = w.block(ms, ("gouvernance", i, "membres", j - 1))
            m.add((ms, RDF.type, ORG.Membership))
            m.add((ms, ORG.organization, s))
            m.add((ms, ORG.member, NS["orga"][f"{w.code}-{slugify(str(member['organisation']))}"]))
            m.add((ms, ORG.role, NS["role"][w.vocab.lookup("role", str(member["role"])) or "membre"]))
            w.add_texts(m, ms, SDSF.statedAs, member, "tel_que_dans_la_source")
            w.add_text(m, ms, SDSF.representative, member, "representant")
            w.notes(m, ms, member)


def _measure(w: Writer, measure: dict, path: Path_, indicator: str, seen: dict[str, int]) -> URIRef:
    seen[indicator] = seen.get(indicator, 0) + 1
    s = NS["observation"][f"{w.key}-{slugify(indicator)}-{seen[indicator]}"]
    g = w.block(s, path)
    g.add((s, RDF.type, SDSF.Observation))
    g.add((s, SDSF.indicator, NS["indicator"][f"{w.key}-{slugify(indicator)}"]))
    value = str(measure["valeur"]).strip().replace(",", ".").replace(" ", "").replace("\u00a0", "")
    number = Literal(int(value)) if value.lstrip("+-").isdigit() else Literal(value, datatype=XSD.decimal)
    g.add((s, SDSF.value, number))
    for prop, key in ((SDSF.year, "annee"), (SDSF.startYear, "debut"), (SDSF.endYear, "fin")):
        if not blank(measure.get(key)):
            g.add((s, prop, Literal(int(measure[key]))))
    w.add_text(g, s, SDSF.unit, measure, "unite")
    if boolean(measure.get("variation")) is not None:
        g.add((s, SDSF.isChange, Literal(boolean(measure.get("variation")))))
    w.notes(g, s, measure)
    return s


def indicators(w: Writer, data: dict, g: Graph, scheme: URIRef) -> None:
    seen: dict[str, int] = {}
    for i, ind in enumerate(data.get("indicateurs") or []):
        s = NS["indicator"][f"{w.key}-{slugify(str(ind['id']))}"]
        b = w.scheme_part(g, scheme, SDSF.hasIndicator, s, ("indicateurs", i),
                          "Indicators and observations" if i == 0 else None, SDSF.Indicator, ind["libelle"])
        w.add_text(b, s, SDSF.unit, ind, "unite")
        w.notes(b, s, ind)
        for j, measure in enumerate(ind.get("mesures") or []):
            _measure(w, measure, ("indicateurs", i, "mesures", j), str(ind["id"]), seen)
    bilan = data.get("bilan")
    if not isinstance(bilan, dict):
        return
    assessed = period(bilan.get("schema")) or (w.start, w.end)
    akey = f"{w.code}-{assessed[0]}-{assessed[1]}"
    s = NS["assessment"][akey]
    b = w.block(s, ("bilan",), "Assessment")
    b.add((s, RDF.type, SDSF.Assessment))
    b.add((s, RDFS.label, fr(bilan["libelle"])))
    b.add((s, SDSF.assesses, NS["scheme"][akey]))
    b.add((s, SDSF.sourceDocument, NS["doc"][w.key]))
    w.add_texts(b, s, SDSF.summary, bilan, "resume")
    w.notes(b, s, bilan)
    sections: dict[str, list[int]] = {}
    for j, result in enumerate(bilan.get("resultats") or []):
        section = str(result.get("section") or "").strip()
        sections.setdefault(section, []).append(j)
        i, rank = list(sections).index(section) + 1, len(sections[section])
        rs = NS["result"][f"{akey}-{i}-{rank}"]
        b.add((s, SDSF.hasResult, rs))
        r = w.block(rs, ("bilan", "resultats", j))
        r.add((rs, RDF.type, SDSF.Result))
        r.add((rs, SDSF.order, Literal(rank)))
        r.add((rs, RDFS.label, fr(result["libelle"])))
        if section:
            r.add((rs, SDSF.sourceSection, fr(section)))
        w.notes(r, rs, result)
        for k, measure in enumerate(result.get("mesures") or []):
            path = ("bilan", "resultats", j, "mesures", k)
            r.add((rs, SDSF.observation, _measure(w, measure, path, str(measure["indicateur"]), seen)))


def communication(w: Writer, data: dict, g: Graph, scheme: URIRef) -> None:
    props = (("objectifs", SDSF.purpose), ("frequence", SDSF.frequency), ("publics", SDSF.audience),
             ("canaux", SDSF.channel), ("contenus", SDSF.contentItem), ("portee", SKOS.scopeNote))
    for i, plan in enumerate(data.get("communication") or []):
        s = NS["commplan"][f"{w.key}-{slugify(str(plan.get('id') or plan['libelle']))[:40]}"]
        c = w.scheme_part(g, scheme, SDSF.communicationPlan, s, ("communication", i),
                          "Communication" if i == 0 else None, SDSF.CommunicationPlan, plan["libelle"])
        for key, prop in props:
            w.add_texts(c, s, prop, plan, key)
        w.notes(c, s, plan)


