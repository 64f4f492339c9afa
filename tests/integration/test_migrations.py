"""Migrations run forwards, backwards and forwards again, leaving the same schema."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.piccolo_app import APP_CONFIG
from tests import dbutil
from tests.support.harness import run_cli


@pytest.fixture
def fresh_database(base_database_url: str, scratch_folder: Path) -> Iterator[str]:
    """An empty throwaway database on this run's engine."""
    url = dbutil.create_throwaway(base_database_url, scratch_folder, label="mig")
    yield url
    dbutil.drop_throwaway(base_database_url, url)


APP_TABLES = {table._meta.tablename for table in APP_CONFIG.table_classes}


def app_tables(snapshot: list[tuple[str, ...]]) -> set[str]:
    """Table names in a snapshot, without Piccolo's own migration table."""
    tables = {row[0] for row in snapshot} | {row[2] for row in snapshot if len(row) > 2}
    return {t for t in tables if t in APP_TABLES}


def test_forwards_backwards_forwards_same_schema(fresh_database: str) -> None:
    """Forwards, all the way back, and forwards again: same schema, fixed sites seeded once."""
    env = {"MADOGUCHI_DATABASE_URL": fresh_database}
    first = run_cli("migrate", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    after_first = dbutil.schema_snapshot(fresh_database)
    assert app_tables(after_first) == APP_TABLES
    assert dbutil.fetch(fresh_database, "SELECT count(*) FROM site WHERE fixed")[0][0] == 5

    back = run_cli("migrate-back", "all", env=env)
    assert back.returncode == 0, back.stdout + back.stderr
    assert app_tables(dbutil.schema_snapshot(fresh_database)) == set()

    again = run_cli("migrate", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert dbutil.schema_snapshot(fresh_database) == after_first
    assert dbutil.fetch(fresh_database, "SELECT count(*) FROM site")[0][0] == 5


def test_migrate_twice_is_safe(fresh_database: str) -> None:
    """Running migrate on an up-to-date database changes nothing and succeeds."""
    env = {"MADOGUCHI_DATABASE_URL": fresh_database}
    assert run_cli("migrate", env=env).returncode == 0
    before = dbutil.schema_snapshot(fresh_database)
    second = run_cli("migrate", env=env)
    assert second.returncode == 0
    assert dbutil.schema_snapshot(fresh_database) == before
    assert dbutil.fetch(fresh_database, "SELECT count(*) FROM site")[0][0] == 5


def test_sqlite_file_uses_wal(scratch_folder: Path) -> None:
    """A migrated SQLite file is in WAL mode (readers never block the writer), on any run."""
    url = dbutil.create_throwaway("sqlite:///", scratch_folder, label="wal")
    try:
        assert run_cli("migrate", env={"MADOGUCHI_DATABASE_URL": url}).returncode == 0
        assert dbutil.fetch(url, "PRAGMA journal_mode") == [("wal",)]
    finally:
        dbutil.drop_throwaway("sqlite:///", url)


def test_cells_are_filled_from_the_counts_already_stored(fresh_database: str) -> None:
    """Migration m0008 fills headcount_cell with the sums of the counts stored before it."""
    env = {"MADOGUCHI_DATABASE_URL": fresh_database}
    assert run_cli("migrate", env=env).returncode == 0
    statements = [
        "INSERT INTO work_session (site, work_date, planned_start, planned_end, status, notes, "
        "version, updated_at) VALUES (1, '2026-11-25', '2026-11-25 00:00:00+00:00', "
        "'2026-11-25 08:00:00+00:00', 'open', '', 1, '2026-11-25 00:00:00+00:00')",
    ] + [
        "INSERT INTO headcount (work_session, slot_start, category, delta, created_at) "
        f"VALUES (1, '2026-11-25 0{slot}:00:00+00:00', '{category}', {delta}, "
        "'2026-11-25 09:00:00+00:00')"
        for slot, category, delta in [
            (1, "issuance_reserved", 3),
            (1, "issuance_reserved", 2),
            (1, "pin_reset", 1),
            (2, "issuance_reserved", 4),
            (2, "issuance_reserved", -1),
        ]
    ]
    back = run_cli("migrate-back", "2026-11-25T22:56:00:000000", env=env)
    assert back.returncode == 0, back.stdout + back.stderr
    for statement in statements:
        dbutil.execute(fresh_database, statement)
    assert dbutil.fetch(fresh_database, "SELECT count(*) FROM headcount_cell")[0][0] == 0
    again = run_cli("migrate", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    cells = dbutil.fetch(
        fresh_database,
        "SELECT EXTRACT(HOUR FROM slot_start), category, n FROM headcount_cell ORDER BY 1, 2"
        if dbutil.is_postgres(fresh_database)
        else "SELECT CAST(substr(slot_start, 12, 2) AS INTEGER), category, n FROM headcount_cell "
        "ORDER BY 1, 2",
    )
    assert [(int(h), c, int(n)) for h, c, n in cells] == [
        (1, "issuance_reserved", 5),
        (1, "pin_reset", 1),
        (2, "issuance_reserved", 3),
    ]


def test_devices_registered_before_get_a_number_and_a_name(fresh_database: str) -> None:
    """Migration m0016 numbers the devices already registered, in order, and names those
    with the old script's label (or none) 「端末 N」; a name someone gave is kept."""
    env = {"MADOGUCHI_DATABASE_URL": fresh_database}
    assert run_cli("migrate", env=env).returncode == 0
    back = run_cli("migrate-back", "2026-12-06T10:00:00:000000", env=env)
    assert back.returncode == 0, back.stdout + back.stderr
    dbutil.execute(
        fresh_database,
        "INSERT INTO staff (display_name, role, user_handle, active) "
        "VALUES ('Old Manager', 'overall_manager', 'old-handle', true)",
        *(
            "INSERT INTO device (uid, label, registered_by, high_water, created_at) "
            f"VALUES ('{uid}', '{label}', 1, 0, '2026-11-30 09:00:00+00:00')"
            for uid, label in [
                ("00000000-0000-4000-8000-000000000001", "field tablet"),
                ("00000000-0000-4000-8000-000000000002", "会場タブレット"),
                ("00000000-0000-4000-8000-000000000003", ""),
            ]
        ),
    )
    again = run_cli("migrate", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert dbutil.fetch(
        fresh_database, "SELECT label, number, site, last_user FROM device ORDER BY id"
    ) == [("端末 1", 1, None, None), ("会場タブレット", 2, None, None), ("端末 3", 3, None, None)]
