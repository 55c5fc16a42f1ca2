"""HROMADA_LOG_FORMAT=json: one object a line, and nothing people wrote in it."""

from __future__ import annotations

import io
import json
import logging

import pytest
from typer.testing import CliRunner

from bots.runtime import ContextFilter, JsonFormatter

SECRET_TEXT = "Pay transparency bands for every role"


def emit(record_args: tuple, **extra) -> dict:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.json")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.info("idea submitted by %s: %s", *record_args, extra=extra)
        try:
            raise ValueError(f"bad input {SECRET_TEXT}")
        except ValueError:
            logger.exception("core call failed", extra=extra)
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    return {"first": json.loads(lines[0]), "second": json.loads(lines[1]), "raw": stream.getvalue()}


def test_one_object_a_line_with_context_and_without_arguments() -> None:
    out = emit(("U0ZORYANA", SECRET_TEXT), tenant="slack:T1", command="/idea",
               request_id="r-1", latency=0.0123)
    first = out["first"]
    assert first["event"] == "idea submitted by %s: %s"
    assert (first["tenant"], first["command"], first["request_id"]) == ("slack:T1", "/idea", "r-1")
    assert first["latency_ms"] == pytest.approx(12.3)
    assert first["level"] == "INFO" and first["time"].endswith("+00:00")
    second = out["second"]
    assert second["error"] == "ValueError" and second["where"]
    # Neither the arguments nor the exception's message reach the line.
    assert SECRET_TEXT not in out["raw"] and "U0ZORYANA" not in out["raw"]


def test_the_cli_switches_to_json(monkeypatch, tmp_path, db_url) -> None:
    monkeypatch.setenv("HROMADA_LOG_FORMAT", "json")
    monkeypatch.setenv("HROMADA_DATABASE_URL", db_url)
    monkeypatch.setenv("HROMADA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HROMADA_SECRET_KEY", "test-secret")
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        from bots.cli import app

        assert CliRunner().invoke(app, ["config"]).exit_code == 0
        assert any(isinstance(h.formatter, JsonFormatter) for h in root.handlers)
        monkeypatch.setenv("HROMADA_LOG_FORMAT", "xml")
        refused = CliRunner().invoke(app, ["config"])
        assert refused.exit_code != 0
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
