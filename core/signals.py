"""Things worth counting that happen deep in the core, for whoever watches (metrics).

The core names the moment; an adapter subscribes. Core never learns who listens, and a
listener's failure never changes what the core does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


class Signal:
    def __init__(self, name: str) -> None:
        self.name = name
        self._receivers: list[Callable[[str], None]] = []

    def connect(self, receiver: Callable[[str], None]) -> None:
        if receiver not in self._receivers:
            self._receivers.append(receiver)

    def send(self, tenant_id: str) -> None:
        for receiver in self._receivers:
            try:
                receiver(tenant_id)
            except Exception:  # noqa: BLE001 - watching must never break the watched
                log.warning("signal receiver failed", extra={"command": self.name},
                            exc_info=True)


# A platform event (reaction, 📚, clear) arrived again and was not applied a second time.
duplicate_event = Signal("duplicate_event")
