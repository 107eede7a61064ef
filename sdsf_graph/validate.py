"""Stage 3b — validate: check the compiled graph against the SHACL shapes, and report for people.

Severities: ``Violation`` (broken data, refused by the build), ``Warning`` (a gap against the legal
framework, reported), ``Info`` (thin). ``conforms`` means: no violation and no warning.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from .errors import SourceError
from .namespaces import ORG, RDF, RDFS, SDSF, SH, SKOS

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
    top = [r for report_node in results.subjects(RDF.type, SH.ValidationReport)
           for r in results.objects(report_node, SH.result)]  # not the nested sh:detail results
    for result in top:
        focus = results.value(result, SH.focusNode)
        messages = {m.language: str(m) for m in results.objects(result, SH.resultMessage)
                    if isinstance(m, Literal)}
        severity = SEVERITIES.get(results.value(result, SH.resultSeverity), "Violation")
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        schemes = _schemes_of(data, focus)
        if schemes:
            group = str(schemes[0])
            report.group_labels[group] = _label(data, schemes[0])
        else:
            group = next((str(g) for g, graph in (sources or {}).items() if (focus, None, None) in graph),
                         "(graph)")
        report.findings.append(Finding(
            severity=severity, focus=str(focus), focus_label=_label(data, focus),
            path=str(path) if path is not None else None,
            message_fr=messages.get("fr") or messages.get(None) or next(iter(messages.values()), ""),
            message_en=messages.get("en", ""),
            shape=_node_shape(shapes, results.value(result, SH.sourceShape)),
            value=None if value is None else str(value),
            group=group,
        ))
    report.findings.sort(key=lambda f: (f.group, ORDER[f.severity], f.focus, f.path or ""))
    return report


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
