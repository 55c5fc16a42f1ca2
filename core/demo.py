"""A small, realistic sample tenant in Ukrainian and English, so a newcomer sees Hromada alive."""

from __future__ import annotations

from core import items, knowledge, votes
from core.context import Ctx
from storage import repos

PEOPLE = [
    ("demo-olena", "Olena Kovalenko", "Engineering", "Kyiv"),
    ("demo-sam", "Sam Taylor", "Sales", "London"),
    ("demo-iryna", "Iryna Bondar", "People", "Lviv"),
    ("demo-marco", "Marco Rossi", "Engineering", "Milan"),
    ("demo-taras", "Taras Melnyk", "Support", "Kharkiv"),
]

IDEAS = [
    ("Demo days every other Friday: each team shows what it shipped", [1, 1, 1, 1]),
    ("Перекласти онбординг-документи українською", [1, 1, 1]),
    ("A shared calendar of customer visits so engineers can join", [1, 1, -1]),
    ("Тихі години без зустрічей у середу до обіду", [1, 1, 1, 1, 1]),
    ("Rotate on-call across teams, not just platform", [1, -1]),
]

RISKS = [
    ("Only one person knows how to renew the TLS certificates", 4, 5),
    ("Постачальник хмарних послуг піднімає ціни з січня", 3, 3),
    ("Support backlog grows faster than we hire", 4, 3),
]

SNIPPETS = [
    ("How to get VPN access", "Ask in #it-help with your laptop's serial number; "
     "the form is at the IT portal, section Access.", ["onboarding", "it"]),
    ("Як подати заявку на відпустку", "Відпустку погоджує керівник у HR-системі; "
     "подайте заявку щонайменше за два тижні.", ["onboarding", "hr"]),
    ("Release checklist", "Tag the release, run the smoke suite, post in #releases, "
     "watch the dashboards for an hour.", ["engineering"]),
    ("Expense reports", "Receipts go to the finance bot before the 5th of the month.",
     ["onboarding", "finance"]),
]


def load_demo(ctx: Ctx) -> dict[str, int]:
    """Idempotent per tenant: a second run adds nothing that is already there."""
    if repos.exact_title(ctx.session, ctx.tenant_id, "snippet", SNIPPETS[0][0]):
        return {"ideas": 0, "risks": 0, "snippets": 0, "votes": 0}
    people = []
    for user_id, name, dept, place in PEOPLE:
        member = repos.ensure_member(ctx.session, ctx.tenant_id, user_id, name)
        member.department, member.location = dept, place
        ctx.session.add(member)
        people.append(member)
    real_member = ctx.member
    n_votes = 0
    try:
        for i, (title, vote_values) in enumerate(IDEAS):
            ctx.member = people[i % len(people)]
            idea = items.create(ctx, "idea", title)
            for voter, value in zip(people[1:] + people[:1], vote_values, strict=False):
                ctx.member = voter
                n_votes += votes.apply(ctx, idea, value, added=True, event_key=None)
        for i, (title, lik, imp) in enumerate(RISKS):
            ctx.member = people[(i + 2) % len(people)]
            items.create(ctx, "risk", title, status="open", likelihood=lik, impact=imp)
        for i, (title, body, tags) in enumerate(SNIPPETS):
            ctx.member = people[(i + 1) % len(people)]
            knowledge.create(ctx, title=title, body=body, tags=tags, force=True)
    finally:
        ctx.member = real_member
    return {"ideas": len(IDEAS), "risks": len(RISKS), "snippets": len(SNIPPETS), "votes": n_votes}
