"""Word forms to dictionary forms for search: "відпустку", "відпусткою" -> "відпустка".

Search text is stored lemmatised (written once, at write time) and queries are lemmatised the
same way, so any inflection of a word finds the others; the trigram index beside it still
catches typos. Ukrainian (and Cyrillic generally) goes through pymorphy3 with its Ukrainian
dictionaries; Latin words through simplemma's English data ("holidays" -> "holiday").
Lives in storage because migrations rebuild the stored text with it; it imports nothing of ours.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from functools import lru_cache

from rapidfuzz.utils import default_process

_CYRILLIC = re.compile(r"[а-яіїєґё]")
_LATIN = re.compile(r"^[a-z]+$")
_GUESSED = frozenset({"NOUN", "ADJF"})  # an unknown word's guessed lemma is kept for these only
BODY_WORDS = 400  # distinct body words kept for search: the body's vocabulary, not its length

_lock = threading.Lock()
_morph = None


def _analyzer():  # type: ignore[no-untyped-def]
    global _morph
    with _lock:
        if _morph is None:
            import pymorphy3

            _morph = pymorphy3.MorphAnalyzer(lang="uk")
    return _morph


@lru_cache(maxsize=300_000)
def lemma(word: str) -> str:
    """The dictionary form of one lower-case word; the word itself when unsure.

    A word the dictionary does not know (a typo, new jargon) keeps its guessed lemma only
    when pymorphy guesses a noun or adjective ("онбордингу" -> "онбординг"): guessed verbs
    turn typos into nonsense ("відпускою" -> "відпускоїти").
    """
    if len(word) < 3:
        return word
    if _CYRILLIC.search(word):
        morph = _analyzer()
        parses = morph.parse(word)
        if morph.word_is_known(word):
            # The Ukrainian dictionary ranks no parse above another: the lemma most parses
            # share ("новим" is a form of "новий" three ways, of "нове" one way).
            forms = Counter(str(p.normal_form) for p in parses)
            return forms.most_common(1)[0][0].replace("ё", "е")
        if parses and parses[0].tag.POS in _GUESSED:
            return str(parses[0].normal_form).replace("ё", "е")
        return word
    if _LATIN.match(word):
        import simplemma

        return str(simplemma.lemmatize(word, lang="en"))
    return word


def plain(text: str) -> str:
    """Lower case, punctuation to spaces, single spaces: the text as typed, normalised."""
    return " ".join(default_process(text).split())


def lemmatise(text: str) -> str:
    """Every word of the text in its dictionary form, in order (normalised first)."""
    return " ".join(lemma(w) for w in plain(text).split())


def body_words(text: str) -> str:
    """The body's distinct dictionary forms, first seen first, at most ``BODY_WORDS``."""
    words = dict.fromkeys(lemma(w) for w in plain(text).split())
    return " ".join(list(words)[:BODY_WORDS])
