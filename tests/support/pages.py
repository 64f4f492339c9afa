"""Reading what the app's HTML pages say, for the integration tests that post forms."""

from __future__ import annotations

import re


def field_error(html: str, name: str) -> str:
    """Text of the error span next to form field ``name``."""
    found = re.search(rf'data-testid="error-{name}">([^<]*)</span>', html)
    assert found, html[-3000:]
    return found.group(1)
