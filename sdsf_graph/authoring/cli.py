"""`sdsf import …`: add a département's scheme from a draft, without writing Turtle.

* ``sdsf import outline TEXT --departement CODE --period START-END --out DRAFT`` — a draft from a text;
* ``sdsf import scheme DRAFT [--data DIR] [--replace]`` — the reviewed draft into ``data/schemes/``;
* ``sdsf import template [--out DRAFT]`` — the empty, annotated draft.

Exit codes as the rest of the CLI: 0 written, 1 refused (the draft does not conform; nothing written),
2 could not run (unreadable file, YAML syntax error, bad option).
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import resources
from pathlib import Path

from ..errors import DraftError, DraftRefused, SDSFError
from ..settings import Settings, load_settings
from .check import Problem
from .draftgen import make_draft
from .importer import import_scheme, write_atomically
from .vocab import load_vocab

EXIT_OK, EXIT_REFUSED = 0, 1


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings({"data_dir": getattr(args, "data", None)})


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


def cmd_scheme(args: argparse.Namespace) -> int:
    settings = _settings(args)
    name = args.draft
    try:
        result = import_scheme(Path(args.draft), settings, replace=args.replace)
    except DraftRefused as refused:
        problems: list[Problem] = refused.problems
        for problem in problems:
            print(problem.format(name), file=sys.stderr)
        errors = sum(1 for p in problems if p.severity == "Violation")
        print(f"sdsf import : brouillon refusé ({_plural(errors, 'erreur')}) ; rien n'a été écrit dans "
              f"{settings.data_path}. Corrigez le brouillon aux lignes indiquées et relancez.", file=sys.stderr)
        return EXIT_REFUSED
    report = result.report
    ours = result.findings
    print(f"sdsf import : écrit {result.target}" + (" (remplace l'ancien fichier)" if result.replaced else ""))
    counts = result.generated.counts
    print(f"  {_plural(counts.get('plan', 0), 'élément')} du plan, "
          f"{_plural(counts.get('organisations', 0), 'organisation')}")
    print(f"  validation du graphe entier : {report.count('Violation')} violation, "
          f"{_plural(sum(p.severity == 'Warning' for p in ours), 'avertissement')} et "
          f"{_plural(sum(p.severity == 'Info' for p in ours), 'info')} pour ce schéma")
    for problem in ours:
        print(problem.format(name))
    print("  Relisez le fichier produit, puis : sdsf validate && git add … && git commit (voir le guide).")
    return EXIT_OK


def cmd_outline(args: argparse.Namespace) -> int:
    settings = _settings(args)
    vocab = load_vocab(settings.project_path, settings.data_path)
    code = args.departement.strip().upper()
    if code not in vocab.departements:
        hint = f" (vouliez-vous dire {code.zfill(2)} ?)" if code.zfill(2) in vocab.departements else ""
        raise SDSFError(f"code de département inconnu « {args.departement} »{hint} : il doit être l'un des 101 codes "
                        "du Code officiel géographique (01 à 95, 2A, 2B, 971 à 976)")
    match = re.fullmatch(r"\s*(\d{4})\s*-\s*(\d{4})\s*", args.period)
    if not match or not 2000 <= int(match.group(1)) <= int(match.group(2)) <= 2100:
        raise SDSFError(f"période invalide « {args.period} » : écrivez DÉBUT-FIN, par exemple 2020-2024")
    text_path, out = Path(args.text), Path(args.out)
    if text_path.suffix.lower() == ".pdf":
        raise DraftError(str(text_path), "c'est un PDF : extrayez-en d'abord le texte (voir docs/ajouter-un-schema.md, "
                                         "étape 1), puis donnez le fichier .txt ou .md")
    try:
        text = text_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DraftError(str(text_path), f"lecture impossible : {exc}") from None
    if out.exists() and not args.force:
        raise SDSFError(f"{out} existe déjà (un brouillon relu ?) : choisissez un autre --out, ou --force pour "
                        "l'écraser")
    years = (int(match.group(1)), int(match.group(2)))
    draft = make_draft(text, text_path, out, code, years, vocab)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(out, draft)
    elements = sum(1 for line in draft.splitlines() if re.match(r"\s*- niveau: ", line))
    reviews = draft.count("À VÉRIFIER")
    print(f"sdsf import : brouillon écrit dans {out} ({_plural(elements, 'élément')} du plan, "
          f"{_plural(reviews, 'point')} « À VÉRIFIER »). Relisez-le, puis : sdsf import scheme {out}")
    return EXIT_OK


def template_text() -> str:
    return resources.files("sdsf_graph.authoring").joinpath("templates/brouillon-schema.yaml").read_text("utf-8")


def cmd_template(args: argparse.Namespace) -> int:
    if not args.out:
        print(template_text(), end="")
        return EXIT_OK
    out = Path(args.out)
    if out.exists() and not args.force:
        raise SDSFError(f"{out} existe déjà : choisissez un autre --out, ou --force pour l'écraser")
    write_atomically(out, template_text())
    print(f"sdsf import : modèle de brouillon écrit dans {out}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sdsf import`` and its sub-commands to the CLI's sub-parsers."""
    parser = sub.add_parser("import", help="add a scheme from a draft (YAML) or a text, without writing Turtle")
    commands = parser.add_subparsers(dest="import_command", required=True)
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--data", metavar="DIR", help="scheme and reference data folder (default: data/)")

    p = commands.add_parser("scheme", parents=[data], help="check a draft and write data/schemes/<code>-…ttl "
                                                          "(exit 0 written, 1 refused, 2 cannot run)")
    p.add_argument("draft", metavar="DRAFT", help="the draft (YAML) to import")
    p.add_argument("--replace", action="store_true", help="replace the scheme's file if it exists already")
    p.set_defaults(func=cmd_scheme)

    p = commands.add_parser("outline", parents=[data], help="write a draft from a scheme's text (plain or Markdown)")
    p.add_argument("text", metavar="TEXT", help="the scheme as plain text or Markdown")
    p.add_argument("--departement", required=True, metavar="CODE", help="INSEE code of the département (26, 2A…)")
    p.add_argument("--period", required=True, metavar="START-END", help="the scheme's period, e.g. 2020-2024")
    p.add_argument("--out", required=True, metavar="PATH", help="where to write the draft")
    p.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    p.set_defaults(func=cmd_outline)

    p = commands.add_parser("template", help="print (or write) the empty, annotated draft")
    p.add_argument("--out", metavar="PATH", help="write it to PATH instead of printing it")
    p.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    p.set_defaults(func=cmd_template)
