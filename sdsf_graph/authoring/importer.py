"""`sdsf import scheme`: a checked draft becomes ``data/schemes/<code>-<name>-<start>-<end>.ttl``, or nothing.

1. the draft is read and checked on its own (``check``);
2. then against the graph: no second scheme for the same département and period, no overlapping period
   (unless the file being replaced holds it), a predecessor that exists, organisations reused coherently;
3. the Turtle is generated and staged, with a copy of every other data file, in a temporary folder, where
   the whole graph is compiled and validated (``compile_dataset`` + ``validate_dataset``);
4. only if no Violation is found is the file written: to a temporary file in ``data/schemes/`` first, moved
   into place by ``os.replace``. Whatever fails or is interrupted before, ``data/`` is left as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import ORG, RDF, RDFS

from ..build import compile_dataset, validate_dataset
from ..errors import DraftRefused, SourceError
from ..namespaces import SDSF
from ..settings import Settings
from ..sources import SourceFile, parse_source
from ..validate import Report
from .check import Problem, check_draft
from .turtle import NS, Generated, generate
from .values import org_id, organisations, period
from .vocab import Vocab, load_vocab, slugify
from .yamlsrc import Draft, Path_, read_draft

#: The draft field a validation finding's property comes from.
PROPERTY_FIELDS = {
    RDFS.label: "libelle", SDSF.theme: "themes", SDSF.sourceSection: "section",
    SDSF.thematicSection: "section_thematique", SDSF.marker: "marqueurs",
    SDSF.colouredDotCount: "pastilles", SDSF.departement: "departement", SDSF.startYear: "periode",
    SDSF.endYear: "periode", SDSF.sourceDocument: "document_source", SDSF.signatoriesStated: "signataires_enonces",
    SDSF.signatory: "signataires", SDSF.partner: "partenaires", SDSF.fileName: "fichier", SDSF.sha256: "sha256",
    SDSF.memberCount: "nombre_de_membres", SDSF.meetingsPerYear: "reunions_par_an", SDSF.chair: "presidence",
    SDSF.institutionType: "type", SDSF.coversField: "champs_couverts", SDSF.legalBasis: "bases_juridiques",
    SDSF.predecessor: "schema_precedent", SDSF.governanceBody: "gouvernance", ORG.role: "role",
    ORG.member: "organisation", SDSF.value: "valeur", SDSF.year: "annee", SDSF.unit: "unite",
    SDSF.transversalThread: "fils_conducteurs", SDSF.hasIndicator: "indicateurs",
}


@dataclass
class KnownScheme:
    iri: URIRef
    code: str
    start: int
    end: int
    label: str
    file: Path


@dataclass
class Existing:
    schemes: list[KnownScheme] = field(default_factory=list)
    organisations: dict[URIRef, tuple[str, Path]] = field(default_factory=dict)  # IRI -> (type IRI, file)


@dataclass
class ImportResult:
    target: Path
    replaced: bool
    generated: Generated
    findings: list[Problem]
    report: Report


def target_name(code: str, departement: str, start: int, end: int) -> str:
    return f"{code}-{slugify(departement)}-{start}-{end}.ttl"


def scan(schemes_dir: Path, skip: Path | None) -> Existing:
    """The schemes and organisations of the other scheme files (a Turtle error names its file: exit 2)."""
    found = Existing()
    for path in sorted(schemes_dir.glob("*.ttl")):
        if skip is None or path.resolve() != skip.resolve():
            part = scan_file(path)
            found.schemes += part.schemes
            found.organisations.update(part.organisations)
    return found


def scan_file(path: Path) -> Existing:
    found = Existing()
    if path.is_file():
        graph: Graph = parse_source(SourceFile(path, f"data/schemes/{path.name}", "scheme"))
        for scheme in graph.subjects(RDF.type, SDSF.Scheme):
            dep, start, end = (graph.value(scheme, p) for p in (SDSF.departement, SDSF.startYear, SDSF.endYear))
            if isinstance(scheme, URIRef) and dep is not None and start is not None and end is not None:
                label = next((str(o) for o in graph.objects(scheme, RDFS.label) if getattr(o, "language", "") == "fr"),
                             str(scheme))
                found.schemes.append(KnownScheme(scheme, str(dep).rsplit("/", 1)[1], int(str(start)), int(str(end)),
                                                 label, path))
        for org in graph.subjects(RDF.type, ORG.Organization):
            if isinstance(org, URIRef):
                found.organisations[org] = (str(graph.value(org, SDSF.institutionType) or ""), path)
    return found


def _against_graph(draft: Draft, vocab: Vocab, existing: Existing, data_dir: Path) -> tuple[list[Problem], set[URIRef]]:
    data = draft.data
    code = str(data["departement"]).strip()
    start, end = period(data["periode"]) or (0, 0)
    problems: list[Problem] = []

    def problem(path: Path_, message: str) -> None:
        problems.append(Problem(draft.line(path), path, message))

    ours = NS["scheme"][f"{code}-{start}-{end}"]
    for known in existing.schemes:
        where = os.path.relpath(known.file, data_dir.parent)
        if known.iri == ours:
            problem(("periode",), f"doublon : le schéma {code} {start}-{end} existe déjà (« {known.label} », dans "
                                  f"{where}) ; pour le remplacer, relancez avec --replace si c'est ce fichier, sinon "
                                  "retirez-le d'abord de son fichier")
        elif known.code == code and known.start <= end and start <= known.end:
            problem(("periode",), f"chevauchement : la période {start}-{end} recoupe celle de « {known.label} » "
                                  f"({known.start}-{known.end}, dans {where}) ; un département n'a qu'un schéma à la "
                                  "fois — corrigez la période, ou remplacez ce fichier (--replace) s'il s'agit du même "
                                  "schéma")
    schemes = {k.iri for k in existing.schemes} | {ours}
    references: list[tuple[Path_, object]] = [(("schema_precedent",), data.get("schema_precedent")),
                                              (("bilan", "schema"), (data.get("bilan") or {}).get("schema"))]
    for path, value in references:
        years = period(value)
        if years and NS["scheme"][f"{code}-{years[0]}-{years[1]}"] not in schemes:
            problem(path, f"schéma inconnu « {code} {years[0]}-{years[1]} » : il doit déjà être dans le graphe")
    reused: set[URIRef] = set()
    for path, org in organisations(data):
        iri = NS["orga"][f"{code}-{org_id(org, vocab)}"]
        if iri in existing.organisations:
            kind, where_file = existing.organisations[iri]
            ours_kind = str(NS["inst"][vocab.lookup("institution", str(org["type"])) or ""])
            if kind and kind != ours_kind:
                problem(path + ("type",), f"l'organisation « {org_id(org, vocab)} » existe déjà dans "
                                          f"{where_file.name} avec un autre type ({kind.rsplit('/', 1)[1]}) : "
                                          "donnez-lui un « id » distinct")
            reused.add(iri)
    return problems, reused


def _findings(report: Report, generated: Generated, draft: Draft) -> list[Problem]:
    found = []
    for f in report.findings:
        path = generated.locations.get(f.focus)
        if path is None:
            if f.severity == "Violation":  # broken data elsewhere also blocks: nothing broken is written
                found.append(Problem(1, (), f"hors du brouillon, <{f.focus}> : {f.message_fr}"))
            continue
        prop = PROPERTY_FIELDS.get(URIRef(f.path)) if f.path else None
        full = path + (prop,) if prop else path
        value = f" (valeur : {f.value.rsplit('/', 1)[-1]})" if f.value and f.value != f.focus else ""
        found.append(Problem(draft.line(full), full, f.message_fr + value, f.severity))
    return sorted(found, key=lambda p: p.line)


def _validate_staged(settings: Settings, name: str, text: str, skip: Path | None) -> Report:
    with tempfile.TemporaryDirectory(prefix="sdsf-import-") as tmp:
        staged = Path(tmp) / "data"
        for folder in ("reference", "schemes"):
            (staged / folder).mkdir(parents=True)
            for path in sorted((settings.data_path / folder).glob("*.ttl")):
                if skip is None or path.resolve() != skip.resolve():
                    shutil.copy2(path, staged / folder / path.name)
        (staged / "schemes" / name).write_text(text, encoding="utf-8")
        staged_settings = Settings({**settings.values, "data_dir": str(staged)})
        try:
            return validate_dataset(compile_dataset(staged_settings), staged_settings)
        except SourceError as exc:  # the generated file itself does not parse: a bug, reported as such
            raise SourceError(name, f"le fichier généré est illisible ({exc.message}) ; signalez-le") from None


def _refuse(problems: list[Problem], draft: Draft) -> DraftRefused:
    lines = [p.format(draft.path.name) for p in problems]
    return DraftRefused(problems, "\n".join(lines))


def write_atomically(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` through a temporary file of the same folder and ``os.replace``."""
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def import_scheme(draft_path: Path, settings: Settings, replace: bool = False) -> ImportResult:
    """Import the draft at ``draft_path`` into ``settings.data_path``; raises ``DraftRefused`` (nothing written)."""
    draft = read_draft(draft_path)
    vocab = load_vocab(settings.project_path, settings.data_path)
    problems = check_draft(draft, vocab)
    if problems:
        raise _refuse(problems, draft)
    data = draft.data
    code = str(data["departement"]).strip()
    start, end = period(data["periode"]) or (0, 0)
    schemes_dir = settings.data_path / "schemes"
    target = schemes_dir / target_name(code, vocab.departements[code], start, end)
    exists = target.exists()
    if exists and not replace:
        raise _refuse([Problem(draft.line(("periode",)), ("periode",),
                               f"le fichier {target.name} existe déjà : relancez avec --replace pour le remplacer "
                               "(l'ancien contenu sera perdu ; git le garde)")], draft)
    existing = scan(schemes_dir, target if exists else None)
    problems, reused = _against_graph(draft, vocab, existing, settings.data_path)
    ours = NS["scheme"][f"{code}-{start}-{end}"]
    for other in (scan_file(target).schemes if exists else []):
        if other.iri != ours:  # replacing the file would silently delete this scheme
            problems.append(Problem(draft.line(("periode",)), ("periode",),
                                    f"le fichier {target.name} décrit aussi « {other.label} » ({other.start}-"
                                    f"{other.end}), que ce brouillon ne contient pas : le remplacer le "
                                    "supprimerait ; voyez avec l'équipe du graphe"))
    if problems:
        raise _refuse(problems, draft)
    generated = generate(draft, vocab, reused)
    report = _validate_staged(settings, target.name, generated.text, target if exists else None)
    findings = _findings(report, generated, draft)
    if any(p.severity == "Violation" for p in findings):
        raise _refuse(findings, draft)
    write_atomically(target, generated.text)
    return ImportResult(target, exists, generated, findings, report)
