"""The registry instance and its top-level groups. Feature modules add their commands to it."""

from __future__ import annotations

from core.i18n import N_
from core.registry import P, Param, Registry

REGISTRY = Registry()

REGISTRY.group("idea", N_("Submit ideas, vote on them, follow them to done."), default="submit")
REGISTRY.group("risk", N_("The risk register: raise, rate, own and follow risks."), default="add")
REGISTRY.group("kb", N_("Knowledge snippets: search, save, tag and onboard."), default="search")
REGISTRY.group("hromada", N_("Help, settings, statistics and your data."))
REGISTRY.group("ask", N_("Leadership Q&A: ask, upvote, get answers."), default="question")
REGISTRY.group("pulse", N_("Pulse surveys: short 1-5 questions, anonymous answers."))
REGISTRY.group("people", N_("Profiles and a people finder: skills, interests, departments."))
REGISTRY.group("coffee", N_("Weekly coffee pairing across departments."))
REGISTRY.group("kudos", N_("Thank a colleague for living a company value."), default="")
REGISTRY.group("digest", N_("The weekly digest: preview it, choose where and when it goes."))

# Parameters used by several commands.
IDEA_REF = Param("ref", P.REF, N_("the idea, like I-12"), ref_kind="idea")
RISK_REF = Param("ref", P.REF, N_("the risk, like R-3"), ref_kind="risk")
SNIPPET_REF = Param("ref", P.REF, N_("the snippet, like K-7"), ref_kind="snippet")
NOTE = Param("note", P.TEXT, N_("a note for the people following it"), required=False)
PAGE = Param("page", P.INT, N_("page number"), required=False, minimum=1, maximum=1000)
