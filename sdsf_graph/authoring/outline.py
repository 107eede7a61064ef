"""Read a scheme written as plain text or Markdown, the way the seeds are: its outline, as a tree.

Each line is classified (Markdown heading, bold or capital-letter heading, bullet, numbered line such as
« 1- … » or « **Axe 2** : … », short line, prose), then placed: a heading followed by bullets or numbered
lines is a plan element and they are its children; a capital or Markdown heading holds what follows until
the next heading of its rank. Short lines that head nothing are sections: they give the ``section`` of
what follows and, when they name a theme (« Petite enfance »), its theme. Blocks that are not the plan
(signatories, governance, communication, contacts, calendar…) are left out; transversal threads and the
assessment (« bilan ») are collected apart. Labels are cleaned of layout only (bullets, numbering, bold,
legend letters recorded as markers, ● counted, the PDF residue « -* »).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .vocab import Vocab, fold

BULLET = re.compile(r"^(\s*)((?:[-•✓–▪◦·]|\*(?=\s))\s*)+(.*)$")
NUMBERED = re.compile(r"^(?:\*\*)?((?:axe|orientation|objectif|action|fiche action|fiche)\s*(?:\d+|[ivx]+))(?:\*\*)?"
                      r"\s*[:.–-]\s*(.+)$", re.IGNORECASE)
NUMBER = re.compile(r"^(\d{1,2})\s*(?:-|\)|\.(?=\s))\s*(.+)$")
MARKERS = re.compile(r"\s*\*\*([A-Z](?: [A-Z])*)\*\*\s*")
THREAD_WORDS = re.compile(r"fils? conducteurs?|fil rouge|valeurs? transversales?|valeurs partagees")
BILAN_WORDS = re.compile(r"\bbilan\b")
PLAN_WORDS = re.compile(r"\baxes?\b|\borientations?\b|^.{0,12}plan d.actions?.{0,12}$|fiches?.actions?|"
                        r"\bobjectifs (?:strat|oper)")
OTHER_WORDS = re.compile(r"gouvernance|signataire|composition|\bmembres\b|\bcontacts?\b|communication|calendrier|"
                         r"presidence|\bmissions\b|\bcomites?\b|commission|\binstances?\b|diffusion|publics vises|"
                         r"\bjournal\b|annexe|telechargez")
LEVEL_WORDS = (("orientation", r"\borientations?\b"), ("axe", r"\baxes?\b"), ("objectif", r"\bobjectifs?\b"),
               ("action", r"\bactions?\b|fiches? actions?"))


@dataclass
class Line:
    no: int
    kind: str  # blank md bold caps bullet numbered plain prose furniture
    text: str
    rank: int = 0
    notation: str | None = None


@dataclass
class Node:
    label: str
    line: int
    raw: str
    item: bool  # a bullet or numbered line (never merged, never pruned)
    rank: int
    section: str | None
    hint: list[str]
    theme_context: dict[str, str]  # theme slug -> the heading that gives it
    notation: str | None = None
    markers: list[str] = field(default_factory=list)
    dots: int = 0
    alt: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    parent: Node | None = None


@dataclass
class Outline:
    roots: list[Node] = field(default_factory=list)
    threads: list[tuple[str, str | None, int, bool]] = field(default_factory=list)  # label, section, line, value
    unplaced: list[tuple[str | None, int, list[str]]] = field(default_factory=list)  # section, line, lines
    results: list[tuple[str, str | None, int]] = field(default_factory=list)  # label, section, line
    bilan: tuple[str, int] | None = None
    lines: list[str] = field(default_factory=list)


def classify(no: int, raw: str) -> Line:
    s = raw.strip()
    if not s:
        return Line(no, "blank", "")
    if m := re.match(r"^(#{1,6})\s+(.*)$", s):
        text = m.group(2).strip(" *")
        if n := NUMBERED.match(text):  # « ## Axe 1 : Petite enfance »
            return Line(no, "md", n.group(2).strip(), 10 + len(m.group(1)), n.group(1).strip("* "))
        return Line(no, "md", text, 10 + len(m.group(1)))
    if re.fullmatch(r"\*\*[^*]+\*\*", s):
        return Line(no, "bold", s.strip("* "), 25)
    if m := BULLET.match(raw):
        indent, text = len(m.group(1).expandtabs()), m.group(3).strip()
        if n := NUMBERED.match(text) or NUMBER.match(text):
            return Line(no, "numbered", n.group(2).strip(), 70, n.group(1).strip("* "))
        if not text.strip(". "):
            return Line(no, "furniture", text)
        return Line(no, "bullet", text, (60 if text.rstrip().endswith(":") else 80) + indent)
    if n := NUMBERED.match(s) or NUMBER.match(s):
        return Line(no, "numbered", n.group(2).strip(), 70, n.group(1).strip("* "))
    if re.fullmatch(r"[\d\s/–.-]+", s):
        return Line(no, "furniture", s)
    letters = [c for c in s if c.isalpha()]
    if len(letters) >= 4 and all(c.isupper() for c in letters) and len(s) <= 120:
        return Line(no, "caps", s, 30)
    sentence = s.endswith((".", "!", "?")) and not s.endswith("...")
    long_colon = s.endswith(":") and (len(s) > 120 or ". " in s)
    if sentence or long_colon or len(s) > 300:
        return Line(no, "prose", s)
    return Line(no, "plain", s, 50)


def clean(text: str) -> list[tuple[str, list[str], int, list[str]]]:
    """Layout off a label: [(label, markers, coloured dots, notes)] — two items when a legend letter splits one."""
    pieces, start = [], 0
    for m in MARKERS.finditer(text):
        if text[m.end():][:1].isupper():  # « Égalité des chances **C** Égalité fille-garçon **P** »: two items
            pieces.append(text[start:m.end()])
            start = m.end()
    pieces.append(text[start:])
    out = []
    for piece in pieces:
        markers = [sign for m in MARKERS.finditer(piece) for sign in m.group(1).split()]
        notes = []
        label = MARKERS.sub(" ", piece)
        dots = label.count("●")
        label = label.replace("●", " ")
        if re.search(r"-\*(?=\w)", label):
            notes.append("« -* » traité comme un reste de mise en page et retiré du libellé (déduction ; la ligne "
                         "imprimée est en libelle_alternatif)")
            label = re.sub(r"-\*(?=\w)", "", label)
        label = re.sub(r"[ \t]+", " ", label.replace("**", "")).strip()
        if not re.search(r"\betc\.$", label):  # the period of « etc. » is the abbreviation's, not list punctuation
            label = re.sub(r"(?<!\.)\s*[,;:.]$", "", label).strip()
        if label.strip(". "):
            out.append((label, markers, dots, notes))
    return out


def heading_text(raw: str) -> str:
    """A heading as a section name: verbatim, without legend letters and dots."""
    return re.sub(r"[ \t]+", " ", MARKERS.sub(" ", raw).replace("●", " ").replace("**", "")).strip(" \t:")


def level_hint(text: str) -> list[str]:
    folded = fold(text)
    found = sorted((m.start(), level) for level, pattern in LEVEL_WORDS for m in re.finditer(pattern, folded))
    return [level for _, level in found]


def parse_outline(text: str, vocab: Vocab) -> Outline:
    raw_lines = text.splitlines()
    lines = [classify(i + 1, raw) for i, raw in enumerate(raw_lines)]
    outline = Outline(lines=raw_lines)
    mode, stack = "preamble", list[Node]()  # stack of open nodes
    section: str | None = None
    hint: list[str] = []
    theme_context: dict[str, str] = {}
    thread_bullets = blank_after = False
    plan_seen = any(x.kind in ("md", "bold", "caps", "plain", "prose", "bullet") and PLAN_WORDS.search(fold(x.text))
                    for x in lines)
    if not plan_seen:
        mode = "plan"

    def next_line(i: int) -> Line | None:
        return next((x for x in lines[i + 1:] if x.kind not in ("blank", "furniture")), None)

    for i, line in enumerate(lines):
        folded = fold(line.text)
        if line.kind in ("blank", "furniture"):
            blank_after = blank_after or (line.kind == "blank" and thread_bullets)
            continue
        follower = next_line(i)
        heads_items = follower is not None and follower.kind in ("bullet", "numbered")
        is_heading = line.kind in ("md", "bold", "caps") or (line.kind == "plain" and not heads_items) \
            or (line.kind == "prose" and line.text.endswith(":"))
        if is_heading or (line.kind == "plain" and heads_items):
            new_mode = ("threads" if THREAD_WORDS.search(folded) else "bilan" if BILAN_WORDS.search(folded)
                        else "plan" if PLAN_WORDS.search(folded) else "other" if OTHER_WORDS.search(folded)
                        else "plan" if line.kind == "caps" or (vocab.section_themes(line.text) and (
                            line.kind in ("md", "bold") or mode not in ("bilan", "threads"))) else None)
            if line.kind == "plain" and heads_items and new_mode not in ("threads", "bilan"):
                new_mode = None  # a list's own heading (« Assurer une communication … ») never leaves the plan
            if new_mode and new_mode != mode:
                mode, stack, thread_bullets, blank_after = new_mode, [], False, False
                if mode == "bilan" and outline.bilan is None:
                    outline.bilan = (line.text, line.no)
            if line.kind in ("md", "bold", "caps"):
                section = None
            elif line.kind == "plain" and not heads_items and mode != "threads":
                section = line.text
            if mode == "plan" and (line.kind == "prose" or line.kind == "plain" and not heads_items):
                hint = level_hint(line.text) or hint
            themes = vocab.section_themes(line.text)
            if themes or line.kind in ("md", "caps"):
                theme_context = {slug: line.text for slug in themes}
        if mode == "threads":
            if line.kind in ("bullet", "numbered") or (line.kind == "plain" and not THREAD_WORDS.search(folded)):
                if line.kind == "bullet" and thread_bullets and blank_after:
                    mode = "unplaced"
                    outline.unplaced.append((None, line.no, []))
                else:
                    value = "valeur" in fold(section or "")
                    outline.threads += [(label, section, line.no, value) for label, *_ in clean(line.text)]
                    thread_bullets, blank_after = line.kind == "bullet", False
            else:
                section = line.text
        if mode == "unplaced":
            if line.kind == "bullet":
                outline.unplaced[-1][2].append(line.text)
            continue
        if mode == "bilan":
            if line.kind in ("bullet", "numbered"):
                outline.results += [(label, section, line.no) for label, *_ in clean(line.text)]
            elif line.kind in ("plain",):
                section = line.text.rstrip(" :")
            continue
        if mode != "plan":
            continue
        if line.kind in ("plain", "prose") and not heads_items or line.kind == "prose":
            continue
        node_line = line
        for label, markers, dots, notes in clean(node_line.text):
            while stack and stack[-1].rank >= node_line.rank:
                stack.pop()
            parent = stack[-1] if stack else None
            node = Node(label, line.no, node_line.text, line.kind in ("bullet", "numbered"), node_line.rank,
                        heading_text(parent.raw) if parent else section, list(dict.fromkeys(hint)),
                        dict(theme_context), node_line.notation,
                        markers, dots, parent=parent)
            if notes:
                node.review += notes
                node.alt.append(re.sub(r"\s*\*\*[A-Z ]+\*\*|●", "", node_line.text).strip(" ,;:."))
            if len(clean(node_line.text)) > 1:
                node.review.append("une même ligne de la source porte deux éléments (séparés par un signe de "
                                   "légende) : vérifiez la séparation")
            (parent.children if parent else outline.roots).append(node)
            stack.append(node)
    return outline
