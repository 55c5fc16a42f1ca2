"""Random days in a tenant where some members speak only anonymously: nothing ever names them.

Hypothesis draws sequences of commands by several members (two of whom only ever submit
anonymously, vote on anonymous items and read), moderators acting on everything, clocks moving
and digests building. Then every reply and notice is rendered the way each platform would show
it (console text, Slack Block Kit and fallback, Discord embed and content), every export line and
every log record is read, and the anonymous authors' ids and names must appear in none of them.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bots.console import render as console_render
from bots.discord import render as discord_render
from bots.slack import render as slack_render
from core.errors import HromadaError
from core.export import export
from core.replies import Reply
from tests.core.support import everything

ANON = ("zoryana", "oksana")  # their display names are "Zoryana" and "Oksana"
NAMED = ("bob", "carol")
MOD = "mod"
TEXTS = ("Pay transparency bands for every role", "Remote Fridays for the whole company",
         "Quiet hours on Wednesday mornings", "Stop the weekly status meeting",
         "Відкриті зарплатні вилки для кожної ролі", "pay transparency bands for every role!")

refs = st.integers(min_value=1, max_value=6)
anon_step = st.one_of(
    st.tuples(st.just("anon-idea"), st.sampled_from(ANON), st.sampled_from(TEXTS)),
    st.tuples(st.just("anon-ask"), st.sampled_from(ANON), st.sampled_from(TEXTS)),
    st.tuples(st.just("withdraw"), st.sampled_from(ANON), refs),
    st.tuples(st.just("press-last"), st.sampled_from(ANON), st.integers(0, 1)),
    st.tuples(st.just("vote"), st.sampled_from(ANON), refs),
    st.tuples(st.just("hear-back"), st.sampled_from(ANON), st.just(0)),
    st.tuples(st.just("author-reply"), st.sampled_from(ANON), refs),
)
named_step = st.one_of(
    st.tuples(st.just("idea"), st.sampled_from(NAMED), st.sampled_from(TEXTS)),
    st.tuples(st.just("vote"), st.sampled_from((*NAMED, MOD)), refs),
    st.tuples(st.just("unvote"), st.sampled_from((*NAMED, MOD)), refs),
    st.tuples(st.just("status"), st.just(MOD),
              st.tuples(refs, st.sampled_from(("reviewing", "planned", "declined", "done")))),
    st.tuples(st.just("merge"), st.just(MOD), st.tuples(refs, refs)),
    st.tuples(st.just("answer"), st.just(MOD), refs),
    st.tuples(st.just("mod-reply"), st.just(MOD), st.tuples(st.sampled_from(("idea", "ask")),
                                                            refs)),
    st.tuples(st.just("clock"), st.just(MOD), st.integers(1, 8)),
)
read_step = st.tuples(
    st.just("read"), st.sampled_from((*ANON, *NAMED, MOD)),
    st.sampled_from((("idea", "list"), ("idea", "list top"), ("idea", "list new"),
                     ("idea", "show {r}"), ("idea", "search pay transparency"),
                     ("ask", "list"), ("ask", "show {r}"), ("digest", "preview"),
                     ("hromada", "stats"), ("idea", "list merged"), ("idea", "list declined"))),
)
steps = st.lists(st.one_of(anon_step, anon_step, named_step, read_step), min_size=8,
                 max_size=24)
# Every day starts with each anonymous author speaking: an idea and a question each.
PRELUDE = [(kind, who, text) for who in ANON for kind, text in (
    ("anon-idea", TEXTS[ANON.index(who)]), ("anon-ask", TEXTS[2 + ANON.index(who)]))]
PRELUDE += [("hear-back", ANON[0], 0)]  # one of them asks to hear back about the question


def shown(reply: Reply) -> list[str]:
    """The reply as every platform would show it, and the notices it sends (with the private
    words beside a public card)."""
    out = shown(reply.private) if reply.private is not None else []
    out += [everything(reply), console_render.render(reply), slack_render.fallback(reply),
           json.dumps(slack_render.blocks(reply), ensure_ascii=False)]
    rendered = discord_render.render(reply)
    out.append(json.dumps(rendered.embed.to_dict(), ensure_ascii=False))
    out.append(json.dumps(rendered.send_kwargs().get("content", ""), ensure_ascii=False))
    for notice in reply.notices:
        out += [notice.text.plain(), discord_render.notice_text(notice),
                json.dumps(slack_render.notice_message(notice), ensure_ascii=False)]
    return out


def leaks(text: str) -> list[str]:
    low = text.lower()
    return [who for who in ANON if who in low]


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(plan=steps)
def test_no_output_export_or_log_names_an_anonymous_author(
        hromada, actor, clock, db, all_logs, plan) -> None:
    # A tenant of its own per example: Hypothesis runs them all on one store.
    day = f"console:day-{uuid.uuid4().hex[:8]}"
    people = {name: actor(name, tenant=day) for name in (*ANON, *NAMED)}
    people[MOD] = actor(MOD, admin=True, tenant=day)
    tenant = people[MOD].tenant_id
    seen: list[str] = []
    anon_items: set[int] = set()  # ids of items that were submitted anonymously
    last_prompt: dict[str, Reply] = {}
    offers: dict[str, Reply] = {}  # each anonymous author's latest "hear back" offer
    heard: set[tuple[str, int]] = set()  # (author, item id) that opted in

    def keep(reply: Reply, who: str) -> Reply:
        seen.extend(shown(reply))
        for notice in reply.notices:
            if notice.item_id in anon_items:
                # only a sealed notice reaches an anonymous author, and only one who opted in
                for author in set(notice.recipients) & set(ANON):
                    assert notice.sealed and (author, notice.item_id) in heard, notice
        if reply.item_id is not None:
            hromada.attach_message(tenant, reply.item_id, "C-test", f"msg-{reply.item_id}")
        if reply.actions:
            last_prompt[who] = reply
        if reply.private is not None and reply.private.actions:
            offers[who] = reply.private
        return reply

    def run(who: str, group: str, text: str) -> Reply | None:
        try:
            reply = hromada.run(people[who], group, text)
        except HromadaError as exc:
            seen.extend(shown(hromada.error_reply(tenant, exc)))
            return None
        return keep(reply, who)

    own: dict[str, list[tuple[str, str]]] = {}  # author -> [(group, ref)] of their anon items

    def track_anon(reply: Reply | None, who: str = "", group: str = "idea") -> None:
        if reply is not None and reply.item_id is not None:
            anon_items.add(reply.item_id)
            if who:
                own.setdefault(who, []).append(
                    (group, hromada.item_ref(tenant, reply.item_id)))

    def item_id(kind_ref: int) -> int | None:
        from storage import repos

        with db.uow() as session:
            found = repos.item_by_ref(session, tenant, "idea", kind_ref)
            return found.id if found else None

    for kind, who, arg in [*PRELUDE, *plan]:
        if kind == "anon-idea":
            track_anon(run(who, "idea", f"anon {arg}"), who, "idea")
        elif kind == "anon-ask":
            track_anon(run(who, "ask", f"anon {arg}"), who, "ask")
        elif kind == "hear-back" and who in offers:
            offer = offers.pop(who)
            action = offer.actions[0]
            try:
                reply = hromada.press(people[who], action.action_id, action.value)
            except HromadaError as exc:
                seen.extend(shown(hromada.error_reply(tenant, exc)))
            else:
                keep(reply, who)
                if action.value.isdigit():
                    heard.add((who, int(action.value)))
        elif kind == "author-reply" and own.get(who):
            group, ref = own[who][arg % len(own[who])]
            run(who, group, f"reply {ref} Thank you, I can say more about it")
        elif kind == "mod-reply":
            group, n = arg
            mine = [r for items_ in own.values() for r in items_]
            if mine and n % 2:  # half the time one of the anonymous items
                group, ref = mine[n % len(mine)]
                run(who, group, f"reply {ref} Could you tell us more?")
            else:
                run(who, group, f"reply {n} Could you tell us more?")
        elif kind == "withdraw":
            run(who, "idea", f"withdraw {arg}")
        elif kind == "press-last" and who in last_prompt:
            prompt = last_prompt.pop(who)
            action = prompt.actions[min(arg, len(prompt.actions) - 1)]
            try:
                reply = hromada.press(people[who], action.action_id, action.value)
            except HromadaError as exc:
                seen.extend(shown(hromada.error_reply(tenant, exc)))
            else:
                keep(reply, who)
                if action.action_id == "dup.submit":
                    track_anon(reply)
        elif kind in ("vote", "unvote"):
            target = item_id(arg)
            if target is not None:
                hromada.react(people[who], channel_id="C-test", message_id=f"msg-{target}",
                              emoji="+1", added=kind == "vote", event_key=None)
        elif kind == "idea":
            run(who, "idea", arg)
        elif kind == "status":
            ref, status = arg
            run(who, "idea", f"status {ref} {status} thanks to everyone who spoke up")
        elif kind == "merge":
            run(who, "idea", f"merge {arg[0]} into {arg[1]}")
        elif kind == "answer":
            run(who, "ask", f"answer {arg} We are looking into it")
        elif kind == "clock":
            clock.advance(timedelta(days=arg))
        elif kind == "read":
            group, text = arg
            run(who, group, text.format(r=len(plan) % 6 + 1))

    run(MOD, "digest", "preview")
    clock.advance(timedelta(days=7))
    run(MOD, "digest", "preview")
    with db.uow() as session:
        for fmt in ("csv", "json"):
            seen.append(export(session, tenant, fmt))

    leaked = [(text, leaks(text)) for text in seen if leaks(text)]
    assert leaked == [], leaked[:3]
    logged = [line for line in all_logs.lines if leaks(line)]
    assert logged == [], logged[:3]
