"""French text analysis for search: case, accents, elisions, stop words and Snowball French stemming."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.IGNORECASE)
WORD = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿŒœÆæ]+")

#: French stop words (accents folded), plus the connecting words of plan labels.
STOP_WORDS = frozenset("""
a au aux avec ce ces cet cette chez comme dans de des du elle elles en entre et etc eux il ils je la le les leur
leurs lui ma mais me meme mes moi mon ne ni nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te
tes toi ton tu un une vos votre vous y ete etre est sont sera seront ont avoir fait faire afin ainsi aussi autre
autres dont donc lors tout tous toute toutes tres plus moins sans sous vers via cela ceci celle celui ceux
chaque leurs notamment selon tant quelle quel quels quelles
""".split())

_STEMMER = snowballstemmer.stemmer("french")


def fold(text: str) -> str:
    """Lower case without accents, ligatures opened (œ → oe), apostrophes unified."""
    text = text.replace("’", "'").replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("Æ", "Ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball French stem of a lower-case word (with its accents), then folded."""
    return fold(_STEMMER.stemWord(word))


def words(text: str) -> list[str]:
    """The words of ``text``, lower case, accents kept, elisions removed (« l'accueil » → « accueil »)."""
    return [w.lower() for w in WORD.findall(ELISION.sub(" ", text.replace("’", "'")))]


def analyse(text: str) -> list[str]:
    """Index terms: stems of the words that are not stop words."""
    return [stem(w) for w in words(text) if fold(w) not in STOP_WORDS and len(w) > 1 or w.isdigit()]
