"""`sdsf import outline`: from the outline of a text to a draft in the authoring format, to be reviewed.

What the text shows is copied verbatim (labels, sections); what is inferred (the level of each element, the
themes, the signatories, the governance bodies, a heading matched with a line of a summary plan) is written
with its reason and, where it is a guess, an ``a_verifier`` field that ``sdsf import scheme`` refuses until a
person has checked it and removed it.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any

from ..themes import Themes
from .outline import LEVEL_WORDS, PLAN_WORDS, Node, Outline, heading_text, level_hint, parse_outline
from .vocab import Vocab, fold
from .yamlwrite import Comment, dump

ORDER = ["orientation", "axe", "objectif", "action", "sous-action"]
REVIEW = "À VÉRIFIER : "
BODIES = ((r"(?:comite|commission) departementale? des services aux familles", "cdsf"),
          (r"comite de pilotage(?: elargi)?|comite directeur", "comite-de-pilotage"),
          (r"comites? thematiques?", "comite-thematique"))


def _prune(nodes: list[Node]) -> list[Node]:
    """Headings that head no bullet or numbered line are sections, not elements: their content moves up."""
    out: list[Node] = []
    for node in nodes:
        kids = _prune(node.children)
        if node.item or (kids and not PLAN_WORDS.search(fold(node.label))):
            node.children = kids
            for kid in kids:
                kid.parent = node
            out.append(node)
        else:
            for kid in kids:
                kid.parent, kid.hint = node.parent, level_hint(node.label) or kid.hint
            out += kids
    return out


def _walk(nodes: list[Node]) -> list[Node]:
    return [n for node in nodes for n in (node, *_walk(node.children))]


def _absorb(target: Node, node: Node) -> None:
    target.theme_context.update(node.theme_context)
    for child in node.children:
        same = next((c for c in target.children if c.label == child.label), None)
        if same is None:
            child.parent = target
            target.children.append(child)
        else:
            _absorb(same, child)


def _merge(roots: list[Node]) -> list[Node]:
    """A top-level heading repeating an element's label (a summary plan detailed further on) joins it."""
    seen: dict[str, Node] = {}
    kept: list[Node] = []
    for root in roots:
        target = seen.get(root.label)
        if target is not None and not root.item:
            _absorb(target, root)
            target.review.append(f"détaillé plus loin dans la source (ligne {root.line}) : ses sous-éléments ont "
                                 "été rattachés ici")
        else:
            kept.append(root)
        for node in _walk([target if target is not None and not root.item else root]):
            seen.setdefault(node.label, node)
    labels = {n.label: n for n in _walk(kept)}
    for root in kept:
        if root.item or not root.children:
            continue
        others = [label for label, n in labels.items() if n is not root and n.item]
        close = difflib.get_close_matches(root.label, others, n=1, cutoff=0.75)
        if close:
            root.review.append(f"proche de « {close[0]} » (ligne {labels[close[0]].line}) : même élément écrit "
                               "autrement ? si oui, déplacez ses sous-éléments et gardez ce libellé en "
                               "libelle_alternatif")
    return kept


def _own_level(node: Node) -> str | None:
    word = fold(node.notation or "").split(" ")[0]
    for level, pattern in LEVEL_WORDS:
        if word and re.fullmatch(pattern, word):
            return level
    return "orientation" if re.match(r"orientations?\b", fold(node.label)) else None


def _element(node: Node, parent_level: str | None, parent: Themes | None, vocab: Vocab) -> dict[str, Any]:
    level = _own_level(node)
    if level is None:
        hint = node.hint
        if parent_level is None:
            level = hint[0] if hint else "axe"
        else:
            after = hint[hint.index(parent_level) + 1:] if parent_level in hint else []
            level = after[0] if after else ORDER[min(ORDER.index(parent_level) + 1, len(ORDER) - 1)]
    if node.parent is None:
        section: str | None = node.section or heading_text(node.raw)
    else:
        section = node.section if node.section and node.section != node.parent.label else None
    # a thematic heading this element is under and its parent is not (a detail page: « Petite enfance »)
    above = node.parent.theme_context if node.parent is not None else {}
    thematic = list(dict.fromkeys(heading for slug, heading in node.theme_context.items()
                                  if slug not in above and heading not in (node.label, section)))
    answer = vocab.rule.element(node.label, parent, thematic + ([section] if section else []))
    by_reason: dict[str, list[str]] = {}
    for slug, reason in answer.reasons.items():
        by_reason.setdefault(reason, []).append(slug)
    reasons = " ; ".join(f"{reason} : {', '.join(slugs)}" for reason, slugs in by_reason.items())
    element: dict[str, Any] = {"niveau": level, "libelle": node.label}
    if node.alt:
        element["libelle_alternatif"] = node.alt
    if node.notation:
        element["notation"] = node.notation
    if section:
        element["section"] = section
    if thematic:
        element["section_thematique"] = Comment(thematic, "section thématique de la source où l'élément est "
                                                          "détaillé : elle lui donne son thème (règle 1)")
    element["themes"] = Comment(answer.themes, reasons)
    if node.markers:
        element["marqueurs"] = node.markers
    if node.dots:
        element["pastilles"] = Comment(str(node.dots), "pastilles de couleur ●, sens non lisible dans le texte")
    if node.review:
        element["a_verifier"] = [REVIEW + text for text in node.review]
    if node.children:
        element["elements"] = [_element(child, level, answer, vocab) for child in node.children]
    return element


def _signatories(outline: Outline, vocab: Vocab) -> tuple[list[dict], str | None, int | None]:
    lines, candidates = outline.lines, []
    for i, raw in enumerate(lines):
        folded = fold(raw.strip())
        if re.fullmatch(r"[#* ]*(?:les )?signataires?(?: du schema)?\s*:?[* ]*", folded):  # a heading
            block, colons = [], 0
            for other in lines[i + 1:]:
                colons += other.strip().endswith(":")
                if colons > 1 or other.startswith("#"):
                    break
                block.append(other)
            candidates.append((i + 1, raw.strip(" #*"), vocab.institutions(" \n".join(block))))
        elif re.search(r"signataires?\b|signature .* entre |\bsigne(?:e|s|es)? par\b", folded):
            candidates.append((i + 1, raw.strip(), vocab.institutions(raw)))
    candidates = [c for c in candidates if c[2]]
    if not candidates:
        return [], None, None
    line, text, found = max(candidates, key=lambda c: len({slug for slug, _ in c[2]}))
    orgs: dict[str, dict] = {}
    for slug, words in found:
        org = orgs.setdefault(slug, {"type": slug, "tel_que_dans_la_source": []})
        if words not in org["tel_que_dans_la_source"]:
            org["tel_que_dans_la_source"].append(words)
    for org in orgs.values():
        org["a_verifier"] = f"{REVIEW}reconnu ligne {line} ; libellé, identifiant et statut de signataire à confirmer"
    return list(orgs.values()), text.rstrip(" :"), line


def _governance(outline: Outline, vocab: Vocab, departement: str, signatories: list[dict]) -> list[dict]:
    bodies: dict[str, dict] = {}
    for i, raw in enumerate(outline.lines):
        folded = fold(raw)
        for pattern, kind in BODIES:
            for m in re.finditer(pattern, folded):
                key = kind + "".join(f"-{w}" for w in ("elargi", "directeur") if w in m.group(0))
                words = raw[m.start():m.end()]
                label = f"{words[:1].upper()}{words[1:]} ({departement})"
                body = bodies.setdefault(key, {"type": kind, "libelle": label, "tel_que_dans_la_source": [],
                                               "a_verifier": []})
                if words not in body["tel_que_dans_la_source"]:
                    body["tel_que_dans_la_source"].append(words)
                chair = re.search(r"presidee? par (.*)$", folded[m.end():])
                if chair and "presidence" not in body:
                    types = {slug for slug, _ in vocab.institutions(raw[m.end() + chair.start(1):])}
                    if any(org["type"] in types for org in signatories):
                        body["presidence"] = next(org["type"] for org in signatories if org["type"] in types)
                if not body["a_verifier"]:
                    body["a_verifier"] = [f"{REVIEW}instance nommée ligne {i + 1} ; type, présidence, membres, "
                                          "missions et fréquence à compléter d'après la source"]
                if kind == "comite-thematique":
                    body.setdefault("theme", "")
    return list(bodies.values())


def make_draft(text: str, text_path: Path, out_path: Path, code: str, years: tuple[int, int], vocab: Vocab) -> str:
    """The draft (YAML text) for the scheme of ``code`` over ``years`` written in ``text``."""
    outline = parse_outline(text, vocab)
    roots = _merge(_prune(outline.roots))
    for root in roots:
        root.parent = None
    dep = vocab.departements[code]
    plan = [_element(root, None, None, vocab) for root in roots]
    signatories, statement, where = _signatories(outline, vocab)
    general = ["niveaux (orientation, axe, objectif, action, sous-action) déduits de la mise en page : comparez "
               "avec la source", "thèmes donnés par la règle de data/README.md (« Themes »), la même pour tous les "
               "fichiers : « sdsf import scheme » refuse des thèmes qui s'en écartent ; vérifiez plutôt les "
               "libellés et les « section_thematique » dont ils découlent",
               "complétez partenaires, gouvernance, bases juridiques et champs couverts d'après la source"]
    title = next((line.strip("# *") for line in text.splitlines()[:40] if "schema" in fold(line)
                  and len(line.strip()) <= 200 and not line.strip().endswith(("?", ".", ":"))), None)
    draft: dict[str, Any] = {"format": "sdsf-brouillon/1", "departement": Comment(code, dep),
                             "periode": f"{years[0]}-{years[1]}"}
    if signatories:
        general.append(f"signataires reconnus ligne {where} : vérifiez la liste et « mention_signataires »")
    if title:
        draft["titre"] = title
        general.append("« titre » : est-ce le titre du schéma, ou seulement celui du document ?")
    draft["a_verifier"] = [REVIEW + text for text in general]
    draft["document_source"] = {"fichier": text_path.name,
                                "chemin": os.path.relpath(text_path.resolve(), out_path.resolve().parent),
                                "nature": Comment("", "à compléter : « synthèse du schéma », « page web », "
                                                      "« dossier de presse »… ; si le texte ne se qualifie pas, "
                                                      "dites dans « remarques » d'où la nature est déduite")}
    if statement:
        draft["mention_signataires"] = statement
    draft["signataires"] = Comment(signatories, None if signatories else "aucun signataire reconnu : si la source "
                                   "n'en nomme pas, laissez vide (signataires_enonces sera faux)")
    draft["partenaires"] = []
    draft["bases_juridiques"] = Comment([], "circulaire-2015-01-22, ordonnance-2021-611, decret-2021-1644, "
                                            "casf-l214-5… si la source les cite")
    draft["champs_couverts"] = []
    if outline.threads:
        draft["fils_conducteurs"] = [
            {"libelle": label, **({"section": section} if section else {}), **({"valeur": "oui"} if value else {})}
            for label, section, _, value in outline.threads]
    signs = list(dict.fromkeys(sign for node in _walk(roots) for sign in node.markers))
    if signs:
        draft["marqueurs"] = [{"signe": sign, "libelle": "", "a_verifier": f"{REVIEW}légende du signe « {sign} » à "
                               "recopier de la source"} for sign in signs]
    bodies = _governance(outline, vocab, dep, signatories)
    if bodies:
        draft["gouvernance"] = bodies
    draft["plan"] = plan
    if outline.bilan:
        heading, line = outline.bilan
        years_seen = re.search(r"(\d{4})\s*[-–]\s*(\d{4})", heading)
        bilan: dict[str, Any] = {"libelle": heading}
        if years_seen and (int(years_seen.group(1)), int(years_seen.group(2))) != years:
            bilan["schema"] = f"{years_seen.group(1)}-{years_seen.group(2)}"
        bilan["a_verifier"] = f"{REVIEW}bilan repéré ligne {line} : schéma évalué, résultats et mesures à vérifier"
        bilan["resultats"] = [{"libelle": label, **({"section": section} if section else {})}
                              for label, section, _ in outline.results]
        draft["bilan"] = bilan
    if outline.unplaced:
        draft["a_classer"] = [{"ligne": str(line), "lignes": lines, **({"section": s} if s else {}),
                               "a_verifier": f"{REVIEW}liste sans intitulé (légende des marqueurs ?)"}
                              for s, line, lines in outline.unplaced]
    header = [f"Brouillon de schéma SDSF produit par « sdsf import outline » à partir de {text_path.name}.",
              "À relire avant « sdsf import scheme » : chaque « a_verifier » signale un point incertain ; corrigez",
              "le brouillon si besoin, puis supprimez la ligne. Guide : docs/ajouter-un-schema.md."]
    return dump(draft, header)
