"""Anonymous authors in the real ``hromada chat``: a card typed in a small channel goes to the
main channel, and an author who opted in hears back and answers, while the console, which
prints every direct message, never names them. Then the raw store is searched for them."""

from __future__ import annotations

import uuid
from pathlib import Path

from storage.db import Database
from tests.core.test_anonymous_authors import raw_rows, traces_of
from tests.scenarios.console import Step, check_in_order, dm_recipients, run_program, tenant_name


def story(author: str) -> list[Step]:
    return [
        ("/digest here", ["The weekly digest will be posted in this channel."]),
        ("channel side", ["(#side)"]),
        (f"as {author}", [f"(you are now {author})"]),
        # two members so far: too few to hide among in #side, so the card goes to #console
        ("/idea anon Free fruit on Fridays", [
            "[#console] 💡 I-1 · Free fruit on Fridays", "From: anonymous",
            "I-1 is posted anonymously in #console, the main channel: this channel has fewer "
            "than 5 members", "only then Hromada keeps a sealed reference",
            "[1] Hear back privately"]),
        ("press 1", ["Done: you will hear back about I-1 by direct message",
                     "[1] Stop hearing back"]),
        ("as Bob", ["(you are now Bob)"]),
        ("react +1 I-1", ["(reacted +1 on I-1)"]),
        ("as Mod", ["(you are now Mod)"]),
        ("/idea status I-1 planned budget approved", [
            "I-1 “Free fruit on Fridays” is now planned (was new). budget approved",
            "People told: 1."]),
        ("/idea reply I-1 Which fruit would you like?", [
            "Sent privately to the anonymous author of I-1; you will not learn who they are.",
            "→ DM to the anonymous author: Mod (moderator) wrote to you about I-1 “Free fruit "
            "on Fridays”: Which fruit would you like?",
            "Answer with /idea reply I-1 <text>; you stay anonymous."]),
        (f"as {author}", [f"(you are now {author})"]),
        ("/idea reply I-1 Apples and pears, please", [
            "Sent to the moderator who wrote to you about I-1, without your name.",
            "→ DM to Mod: The anonymous author of I-1 “Free fruit on Fridays” answered you: "
            "Apples and pears, please"]),
        # a second idea, no opt-in: nobody can reach its author
        ("/idea anon Quiet room on the third floor", ["I-2 is posted anonymously in #console"]),
        ("as Mod", ["(you are now Mod)"]),
        ("/idea reply I-2 Which floor exactly?", [
            "The author of I-2 is anonymous and did not ask to hear back, so nothing can reach "
            "them. Nothing was sent."]),
        ("as Bob", ["(you are now Bob)"]),
        ("/idea reply I-1 me too", ["! Only the author of I-1 or a moderator can use /idea reply"]),
    ]


def test_console_anonymous_author_story(db_url: str, tmp_path: Path) -> None:
    author = f"Ivo{uuid.uuid4().hex[:6]}"
    steps = story(author)
    script = "\n".join(cmd for cmd, _ in steps) + "\n"
    out = run_program(["chat", "--as", "Mod", "--admin", "--tenant", tenant_name("anon")],
                      script, db_url=db_url, tmp_path=tmp_path)
    check_in_order(out, steps)
    # the console prints every DM; the author's are never addressed by name
    assert dm_recipients(out, "is now planned") == [{"Bob"}, {"the anonymous author"}]
    named = [ln for ln in out.splitlines() if author.lower() in ln.lower()]
    assert named == [f"(you are now {author})"] * 2, named
    db = Database(db_url)
    try:
        assert traces_of(db, author.lower(), author) == []
        assert any(r["item_id"] for r in raw_rows(db)["sealed_ref"])
    finally:
        db.dispose()
