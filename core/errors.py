"""The one error hierarchy. Adapters turn it into a reply in exactly one place."""

from __future__ import annotations


class HromadaError(Exception):
    """Base of every error a user may see; ``message`` is an English msgid, translated later."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class NotFound(HromadaError):
    pass


class Forbidden(HromadaError):
    pass


class InvalidInput(HromadaError):
    """Bad input; ``usage`` is the usage line of the command that was misused."""

    def __init__(self, message: str, *, usage: str | None = None, **params: object) -> None:
        super().__init__(message, **params)
        self.usage = usage


class Conflict(HromadaError):
    pass
