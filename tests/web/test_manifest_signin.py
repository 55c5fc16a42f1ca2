"""The Slack manifest lets "Sign in with Slack" work for the URL it is made for."""

from __future__ import annotations

from bots.slack.manifest import build_manifest


def test_the_manifest_lists_the_sign_in_redirect_and_scopes() -> None:
    made = build_manifest(base_url="https://hromada.acme.io/")
    oauth = made["oauth_config"]
    assert "https://hromada.acme.io/auth/slack/callback" in oauth["redirect_urls"]
    assert "https://hromada.acme.io/slack/oauth_redirect" in oauth["redirect_urls"]
    assert set(oauth["scopes"]["user"]) == {"openid", "profile"}
    socket = build_manifest(base_url="https://hromada.acme.io", socket_mode=True)
    assert "https://hromada.acme.io/auth/slack/callback" in socket["oauth_config"]["redirect_urls"]
