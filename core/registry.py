"""The one command registry.

Every command is declared once here with typed parameters, help text and permission. Slack
and console text parsing, Discord application commands, the Slack manifest and
``/hromada help`` are all generated from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from core.errors import InvalidInput
from core.i18n import DEFAULT_LANGUAGE, N_, available_languages, gettext_for

if TYPE_CHECKING:
    from core.context import Ctx
    from core.replies import Reply

NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
# The catalog context that holds the translated names of command words (Discord shows them;
# text commands accept them too, so "/idea статус I-3 зроблено" reads as in English).
WORD_CONTEXT = "discord name"
MAX_TEXT = 3000


class P(StrEnum):
    """Parameter kinds. Each knows how to read itself from text and from a typed option."""

    TEXT = "text"  # the rest of the line (or up to ``until``)
    WORD = "word"
    REF = "ref"  # I-12, 12, i12
    INT = "int"
    CHOICE = "choice"
    MEMBER = "member"  # <@U123|name>, <@U123>, @name
    TAGS = "tags"  # trailing #tag words
    LITERAL = "literal"  # a fixed word in the text grammar (``into``); no option on Discord


class Access(StrEnum):
    """Who may run a command. Item-relative levels name the item by the command's first ref.

    Checked by ``core.permissions.check`` before the handler runs; the README's table of who
    may do what is generated from these declarations.
    """

    MEMBER = "member"  # anyone in the workspace; it acts on their own things only
    AUTHOR = "author"  # only the item's author (anonymous authors by their keyed hash)
    AUTHOR_OR_MODERATOR = "author-or-moderator"
    RISK_OWNER = "risk-owner"  # the risk's owner, who reported it, or a moderator
    OWNER = "owner"  # the item's owner (else who wrote or saved it), or a moderator
    MODERATOR = "moderator"  # workspace/server admins, members and roles named in settings
    ADMIN = "admin"  # Slack workspace admins and owners, Discord members with Manage Server


ITEM_ACCESS = (Access.AUTHOR, Access.AUTHOR_OR_MODERATOR, Access.RISK_OWNER, Access.OWNER)


@dataclass(frozen=True, slots=True)
class MemberArg:
    user_id: str | None
    name: str | None


@dataclass(frozen=True)
class Param:
    name: str
    kind: P
    help: str = ""
    required: bool = True
    choices: tuple[str, ...] = ()
    ref_kind: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    until: str | None = None  # TEXT: stop at this separator token

    def __post_init__(self) -> None:
        if not NAME_RE.match(self.name.replace("_", "-")):
            raise ValueError(f"bad parameter name {self.name!r}")
        if self.kind is P.CHOICE and not self.choices:
            raise ValueError(f"choice parameter {self.name!r} needs choices")

    def placeholder(self) -> str:
        if self.kind is P.LITERAL:
            return self.name
        if self.kind is P.CHOICE and len(self.choices) <= 4:
            inner = "|".join(self.choices)
        elif self.kind is P.TAGS:
            inner = "#tag ..."
        elif self.kind is P.MEMBER:
            inner = "@member"
        else:
            inner = self.name
        shown = f"<{inner}>" if self.required else f"[{inner}]"
        return f"{shown} {self.until}" if self.until else shown

    def convert(self, raw: Any) -> Any:
        """Turn one raw value (text token or typed option) into the value the handler takes."""
        if isinstance(raw, str):
            raw = raw.replace("\x00", "")  # NUL cannot be stored (PostgreSQL text refuses it)
        if raw is None or raw == "":
            if self.required:
                raise InvalidInput(N_("Missing {name}."), name=self.name)
            return [] if self.kind is P.TAGS else None
        if self.kind is P.TEXT:
            # A mention written in free text reads as the name it shows: <@U1|ann> -> @ann.
            text = NAMED_MENTION.sub(lambda m: "@" + m.group(1), str(raw)).strip()
            if len(text) > MAX_TEXT:
                raise InvalidInput(N_("That text is too long (at most {n} characters)."),
                                   n=MAX_TEXT)
            return text
        if self.kind in (P.WORD, P.LITERAL):
            return str(raw).strip()
        if self.kind is P.REF:
            from core.refs import parse_ref

            assert self.ref_kind
            return parse_ref(self.ref_kind, str(raw))
        if self.kind is P.INT:
            try:
                value = int(str(raw).strip())
            except ValueError:
                raise InvalidInput(N_("{name} must be a whole number."), name=self.name) from None
            lo, hi = self.minimum, self.maximum
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                raise InvalidInput(
                    N_("{name} must be from {lo} to {hi}."), name=self.name, lo=lo, hi=hi
                )
            return value
        if self.kind is P.CHOICE:
            value = str(raw).strip().lower()
            value = translated_choices(self.choices).get(value, value)
            if value not in self.choices:
                raise InvalidInput(
                    N_("{name} must be one of: {choices}."),
                    name=self.name,
                    choices=", ".join(self.choices),
                )
            return value
        if self.kind is P.MEMBER:
            if isinstance(raw, MemberArg):
                return raw
            return parse_member(str(raw))
        if self.kind is P.TAGS:
            items = raw if isinstance(raw, list | tuple) else str(raw).replace(",", " ").split()
            tags = [normalise_tag(t) for t in items]
            if not all(tags):
                raise InvalidInput(N_("Tags look like #onboarding."))
            return list(dict.fromkeys(tags))
        raise AssertionError(self.kind)


# Bounded so that a member id or name always fits the store (member.user_id is 100 long).
MEMBER_RE = re.compile(
    r"^<@([A-Z0-9a-z]{1,64})(?:\|([^>]{0,200}))?>$|^<@!?(\d{1,64})>$|^@?([\w.\-]{1,200})$"
)
NAMED_MENTION = re.compile(r"<@[A-Za-z0-9]{1,64}\|([^>\s]{1,200})>")
TAG_RE = re.compile(r"^#?([\w][\w\-]{0,49})$")


def other_languages() -> list[str]:
    return [lang for lang in available_languages() if lang != DEFAULT_LANGUAGE]


def translated_choices(choices: tuple[str, ...]) -> dict[str, str]:
    """A choice as the other languages' replies show it (``зроблено``) -> the choice."""
    out: dict[str, str] = {}
    for lang in other_languages():
        tr = gettext_for(lang)
        for choice in choices:
            shown = tr.gettext(choice).lower()
            if shown != choice and " " not in shown:
                out.setdefault(shown, choice)
    return out


def word_aliases(words: set[str]) -> dict[str, str]:
    """Command words in the other languages (``статус``) -> the English word."""
    out: dict[str, str] = {}
    for lang in other_languages():
        tr = gettext_for(lang)
        for word in sorted(words):
            shown = tr.pgettext(WORD_CONTEXT, word).lower()
            if shown != word and " " not in shown and shown not in words:
                out.setdefault(shown, word)
    return out


def parse_member(token: str) -> MemberArg:
    m = MEMBER_RE.match(token.strip())
    if not m:
        raise InvalidInput(N_("Name a member like @name."))
    if m.group(1):
        return MemberArg(m.group(1), m.group(2) or None)
    if m.group(3):
        return MemberArg(m.group(3), None)
    return MemberArg(None, m.group(4))


def normalise_tag(token: str) -> str:
    m = TAG_RE.match(token.strip())
    return m.group(1).lower() if m else ""


Handler = Callable[..., "Reply"]


@dataclass
class Command:
    group: str
    name: str  # "" for a group's only command; may hold a space ("me skills")
    params: tuple[Param, ...]
    help: str
    handler: Handler
    moderator: bool = False  # kept for declarations that say ``moderator=True``
    access: Access = Access.MEMBER

    def __post_init__(self) -> None:
        if self.moderator and self.access is Access.MEMBER:
            self.access = Access.MODERATOR
        self.moderator = self.access in (Access.MODERATOR, Access.ADMIN)

    @property
    def item_param(self) -> Param | None:
        """The parameter naming the item an item-relative permission is about."""
        return next((p for p in self.params if p.kind is P.REF), None)

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.name.split()) if self.name else ()

    @property
    def path(self) -> tuple[str, ...]:
        return (self.group, *self.words)

    @property
    def options(self) -> tuple[Param, ...]:
        """Parameters that are typed options (not grammar words)."""
        return tuple(p for p in self.params if p.kind is not P.LITERAL)

    def usage(self, *, default: bool = False) -> str:
        words = [f"/{self.group}"] + ([] if default else list(self.words))
        words += [p.placeholder() for p in self.params]
        return " ".join(words)

    def parse(self, text: str) -> dict[str, Any]:
        """Read the parameters from the text after the command words."""
        rest = text.strip()
        args: dict[str, Any] = {}
        params = list(self.params)
        tags_param = next((p for p in params if p.kind is P.TAGS), None)
        if tags_param is not None:
            rest, tags = _split_trailing_tags(rest)
            args[tags_param.name] = tags_param.convert(tags or None)
            params.remove(tags_param)
        for i, param in enumerate(params):
            last = i == len(params) - 1
            if param.kind is P.TEXT and (last or param.until):
                if param.until:
                    head, sep, tail = rest.partition(param.until)
                    if not sep:
                        raise InvalidInput(
                            N_("Separate the parts with {sep}."), sep=param.until
                        )
                    value, rest = head, tail
                else:
                    value, rest = rest, ""
                args[param.name] = param.convert(value.strip() or None)
                continue
            token, _, rest = rest.partition(" ")
            rest = rest.strip()
            if param.kind is P.LITERAL:
                if token.lower() != param.name:
                    raise InvalidInput(N_("Expected the word {word}."), word=param.name)
                continue
            args[param.name] = param.convert(token or None)
        if rest:
            raise InvalidInput(N_("Unexpected text: {text}"), text=rest[:40])
        return args

    def anchored(self, rest: str) -> bool:
        """Whether the text after the words was plainly meant as this subcommand: it begins
        with the reference or mention the first parameter takes, or holds its separator."""
        first = next((p for p in self.params if p.kind is not P.TAGS), None)
        token = rest.split(None, 1)[0] if rest.split() else ""
        if first is None or not token:
            return False
        if first.kind is P.REF:
            from core.refs import looks_like_ref

            return looks_like_ref(token)
        if first.kind is P.TEXT and first.until:
            return first.until in rest  # "/kb add Title | body": the separator says so
        return first.kind is P.MEMBER and token.startswith(("<@", "@"))

    def bind(self, options: dict[str, Any]) -> dict[str, Any]:
        """Convert typed options (Discord) into handler arguments, the same checks as text."""
        unknown = set(options) - {p.name for p in self.options}
        if unknown:
            raise InvalidInput(N_("Unknown option {name}."), name=sorted(unknown)[0])
        return {p.name: p.convert(options.get(p.name)) for p in self.options}


TRAILING_TAGS = re.compile(r"(?:^|\s)((?:#[\w][\w\-]*\s*)+)$")


def _split_trailing_tags(text: str) -> tuple[str, list[str]]:
    m = TRAILING_TAGS.search(text)
    if not m:
        return text, []
    return text[: m.start(1)].rstrip(), m.group(1).split()


@dataclass
class Group:
    name: str
    help: str
    default: str | None = None  # the subcommand used when the first word is not one
    commands: list[Command] = field(default_factory=list)


class Registry:
    def __init__(self) -> None:
        self.groups: dict[str, Group] = {}
        self._aliases: tuple[int, dict[str, str]] = (-1, {})

    def group(self, name: str, help: str, *, default: str | None = None) -> Group:
        if not NAME_RE.match(name) or name in self.groups:
            raise ValueError(f"bad or repeated group {name!r}")
        self.groups[name] = Group(name, help, default)
        return self.groups[name]

    def command(
        self,
        path: str,
        *params: Param,
        help: str,
        moderator: bool = False,
        access: Access | None = None,
    ) -> Callable[[Handler], Handler]:
        group_name, _, name = path.partition(" ")
        group = self.groups[group_name]
        for word in name.split():
            if not NAME_RE.match(word):
                raise ValueError(f"bad command word {word!r} in {path!r}")
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise ValueError(f"repeated parameter in {path!r}")
        if any(c.name == name for c in group.commands):
            raise ValueError(f"repeated command {path!r}")
        if access in ITEM_ACCESS and not any(p.kind is P.REF for p in params):
            raise ValueError(f"{path!r}: {access} access needs a reference parameter")
        chosen = access or (Access.MODERATOR if moderator else Access.MEMBER)

        def register(handler: Handler) -> Handler:
            group.commands.append(Command(group_name, name, params, help, handler,
                                          access=chosen))
            return handler

        return register

    @property
    def commands(self) -> list[Command]:
        return [c for g in self.groups.values() for c in g.commands]

    def find(self, path: tuple[str, ...]) -> Command:
        for cmd in self.groups[path[0]].commands:
            if cmd.path == path:
                return cmd
        raise KeyError(path)

    def candidates(self, group: Group, text: str) -> list[tuple[Command, str]]:
        """The subcommands whose words begin the line (in any language), longest first,
        each with its rest."""
        # The aliases are rebuilt only when a command was added (every line is parsed here).
        count = sum(len(g.commands) for g in self.groups.values())
        if self._aliases[0] != count:
            self._aliases = (count, word_aliases({w for c in self.commands for w in c.words}))
        aliases = self._aliases[1]
        words = [aliases.get(w.lower(), w.lower()) for w in text.split()]
        found: list[tuple[Command, str]] = []
        for cmd in group.commands:
            n = len(cmd.words)
            if n and words[:n] == list(cmd.words):
                pieces = text.strip().split(None, n)
                found.append((cmd, pieces[n] if len(pieces) > n else ""))
        return sorted(found, key=lambda c: -len(c[0].words))

    def parse(self, group_name: str, text: str) -> tuple[Command, dict[str, Any]]:
        """Read a line of text as the command it names, with its arguments.

        A subcommand word applies only when the rest of the line parses as that subcommand;
        otherwise the whole line goes to the group's default (``/idea status updates should
        be weekly`` is an idea). Two lines are still that subcommand's bad input, answered
        with its usage: the word alone (``/idea anon``), and a line plainly meant as it
        (``Command.anchored``: ``/idea status I-3 finished``, ``/kb add Title |``); nobody
        writes an idea that way.
        """
        group = self.groups.get(group_name.lower().lstrip("/"))
        if group is None:
            raise InvalidInput(N_("Unknown command /{name}. Try /hromada help."), name=group_name)
        refused: InvalidInput | None = None
        for cmd, rest in self.candidates(group, text):
            try:
                return cmd, cmd.parse(rest)
            except InvalidInput as exc:
                exc.usage = exc.usage or cmd.usage()
                if not rest.replace("\x00", "").strip() or cmd.anchored(rest):
                    raise  # "/idea anon" alone, "/idea status I-3 finished": meant as that
                refused = refused or exc
        default = next((c for c in group.commands if group.default is not None
                        and c.name == group.default), None)
        if default is None:
            if refused is not None:
                raise refused
            raise InvalidInput(N_("Unknown subcommand."), usage=self.group_usage(group))
        if not text.strip() and default.params and default.params[0].required:
            raise InvalidInput(N_("Missing {name}."), name=default.params[0].name,
                               usage=self.group_usage(group))
        try:
            return default, default.parse(text)
        except InvalidInput as exc:
            exc.usage = exc.usage or default.usage(default=True)
            raise

    def group_usage(self, group: Group) -> str:
        return "\n".join(c.usage(default=c.name == group.default) for c in group.commands)


def run_handler(cmd: Command, ctx: Ctx, args: dict[str, Any]) -> Reply:
    return cmd.handler(ctx, **args)
