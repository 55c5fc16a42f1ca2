"""Leadership Q&A: anyone asks (also anonymously), everyone upvotes, moderators answer.

Questions are items of kind "question"; votes on them work exactly like votes on ideas.
An answer reaches the asker and every upvoter; an anonymous asker only when they opted in to
hear back (``core.anonymous``), else through the public answer alone.
"""

from __future__ import annotations

from core import items
from core.commands import REGISTRY
from core.context import Ctx
from core.errors import InvalidInput
from core.i18n import N_
from core.registry import P, Param
from core.replies import Field, Reply, Visibility
from core.text import Rich, UserText
from storage import repos

QUESTION_REF = Param("ref", P.REF, N_("the question, like Q-5"), ref_kind="question")
OPEN, ANSWERED = N_("open"), N_("answered")
PAGE_SIZE = 10


@REGISTRY.command("ask question", Param("text", P.TEXT, N_("your question")),
                  help=N_("Ask leadership a question; others upvote it with 👍."))
def ask(ctx: Ctx, text: str) -> Reply:
    return _ask(ctx, text, anonymous=False)


@REGISTRY.command("ask anon", Param("text", P.TEXT, N_("your question")),
                  help=N_("Ask anonymously: nobody, moderators included, sees who asked."))
def ask_anon(ctx: Ctx, text: str) -> Reply:
    return _ask(ctx, text, anonymous=True)


def _ask(ctx: Ctx, text: str, *, anonymous: bool, force: bool = False) -> Reply:
    title = items.clean_title(text)
    if not force:
        prompt = items.duplicate_prompt(ctx, "question", title,
                                        {"text": title, "anonymous": anonymous},
                                        open_statuses_excluded=(ANSWERED,))
        if prompt:
            return prompt
    item = items.create(ctx, "question", title, anonymous=anonymous, status=OPEN)
    card = items.card(ctx, item, headline=ctx.t(N_("New question for leadership")))
    if not anonymous:
        return card
    from core.anonymous import post_anonymous

    return post_anonymous(ctx, item, card)


def submit_draft(ctx: Ctx, payload: dict[str, object]) -> Reply:
    """"Submit anyway" after the duplicate prompt."""
    return _ask(ctx, str(payload["text"]), anonymous=bool(payload.get("anonymous")), force=True)


@REGISTRY.command("ask list",
                  Param("which", P.CHOICE, N_("open or answered"), required=False,
                        choices=(OPEN, ANSWERED)),
                  help=N_("Questions by votes, open ones first."))
def list_questions(ctx: Ctx, which: str | None) -> Reply:
    which = which or OPEN
    rows = repos.list_items(ctx.session, ctx.tenant_id, "question", statuses=[which],
                            order="top", limit=PAGE_SIZE)
    if not rows:
        if which == OPEN:
            return Reply(text=ctx.t(N_("No open questions. Ask one with /ask <question>.")))
        return Reply(text=ctx.t(N_("No answered questions yet.")))
    heading = N_("Open questions, most voted first:") if which == OPEN else N_(
        "Answered questions, most voted first:")
    return Reply(text=ctx.t(heading), lines=[items.item_line(ctx, it, s) for it, s in rows])


@REGISTRY.command("ask show", QUESTION_REF, help=N_("A question with its votes and answer."))
def show(ctx: Ctx, ref: int) -> Reply:
    item = items.get(ctx, "question", ref)
    up, down = repos.tally(ctx.session, ctx.tenant_id, item.id or 0)
    reply = items.detail(ctx, item)
    reply.fields.append(Field(ctx._("Score"), Rich((items.score_text(up, down),))))
    if item.answer:
        reply.fields.append(Field(ctx._("Answer"), Rich((UserText(item.answer),)), inline=False))
    else:
        reply.fields.append(Field(ctx._("Answer"), Rich((ctx._("not answered yet"),))))
    return reply


@REGISTRY.command("ask answer", QUESTION_REF, Param("text", P.TEXT, N_("the answer")),
                  help=N_("Answer a question; the asker and every upvoter are told."),
                  moderator=True)
def answer(ctx: Ctx, ref: int, text: str) -> Reply:
    item = items.get(ctx, "question", ref)
    body = text.strip()
    if not body:
        raise InvalidInput(N_("Say a few words first."))
    item.answer = body
    items.record_status(ctx, item, ANSWERED)
    message = ctx.t(N_("{ref} “{question}” is answered: {answer}"), ref=items.ref(item),
                    question=UserText(item.title), answer=UserText(body))
    notices = items.notify_loop(ctx, item, message)
    return Reply(text=message, notices=notices,
                 footer=ctx.t(N_("People told: {n}."), n=items.told(notices)).plain(),
                 visibility=Visibility.PUBLIC)
