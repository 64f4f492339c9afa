"""Lists managers keep by label (headcount categories, checklist lines): a new entry's labels
are cleaned, checked and coded the same way in each, and appended after the list."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from server.common.errors import OpRejected
from server.messages import N_

MAX_LABEL = 100
LABEL_INVALID = N_("Enter a label of 1 to 100 characters.")


def new_entry(
    label_ja: str, label_en: str, labels: Sequence[str], taken: OpRejected
) -> dict[str, Any]:
    """The columns of an entry added after a list whose Japanese labels are ``labels``: a new
    code, the labels with their spaces folded (English falls back to Japanese), in use.

    Raises:
        OpRejected: The label is empty or too long (``label_invalid``), or ``taken``.
    """
    label = " ".join(label_ja.split())
    if not label or len(label) > MAX_LABEL:
        raise OpRejected("label_invalid", LABEL_INVALID, field="label_ja")
    if label in labels:
        raise taken.with_traceback(None)
    return {
        "code": f"c-{uuid.uuid4().hex[:8]}",
        "label_ja": label,
        "label_en": " ".join(label_en.split())[:MAX_LABEL] or label,
        "sort_order": 1000 + len(labels),
        "active": True,
    }
