"""Seed rows inside a migration's own transaction (imported by migration modules).

Piccolo runs ``add_raw`` callables before it creates tables, so seeds hook in right after
the columns exist; a failed seed rolls the whole migration back. Keep this stable: old
migrations import it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString


class SeedingMigrationManager(MigrationManager):
    """A migration manager that also inserts seed rows after adding columns."""

    def seed(self, tablename, columns, rows):
        """Insert ``rows`` (tuples in ``columns`` order) into ``tablename`` when run forwards."""
        self.__dict__.setdefault("_seeds", []).append((tablename, tuple(columns), tuple(rows)))

    async def _run_add_columns(self, backwards=False):
        await super()._run_add_columns(backwards=backwards)
        if backwards or self.preview:
            return
        engine = engine_finder()
        for tablename, columns, rows in self.__dict__.get("_seeds", []):
            names = ", ".join(columns)
            marks = ", ".join("{}" for _ in columns)
            for row in rows:
                await engine.run_querystring(
                    QueryString(f"INSERT INTO {tablename} ({names}) VALUES ({marks})", *row)
                )
