"""Structured log lines: one JSON object per line, never personal data.

An event carries a name and fields: counts, ids, dossier references, outcomes, durations. Values are
checked on the way out: numbers, booleans and short tokens pass (``MED-2026-00042``, ``duplicates``,
``imap+ssl://host:993/INBOX``); anything that looks like free text or an address (spaces, ``@``,
non-ASCII letters) is replaced by ``"<masqué>"``, so a careless call cannot leak a name, an address,
a subject or a body into the journal.

    {"ts": "2026-03-02T09:15:04.123Z", "level": "info", "event": "mail_ingested",
     "outcome": "dossiers_opened", "reference": "MED-2026-00042", "message_row_id": 812, "duration_ms": 14.2}
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from triage.files import private_file

EVENTS = "mediature.events"
MASK = "<masqué>"
# short machine tokens only: no space, no '@', ASCII (French names and words carry accents or spaces)
_SAFE = re.compile(r"[A-Za-z0-9_.:/+\-\[\]=,#]{0,200}")
_events = logging.getLogger(EVENTS)


def safe_value(value: Any) -> Any:
    """The value as it may appear in a log line (masked when it could be personal data)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value if _SAFE.fullmatch(value) and "@" not in value else MASK
    if isinstance(value, Mapping):
        return {str(k): safe_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [safe_value(v) for v in value]
    if isinstance(value, BaseException):
        return type(value).__name__  # the class only: messages may quote headers or addresses
    if hasattr(value, "value") and isinstance(value.value, (str, int)):  # enums
        return safe_value(value.value)
    return type(value).__name__


def event(name: str, *, level: int = logging.INFO, **fields: Any) -> None:
    """Log one structured event (fields are passed through safe_value)."""
    if _events.isEnabledFor(level):
        _events.log(level, name, extra={"mediature_fields": {k: safe_value(v) for k, v in fields.items()}})


def failure(name: str, err: BaseException, *, level: int = logging.DEBUG, **fields: Any) -> None:
    """Log an unexpected error by its class and where it was raised (file:line), never its message."""
    where = ""
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        code = tb.tb_frame.f_code
        where = f"{Path(code.co_filename).name}:{tb.tb_lineno}"
    event(name, level=level, error=type(err).__name__, at=where, **fields)


def quiet(library: str, level: int = logging.ERROR) -> None:
    """Keep a library's own logger to `level` and away from the root handlers (its lines may quote mail)."""
    logger = logging.getLogger(library)
    logger.setLevel(level)
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


@contextmanager
def timed(name: str, **fields: Any) -> Iterator[dict[str, Any]]:
    """Log `name` with duration_ms when the block ends; the block may add fields to the yielded dict."""
    extra: dict[str, Any] = dict(fields)
    start = time.perf_counter()
    try:
        yield extra
    finally:
        extra["duration_ms"] = round((time.perf_counter() - start) * 1000, 1)
        event(name, **extra)


class JsonFormatter(logging.Formatter):
    """One JSON object per record; events keep their fields, other records keep logger and message."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        line: dict[str, Any] = {"ts": stamp, "level": record.levelname.lower()}
        fields = getattr(record, "mediature_fields", None)
        if fields is not None:
            line["event"] = record.getMessage()
            line.update(fields)
        else:
            line["event"] = "log"
            line["logger"] = record.name
            line["message"] = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                line["error"] = type(record.exc_info[1]).__name__
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg,unused-ignore]
    """Writes to whatever sys.stderr is now (rich's live display swaps it to print above the bar)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override,unused-ignore]
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        pass


def configure(*, file: Path | None = None, level: int = logging.INFO) -> logging.Handler:
    """Send Médiature's log records as JSON lines to stderr (or to `file`); returns the handler."""
    handler: logging.Handler
    if file is not None:
        handler = logging.FileHandler(private_file(file), encoding="utf-8")
    else:
        handler = _CurrentStderr()
    handler.setFormatter(JsonFormatter())
    setattr(handler, "_mediature_json", True)  # noqa: B010  (marks our handler for a later configure())
    # "mediature" carries the events and the runtime; modules log under their own name ("triage.…")
    for name in ("mediature", "triage"):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if getattr(h, "_mediature_json", False)]:
            logger.removeHandler(old)
            old.close()
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
    return handler


@contextmanager
def to_file(path: Path) -> Iterator[None]:
    """Send the events of a block to a journal file (not over the tables a terminal command prints)."""
    handler = configure(file=path)
    try:
        yield
    finally:
        for name in ("mediature", "triage"):
            logging.getLogger(name).removeHandler(handler)
        handler.close()
