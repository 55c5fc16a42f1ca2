"""What makes a chat message a question, and which of its words say what it is about.

A question ends with "?" or opens with a question word, in English or Ukrainian. Its
*keywords* are its words without question words, pronouns, prepositions and chat filler
("how do I get VPN access?" -> vpn, access): what search, the people finder and knowledge gaps
look at. Pure text functions: nothing here reads or writes the store.
"""

from __future__ import annotations

import re

from storage import lemmas

MAX_KEYWORDS = 12
MAX_QUESTION = 1000  # a longer message is a post, not a question to answer from snippets

QUESTION_WORDS = frozenset("""
how what where who whom whose why when which can could is are was were does do did should
would will shall has have may might anyone anybody
як що де хто чому коли який яка які яке яку якого якій чи куди скільки навіщо нащо звідки
котрий котра котре чий чия чиє чиї кому кого чого чим
""".split())

# Words that say nothing about what a question is about (compared as typed and as lemmas).
STOP_WORDS = QUESTION_WORDS | frozenset("""
a an the i me my mine we us our you your it its he she they them their this that these those
there here to of in on at for from with by about as into onto over under and or but if so
not no yes be been being am s t d ll ve re m get got getting find know knows need want make
use up out please pls thanks thank hi hello hey guys folks team all some any someone somebody
something anything everyone one way thing things guide doc docs link info page help again
still just really also ever now today right tip tips advice
я ми ти ви він вона вони воно мені мене нам нас тобі тебе вам вас мій моя моє мої наш наша
наше наші ваш ваша ваше ваші його її їх їм в у на з із зі до для про по від за під над при
та і й а але або це цей ця ці той те то є був була було були бути можна треба потрібно
знає знаєте знаю хтось щось тут там вже ще так ні не би б же ж будь ласка привіт підкажіть
підкажи скажіть скажи зробити робити всім всіх доброго дня друзі колеги
""".split())


# Mentions say who is asked, not what about: Slack's <!channel> and <@U1>, Discord's <@1>,
# @everyone / @here / @channel as typed or as a client shows them (with a zero-width space).
_MENTIONS = re.compile(r"<[!@#][^>]{0,200}>|@\u200b?(?:everyone|here|channel)\b", re.IGNORECASE)


def _words(text: str) -> list[str]:
    return lemmas.plain(_MENTIONS.sub(" ", text)).split()


def is_question(text: str) -> bool:
    """Ends with "?", or opens with a question word ("how", "чи", ...)."""
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_QUESTION:
        return False
    if stripped.rstrip(" \t\n)»\"'").endswith(("?", "？")):
        return True
    words = _words(stripped)
    return bool(words) and words[0] in QUESTION_WORDS


def keywords(text: str) -> list[str]:
    """The words a question is about, as typed (lower case), in order, each once."""
    out: dict[str, None] = {}
    for word in _words(text[:MAX_QUESTION]):
        if len(word) < 2 or word.isdigit() or word in STOP_WORDS:
            continue
        if lemmas.lemma(word) in STOP_WORDS:
            continue
        out.setdefault(word)
        if len(out) == MAX_KEYWORDS:
            break
    return list(out)


def lemma_set(words: list[str]) -> list[str]:
    """The keywords' dictionary forms, sorted and distinct: a question's key, whatever the
    word order and word forms."""
    return sorted({lemmas.lemma(w) for w in words})
