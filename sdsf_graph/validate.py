"""Stage 3b — validate: check the compiled graph against the SHACL shapes, and report for people.

Severities: ``Violation`` (broken data, refused by the build), ``Warning`` (a gap against the legal
framework, reported), ``Info`` (thin). ``conforms`` means: no violation and no warning.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import cast

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .errors import SourceError
from .namespaces import ORG, RDF, RDFS, SDSF, SH, SKOS
from .shacl_speed import install as _faster_shacl

_faster_shacl()

SEVERITIES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass
class Finding:
    severity: str
    focus: str
    focus_label: str
    path: str | None
    message_fr: str
    message_en: str
    shape: str
    value: str | None
    group: str  # the scheme (or source file) the focus belongs to


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    group_labels: dict[str, str] = field(default_factory=dict)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def conforms(self) -> bool:
        return self.count("Violation") == 0 and self.count("Warning") == 0

    @property
    def has_violations(self) -> bool:
        return self.count("Violation") > 0


def load_shapes(shapes_dir: Path) -> Graph:
    shapes = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        try:
            shapes.parse(path, format="turtle")
        except Exception as exc:
            raise SourceError(str(path), f"cannot parse shapes: {exc}") from None
    return shapes


def _label(graph: Graph, node: Node) -> str:
    for prop in (RDFS.label, SKOS.prefLabel):
        values = list(graph.objects(node, prop))
        for value in values:
            if isinstance(value, Literal) and value.language == "fr":
                return str(value)
        if values:
            return str(values[0])
    return ""


def _schemes_of(graph: Graph, node: Node) -> list[Node]:
    """The schemes a focus node belongs to, following the links a person would follow."""
    if (node, RDF.type, SDSF.Scheme) in graph:
        return [node]
    direct = list(graph.objects(node, SDSF.inScheme)) + list(graph.objects(node, SDSF.assesses))
    if direct:
        return direct
    for body in graph.objects(node, ORG.organization):  # a membership
        node = body
    holders = set(graph.subjects(SDSF.governanceBody, node))
    for prop in (SDSF.signatory, SDSF.partner, SDSF.transversalThread, SDSF.markerLegend, SDSF.hasIndicator,
                 SDSF.communicationPlan, SDSF.sourceDocument):
        holders.update(graph.subjects(prop, node))
    for membership in graph.subjects(ORG.member, node):
        for body in graph.objects(membership, ORG.organization):
            holders.update(graph.subjects(SDSF.governanceBody, body))
    for assessment in graph.subjects(SDSF.hasResult, node):
        holders.update(graph.objects(assessment, SDSF.assesses))
    for result in graph.subjects(SDSF.observation, node):
        for assessment in graph.subjects(SDSF.hasResult, result):
            holders.update(graph.objects(assessment, SDSF.assesses))
    return sorted(holders, key=str)


def _node_shape(shapes: Graph, shape: Node | None) -> str:
    """The named shape a result comes from (a property shape is reported as its node shape)."""
    for _ in range(3):
        if shape is None or isinstance(shape, URIRef):
            break
        shape = next(iter(shapes.subjects(SH.property, shape)), None)
    return str(shape)


def validate_graph(data: Graph, shapes: Graph, sources: dict[URIRef, Graph] | None = None) -> Report:
    """Validate ``data`` (the union of the sources plus derived statements) against ``shapes``."""
    _, results, _ = shacl_validate(data, shacl_graph=shapes, inference="none", advanced=True,
                                   allow_infos=True, allow_warnings=True)
    report = Report()
    add_findings(report, results, data, shapes, lambda focus: next(
        (str(g) for g, graph in (sources or {}).items() if (focus, None, None) in graph), "(graph)"))
    sort_findings(report)
    return report


def add_findings(report: Report, results: Graph, data: Graph, shapes: Graph,
                 source_of: Callable[[Node], str]) -> None:
    """Add pyshacl's results to ``report``, each grouped by its scheme (else by the source file holding it)."""
    top = [r for report_node in results.subjects(RDF.type, SH.ValidationReport)
           for r in results.objects(report_node, SH.result)]  # not the nested sh:detail results
    for result in top:
        focus = cast(Node, results.value(result, SH.focusNode))
        messages = {m.language: str(m) for m in results.objects(result, SH.resultMessage)
                    if isinstance(m, Literal)}
        severity = SEVERITIES.get(cast(URIRef, results.value(result, SH.resultSeverity)), "Violation")
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        schemes = _schemes_of(data, focus)
        if schemes:
            group = str(schemes[0])
            report.group_labels[group] = _label(data, schemes[0])
        else:
            group = source_of(focus)
        report.findings.append(Finding(
            severity=severity, focus=str(focus), focus_label=_label(data, focus),
            path=str(path) if path is not None else None,
            message_fr=messages.get("fr") or messages.get(None) or next(iter(messages.values()), ""),
            message_en=messages.get("en", ""),
            shape=_node_shape(shapes, results.value(result, SH.sourceShape)),
            value=None if value is None else str(value),
            group=group,
        ))


def sort_findings(report: Report) -> None:
    report.findings.sort(key=lambda f: (f.group, ORDER[f.severity], f.focus, f.path or "", f.shape, f.value or ""))


# ---------------------------------------------------------------------------------------------------------
# Validation by parts (used by the build on many source files; see benchmarks/README.md)
#
# The whole graph is cut into parts whose nodes never point into one another (sdsf_graph.build decides the
# parts). Each part is validated with the shared ontology, thesaurus and reference data, but only for the focus
# nodes it describes: every target of every shape is resolved here and handed to pyshacl as sh:targetNode, and
# the SPARQL targets are run by pyoxigraph on small groups of linked nodes (`sparql_target_nodes`).
# That gives the same findings as validating the whole graph when the shapes only follow paths forward from a
# focus node and SPARQL targets only join nodes linked through the predicates they name; `partition_support`
# refuses shapes for which the first does not hold (the build then validates the whole graph at once).
# ---------------------------------------------------------------------------------------------------------

TARGET_PROPERTIES = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


@dataclass(frozen=True)
class SparqlTarget:
    shape: Node
    query: str


def query_predicates(query: str) -> tuple[set[URIRef], set[URIRef]] | None:
    """The predicates of a query's triple patterns, and those with a variable object (the ones that can join two
    nodes); None when a pattern has a variable predicate or a property path, or the query does not parse."""
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.term import Variable

    try:
        algebra = prepareQuery(query).algebra
    except Exception:
        return None
    every: set[URIRef] = set()
    linking: set[URIRef] = set()
    stack: list = [algebra]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if getattr(node, "name", None) in ("BGP", "TriplesBlock"):
                # BGP: (s, p, o) tuples; TriplesBlock (inside EXISTS, left untranslated): flat lists
                flat = [term for item in node["triples"] for term in item]
                for p, o in zip(flat[1::3], flat[2::3], strict=True):
                    if not isinstance(p, URIRef):
                        return None
                    every.add(p)
                    if isinstance(o, Variable):
                        linking.add(p)
            else:
                stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return every, linking


def sparql_targets(shapes: Graph) -> list[SparqlTarget]:
    """The SPARQL-based targets (SHACL-AF sh:SPARQLTarget) of the shapes, with their prefixes applied."""
    found = []
    for shape, declaration in shapes.subject_objects(SH.target):
        lines = []
        for prefixes in shapes.objects(declaration, SH.prefixes):
            for declared in shapes.objects(prefixes, SH.declare):
                lines.append(f"PREFIX {shapes.value(declared, SH.prefix)}: <{shapes.value(declared, SH.namespace)}>")
        found.append(SparqlTarget(shape, "\n".join(lines) + "\n" + str(shapes.value(declaration, SH.select))))
    return sorted(found, key=lambda t: str(t.shape))


def partition_support(shapes: Graph) -> tuple[bool, set[URIRef] | None]:
    """Whether the shapes can be validated by parts, and the predicates their SPARQL targets join through.

    Supported: core constraints with forward paths, and sh:SPARQLTarget targets whose triple patterns name their
    predicates (those with a variable object are the ones that can join two nodes). Not supported (validate
    the whole graph): inverse paths, SPARQL constraints, rules, custom target types, shapes that are classes
    (implicit class targets), SPARQL targets with variable predicates or property paths.
    """

    OWL_CLASS = URIRef("http://www.w3.org/2002/07/owl#Class")
    if any(True for _ in shapes.triples((None, SH.inversePath, None))) or \
            any(True for _ in shapes.triples((None, SH.sparql, None))) or \
            any(True for _ in shapes.triples((None, SH.rule, None))):
        return False, None
    for shape in set(shapes.subjects(SH.property, None)) | set(shapes.subjects(RDF.type, SH.NodeShape)):
        if (shape, RDF.type, RDFS.Class) in shapes or (shape, RDF.type, OWL_CLASS) in shapes:
            return False, None
    predicates: set[URIRef] = set()
    for _, declaration in shapes.subject_objects(SH.target):
        if (declaration, RDF.type, SH.SPARQLTarget) not in shapes:
            return False, None
    for target in sparql_targets(shapes):
        found = query_predicates(target.query)
        if found is None:
            return False, None
        predicates |= found[1]
    return True, predicates


def sparql_target_nodes(data: Graph, shared: set[Node], targets: list[SparqlTarget],
                        group_triples: int = 1500) -> dict[Node, set[Node]]:
    """The focus nodes of SPARQL targets, each query run by pyoxigraph on small pieces of ``data``.

    For one query, the nodes of ``data`` linked by its predicates that have a variable object form components
    (the ``shared`` nodes — ontology, thesaurus, reference data — link nothing); the triples of its predicates
    are cut along those components, packed into groups of about ``group_triples``, and the query runs on each
    group with the shared nodes' triples. The same nodes are found as on the whole of ``data`` when the query
    joins nodes only through such links, which keeps each join small.
    """
    found: dict[Node, set[Node]] = defaultdict(set)
    converted: dict[Node, ox.NamedNode | ox.BlankNode | ox.Literal] = {}

    def term(node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        value = converted.get(node)
        if value is None:
            value = converted[node] = _to_ox(node)
        return value

    for target in targets:
        predicates = query_predicates(target.query)
        assert predicates is not None
        every, linking = predicates
        parent: dict[Node, Node] = {}

        def find(node: Node, parent: dict[Node, Node] = parent) -> Node:
            root = node
            while parent.get(root, root) != root:
                root = parent[root]
            while node != root:
                parent[node], node = root, parent[node]
            return root

        for p in linking:
            for s, o in data.subject_objects(p):
                if not isinstance(o, Literal) and s not in shared and o not in shared:
                    a, b = find(s), find(o)
                    if a != b:
                        parent[a] = b
        pieces: dict[Node, list] = defaultdict(list)
        common: list[tuple[Node, Node, Node]] = []
        for p in every:
            for s, o in data.subject_objects(p):
                (common if s in shared else pieces[find(s)]).append((s, p, o))
        store = ox.Store()
        shared_name = ox.NamedNode("urn:x-sdsf:validation:shared")
        quads = [ox.Quad(term(s), term(p), term(o), shared_name) for s, p, o in common]  # type: ignore[arg-type]
        names: list[ox.NamedNode] = []
        size = group_triples
        for piece in sorted(pieces.values(), key=len, reverse=True):
            if size + len(piece) > group_triples:
                names.append(ox.NamedNode(f"urn:x-sdsf:validation:group:{len(names)}"))
                size = 0
            size += len(piece)
            quads.extend(ox.Quad(term(s), term(p), term(o), names[-1]) for s, p, o in piece)  # type: ignore[arg-type]
        store.bulk_extend(quads)  # one load: a load per piece costs far more than the triples
        del quads
        for name in names or [shared_name]:
            for solution in cast(ox.QuerySolutions, store.query(target.query, default_graph=[name, shared_name])):
                found[target.shape].add(_from_ox(solution["this"]))
    return found


def _to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    assert isinstance(term, Literal)
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def _from_ox(term: object) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    assert isinstance(term, ox.Literal)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def resolve_targets(data: Graph, shapes: Graph) -> dict[Node, set[Node]]:
    """The focus nodes of every shape's core targets (class, node, subjects-of, objects-of) in ``data``."""
    targets: dict[Node, set[Node]] = defaultdict(set)
    for shape, prop, value in shapes.triples((None, None, None)):
        if prop not in TARGET_PROPERTIES:
            continue
        found = targets[shape]
        if prop == SH.targetNode:
            found.add(value)
        elif prop == SH.targetClass:
            found.update(data.subjects(RDF.type, value))
            for subclass in data.transitive_subjects(RDFS.subClassOf, value):
                if subclass != value:
                    found.update(data.subjects(RDF.type, subclass))
        elif prop == SH.targetSubjectsOf:
            found.update(s for s, _ in data.subject_objects(value))
        else:
            found.update(o for _, o in data.subject_objects(value))
    return targets


def with_explicit_targets(shapes: Graph, targets: dict[Node, set[Node]]) -> Graph:
    """A copy of the shapes whose targets are exactly ``targets`` (as sh:targetNode)."""
    explicit = Graph(store="SimpleMemory")
    for triple in shapes:
        if triple[1] not in TARGET_PROPERTIES and triple[1] != SH.target:
            explicit.add(triple)
    for shape, nodes in targets.items():
        for node in nodes:
            explicit.add((shape, SH.targetNode, node))
    return explicit


def validate_focus_nodes(data: Graph, shapes: Graph, targets: dict[Node, set[Node]], report: Report,
                         source_of: Callable[[Node], str]) -> None:
    """Validate ``data`` for the given focus nodes of each shape only, adding the findings to ``report``."""
    if not any(targets.values()):
        return
    _, results, _ = shacl_validate(data, shacl_graph=with_explicit_targets(shapes, targets), inference="none",
                                   advanced=True, inplace=True, allow_infos=True, allow_warnings=True)
    add_findings(report, results, data, shapes, source_of)


def format_text(report: Report) -> str:
    by_group: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_group[finding.group].append(finding)
    lines = [f"{report.count('Violation')} violation(s), {report.count('Warning')} warning(s), "
             f"{report.count('Info')} info(s) — " + ("conforme" if report.conforms else "non conforme")]
    for group, findings in by_group.items():
        title = report.group_labels.get(group, "")
        lines += ["", f"== {title} <{group}>" if title else f"== <{group}>"]
        for f in findings:
            label = f" « {f.focus_label} »" if f.focus_label else ""
            path = f" [{f.path}]" if f.path else ""
            lines.append(f"  {f.severity.upper():<9} <{f.focus}>{label}{path}")
            lines.append(f"            {f.message_fr}")
            if f.value and f.value != f.focus:
                lines.append(f"            valeur : {f.value}")
    return "\n".join(lines)


def format_json(report: Report) -> str:
    return json.dumps({
        "conforms": report.conforms,
        "counts": {s: report.count(s) for s in ORDER},
        "findings": [asdict(f) for f in report.findings],
    }, ensure_ascii=False, indent=2)


def format_turtle(report: Report) -> str:
    graph = Graph()
    graph.bind("sh", SH)
    vr = graph.resource(URIRef("urn:sdsf:validation-report"))
    vr.add(RDF.type, SH.ValidationReport)
    vr.add(SH.conforms, Literal(report.conforms))
    by_name = {v: k for k, v in SEVERITIES.items()}
    for i, f in enumerate(report.findings):
        node = graph.resource(URIRef(f"urn:sdsf:validation-report:{i}"))
        vr.add(SH.result, node)
        node.add(RDF.type, SH.ValidationResult)
        node.add(SH.focusNode, URIRef(f.focus))
        node.add(SH.resultSeverity, by_name[f.severity])
        node.add(SH.sourceShape, URIRef(f.shape))
        if f.path:
            node.add(SH.resultPath, URIRef(f.path))
        node.add(SH.resultMessage, Literal(f.message_fr, lang="fr"))
        if f.message_en:
            node.add(SH.resultMessage, Literal(f.message_en, lang="en"))
    return graph.serialize(format="turtle")


FORMATS = {"text": format_text, "json": format_json, "turtle": format_turtle}
