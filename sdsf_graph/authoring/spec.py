"""The authoring format: every field a draft may hold, its kind, and whether it is mandatory.

One table drives the checks (unknown field, missing field, wrong kind) and is mirrored, with help, by the
annotated template ``templates/brouillon-schema.yaml`` (a test keeps the two in step).

Kinds: ``text`` (one line of text), ``texts`` (a text or a list of texts), ``int``, ``bool`` (oui/non,
true/false), ``year``, ``period`` (``AAAA-AAAA``), ``date`` (``AAAA-MM-JJ``), ``number``, ``ids`` (a list of
identifiers), ``map:<kind>`` (a block of fields), ``list:<kind>`` (a list of blocks).
"""

from __future__ import annotations

from ..namespaces import SDSF

#: field -> (kind, mandatory)
Spec = dict[str, tuple[str, bool]]

REVIEW = {"a_verifier": ("texts", False)}
NOTES = {"notes": ("texts", False), "remarques": ("texts", False), **REVIEW}

FIELDS: dict[str, Spec] = {
    "draft": {
        "format": ("text", False), "departement": ("text", True), "periode": ("period", True),
        "titre": ("text", False), "libelle": ("text", False), "document_source": ("map:document", True),
        "signataires_enonces": ("bool", False), "mention_signataires": ("text", False),
        "signataires": ("list:organisation", False), "partenaires": ("list:organisation", False),
        "organisations": ("list:organisation", False),
        "bases_juridiques": ("ids", False), "champs_couverts": ("ids", False), "schema_precedent": ("period", False),
        "adoption": ("year", False), "date_adoption": ("date", False), "date_signature": ("date", False),
        "portee": ("texts", False), "fils_conducteurs": ("list:fil", False), "marqueurs": ("list:marqueur", False),
        "gouvernance": ("list:instance", False), "plan_section": ("text", False), "plan": ("list:element", True),
        "indicateurs": ("list:indicateur", False), "bilan": ("map:bilan", False),
        "communication": ("list:communication", False), "a_classer": ("list:a_classer", False), **NOTES,
    },
    "document": {
        "fichier": ("text", True), "chemin": ("text", False), "sha256": ("text", False), "titre": ("text", False),
        "libelle": ("text", False), "nature": ("text", False), "format": ("text", False), **NOTES,
    },
    "organisation": {
        "id": ("text", False), "type": ("text", True), "libelle": ("text", False),
        "tel_que_dans_la_source": ("texts", False), "rattachee_au_departement": ("bool", False), **NOTES,
    },
    "fil": {"libelle": ("text", True), "section": ("text", False), "valeur": ("bool", False),
            "portee": ("texts", False), **NOTES},
    "marqueur": {"signe": ("text", True), "libelle": ("text", True), **NOTES},
    "instance": {
        "id": ("text", False), "type": ("text", True), "libelle": ("text", True),
        "tel_que_dans_la_source": ("texts", False), "section": ("text", False), "presidence": ("text", False),
        "theme": ("text", False), "nombre_de_membres": ("int", False), "frequence": ("text", False),
        "reunions_par_an": ("int", False), "missions": ("texts", False), "membres": ("list:membre", False), **NOTES,
    },
    "membre": {"organisation": ("text", True), "role": ("text", True), "tel_que_dans_la_source": ("texts", False),
               "representant": ("text", False), **NOTES},
    "element": {
        "niveau": ("text", True), "libelle": ("text", True), "libelle_alternatif": ("texts", False),
        "notation": ("text", False), "section": ("text", False), "section_thematique": ("texts", False),
        "themes": ("ids", False),
        "marqueurs": ("ids", False), "pastilles": ("int", False), "elements": ("list:element", False), **NOTES,
    },
    "indicateur": {"id": ("text", True), "libelle": ("text", True), "unite": ("text", False),
                   "mesures": ("list:mesure", False), **NOTES},
    "mesure": {"indicateur": ("text", False), "valeur": ("number", True), "unite": ("text", False),
               "annee": ("year", False), "debut": ("year", False), "fin": ("year", False),
               "variation": ("bool", False), **NOTES},
    "bilan": {"schema": ("period", False), "libelle": ("text", True), "resume": ("texts", False),
              "resultats": ("list:resultat", False), **NOTES},
    "resultat": {"libelle": ("text", True), "section": ("text", False), "mesures": ("list:mesure", False), **NOTES},
    "communication": {"id": ("text", False), "libelle": ("text", True), "objectifs": ("texts", False),
                      "frequence": ("text", False), "publics": ("texts", False), "canaux": ("texts", False),
                      "contenus": ("texts", False), "portee": ("texts", False), **NOTES},
    "a_classer": {"section": ("text", False), "ligne": ("int", False), "lignes": ("texts", False), **REVIEW},
}

#: Plan levels: the word the draft uses -> (class, IRI type segment).
LEVELS = {
    "orientation": (SDSF.Orientation, "orientation"), "axe": (SDSF.Axis, "axis"),
    "objectif": (SDSF.Objective, "objective"), "action": (SDSF.Action, "action"),
    "sous-action": (SDSF.SubAction, "subaction"),
}
LEVEL_SYNONYMS = {"axis": "axe", "objective": "objectif", "subaction": "sous-action", "sous_action": "sous-action",
                  "sousaction": "sous-action", "orientations": "orientation", "axes": "axe",
                  "objectifs": "objectif", "actions": "action"}

#: Governance body types -> class.
BODY_TYPES = {
    "cdsf": SDSF.FamilyServicesCommittee, "comite-de-pilotage": SDSF.SteeringCommittee,
    "comite-thematique": SDSF.ThematicCommittee, "instance": SDSF.GovernanceBody,
}
