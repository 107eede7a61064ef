"""What each kind of resource page shows beyond its description: a scheme's plan and governance, a plan
element's ancestors, children and similar actions elsewhere, a département's schemes, a theme's actions.

Each ``*_context`` function reads the shared named queries (``web.named``) and returns plain data for the
per-type partials of ``templates/resource/``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from flask import current_app, url_for
from rdflib import URIRef
from rdflib.term import Identifier
from werkzeug.routing import BuildError

from sdsf_graph.namespaces import DEP

from . import named, vocabulary
from .describe import Description
from .similar import highlight

PLAN_TYPES = ("Orientation", "Axis", "Objective", "Action", "SubAction", "PlanElement")
BODY_TYPES = ("GovernanceBody", "FamilyServicesCommittee", "SteeringCommittee", "ThematicCommittee")
SIMILAR_LIMIT = 5


def sdsf(term: str) -> URIRef:
    return URIRef(f"{named.base_iri()}def#{term}")


def kind_of(description: Description) -> str:
    """Which partial the page uses: scheme, element, departement, theme, body, or "" (the generic page)."""
    types = set(description.types)
    if sdsf("Scheme") in types:
        return "scheme"
    if types & {sdsf(t) for t in PLAN_TYPES}:
        return "element"
    if URIRef("http://rdf.insee.fr/def/geo#Departement") in types:
        return "departement"
    if sdsf("Theme") in types:
        return "theme"
    if types & {sdsf(t) for t in BODY_TYPES}:
        return "body"
    return ""


@dataclass
class PlanNode:
    iri: str
    type: str
    type_label: str
    label: str
    order: int | None
    dots: int
    markers: list[str]
    children: list[PlanNode] = field(default_factory=list)


def _int(term: Identifier | None) -> int | None:
    try:
        return int(str(term)) if term is not None else None
    except ValueError:
        return None


def plan(scheme: str) -> tuple[list[PlanNode], dict[str, PlanNode], dict[str, str]]:
    """The scheme's plan as a tree (roots in order), its nodes by IRI, and each node's parent."""
    nodes: dict[str, PlanNode] = {}
    parents: dict[str, str] = {}
    vocab = vocabulary.current()
    for row in named.rows("scheme-plan", scheme=scheme):
        iri = str(row["element"])
        nodes[iri] = PlanNode(iri, str(row["type"]).rsplit("#", 1)[-1], vocab.label(row["type"]), str(row["label"]),
                              _int(row.get("order")),
                              _int(row.get("dots")) or 0, str(row.get("markers", "")).split())
        if "parent" in row:
            parents[iri] = str(row["parent"])
    roots: list[PlanNode] = []
    for iri, node in nodes.items():
        parent = nodes.get(parents.get(iri, ""))
        (parent.children if parent else roots).append(node)
    for node in [*nodes.values()]:
        node.children.sort(key=lambda n: (n.order is None, n.order or 0, n.iri))
    roots.sort(key=lambda n: (n.order is None, n.order or 0, n.iri))
    return roots, nodes, parents


def _schemes() -> dict[str, dict]:
    """Every scheme with its label, period and département (scheme-timeline), by IRI."""
    found = {}
    for row in named.rows("scheme-timeline"):
        code = str(row["code"])
        found[str(row["scheme"])] = {
            "iri": str(row["scheme"]), "label": str(row["schemeLabel"]), "code": code,
            "departement": named.rebase(str(DEP[code])), "departement_label": str(row["departementLabel"]),
            "start": str(row["start"]), "end": str(row["end"]), "actions": int(str(row["actions"]))}
    return found


def _governance(scheme: str, body: str | None = None) -> list[dict]:
    """The scheme's bodies (chair, size, meetings) with their members and roles; one body when asked."""
    bodies: dict[str, dict] = {}
    for row in named.rows("governance-bodies", scheme=scheme):
        if body in (None, str(row["body"])):
            bodies[str(row["body"])] = {"iri": str(row["body"]), "label": str(row["bodyLabel"]),
                                        "facts": {k: str(row[k]) for k in ("chairLabel", "memberCount",
                                                  "meetingFrequency", "meetingsPerYear") if k in row},
                                        "members": {}}
    for row in named.rows("governance-memberships", scheme=scheme):
        entry = bodies.get(str(row["body"]))
        if entry is None:
            continue
        member = entry["members"].setdefault(str(row["membership"]), {
            "iri": str(row["member"]), "label": str(row.get("memberLabel", row["member"])),
            "role": str(row.get("roleLabel", "")), "role_iri": str(row.get("role", "")), "stated": []})
        for key in ("statedAs", "representative"):
            if key in row and str(row[key]) not in member["stated"]:
                member["stated"].append(str(row[key]))
    for entry in bodies.values():
        entry["members"] = list(entry["members"].values())
    return list(bodies.values())


def scheme_context(description: Description) -> dict:
    iri = str(description.iri)
    roots, _, _ = plan(iri)
    stated = description.first(sdsf("signatoriesStated"))
    threads = sorted((_int(r.get("order")) or 0, str(r["thread"]), str(r["threadLabel"]))
                      for r in named.rows("threads-per-scheme", scheme=iri))
    indicators = named.rows("scheme-indicators", scheme=iri)
    return {"plan": roots, "scheme": _schemes().get(iri),
            "signatories_stated": stated is None or stated.label.lower() != "false",
            "threads": [{"iri": t[1], "label": t[2], "order": t[0]} for t in threads],
            "governance": _governance(iri),
            "observations": [{k: str(v) for k, v in r.items()} for r in indicators]}


def element_context(description: Description) -> dict:
    iri = str(description.iri)
    scheme_value = description.first(sdsf("inScheme"))
    scheme = str(scheme_value.term) if scheme_value else ""
    _, nodes, parents = plan(scheme) if scheme else ([], {}, {})
    ancestors: list[PlanNode] = []
    current = parents.get(iri)
    while current and current in nodes and len(ancestors) < 20:
        ancestors.insert(0, nodes[current])
        current = parents.get(current)
    node = nodes.get(iri)
    return {"scheme": _schemes().get(scheme), "ancestors": ancestors, "node": node,
            "children": node.children if node else [], "similar": similar_to(iri)}


def similar_to(iri: str) -> list[dict] | None:
    """The similar plan elements in other départements (None when the search index does not hold it)."""
    index = current_app.extensions.get("sdsf_search_index")
    if index is None or iri not in index.by_iri:
        return None
    results = index.similar(iri=iri, limit=SIMILAR_LIMIT)["results"]
    return [{**r, "segments": highlight(r["label"], r["why"]["terms"])} for r in results]


def departement_context(description: Description) -> dict:
    code = next(iter(description.literals(URIRef("http://rdf.insee.fr/def/geo#codeINSEE"))), "")
    schemes = sorted((s for s in _schemes().values() if s["code"] == code), key=lambda s: s["start"])
    try:
        compare = url_for("compare.compare", dep=code)
    except BuildError:  # the comparison page's blueprint is not registered in this application
        compare = f"/compare?dep={code}"
    return {"code": code, "schemes": schemes, "compare": compare}


def natural(text: str) -> tuple:
    """A sort key that puts « …-1-2 » before « …-1-10 » (the source's order, as the IRIs number it)."""
    return tuple((0, int(part), "") if part.isascii() and part.isdigit() else (1, 0, part)
                 for part in re.split(r"([0-9]+)", text))


def theme_context(description: Description) -> dict:
    """The theme's actions across départements, grouped by département, then by scheme."""
    schemes = _schemes()
    groups: dict[tuple[str, str], dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for row in named.rows("actions-by-theme", theme=str(description.iri)):
        key = (str(row["code"]), str(row["departementLabel"]))
        groups[key][str(row["scheme"])].append({"iri": str(row["element"]), "label": str(row["label"])})
    return {"groups": [
        {"code": code, "label": label, "iri": named.rebase(str(DEP[code])),
         "count": sum(len(v) for v in by_scheme.values()),
         "schemes": [{"iri": s, "label": schemes.get(s, {}).get("label", s),
                      "elements": sorted(elements, key=lambda e: natural(e["iri"]))}
                     for s, elements in by_scheme.items()]}
        for (code, label), by_scheme in sorted(groups.items())]}


def body_context(description: Description) -> dict:
    schemes = description.referrers(sdsf("governanceBody"))
    bodies = _governance(str(schemes[0].term), str(description.iri)) if schemes else []
    return {"body": bodies[0] if bodies else None}


CONTEXTS = {"scheme": scheme_context, "element": element_context, "departement": departement_context,
            "theme": theme_context, "body": body_context}
