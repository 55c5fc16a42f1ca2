"""Slack tests see no Slack settings from the environment: Bolt would switch to OAuth mode by
itself when SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are set, and tokens must never be real."""

from __future__ import annotations

import pytest

SLACK_ENV = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN",
             "SLACK_SIGNING_SECRET", "SLACK_API_URL", "SLACK_REDIRECT_URI")


@pytest.fixture(autouse=True)
def no_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SLACK_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def no_retry_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk's retries of a 5xx still happen, without their backoff waits."""
    import bots.slack.app as slack_app

    monkeypatch.setattr(slack_app, "RETRY_BACKOFF", 0.0)
