"""A real browser (Playwright driving Debian's /usr/bin/chromium) over the web view served
as in production, on loopback: the risks, knowledge and culture pages of the demo company,
signed in through a one-time link, with JavaScript off; screenshots are kept in the test's
output directory.

``HROMADA_SCREENSHOT_DIR=docs`` also copies the culture page's picture there as
``culture.png`` (how the README's picture is made).
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bots.delivery import Deliveries
from bots.ops import Ops, serve_in_thread
from bots.web.app import build_web
from core import web_login
from core.clock import SystemClock
from tests.web.conftest import RecordingDelivery, web_settings
from tests.web.culture_demo import populate

CHROMIUM = Path("/usr/bin/chromium")
T = "console:test"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")


@pytest.fixture
def served(hromada) -> Iterator[str]:
    """The web view on a real loopback port, mounted as in production (``Ops.web``)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    deliveries = Deliveries()
    deliveries.add(RecordingDelivery("console"))
    web = build_web(hromada, web_settings(public_url=base, port=port), deliveries)
    stop = serve_in_thread(Ops(hromada, web=web), port=port, host="127.0.0.1")
    try:
        yield base
    finally:
        stop()


def test_risks_knowledge_and_culture_in_a_browser(served, hromada, clock, actor, tmp_path):
    from playwright.sync_api import sync_playwright

    populate(hromada, clock, actor("boss", admin=True))
    token = web_login.issue(hromada.db, SystemClock(), tenant_id=T, name="Boss", admin=True,
                            user_id="boss")
    shots: dict[str, Path] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context(java_script_enabled=False,
                                          viewport={"width": 1100, "height": 900})
            page = context.new_page()
            page.goto(f"{served}/login/link/{token}")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{served}/t/**")

            page.goto(f"{served}/t/{T}/risks")
            assert page.get_by_role("heading", name="Risk register").is_visible()
            assert page.locator("svg#risk-matrix g.cell").count() == 25
            assert page.locator("table.register tbody tr").count() == 4
            shots["risks"] = tmp_path / "risks.png"
            page.screenshot(path=str(shots["risks"]), full_page=True)

            # A moderator changes a risk through its form (no JavaScript: the form posts).
            page.goto(f"{served}/t/{T}/risks/R-2")
            page.select_option("select[name=status]", "accepted")
            page.fill("input[name=note]", "the contract is signed for two years")
            page.get_by_role("button", name="Save").click()
            page.wait_for_url(f"{served}/t/{T}/risks/R-2")
            assert page.locator("p.flash").is_visible()
            assert "is now accepted" in (page.locator("p.flash").text_content() or "")
            shots["risk"] = tmp_path / "risk.png"
            page.screenshot(path=str(shots["risk"]), full_page=True)
            shown = hromada.run(actor("viewer"), "risk", "show R-2")
            assert {f.label: f.value.plain() for f in shown.fields}["Status"] == "accepted"

            page.goto(f"{served}/t/{T}/kb?q=vpn")
            assert page.get_by_role("link", name="K-1 How to get VPN access").count() == 1
            page.goto(f"{served}/t/{T}/onboarding")
            assert page.locator("ol.onboarding li").count() == 3
            page.goto(f"{served}/t/{T}/kb/K-1")
            assert page.get_by_text("#onboarding").count() >= 1
            shots["knowledge"] = tmp_path / "knowledge.png"
            page.screenshot(path=str(shots["knowledge"]), full_page=True)

            page.goto(f"{served}/t/{T}/culture")
            hidden = page.locator("svg#participation g.cell.hidden")
            assert hidden.count() > 0
            assert page.locator("svg#participation g.cell:not(.hidden)").count() > 0
            assert "fewer than 5 people" in (hidden.first.locator("title").text_content() or "")
            assert page.get_by_text("<5: fewer than 5 people").count() >= 1
            shots["culture"] = tmp_path / "culture.png"
            page.screenshot(path=str(shots["culture"]), full_page=True)
        finally:
            browser.close()
    for path in shots.values():
        assert path.stat().st_size > 10_000  # a drawn page, not a blank one
    target = os.environ.get("HROMADA_SCREENSHOT_DIR")
    if target:
        shutil.copyfile(shots["culture"], Path(target) / "culture.png")
