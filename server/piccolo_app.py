"""The single Piccolo app: every table of every domain, and the migrations folder."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.sites.tables import Site

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

APP_CONFIG = AppConfig(
    app_name="madoguchi",
    migrations_folder_path=str(MIGRATIONS),
    table_classes=[Site],
    migration_dependencies=[],
    commands=[],
)
