"""Who is acting, in which tenant, inside which transaction."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from gettext import NullTranslations

from sqlmodel import Session

from core.clock import Clock
from core.errors import Forbidden
from core.i18n import N_
from core.text import Rich, UserText, fmt
from storage import repos
from storage.models import Member, Tenant


@dataclass(frozen=True)
class Actor:
    """A member as the platform sees them.

    ``is_admin``: a Slack admin/owner, a Discord member with Manage Server, console ``--admin``.
    """

    tenant_id: str
    user_id: str
    display_name: str = ""
    is_admin: bool = False
    roles: tuple[str, ...] = ()
    channel_id: str | None = None  # where the command was typed, when the platform says
    # How many members can read that channel, when the adapter knows (an anonymous card is
    # never posted where fewer than the tenant's threshold could have written it).
    channel_size: int | None = None


def split_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


@dataclass
class Ctx:
    session: Session
    actor: Actor
    tenant: Tenant
    member: Member
    clock: Clock
    secret: bytes
    translations: NullTranslations
    public_url: str | None = None  # the web pages' base URL, when the deployment has one
    _names: dict[int, Member] = field(default_factory=dict)

    @property
    def tenant_id(self) -> str:
        return self.tenant.id

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def _(self, msgid: str) -> str:
        return self.translations.gettext(msgid)

    def t(self, msgid: str, **values: object) -> Rich:
        return fmt(self._(msgid), **values)

    @property
    def is_moderator(self) -> bool:
        if self.actor.is_admin:
            return True
        if self.actor.user_id in split_list(self.tenant.moderators):
            return True
        roles = {r.lower() for r in split_list(self.tenant.moderator_roles)}
        return bool(roles & {r.lower() for r in self.actor.roles})

    def require_moderator(self, why: str = N_("Only moderators can do that.")) -> None:
        if not self.is_moderator:
            raise Forbidden(why)

    def anon_hash(self, item_number: int, kind: str) -> str:
        """A keyed hash that lets the author, and only a holder of the key, prove authorship."""
        msg = f"{self.tenant_id}|{kind}|{item_number}|{self.actor.user_id}".encode()
        return hmac.new(self.secret, msg, hashlib.sha256).hexdigest()

    def keyed_hash(self, *parts: object) -> str:
        """The acting member's keyed hash over ``parts``: provable by them, naming nobody."""
        msg = "|".join([self.tenant_id, *map(str, parts), self.actor.user_id]).encode()
        return hmac.new(self.secret, msg, hashlib.sha256).hexdigest()

    def member_name(self, member_id: int | None) -> Rich:
        if member_id is None:
            return Rich((self._("anonymous"),))
        member = self._names.get(member_id) or self.session.get(Member, member_id)
        if member is None or member.former:
            return Rich((self._("a former member"),))
        self._names[member_id] = member
        return Rich((UserText(member.display_name),))

    def member_user_ids(self, member_ids: list[int]) -> list[str]:
        found = repos.members_by_ids(self.session, self.tenant_id, member_ids)
        return [m.user_id for m in found.values() if not m.former]
