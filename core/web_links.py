"""Links from chat to the web pages: every page has a stable URL, so a reply can point at it.

Only when the deployment says where its pages are (``HROMADA_PUBLIC_URL``): a reply never
offers a link that nobody outside this machine could open.
"""

from __future__ import annotations

from urllib.parse import quote

from core.i18n import N_
from core.refs import format_ref
from core.replies import Field
from core.text import Rich

SECTION = {"idea": "ideas", "risk": "risks", "snippet": "kb"}
OPEN_LABEL = N_("Open in Hromada")


def page_url(base: str, tenant_id: str, ref: str) -> str:
    """``<base>/t/<tenant>/<section>/<ref>`` for a ref such as ``I-12``, ``R-3``, ``K-7``."""
    kind = {"I": "idea", "R": "risk", "K": "snippet"}.get(ref[:1].upper())
    if kind is None:
        raise ValueError(f"no web page for {ref!r}")
    return f"{base.rstrip('/')}/t/{quote(tenant_id, safe=':')}/{SECTION[kind]}/{ref.upper()}"


def open_field(label: str, base: str | None, tenant_id: str, kind: str,
               number: int) -> Field | None:
    """The "Open in Hromada" line of an item's card, or None without a public URL."""
    if not base or kind not in SECTION:
        return None
    url = page_url(base, tenant_id, format_ref(kind, number))
    return Field(label, Rich((url,)), inline=False)
