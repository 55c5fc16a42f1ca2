from core.errors import Forbidden, InvalidInput, NotFound


def test_submit_list_show(hromada, actor):
    alice = actor("alice")
    reply = hromada.run(alice, "idea", "Dark mode for the wiki")
    assert reply.item_id is not None
    assert "I-1" in reply.plain()
    assert "Alice" in reply.plain()
    listed = hromada.run(alice, "idea", "list").plain()
    assert "I-1 Dark mode for the wiki" in listed
    shown = hromada.run(alice, "idea", "show i1").plain()
    assert "Score: +0" in shown


def test_bad_input_writes_nothing(hromada, actor):
    alice = actor("alice")
    for text in ["show", "show X-1", "status 1", "merge 1 onto 2", "list nonsense"]:
        try:
            hromada.run(alice, "idea", text)
        except (InvalidInput, NotFound, Forbidden) as exc:
            assert exc.message
        else:
            raise AssertionError(text)
    assert "No ideas" in hromada.run(alice, "idea", "list").plain()
