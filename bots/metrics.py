"""Prometheus metrics for ``GET /metrics``: what an operator alerts on.

One registry per process (not the library's global one), so an embedding program or a test can
read exactly Hromada's series. Label values are bounded: platform names, registry command paths
and error class names, never ids or text.
"""

from __future__ import annotations

import logging
import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0, 10.0)

REQUESTS = Counter("hromada_requests", "Commands received, per platform and command.",
                   ("platform", "command"), registry=REGISTRY)
ACK_SECONDS = Histogram("hromada_ack_seconds",
                        "From a command's arrival to the platform's acknowledgement.",
                        ("platform", "command"), buckets=BUCKETS, registry=REGISTRY)
ANSWER_SECONDS = Histogram("hromada_answer_seconds",
                           "From a command's arrival until the member can see the answer.",
                           ("platform", "command"), buckets=BUCKETS, registry=REGISTRY)
ERRORS = Counter("hromada_errors", "Commands answered with an error, by error class.",
                 ("platform", "error"), registry=REGISTRY)
DIGESTS = Counter("hromada_digests", "Weekly digests by outcome: claimed, posted, failed.",
                  ("outcome",), registry=REGISTRY)
DEDUPLICATED = Counter("hromada_events_deduplicated",
                       "Platform events seen before and not applied again.", ("platform",),
                       registry=REGISTRY)
DB_ERRORS = Counter("hromada_database_errors", "Errors raised by the database driver.",
                    ("error",), registry=REGISTRY)
SCHEDULER_CPU = Counter("hromada_scheduler_cpu_seconds",
                        "Process CPU time spent while the digest scheduler's ticks ran.",
                        registry=REGISTRY)


class Seen:
    """One command's clock: counted on arrival, then its ack and its visible answer timed.

    The answer is logged once with its latency (the request id, tenant and command go with
    it; never its text)."""

    def __init__(self, platform: str, command: str, started: float | None = None) -> None:
        self.platform = platform
        self.command = command
        self.started = time.perf_counter() if started is None else started
        REQUESTS.labels(platform, command).inc()

    def acked(self) -> None:
        ACK_SECONDS.labels(self.platform, self.command).observe(
            time.perf_counter() - self.started)

    def answered(self, tenant: str, request_id: str) -> None:
        spent = time.perf_counter() - self.started
        ANSWER_SECONDS.labels(self.platform, self.command).observe(spent)
        log.info("answered", extra={"tenant": tenant, "command": self.command,
                                    "request_id": request_id, "latency": spent})


def error_name(exc: BaseException) -> str:
    return type(exc).__name__


def exposition() -> tuple[bytes, str]:
    """The text format body and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def watch_database(engine: object) -> None:
    """Counts every driver error the engine sees (connection losses, lock timeouts ...)."""
    from sqlalchemy import event

    def on_error(context: object) -> None:
        original = getattr(context, "original_exception", None)
        DB_ERRORS.labels(error=error_name(original) if original else "unknown").inc()

    event.listen(engine, "handle_error", on_error)


def _duplicate(tenant_id: str) -> None:
    DEDUPLICATED.labels(tenant_id.partition(":")[0] or "unknown").inc()


def watch_core() -> None:
    """Counts what the core reports through its signals (idempotent)."""
    from core import signals

    signals.duplicate_event.connect(_duplicate)
