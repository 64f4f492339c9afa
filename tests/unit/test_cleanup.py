"""Test cleanup keeps up with the schema: a new table needs a decision, or this fails."""

from __future__ import annotations

from server.db import app_tables
from tests.support.cleanup import CLEANED, KEPT


def test_every_table_is_cleaned_between_tests_or_kept_on_purpose() -> None:
    """Each of the app's tables is either cleaned between tests or kept with a reason."""
    tables = {table._meta.tablename for table in app_tables()}
    assert not set(CLEANED) & set(KEPT)
    assert set(CLEANED) | set(KEPT) == tables


def test_no_kept_table_refers_to_a_cleaned_one() -> None:
    """A kept table referring to a cleaned one would lose rows to the cleanup's cascade (or
    refuse it)."""
    referring = {
        (table._meta.tablename, column._foreign_key_meta.resolved_references._meta.tablename)
        for table in app_tables()
        for column in table._meta.foreign_key_columns
    }
    assert referring, "no foreign keys found: the check would prove nothing"
    assert {(a, b) for a, b in referring if a in KEPT and b in CLEANED} == set()
