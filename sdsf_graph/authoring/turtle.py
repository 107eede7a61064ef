"""Turn a checked draft into the Turtle file of its scheme, following data/README.md.

IRIs: ``scheme/<code>-<start>-<end>``, plan elements ``<type>/<code>-<start>-<end>-<i>-<j>…`` in the order of
the draft, organisations ``organisation/<code>-<id>``. Each resource is serialised by rdflib on its own, in
the draft's order, under one stable prefix set, so the file reads like the hand-made ones. ``locations``
maps every generated IRI to the draft block it comes from, to point validation findings at draft lines.
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from rdflib import XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS, SKOS

from ..namespaces import SDSF
from .spec import LEVELS
from .turtle_base import FRENCH_LANGUAGE, NS, PREFIXES, SHORT_NAMES, Generated, Writer, fr, org_iri
from .turtle_extra import communication, governance, indicators
from .values import blank, boolean, ids, level, organisations, period
from .vocab import Vocab, slugify
from .yamlsrc import Draft, Path_

__all__ = ["NS", "Generated", "generate", "org_iri"]


def generate(draft: Draft, vocab: Vocab, reused: set[URIRef] | None = None) -> Generated:
    """The Turtle of ``draft`` (already checked); ``reused`` organisations are defined in another file."""
    w = Writer(draft, vocab, reused or set())
    data = draft.data
    scheme = NS["scheme"][w.key]
    _document(w, data)
    g = w.block(scheme, (), "Scheme")
    g.add((scheme, RDF.type, SDSF.Scheme))
    g.add((scheme, RDFS.label, fr(data.get("libelle") or f"SDSF {w.dep_name} {w.start}-{w.end}")))
    g.add((scheme, RDFS.label, Literal(f"{w.dep_name} family services scheme {w.start}-{w.end}", lang="en")))
    w.add_text(g, scheme, DCTERMS.title, data, "titre")
    g.add((scheme, SDSF.departement, NS["dep"][w.code]))
    g.add((scheme, SDSF.startYear, Literal(w.start)))
    g.add((scheme, SDSF.endYear, Literal(w.end)))
    g.add((scheme, SDSF.sourceDocument, NS["doc"][w.key]))
    stated = boolean(data.get("signataires_enonces"))
    g.add((scheme, SDSF.signatoriesStated, Literal(bool(data.get("signataires")) if stated is None else stated)))
    w.add_text(g, scheme, SDSF.signatoriesStatement, data, "mention_signataires")
    for prop, key in ((SDSF.signatory, "signataires"), (SDSF.partner, "partenaires")):
        for org in data.get(key) or []:
            g.add((scheme, prop, org_iri(w.code, org, vocab)))
    for text in ids(data.get("bases_juridiques")):
        g.add((scheme, SDSF.legalBasis, NS["legal"][text]))
    for theme in ids(data.get("champs_couverts")):
        g.add((scheme, SDSF.coversField, w.theme(theme)))
    if period(data.get("schema_precedent")):
        before = period(data["schema_precedent"]) or (0, 0)
        g.add((scheme, SDSF.predecessor, NS["scheme"][f"{w.code}-{before[0]}-{before[1]}"]))
    if not blank(data.get("adoption")):
        g.add((scheme, SDSF.adoptionYear, Literal(int(data["adoption"]))))
    for prop, key in ((SDSF.adoptionDate, "date_adoption"), (SDSF.signatureDate, "date_signature")):
        if not blank(data.get(key)):
            g.add((scheme, prop, Literal(str(data[key]).strip(), datatype=XSD.date)))
    w.add_texts(g, scheme, SKOS.scopeNote, data, "portee")
    w.notes(g, scheme, data)
    _organisations(w, data)
    _threads(w, data, g, scheme)
    governance(w, data, g, scheme)
    _plan(w, data, scheme)
    indicators(w, data, g, scheme)
    communication(w, data, g, scheme)
    return Generated(_serialise(w, draft), scheme, w.locations, w.counts)


def _document(w: Writer, data: dict) -> None:
    doc, s = data["document_source"], NS["doc"][w.key]
    g = w.block(s, ("document_source",), "Source document")
    g.add((s, RDF.type, SDSF.SourceDocument))
    name = Path(str(doc["fichier"]).strip()).name
    g.add((s, SDSF.fileName, Literal(name)))
    digest = str(doc.get("sha256") or "").strip().lower()
    if not blank(doc.get("chemin")):
        path = Path(str(doc["chemin"]))
        digest = hashlib.sha256((path if path.is_absolute() else w.draft.path.parent / path).read_bytes()).hexdigest()
    if digest:
        g.add((s, SDSF.sha256, Literal(digest)))
    for prop, key in ((DCTERMS.title, "titre"), (RDFS.label, "libelle"), (SDSF.documentKind, "nature")):
        w.add_text(g, s, prop, doc, key)
    kind = str(doc.get("format") or "").strip() or mimetypes.guess_type(name)[0] or ""
    if kind:
        g.add((s, DCTERMS.format, Literal(kind)))
    g.add((s, DCTERMS.language, FRENCH_LANGUAGE))
    w.notes(g, s, doc)


def _organisations(w: Writer, data: dict) -> None:
    first = True
    for path, org in organisations(data):
        s = org_iri(w.code, org, w.vocab)
        g = w.block(s, path, "Organisations (as the source names them)" if first else None)
        first = False
        w.add_texts(g, s, SDSF.statedAs, org, "tel_que_dans_la_source")
        if s in w.reused:  # defined in another scheme file of the département: only referred to here
            continue
        kind = w.vocab.lookup("institution", str(org["type"])) or "autre"
        short = SHORT_NAMES.get(kind) or w.vocab.institution_types[kind].split(" (")[0]
        g.add((s, RDF.type, ORG.Organization))
        attached = boolean(org.get("rattachee_au_departement")) is not False
        g.add((s, RDFS.label, fr(org.get("libelle") or (f"{short} ({w.dep_name})" if attached else short))))
        g.add((s, SDSF.institutionType, NS["inst"][kind]))
        if attached:
            g.add((s, SDSF.departement, NS["dep"][w.code]))
        w.notes(g, s, org)
    w.counts["organisations"] = len(list(organisations(data)))


def _threads(w: Writer, data: dict, g: Graph, scheme: URIRef) -> None:
    for i, thread in enumerate(data.get("fils_conducteurs") or [], 1):
        s = NS["thread"][f"{w.key}-{i}"]
        cls = SDSF.TransversalValue if boolean(thread.get("valeur")) else SDSF.TransversalThread
        t = w.scheme_part(g, scheme, SDSF.transversalThread, s, ("fils_conducteurs", i - 1),
                          "Transversal threads" if i == 1 else None, cls, thread["libelle"])
        t.add((s, SKOS.prefLabel, fr(thread["libelle"])))
        t.add((s, SDSF.order, Literal(i)))
        w.add_text(t, s, SDSF.sourceSection, thread, "section")
        w.add_texts(t, s, SKOS.scopeNote, thread, "portee")
        w.notes(t, s, thread)
    for i, marker in enumerate(data.get("marqueurs") or [], 1):
        s = NS["marker"][f"{w.key}-{slugify(str(marker['signe']))}"]
        m = w.scheme_part(g, scheme, SDSF.markerLegend, s, ("marqueurs", i - 1), "Legend markers" if i == 1 else None,
                          SDSF.Marker, marker["libelle"])
        m.add((s, SKOS.prefLabel, fr(marker["libelle"])))
        m.add((s, SKOS.notation, Literal(str(marker["signe"]).strip())))
        m.add((s, SDSF.order, Literal(i)))
        w.notes(m, s, marker)


def _plan(w: Writer, data: dict, scheme: URIRef) -> None:
    count = 0

    def element(item: dict, path: Path_, numbers: tuple[int, ...], parent: URIRef | None, parent_label: str) -> None:
        nonlocal count
        count += 1
        cls, segment = LEVELS[level(item) or "action"]
        s = NS[segment][w.key + "".join(f"-{n}" for n in numbers)]
        g = w.block(s, path, "Action plan" if count == 1 else None)
        g.add((s, RDF.type, cls))
        g.add((s, SDSF.inScheme, scheme) if parent is None else (s, SDSF.parent, parent))
        g.add((s, SDSF.order, Literal(numbers[-1])))
        if not blank(item.get("notation")):
            g.add((s, SKOS.notation, Literal(str(item["notation"]).strip())))
        g.add((s, RDFS.label, fr(item["libelle"])))
        w.add_texts(g, s, SKOS.altLabel, item, "libelle_alternatif")
        section = item.get("section") if not blank(item.get("section")) else parent_label
        g.add((s, SDSF.sourceSection, fr(section)))
        w.add_texts(g, s, SDSF.thematicSection, item, "section_thematique")
        for theme in ids(item.get("themes")):
            g.add((s, SDSF.theme, w.theme(theme)))
        for sign in ids(item.get("marqueurs")):
            g.add((s, SDSF.marker, NS["marker"][f"{w.key}-{slugify(sign)}"]))
        if not blank(item.get("pastilles")):
            g.add((s, SDSF.colouredDotCount, Literal(int(item["pastilles"]))))
        w.notes(g, s, item)
        for i, child in enumerate(item.get("elements") or [], 1):
            element(child, path + ("elements", i - 1), numbers + (i,), s, str(item["libelle"]).strip())

    for i, item in enumerate(data.get("plan") or [], 1):
        element(item, ("plan", i - 1), (i,), None, str(data.get("plan_section") or ""))
    w.counts["plan"] = count


def _bind(graph: Graph) -> Graph:
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)
    return graph


def _serialise(w: Writer, draft: Draft) -> str:
    union = Graph()
    for _, g in w.blocks:
        union += g
    header = [line for line in _bind(union).serialize(format="turtle").splitlines() if line.startswith("@prefix")]
    doc = draft.data["document_source"]
    out = [f"# {w.dep_name} — schéma départemental des services aux familles {w.start}-{w.end}, generated by",
           f"# `sdsf import scheme` from the draft {draft.path.name} (source document: {doc['fichier']}).",
           "# Labels are verbatim from the source. Edit the draft and re-import it "
           "(`sdsf import scheme DRAFT --replace`) rather than this file.", "", *header]
    for heading, g in w.blocks:
        if heading:
            out += ["", "#" * 65, f"# {heading}", "#" * 65]
        body = [line for line in _bind(Graph() + g).serialize(format="turtle").splitlines()
                if line.strip() and not line.startswith("@prefix")]
        out += ["", *body]
    return "\n".join(out) + "\n"
