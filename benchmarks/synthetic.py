"""A synthetic national graph: every département with 2-3 successive schemes, for measuring the build.

Every label is a real one, taken from the encoded schemes (``data/schemes/*.ttl``) and the thesaurus, and
recombined: sections, objectives, actions and sub-actions keep the themes their real encoding gives them;
signatories, governance bodies, memberships, threads, markers, assessments, results and indicators reuse the
real wording. The output is a data folder laid out like ``data/`` — ``OUT/reference/`` (a copy of the real
reference data) and ``OUT/schemes/<code>-<name>-<start>-<end>.ttl`` (one file per scheme) — so that

    sdsf build --data OUT --build-dir B      sdsf validate --data OUT

run on it. It has no SHACL violation; its warnings are deliberate and realistic (some sources name no
signatories, a few leave the CAF out, some schemes from 2022 have no CDSF). Each scheme's source document is
synthetic (``sdsf:fileName "synthetic-<code>-<start>-<end>.txt"``, no ``sdsf:sha256``).

``--scale F`` multiplies the size of each scheme's plan (objectives per section and actions per objective each
by about √F, so about F times the actions and sub-actions), keeping 101 départements and 2-3 schemes each: see
benchmarks/README.md for why. The output depends only on ``--seed`` and ``--scale`` (and, per département,
not on ``--departements``, which keeps the first N for quick runs).

    python benchmarks/synthetic.py OUT [--seed 1] [--scale 1] [--departements N] [--force]
"""

from __future__ import annotations

import argparse
import math
import random
import re
import shutil
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sdsf_graph.authoring.turtle_base import PREFIXES as SCHEME_PREFIXES  # noqa: E402
from sdsf_graph.namespaces import DEFAULT_BASE, ORG, RDF, RDFS, SDSF, SKOS  # noqa: E402

ID = DEFAULT_BASE + "id/"
THEME = ID + "theme/"
INST = ID + "institution-type/"

#: The prefix set of the generated scheme files (``sdsf import scheme``'s, which writes no xsd: literal here).
PREFIXES = "".join(f"@prefix {name + ':':<8} <{iri}> .\n" for name, iri in SCHEME_PREFIXES.items() if name != "xsd")

#: The signatories the circular of 22 January 2015 names, then the usual others, by institution type.
CORE_SIGNATORIES = ("etat", "conseil-departemental", "caf")
OTHER_SIGNATORIES = ("msa", "udaf", "education-nationale")
#: Where the CAF has a local equivalent (thesaurus: narrower concepts of the family benefits bodies).
CAF_EQUIVALENT = {"48": "ccss", "976": "cssm"}


# ---------------------------------------------------------------------------------------------------------
# Turtle writing
# ---------------------------------------------------------------------------------------------------------

def lit(text: str, lang: str | None = "fr") -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r"))
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


class Block:
    """One subject and its statements, written as a Turtle block."""

    def __init__(self, subject: str, *types: str):
        self.subject = subject
        self.lines: list[str] = []
        if types:
            self.lines.append("a " + " , ".join(types))

    def add(self, predicate: str, *objects: str) -> Block:
        if objects:
            self.lines.append(f"{predicate} " + " , ".join(objects))
        return self

    def text(self) -> str:
        return self.subject + " " + " ;\n    ".join(self.lines) + " .\n"


# ---------------------------------------------------------------------------------------------------------
# The vocabulary of the real data
# ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Labelled:
    label: str
    themes: tuple[str, ...]  # theme slugs


@dataclass
class Vocabulary:
    departements: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    theme_labels: dict[str, str] = field(default_factory=dict)  # slug -> French label
    sections: list[str] = field(default_factory=list)  # headings of the real top-level elements
    #: level -> theme slug -> labelled elements; levels: top, middle, action, sub
    levels: dict[str, dict[str, list[Labelled]]] = field(default_factory=dict)
    all_levels: dict[str, list[Labelled]] = field(default_factory=dict)
    stated_as: dict[str, list[str]] = field(default_factory=dict)  # institution type slug -> wordings
    inst_labels: dict[str, str] = field(default_factory=dict)
    threads: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    thread_sections: list[str] = field(default_factory=list)
    markers: list[tuple[str, str]] = field(default_factory=list)  # (notation, label)
    bodies: dict[str, list[dict]] = field(default_factory=dict)  # class local name -> real bodies
    results: list[tuple[str, str]] = field(default_factory=list)  # (section, label)
    assessment_labels: list[str] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)
    indicators: list[tuple[str, str]] = field(default_factory=list)  # (label, unit)
    signatories_statements: list[str] = field(default_factory=list)
    scope_notes: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    document_kinds: list[str] = field(default_factory=list)
    comm: dict[str, list[str]] = field(default_factory=dict)
    legal_texts: list[str] = field(default_factory=list)


def _fr(graph: Graph, node: object, prop: URIRef) -> list[str]:
    return sorted({str(o) for o in graph.objects(node, prop)  # type: ignore[arg-type]
                   if isinstance(o, Literal) and o.language in ("fr", None)})


def _local(iri: object, base: str) -> str:
    return str(iri).removeprefix(base)


def load_vocabulary(project: Path = ROOT) -> Vocabulary:
    """Read the real schemes, thesaurus and reference data; every list is sorted, for determinism."""
    graph = Graph()
    for path in [project / "ontology" / "thesaurus.ttl", *sorted((project / "data" / "reference").glob("*.ttl")),
                 *sorted((project / "data" / "schemes").glob("*.ttl"))]:
        graph.parse(path, format="turtle")
    vocab = Vocabulary()
    for dep in graph.subjects(RDF.type, URIRef("http://rdf.insee.fr/def/geo#Departement")):
        code = str(graph.value(dep, URIRef("http://rdf.insee.fr/def/geo#codeINSEE")))
        vocab.departements.append((code, _fr(graph, dep, SKOS.prefLabel)[0]))
    vocab.departements.sort(key=lambda d: (len(d[0]) > 2, d[0]))
    names = [name for _, name in vocab.departements]
    for theme in graph.subjects(RDF.type, SDSF.Theme):
        vocab.theme_labels[_local(theme, THEME)] = next(
            str(o) for o in graph.objects(theme, SKOS.prefLabel) if o.language == "fr")  # type: ignore[union-attr]
    for inst in graph.subjects(RDF.type, SDSF.InstitutionType):
        vocab.inst_labels[_local(inst, INST)] = next(
            str(o) for o in graph.objects(inst, SKOS.prefLabel) if o.language == "fr")  # type: ignore[union-attr]

    def local_only(text: str) -> bool:  # no département name nor number in a wording reused elsewhere
        return not re.search(r"\d", text) and not any(name in text for name in names)

    # Plan elements by level: a top-level element, the level between it and the actions, actions, sub-actions.
    levels: dict[str, dict[str, set[Labelled]]] = {lvl: defaultdict(set) for lvl in ("top", "middle", "action",
                                                                                        "sub")}
    sections = set()
    for cls in (SDSF.Orientation, SDSF.Axis, SDSF.Objective, SDSF.Action, SDSF.SubAction):
        for element in graph.subjects(RDF.type, cls):
            label = _fr(graph, element, RDFS.label)[0]
            themes = tuple(sorted(_local(t, THEME) for t in graph.objects(element, SDSF.theme)))
            is_top = graph.value(element, SDSF.parent) is None
            if cls in (SDSF.Orientation, SDSF.Axis) and is_top:
                level = "top"
                sections.update(s for s in _fr(graph, element, SDSF.sourceSection) if local_only(s))
            elif cls in (SDSF.Axis, SDSF.Objective):
                level = "middle"
            elif cls == SDSF.Action:
                level = "action"
            else:
                level = "sub"
            for theme in themes:
                levels[level][theme].add(Labelled(label, themes))
    vocab.sections = sorted(sections)
    for level, by_theme in levels.items():
        vocab.levels[level] = {t: sorted(items, key=lambda x: (x.label, x.themes)) for t, items in
                               sorted(by_theme.items())}
        vocab.all_levels[level] = sorted({x for items in by_theme.values() for x in items},
                                         key=lambda x: (x.label, x.themes))

    wordings: dict[str, set[str]] = defaultdict(set)
    for organisation in graph.subjects(RDF.type, ORG.Organization):
        inst = graph.value(organisation, SDSF.institutionType)
        if inst is not None:
            wordings[_local(inst, INST)].update(w for w in _fr(graph, organisation, SDSF.statedAs) if local_only(w))
    vocab.stated_as = {k: sorted(v) for k, v in sorted(wordings.items())}

    for cls, target in ((SDSF.TransversalThread, vocab.threads), (SDSF.TransversalValue, vocab.values)):
        for thread in graph.subjects(RDF.type, cls):
            target.extend(_fr(graph, thread, RDFS.label))
            vocab.thread_sections.extend(s for s in _fr(graph, thread, SDSF.sourceSection) if local_only(s))
        target.sort()
    vocab.thread_sections = sorted(set(vocab.thread_sections))
    for marker in graph.subjects(RDF.type, SDSF.Marker):
        vocab.markers.append((str(graph.value(marker, SKOS.notation)), _fr(graph, marker, RDFS.label)[0]))
    vocab.markers.sort()

    for cls in (SDSF.FamilyServicesCommittee, SDSF.SteeringCommittee, SDSF.ThematicCommittee):
        found = []
        for body in graph.subjects(RDF.type, cls):
            found.append({
                "label": re.sub(r"\s*\([^)]*\)$", "", _fr(graph, body, RDFS.label)[0]),
                "stated_as": [w for w in _fr(graph, body, SDSF.statedAs) if local_only(w)],
                "missions": _fr(graph, body, SDSF.mission),
                "frequency": _fr(graph, body, SDSF.meetingFrequency),
                "per_year": [int(v) for v in graph.objects(body, SDSF.meetingsPerYear)],
                "section": [s for s in _fr(graph, body, SDSF.sourceSection) if local_only(s)],
            })
        vocab.bodies[str(cls).rsplit("#", 1)[1]] = sorted(found, key=lambda b: b["label"])

    for result in graph.subjects(RDF.type, SDSF.Result):
        vocab.results.append((_fr(graph, result, SDSF.sourceSection)[0], _fr(graph, result, RDFS.label)[0]))
    vocab.results.sort()
    for assessment in graph.subjects(RDF.type, SDSF.Assessment):
        vocab.assessment_labels += [re.sub(r"\s*\d{4}-\d{4}$", "", lbl) for lbl in _fr(graph, assessment, RDFS.label)]
        vocab.summaries += _fr(graph, assessment, SDSF.summary)
    for indicator in graph.subjects(RDF.type, SDSF.Indicator):
        vocab.indicators.append((_fr(graph, indicator, RDFS.label)[0], _fr(graph, indicator, SDSF.unit)[0]))
    vocab.indicators.sort()
    for scheme in graph.subjects(RDF.type, SDSF.Scheme):
        vocab.signatories_statements += [s for s in _fr(graph, scheme, SDSF.signatoriesStatement) if local_only(s)]
        vocab.scope_notes += [s for s in _fr(graph, scheme, SKOS.scopeNote) if local_only(s) and len(s) < 200]
    for document in graph.subjects(RDF.type, SDSF.SourceDocument):
        vocab.titles += [t for t in _fr(graph, document, URIRef("http://purl.org/dc/terms/title")) if local_only(t)]
        vocab.document_kinds += _fr(graph, document, SDSF.documentKind)
    for name in ("signatories_statements", "scope_notes", "titles", "document_kinds", "assessment_labels",
                 "summaries"):
        setattr(vocab, name, sorted(set(getattr(vocab, name))))
    for plan in graph.subjects(RDF.type, SDSF.CommunicationPlan):
        for prop in ("purpose", "frequency", "audience", "channel", "contentItem"):
            vocab.comm[prop] = [w for w in _fr(graph, plan, SDSF[prop]) if local_only(w)]
        vocab.comm["label"] = _fr(graph, plan, RDFS.label)
    vocab.legal_texts = sorted(_local(t, ID + "legal-text/") for t in
                               graph.subjects(RDF.type, URIRef("http://data.europa.eu/eli/ontology#LegalResource")))
    return vocab


# ---------------------------------------------------------------------------------------------------------
# One scheme
# ---------------------------------------------------------------------------------------------------------

@dataclass
class SchemeSpec:
    code: str
    name: str
    start: int
    end: int
    predecessor: tuple[int, int] | None = None
    successor: tuple[int, int] | None = None

    @property
    def key(self) -> str:
        return f"{self.code}-{self.start}-{self.end}"


def _themes(items: Iterable[str]) -> str:
    return " , ".join(f"theme:{t}" for t in sorted(set(items)))


class SchemeWriter:
    """Writes one scheme file: its document, scheme, organisations, governance, plan, assessment."""

    def __init__(self, vocab: Vocabulary, spec: SchemeSpec, rng: random.Random, scale: float):
        self.vocab, self.spec, self.rng, self.scale = vocab, spec, rng, scale
        self.blocks: list[str] = []
        self.counts: dict[str, int] = defaultdict(int)

    def emit(self, block: Block, kind: str) -> None:
        self.blocks.append(block.text())
        self.counts[kind] += 1

    def pick(self, items: list, k: int = 1) -> list:
        return self.rng.sample(items, min(k, len(items)))

    def one(self, items: list):
        return items[self.rng.randrange(len(items))]

    # -- organisations -------------------------------------------------------------------------------------

    def organisation(self, inst: str) -> str:
        code, name = self.spec.code, self.spec.name
        iri = f"orga:{code}-{inst}"
        if iri not in self._orgs:
            # The same organisation is described alike in every file of its département.
            own = random.Random(f"{code}-{inst}")
            wordings = self.vocab.stated_as.get(inst) or [self.vocab.inst_labels[inst]]
            stated = own.sample(wordings, min(len(wordings), own.randint(1, 2)))
            block = Block(iri, "org:Organization").add("rdfs:label", lit(f"{stated[0]} ({name})"))
            block.add("sdsf:statedAs", *(lit(w) for w in stated))
            block.add("sdsf:institutionType", f"inst:{inst}").add("sdsf:departement", f"dep:{code}")
            self.emit(block, "organisations")
            self._orgs.add(iri)
        return iri

    # -- the file ------------------------------------------------------------------------------------------

    def write(self) -> str:
        self._orgs: set[str] = set()
        spec, rng, vocab = self.spec, self.rng, self.vocab
        key, code = spec.key, spec.code
        doc = Block(f"doc:{key}", "sdsf:SourceDocument")
        if rng.random() < 0.6:
            doc.add("dcterms:title", lit(self.one(vocab.titles)))
        doc.add("rdfs:label", lit(f"Schéma départemental des services aux familles — {spec.name} "
                                  f"{spec.start}-{spec.end} (document de synthèse)"))
        doc.add("sdsf:fileName", lit(f"synthetic-{key}.txt", None))
        doc.add("sdsf:documentKind", lit(self.one(vocab.document_kinds)))
        doc.add("dcterms:format", lit("text/plain", None))
        self.emit(doc, "documents")

        scheme = Block(f"scheme:{key}", "sdsf:Scheme")
        scheme.add("rdfs:label", lit(f"SDSF {spec.name} {spec.start}-{spec.end}"),
                   lit(f"{spec.name} family services scheme {spec.start}-{spec.end}", "en"))
        scheme.add("sdsf:departement", f"dep:{code}")
        scheme.add("sdsf:startYear", str(spec.start)).add("sdsf:endYear", str(spec.end))
        scheme.add("sdsf:sourceDocument", f"doc:{key}")
        if spec.predecessor:
            scheme.add("sdsf:predecessor", f"scheme:{code}-{spec.predecessor[0]}-{spec.predecessor[1]}")
        if spec.successor:
            scheme.add("sdsf:successor", f"scheme:{code}-{spec.successor[0]}-{spec.successor[1]}")
        if rng.random() < 0.5:
            scheme.add("sdsf:adoptionYear", str(spec.start))
        legal = ["decret-2021-1644", "casf-l214-5"] if spec.start >= 2022 else ["circulaire-2015-01-22"]
        scheme.add("sdsf:legalBasis", *(f"legal:{t}" for t in legal if t in vocab.legal_texts))
        self._signatories(scheme)
        plan_themes = self._plan()
        covered = [t for t in sorted(plan_themes) if rng.random() < 0.5] or sorted(plan_themes)[:1]
        scheme.add("sdsf:coversField", _themes(covered))
        scheme.add("sdsf:transversalThread", *self._threads())
        scheme.add("sdsf:governanceBody", *self._governance())
        if self._markers:
            scheme.add("sdsf:markerLegend", *self._legend_iris)
        if rng.random() < 0.1 and vocab.comm.get("label"):
            scheme.add("sdsf:communicationPlan", self._communication())
        scheme.add("skos:scopeNote", *(lit(n) for n in self.pick(vocab.scope_notes, rng.randint(0, 2))))
        if spec.predecessor and rng.random() < 0.4:
            self._assessment()
        header = (f"# SYNTHETIC — benchmarks/synthetic.py: {spec.name} {spec.start}-{spec.end}, real labels "
                  f"recombined; not a real scheme.\n\n")
        return header + PREFIXES + "\n" + scheme.text() + "\n" + "\n".join(self.blocks)

    def _signatories(self, scheme: Block) -> None:
        rng = self.rng
        if rng.random() < 0.12:  # the source names no signatories: a warning, as for Haute-Marne
            scheme.add("sdsf:signatoriesStated", "false")
            return
        caf = CAF_EQUIVALENT.get(self.spec.code, "caf")
        chosen = ["etat", "conseil-departemental", caf]
        if rng.random() < 0.04:  # a rare gap against the circular: one core signatory missing
            chosen.remove(self.one(chosen))
        chosen += self.pick(list(OTHER_SIGNATORIES), rng.randint(0, 3))
        scheme.add("sdsf:signatoriesStated", "true")
        if self.vocab.signatories_statements and rng.random() < 0.3:
            scheme.add("sdsf:signatoriesStatement", lit(self.one(self.vocab.signatories_statements)))
        scheme.add("sdsf:signatory", *(self.organisation(inst) for inst in chosen))

    def _threads(self) -> list[str]:
        rng, vocab = self.rng, self.vocab
        if rng.random() < 0.2:
            return []  # an info: no transversal thread stated
        values = rng.random() < 0.4
        pool = vocab.values if values else vocab.threads
        iris = []
        for i, label in enumerate(self.pick(pool, rng.randint(1, len(pool))), 1):
            iri = f"thread:{self.spec.key}-{i}"
            block = Block(iri, "sdsf:TransversalValue" if values else "sdsf:TransversalThread")
            block.add("rdfs:label", lit(label)).add("skos:prefLabel", lit(label)).add("sdsf:order", str(i))
            block.add("sdsf:sourceSection", lit(self.one(vocab.thread_sections)))
            self.emit(block, "threads")
            iris.append(iri)
        return iris

    def _body(self, kind: str, suffix: str, template: dict, theme: str | None = None) -> tuple[str, Block]:
        rng, name = self.rng, self.spec.name
        iri = f"body:{self.spec.key}-{suffix}"
        label = template["label"] if theme is None else f"Comité thématique {self.vocab.theme_labels[theme]}"
        block = Block(iri, f"sdsf:{kind}").add("rdfs:label", lit(f"{label} ({name})"))
        if theme:
            block.add("sdsf:statedAs", lit(self.vocab.theme_labels[theme])).add("sdsf:theme", f"theme:{theme}")
        else:
            block.add("sdsf:statedAs", *(lit(w) for w in template["stated_as"][:2]))
        if template["frequency"] and rng.random() < 0.7:
            block.add("sdsf:meetingFrequency", lit(template["frequency"][0]))
            block.add("sdsf:meetingsPerYear", *map(str, template["per_year"][:1]))
        block.add("sdsf:mission", *(lit(m) for m in self.pick(template["missions"], rng.randint(0, 5))))
        if template["section"]:
            block.add("sdsf:sourceSection", lit(template["section"][0]))
        return iri, block

    def _membership(self, body: str, org: str, role: str, stated: str | None = None) -> None:
        suffix = body.removeprefix("body:") + "-" + role + "-" + org.removeprefix(f"orga:{self.spec.code}-")
        block = Block(f"membership:{suffix}", "org:Membership")
        block.add("org:organization", body).add("org:member", org).add("org:role", f"role:{role}")
        if stated:
            block.add("sdsf:statedAs", lit(stated))
        self.emit(block, "memberships")

    def _governance(self) -> list[str]:
        rng, vocab, spec = self.rng, self.vocab, self.spec
        caf = CAF_EQUIVALENT.get(spec.code, "caf")
        iris = []
        # A CDSF: the décret of 2021 requires it from 2022; a few schemes from 2022 still name none (warning).
        has_cdsf = rng.random() < (0.85 if spec.start >= 2022 else 0.35)
        if has_cdsf:
            template = self.one(vocab.bodies["FamilyServicesCommittee"])
            iri, block = self._body("FamilyServicesCommittee", "cdsf", template)
            chair = self.organisation("etat")
            block.add("sdsf:chair", chair)
            if rng.random() < 0.5:
                block.add("sdsf:memberCount", str(rng.randint(12, 45)))
            self.emit(block, "bodies")
            self._membership(iri, chair, "president")
            for inst in ("conseil-departemental", caf):
                self._membership(iri, self.organisation(inst), "vice-president")
            iris.append(iri)
        if rng.random() < 0.7:
            iri, block = self._body("SteeringCommittee", "copil", self.one(vocab.bodies["SteeringCommittee"]))
            self.emit(block, "bodies")
            for inst in ("etat", "conseil-departemental", caf) + tuple(self.pick(list(OTHER_SIGNATORIES), 2)):
                self._membership(iri, self.organisation(inst), "membre")
            iris.append(iri)
        if vocab.bodies["ThematicCommittee"] and rng.random() < 0.5:
            template = self.one(vocab.bodies["ThematicCommittee"])
            for theme in self.pick(["petite-enfance", "parentalite", "enfance-jeunesse", "animation-vie-sociale"],
                                   rng.randint(1, 4)):
                iri, block = self._body("ThematicCommittee", f"ct-{theme}", template, theme)
                self.emit(block, "bodies")
                for inst in self.pick(["etat", "conseil-departemental", caf, "msa", "udaf"], 3):
                    self._membership(iri, self.organisation(inst), "referent-technique")
                iris.append(iri)
        return iris

    # -- the plan ------------------------------------------------------------------------------------------

    @property
    def _legend_iris(self) -> list[str]:
        return [f"marker:{self.spec.key}-{notation.lower()}" for notation, _ in self.vocab.markers]

    def _element(self, level: str, theme: str) -> Labelled:
        pool = self.vocab.levels[level].get(theme) or self.vocab.all_levels[level]
        return self.one(pool)

    def _plan(self) -> set[str]:
        rng, spec, vocab = self.rng, self.spec, self.vocab
        factor = math.sqrt(self.scale)
        markers = rng.random() < 0.15
        if markers:
            for order, (notation, label) in enumerate(vocab.markers, 1):
                block = Block(f"marker:{spec.key}-{notation.lower()}", "sdsf:Marker")
                block.add("rdfs:label", lit(label)).add("skos:prefLabel", lit(label))
                block.add("skos:notation", lit(notation, None)).add("sdsf:order", str(order))
                self.emit(block, "markers")
        self._markers = markers
        # Two real shapes of plan: axis → objective → action → sub-action (Hauts-de-Seine, Drôme), or
        # orientation → axis → action → sub-action (Haute-Marne's orientations and axes, with actions below).
        top_cls, middle_cls = ("Axis", "Objective") if rng.random() < 0.65 else ("Orientation", "Axis")
        section = self.one(vocab.sections)
        used: set[str] = set()
        top_themes = sorted(vocab.levels["top"])
        n_top = rng.randint(3, 6)
        target_actions = 60 * self.scale
        per_middle = max(1, round(target_actions / n_top / (3 * factor)))
        for i in range(1, n_top + 1):
            top = self._element("top", self.one(top_themes))
            top_iri = f"{top_cls.lower()}:{spec.key}-{i}"
            self._plan_element(top_iri, top_cls, i, top, set(top.themes), section, in_scheme=True)
            used.update(top.themes)
            primary = self.one(list(top.themes))
            for j in range(1, max(1, round(rng.randint(2, 4) * factor)) + 1):
                middle = self._element("middle", primary)
                middle_themes = set(top.themes) | set(middle.themes)
                middle_iri = f"{middle_cls.lower()}:{spec.key}-{i}-{j}"
                self._plan_element(middle_iri, middle_cls, j, middle, middle_themes, top.label, parent=top_iri)
                for k in range(1, max(1, per_middle + rng.randint(-2, 2)) + 1):
                    action = self._element("action", primary)
                    action_themes = middle_themes | set(action.themes)
                    action_iri = f"action:{spec.key}-{i}-{j}-{k}"
                    self._plan_element(action_iri, "Action", k, action, action_themes, middle.label,
                                       parent=middle_iri)
                    used.update(action_themes)
                    n_sub = rng.choice((0, 0, 1, 1, 2, 3))
                    for m in range(1, n_sub + 1):
                        sub = self._element("sub", primary)
                        self._plan_element(f"subaction:{spec.key}-{i}-{j}-{k}-{m}", "SubAction", m, sub,
                                           action_themes | set(sub.themes), action.label, parent=action_iri)
        return used

    def _plan_element(self, iri: str, cls: str, order: int, element: Labelled, themes: set[str], section: str,
                      parent: str | None = None, in_scheme: bool = False) -> None:
        block = Block(iri, f"sdsf:{cls}")
        if in_scheme:
            block.add("sdsf:inScheme", f"scheme:{self.spec.key}")
        else:
            block.add("sdsf:parent", parent)  # type: ignore[arg-type]
        block.add("sdsf:order", str(order)).add("rdfs:label", lit(element.label))
        block.add("sdsf:sourceSection", lit(section)).add("sdsf:theme", _themes(themes))
        if self._markers and cls in ("Action", "SubAction") and self.rng.random() < 0.2:
            block.add("sdsf:marker", self.one(self._legend_iris))
        if self._markers and cls == "Action" and self.rng.random() < 0.1:
            block.add("sdsf:colouredDotCount", str(self.rng.randint(1, 3)))
        self.emit(block, cls)

    # -- communication, assessment -------------------------------------------------------------------------

    def _communication(self) -> str:
        iri = f"commplan:{self.spec.key}-journal"
        comm = self.vocab.comm
        block = Block(iri, "sdsf:CommunicationPlan").add("rdfs:label", lit(comm["label"][0]))
        for prop in ("purpose", "frequency", "audience", "channel", "contentItem"):
            block.add(f"sdsf:{prop}", *(lit(w) for w in self.pick(comm.get(prop, []), 3)))
        self.emit(block, "communication plans")
        return iri

    def _assessment(self) -> None:
        """The predecessor's assessment, published in this scheme's document (as Drôme 2020-2024 does)."""
        rng, vocab, spec = self.rng, self.vocab, self.spec
        start, end = spec.predecessor  # type: ignore[misc]
        assessed = f"{spec.code}-{start}-{end}"
        indicators = []
        for n, (label, unit) in enumerate(self.pick(vocab.indicators, rng.randint(2, 8) * max(1, round(
                math.sqrt(self.scale)))), 1):
            iri = f"indicator:{assessed}-{n}"
            self.emit(Block(iri, "sdsf:Indicator").add("rdfs:label", lit(label)).add("sdsf:unit", lit(unit)),
                      "indicators")
            indicators.append((iri, unit))
        results = []
        by_section: dict[str, int] = defaultdict(int)
        for r, (section, label) in enumerate(self.pick(vocab.results, rng.randint(3, 12)), 1):
            by_section[section] += 1
            iri = f"result:{assessed}-{r}"
            block = Block(iri, "sdsf:Result").add("sdsf:order", str(by_section[section]))
            block.add("sdsf:sourceSection", lit(section)).add("rdfs:label", lit(label))
            observations = []
            for o in range(1, rng.randint(0, 3) + 1):
                indicator, unit = self.one(indicators)
                obs = f"observation:{assessed}-{r}-{o}"
                ob = Block(obs, "sdsf:Observation").add("sdsf:indicator", indicator)
                ob.add("sdsf:value", str(rng.randint(1, 600))).add("sdsf:unit", lit(unit))
                ob.add("sdsf:year", str(rng.randint(start, end)))
                self.emit(ob, "observations")
                observations.append(obs)
            block.add("sdsf:observation", *observations)
            self.emit(block, "results")
            results.append(iri)
        assessment = Block(f"assessment:{assessed}", "sdsf:Assessment")
        assessment.add("rdfs:label", lit(f"{self.one(vocab.assessment_labels)} {start}-{end}"))
        assessment.add("sdsf:assesses", f"scheme:{assessed}").add("sdsf:sourceDocument", f"doc:{spec.key}")
        assessment.add("sdsf:summary", *(lit(s) for s in vocab.summaries[:1]))
        assessment.add("sdsf:hasResult", *results)
        self.emit(assessment, "assessments")
        self.emit(Block(f"scheme:{assessed}").add("sdsf:hasIndicator", *(i for i, _ in indicators)), "indicator links")


# ---------------------------------------------------------------------------------------------------------
# The national graph
# ---------------------------------------------------------------------------------------------------------

def periods(rng: random.Random) -> list[tuple[int, int]]:
    """2 or 3 successive, non-overlapping periods of 3 to 5 years, the first starting in 2014-2017."""
    start = rng.randint(2014, 2017)
    found = []
    for _ in range(rng.choice((2, 2, 3, 3, 3))):
        end = start + rng.randint(2, 4)
        found.append((start, end))
        start = end + 1
    return found


def generate(out: Path, seed: int = 1, scale: float = 1.0, departements: int | None = None,
             project: Path = ROOT, force: bool = False) -> dict:
    """Write the synthetic data folder; returns counts (schemes, files, elements by class…)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    if out.exists():
        if not force and any(out.iterdir()):
            raise FileExistsError(f"{out} exists and is not empty (use --force to replace it)")
        shutil.rmtree(out)
    vocab = load_vocabulary(project)
    (out / "schemes").mkdir(parents=True)
    shutil.copytree(project / "data" / "reference", out / "reference")
    totals: dict[str, int] = defaultdict(int)
    for code, name in vocab.departements[:departements]:
        spans = periods(random.Random(f"{seed}-{code}"))  # the same schemes at every scale
        rng = random.Random(f"{seed}-{scale}-{code}")
        for n, (start, end) in enumerate(spans):
            spec = SchemeSpec(code, name, start, end, spans[n - 1] if n else None,
                              spans[n + 1] if n + 1 < len(spans) else None)
            writer = SchemeWriter(vocab, spec, rng, scale)
            text = writer.write()
            (out / "schemes" / f"{code}-{slug(name)}-{start}-{end}.ttl").write_text(text, encoding="utf-8")
            totals["schemes"] += 1
            for kind, count in writer.counts.items():
                totals[kind] += count
    return dict(sorted(totals.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="output data folder (reference/ and schemes/)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="size of each scheme's plan, as a multiple of about 60 actions (default 1)")
    parser.add_argument("--departements", type=int, metavar="N", help="only the first N départements")
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    args = parser.parse_args(argv)
    try:
        totals = generate(args.out, args.seed, args.scale, args.departements, force=args.force)
    except (FileExistsError, ValueError) as exc:
        print(f"synthetic: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {totals['schemes']} schemes into {args.out}/schemes: "
          + ", ".join(f"{v} {k}" for k, v in totals.items() if k != "schemes"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
