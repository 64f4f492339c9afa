"""The refusal every write rule raises, whichever domain it belongs to."""

from __future__ import annotations

from typing import Any


class OpRejected(ValueError):
    """An op broke a rule; nothing was changed.

    Attributes:
        code: Stable machine-readable reason (kept with rejected synced ops).
        field: The input field at fault, when there is one.
        message: English message id; pages translate it (``params`` fill its ``%(name)s``).
        params: Values for the message.
    """

    def __init__(self, code: str, message: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.message = message
        self.params = params

    def __str__(self) -> str:
        text = self.message % self.params if self.params else self.message
        return f"{self.field}: {text}" if self.field else text
