"""Check a draft before anything is generated: fields, kinds, references to the thesaurus and within the draft.

Every problem names the draft's line and field, in French. The checks that need the rest of the graph
(duplicate or overlapping scheme, predecessor) are in ``importer``; the SHACL shapes run last, on the
generated file staged with the whole graph.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..themes import Themes
from .spec import BODY_TYPES, FIELDS, LEVELS
from .values import KIND_CHECKS, blank, boolean, ids, level, org_id, organisations, period, plan_elements, texts, walk
from .vocab import Vocab, slugify
from .yamlsrc import Draft, Path_, show_path

SEVERITY_WORDS = {"Violation": "ERREUR", "Warning": "AVERTISSEMENT", "Info": "INFO"}


@dataclass
class Problem:
    line: int
    path: Path_
    message: str
    severity: str = "Violation"  # Violation | Warning | Info, as in the validation report

    def format(self, draft_name: str) -> str:
        return f"{draft_name}:{self.line}: {SEVERITY_WORDS[self.severity]} [{show_path(self.path)}] {self.message}"


# --- structure ---------------------------------------------------------------------------------------------

def _structure(draft: Draft, value: Any, kind: str, path: Path_) -> Iterator[Problem]:
    spec = FIELDS[kind]
    if not isinstance(value, dict):
        yield Problem(draft.line(path), path, "un bloc de champs (« champ: valeur ») est attendu ici")
        return
    if path and value and all(blank(v) for v in value.values()):
        yield Problem(draft.line(path), path, "bloc vide : remplissez-le, ou supprimez-le s'il ne sert pas")
        return
    for key in value:
        if key not in spec:
            close = difflib.get_close_matches(key, list(spec), n=1)
            hint = f" ; vouliez-vous dire « {close[0]} » ?" if close else f" ; champs possibles : {', '.join(spec)}"
            yield Problem(draft.line(path + (key,)), path + (key,), f"champ inconnu « {key} »{hint}")
    for key, (field_kind, mandatory) in spec.items():
        item = value.get(key)
        if blank(item):
            if mandatory:
                yield Problem(draft.line(path + (key,)), path + (key,), f"champ obligatoire manquant : « {key} »")
            continue
        if field_kind.startswith("map:"):
            yield from _structure(draft, item, field_kind[4:], path + (key,))
        elif field_kind.startswith("list:"):
            if not isinstance(item, list):
                yield Problem(draft.line(path + (key,)), path + (key,), "une liste (lignes « - … ») est attendue")
                continue
            for i, entry in enumerate(item):
                yield from _structure(draft, entry, field_kind[5:], path + (key, i))
        else:
            ok, message = KIND_CHECKS[field_kind]
            if not ok(item):
                yield Problem(draft.line(path + (key,)), path + (key,), f"{message} (lu : « {item} »)")


# --- meaning -----------------------------------------------------------------------------------------------

def check_draft(draft: Draft, vocab: Vocab) -> list[Problem]:
    """Every problem of ``draft`` that can be seen without the rest of the graph."""
    problems = list(_structure(draft, draft.data, "draft", ()))
    for path, line in draft.duplicates:
        problems.append(Problem(line, path, f"champ « {path[-1]} » écrit deux fois dans le même bloc"))
    if not isinstance(draft.data, dict):
        return problems
    problems += _meaning(draft, draft.data, vocab)
    return sorted(problems, key=lambda p: p.line)


def _meaning(draft: Draft, data: dict, vocab: Vocab) -> Iterator[Problem]:
    def problem(path: Path_, message: str) -> Problem:
        return Problem(draft.line(path), path, message)

    for path, value in walk(data):
        if path and path[-1] == "a_verifier" and not blank(value):
            first = texts(value)[0] if texts(value) else ""
            yield problem(path, f"point encore à vérifier : « {first} » — relisez-le, corrigez le brouillon, puis "
                                "supprimez la ligne « a_verifier »")
    if data.get("a_classer"):
        yield problem(("a_classer",), "des lignes de la source restent « à classer » : placez-les (plan, fils "
                                      "conducteurs…) ou supprimez-les, puis supprimez « a_classer »")
    code = str(data.get("departement") or "").strip()
    if code and code not in vocab.departements:
        hint = f" (vouliez-vous dire « {code.zfill(2)} » ?)" if code.zfill(2) in vocab.departements else ""
        yield problem(("departement",), f"code de département inconnu « {code} »{hint} : il doit être l'un des 101 "
                                        "codes du Code officiel géographique (01 à 95, 2A, 2B, 971 à 976)")
    years = period(data.get("periode"))
    if years and not (2000 <= years[0] <= years[1] <= 2100):
        yield problem(("periode",), f"période incohérente « {data['periode']} » : l'année de début doit précéder "
                                    "l'année de fin, entre 2000 et 2100")
    yield from _document(draft, data, problem)
    known_orgs: dict[str, Path_] = {}
    for path, org in organisations(data):
        kind = str(org.get("type") or "")
        if kind and vocab.lookup("institution", kind) is None:
            yield problem(path + ("type",), f"type d'institution inconnu « {kind} » ; types possibles : "
                                            f"{', '.join(vocab.institution_types)}")
        oid = org_id(org, vocab)
        if oid in known_orgs:
            yield problem(path, f"deux organisations ont l'identifiant « {oid} » (voir {show_path(known_orgs[oid])}) "
                                ": donnez à l'une un « id » distinct")
        known_orgs.setdefault(oid, path)
    stated = boolean(data.get("signataires_enonces"))
    if stated is True and not data.get("signataires"):
        yield problem(("signataires_enonces",), "« signataires_enonces: oui » mais aucun signataire n'est donné")
    if stated is False and data.get("signataires"):
        yield problem(("signataires_enonces",), "« signataires_enonces: non » mais des signataires sont donnés")
    for i, text in enumerate(ids(data.get("bases_juridiques"))):
        if text not in vocab.legal_texts:
            yield problem(("bases_juridiques", i), f"texte juridique inconnu « {text} » ; textes connus : "
                                                   f"{', '.join(sorted(vocab.legal_texts))}")
    for i, theme in enumerate(ids(data.get("champs_couverts"))):
        yield from _theme(vocab, theme, ("champs_couverts", i), problem)
    signs = [str(m.get("signe")).strip() for m in data.get("marqueurs") or [] if isinstance(m, dict)]
    yield from _governance(data, vocab, known_orgs, problem)
    yield from _plan(data, vocab, set(signs), problem)
    yield from _indicators(data, problem)


def _theme(vocab: Vocab, theme: str, path: Path_, problem: Any) -> Iterator[Problem]:
    if vocab.lookup("theme", theme) is None:
        close = difflib.get_close_matches(theme, list(vocab.themes), n=1)
        hint = f" ; vouliez-vous dire « {close[0]} » ?" if close else ""
        yield problem(path, f"thème inconnu « {theme} »{hint} ; thèmes possibles : {', '.join(vocab.themes)}")


def _document(draft: Draft, data: dict, problem: Any) -> Iterator[Problem]:
    doc = data.get("document_source")
    if not isinstance(doc, dict) or blank(doc.get("chemin")):
        return
    path = Path(str(doc["chemin"]))
    path = path if path.is_absolute() else draft.path.parent / path
    if not path.is_file():
        yield problem(("document_source", "chemin"), f"document source introuvable : {path}")
        return
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if not blank(doc.get("sha256")) and str(doc["sha256"]).strip().lower() != digest:
        yield problem(("document_source", "sha256"), f"l'empreinte ne correspond pas au fichier {path.name} "
                                                     f"(calculée : {digest})")
    if not blank(doc.get("fichier")) and Path(str(doc["fichier"])).name != path.name:
        yield problem(("document_source", "fichier"), f"« fichier » ({doc['fichier']}) et « chemin » ({path.name}) "
                                                      "ne désignent pas le même fichier")


def _governance(data: dict, vocab: Vocab, orgs: dict[str, Path_], problem: Any) -> Iterator[Problem]:
    def known(path: Path_, ref: Any) -> Iterator[Problem]:
        if not blank(ref) and slugify(str(ref)) not in orgs:
            known_ids = ", ".join(orgs) or "aucune"
            yield problem(path, f"organisation inconnue « {ref} » : elle doit être l'« id » (ou le type) d'un "
                                f"signataire, partenaire ou membre de « organisations » ({known_ids})")

    for i, body in enumerate(data.get("gouvernance") or []):
        if not isinstance(body, dict):
            continue
        path: Path_ = ("gouvernance", i)
        kind = slugify(str(body.get("type") or ""))
        if body.get("type") and kind not in BODY_TYPES:
            yield problem(path + ("type",), f"type d'instance inconnu « {body['type']} » ; types possibles : "
                                            f"{', '.join(BODY_TYPES)}")
        if kind == "comite-thematique" and blank(body.get("theme")):
            yield problem(path + ("theme",), "un comité thématique doit indiquer son thème (champ « theme »)")
        if not blank(body.get("theme")):
            yield from _theme(vocab, str(body["theme"]), path + ("theme",), problem)
        yield from known(path + ("presidence",), body.get("presidence"))
        for j, member in enumerate(body.get("membres") or []):
            if isinstance(member, dict):
                yield from known(path + ("membres", j, "organisation"), member.get("organisation"))
                role = str(member.get("role") or "")
                if role and vocab.lookup("role", role) is None:
                    yield problem(path + ("membres", j, "role"), f"rôle inconnu « {role} » ; rôles possibles : "
                                                                 f"{', '.join(vocab.roles)}")


def rule_answers(data: dict, vocab: Vocab) -> dict[Path_, Themes]:
    """The theme rule's answer (data/README.md, « Themes ») for every element of the draft's plan, by path: from
    its label, its ``section_thematique``, its section when it is not its parent's label, and its parent."""
    answers: dict[Path_, Themes] = {}

    def walk(items: Any, path: Path_, parent: Themes | None, parent_label: str) -> None:
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                label = str(item.get("libelle") or "").strip()
                section = str(item["section"]).strip() if not blank(item.get("section")) else parent_label
                sections = texts(item.get("section_thematique"))
                sections += [section] if parent is None or section != parent_label else []
                answers[path + (i,)] = answer = vocab.rule.element(label, parent, sections)
                walk(item.get("elements"), path + (i, "elements"), answer, label)

    walk(data.get("plan"), ("plan",), None, str(data.get("plan_section") or "").strip())
    return answers


def _reasons(answer: Themes) -> str:
    return " ; ".join(f"{theme} ({reason})" for theme, reason in answer.reasons.items())


def _plan(data: dict, vocab: Vocab, signs: set[str], problem: Any) -> Iterator[Problem]:
    default_section = not blank(data.get("plan_section"))
    answers = rule_answers(data, vocab)
    for path, element in plan_elements(data.get("plan")):
        word = level(element)
        if element.get("niveau") and word is None:
            yield problem(path + ("niveau",), f"niveau inconnu « {element['niveau']} » ; niveaux possibles : "
                                              f"{', '.join(LEVELS)}")
        if len(path) == 2 and blank(element.get("section")) and not default_section:
            yield problem(path + ("section",), "section de la source manquante : donnez « section » (l'intitulé "
                                               "sous lequel l'élément apparaît) ou « plan_section » pour tout le plan")
        themes = ids(element.get("themes"))
        for i, theme in enumerate(themes):
            yield from _theme(vocab, theme, path + ("themes", i), problem)
        answer = answers.get(path)
        slugs = [vocab.lookup("theme", theme) for theme in themes]
        if word in ("action", "sous-action") and not themes:
            yield problem(path + ("themes",), f"{word} sans thème : chaque action et sous-action doit avoir au "
                                              "moins un thème du thésaurus ; la règle de data/README.md (« Themes ») "
                                              f"lui donne : {_reasons(answer) if answer else '—'}")
        elif answer is not None and None not in slugs and set(slugs) != set(answer.themes) \
                and not blank(element.get("libelle")):
            yield problem(path + ("themes",), "thèmes différents de ceux de la règle de data/README.md (« Themes »), "
                                              f"la même pour tous les fichiers : elle donne {_reasons(answer)} ; le "
                                              f"brouillon dit {', '.join(str(s) for s in slugs) or 'aucun'}")
        for i, sign in enumerate(ids(element.get("marqueurs"))):
            if sign not in signs:
                yield problem(path + ("marqueurs", i), f"marqueur « {sign} » absent de la légende (« marqueurs » en "
                                                       "tête du brouillon)")


def _indicators(data: dict, problem: Any) -> Iterator[Problem]:
    known = [str(ind.get("id")) for ind in data.get("indicateurs") or [] if isinstance(ind, dict)]
    for i, ind_id in enumerate(known):
        if known.index(ind_id) != i:
            yield problem(("indicateurs", i, "id"), f"identifiant d'indicateur en double « {ind_id} »")
    bilan: dict = data["bilan"] if isinstance(data.get("bilan"), dict) else {}
    for i, result in enumerate(bilan.get("resultats") or []):
        for j, measure in enumerate((result or {}).get("mesures") or [] if isinstance(result, dict) else []):
            ref = measure.get("indicateur") if isinstance(measure, dict) else None
            path: Path_ = ("bilan", "resultats", i, "mesures", j, "indicateur")
            if blank(ref):
                yield problem(path, "une mesure de résultat doit nommer son indicateur (l'« id » d'un indicateur)")
            elif str(ref) not in known:
                yield problem(path, f"indicateur inconnu « {ref} » ; indicateurs déclarés : {', '.join(known) or '—'}")
