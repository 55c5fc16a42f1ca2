"""Identify turns in the store: one IDENTIFY per bucket per window, over every process."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from storage.db import Database
from storage.gateway import reserve_identify

WINDOW = 10.0  # long, so the seconds spent between reservations hardly matter


def test_turns_of_one_bucket_follow_each_other_by_the_window(db: Database) -> None:
    waits = [reserve_identify(db, 0, WINDOW) for _ in range(3)]
    assert waits[0] == 0
    assert waits[1] > WINDOW - 1 and waits[2] > 2 * WINDOW - 1
    assert waits[2] - waits[1] > WINDOW - 1


def test_buckets_do_not_wait_for_each_other(db: Database) -> None:
    assert reserve_identify(db, 0, WINDOW) == 0
    assert reserve_identify(db, 1, WINDOW) == 0
    assert reserve_identify(db, 0, WINDOW) > WINDOW - 1


def test_a_past_turn_does_not_hold_up_the_next(db: Database) -> None:
    assert reserve_identify(db, 3, 0.01) == 0
    time.sleep(0.05)  # the window is over; nothing to wait for
    assert reserve_identify(db, 3, 0.01) == 0


def test_reservations_at_once_from_many_connections_get_distinct_turns(db_url: str) -> None:
    """Eight shards of one bucket reserve together, each through its own engine (as separate
    processes would): every turn is a window after another, none shared."""
    stores = [Database(db_url) for _ in range(8)]
    try:
        with ThreadPoolExecutor(len(stores)) as pool:
            turns = sorted(pool.map(lambda d: time.time() + reserve_identify(d, 0, WINDOW),
                                    stores))
    finally:
        for store in stores:
            store.dispose()
    gaps = [b - a for a, b in zip(turns, turns[1:], strict=False)]
    assert min(gaps) > WINDOW - 1, gaps
