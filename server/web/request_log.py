"""Structured request logs: one JSON line per request, with no personal data.

A line carries method, route template (no path values, no query string, no body, no
address, no user agent),
status and duration, so logs can be kept and shared without exposing residents or staff.
"""

from __future__ import annotations

import logging
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

LOGGER_NAME = "madoguchi"


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` with its ``fields`` extra merged in."""
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
        return msgspec.json.encode(entry).decode()


def configure_logging(level: str) -> logging.Logger:
    """Send the app's logs to stderr as JSON lines.

    Args:
        level: Log level name.

    Returns:
        The app's logger.
    """
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(level)
    if not any(getattr(h, "_madoguchi", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        handler._madoguchi = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    return logger


def request_log_middleware(app: ASGIApp) -> ASGIApp:
    """Wrap ``app`` so each HTTP request logs one line when its response starts.

    Args:
        app: The next ASGI app.

    Returns:
        The wrapping ASGI app.
    """
    logger = logging.getLogger(f"{LOGGER_NAME}.request")

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
                logger.info(
                    "request",
                    extra={
                        "fields": {
                            "request_id": request_id,
                            "method": scope["method"],
                            # The route's template, not the raw path: an invite link's token,
                            # an id in a URL or whatever a stray path holds is not logged.
                            "path": scope.get("path_template") or UNMATCHED,
                            "status": message["status"],
                            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        }
                    },
                )
            await send(message)

        await app(scope, receive, send_logged)

    return middleware


UNMATCHED = "(no route)"
SERVER = Path(__file__).resolve().parent.parent  # our code: where a failure is located


def _raised_at(error: BaseException) -> str:
    """``module.py:line`` of the innermost frame of our own code in ``error``'s traceback."""
    where = ""
    for frame, line in traceback.walk_tb(error.__traceback__):
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(SERVER):
            where = f"{path.relative_to(SERVER.parent)}:{line}"
    return where


async def log_unhandled(error: Exception, scope: Scope) -> None:
    """After-exception hook: one line for a request that failed with a server error.

    It names the exception's type and where our code raised it, never the exception's
    message (a database error can quote the values of a row). Refusals (4xx) are not
    failures and are left to the request line.

    Args:
        error: What was raised.
        scope: The request's scope.
    """
    if isinstance(error, HTTPException) and error.status_code < 500:
        return
    logging.getLogger(f"{LOGGER_NAME}.error").error(
        "unhandled",
        extra={
            "fields": {
                "error": type(error).__name__,
                "where": _raised_at(error),
                "method": scope.get("method"),
                "path": scope.get("path_template") or "",
            }
        },
    )
