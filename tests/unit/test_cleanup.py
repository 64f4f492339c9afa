"""Test cleanup keeps up with the schema: a new table needs a decision, or this fails."""

from __future__ import annotations

from server.db import app_tables
from tests.conftest import CLEANED, KEPT


def test_every_table_is_cleaned_between_tests_or_kept_on_purpose() -> None:
    """Each of the app's tables is either cleaned between tests or kept with a reason."""
    tables = {table._meta.tablename for table in app_tables()}
    assert not set(CLEANED) & set(KEPT)
    assert set(CLEANED) | set(KEPT) == tables
