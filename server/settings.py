"""One typed settings tree, read once from the environment.

Every setting is declared in ``ENV_VARS`` with its default and a one-line description;
README.md's configuration table lists the same names (a test keeps the two in step).
Nothing here runs at import time: call :func:`Settings.from_env` where the process starts
and pass the result down.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class EnvVar:
    """One environment variable Madoguchi reads.

    Attributes:
        name: The variable's name.
        default: The value used when the variable is unset or empty.
        doc: What it controls, for README's table.
    """

    name: str
    default: str
    doc: str


ENV_VARS: tuple[EnvVar, ...] = (
    EnvVar(
        "MADOGUCHI_DATABASE_URL",
        "sqlite:///var/madoguchi.db",
        "Database. `sqlite:///relative/path.db`, `sqlite:////absolute/path.db` or "
        "`postgresql://user:password@host:port/dbname`.",
    ),
    EnvVar("MADOGUCHI_HOST", "127.0.0.1", "Address `madoguchi serve` listens on."),
    EnvVar("MADOGUCHI_PORT", "8000", "Port `madoguchi serve` listens on."),
    EnvVar("MADOGUCHI_WORKERS", "1", "Server worker processes for `madoguchi serve`."),
    EnvVar("MADOGUCHI_LOG_LEVEL", "INFO", "Log level: DEBUG, INFO, WARNING or ERROR."),
    EnvVar(
        "MADOGUCHI_DEFAULT_LANGUAGE",
        "ja",
        "UI language when neither cookie nor browser says otherwise: `ja` or `en`.",
    ),
    EnvVar("MADOGUCHI_DB_POOL_MAX", "10", "PostgreSQL: largest connection pool per worker."),
    EnvVar(
        "MADOGUCHI_SQLITE_BUSY_TIMEOUT_MS",
        "5000",
        "SQLite: how long a writer waits for the lock before failing, in milliseconds.",
    ),
    EnvVar("MADOGUCHI_DEBUG", "false", "Show tracebacks in error pages. Never in production."),
    EnvVar(
        "MADOGUCHI_PUBLIC_URL",
        "",
        "The URL people open, used in invite links and as the passkey origin. Empty: "
        "`http://localhost:<MADOGUCHI_PORT>`. Must be https anywhere but localhost.",
    ),
    EnvVar(
        "MADOGUCHI_RP_ID",
        "",
        "Passkey relying-party id (a domain). Empty: the host of MADOGUCHI_PUBLIC_URL.",
    ),
    EnvVar(
        "MADOGUCHI_EXTRA_ORIGINS",
        "",
        "More origins (comma-separated) allowed for passkeys and unsafe requests.",
    ),
    EnvVar(
        "MADOGUCHI_SESSION_IDLE_MINUTES",
        "60",
        "A login session ends after this many minutes without a request.",
    ),
    EnvVar(
        "MADOGUCHI_SESSION_ABSOLUTE_HOURS",
        "12",
        "A login session ends this many hours after sign-in, however active.",
    ),
    EnvVar("MADOGUCHI_INVITE_HOURS", "24", "Default lifetime of an invite link, in hours."),
    EnvVar(
        "MADOGUCHI_SIGNIN_LIMIT",
        "30",
        "Sign-in and registration attempts allowed per client address per window.",
    ),
    EnvVar("MADOGUCHI_SLOT_MINUTES", "30", "Length of a headcount time slot, in minutes."),
    EnvVar(
        "MADOGUCHI_INCIDENT_REPORT_MINUTES",
        "60",
        "A high or critical incident not reported to the city within this many minutes of "
        "occurring is flagged overdue.",
    ),
    EnvVar(
        "MADOGUCHI_BLOCKING_FINDINGS",
        "session_open_late,sync_conflict,device_mismatch",
        "Reconciliation: the kinds of open problem (comma-separated codes) that block a "
        "day's sign-off.",
    ),
    EnvVar(
        "MADOGUCHI_VISITOR_CATEGORIES",
        "visitors",
        "Reconciliation: headcount categories (codes) that count visitors.",
    ),
    EnvVar(
        "MADOGUCHI_APPLICATION_CATEGORIES",
        "applications,applications_mail,applications_collect",
        "Reconciliation: headcount categories (codes) that count applications; more "
        "applications than visitors in a slot is flagged.",
    ),
    EnvVar(
        "MADOGUCHI_NO_COUNTS_MINUTES",
        "90",
        "Reconciliation: an open work session with no counts for this many minutes is flagged.",
    ),
    EnvVar(
        "MADOGUCHI_OUTLIER_FACTOR",
        "3",
        "Reconciliation: a device whose total at a work session is more than this many times, "
        "or less than one this-many-th of, the median of the other devices' is flagged.",
    ),
    EnvVar(
        "MADOGUCHI_OUTLIER_MIN_TOTAL",
        "20",
        "Reconciliation: devices' totals are compared only when one of the two is at least this.",
    ),
    EnvVar(
        "MADOGUCHI_DEVICE_SILENT_MINUTES",
        "60",
        "Reconciliation: a device that worked a still-open session and has not synced for this "
        "many minutes is flagged.",
    ),
    EnvVar(
        "MADOGUCHI_MIN_STAFF",
        "2",
        "Reconciliation: people a work session needs, the person in charge included.",
    ),
    EnvVar(
        "MADOGUCHI_SIGNIN_WINDOW_SECONDS",
        "300",
        "Length of the sign-in rate-limit window, in seconds.",
    ),
)

LANGUAGES = ("ja", "en")
# A code as categories and kinds of problem are named (lower case, digits, underscores).
CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")


class SettingsError(ValueError):
    """A setting has a value Madoguchi cannot use."""


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    """Where the data lives.

    Attributes:
        url: The database URL as given.
        pool_max: PostgreSQL pool size per worker.
        sqlite_busy_timeout_ms: SQLite lock wait.
    """

    url: str
    pool_max: int
    sqlite_busy_timeout_ms: int

    @property
    def engine(self) -> str:
        """``"sqlite"`` or ``"postgres"``."""
        return "sqlite" if self.url.startswith("sqlite:") else "postgres"

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file (relative paths are relative to the working directory)."""
        if self.engine != "sqlite":
            raise SettingsError("not a SQLite URL")
        return Path(self.url.removeprefix("sqlite:///"))


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """How ``madoguchi serve`` listens.

    Attributes:
        host: Bind address.
        port: Bind port.
        workers: Worker processes.
    """

    host: str
    port: int
    workers: int


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """Passkeys, login sessions, invites and sign-in rate limits.

    Attributes:
        public_url: Base URL people open (no trailing slash).
        rp_id: WebAuthn relying-party id.
        origins: Origins accepted for passkeys and unsafe requests.
        idle_minutes: Idle timeout of a login session.
        absolute_hours: Absolute timeout of a login session.
        invite_hours: Default invite lifetime.
        signin_limit: Attempts per window per client.
        signin_window_seconds: Window length.
    """

    public_url: str
    rp_id: str
    origins: tuple[str, ...]
    idle_minutes: int
    absolute_hours: int
    invite_hours: int
    signin_limit: int
    signin_window_seconds: int

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry ``Secure`` whenever the public origin is https."""
        return self.public_url.startswith("https://")


@dataclass(frozen=True, slots=True)
class FieldSettings:
    """Rules of field work.

    Attributes:
        slot_minutes: Headcount slot length.
        incident_report_minutes: Deadline to report a high or critical incident to the city.
        blocking_findings: Kinds of open problem that block a day's sign-off.
        visitor_categories: Headcount categories that count visitors.
        application_categories: Headcount categories that count applications.
        no_counts_minutes: An open session without counts this long is flagged.
        outlier_factor: How far (times or one over) a device's total may be from the others'.
        outlier_min_total: Totals below this (on both sides) are not compared.
        device_silent_minutes: A device that worked an open session and has not synced this
            long is flagged.
        min_staff: People a work session needs, the person in charge included.
    """

    slot_minutes: int
    incident_report_minutes: int
    blocking_findings: frozenset[str] = frozenset(
        {"session_open_late", "sync_conflict", "device_mismatch"}
    )
    visitor_categories: frozenset[str] = frozenset({"visitors"})
    application_categories: frozenset[str] = frozenset(
        {"applications", "applications_mail", "applications_collect"}
    )
    no_counts_minutes: int = 90
    outlier_factor: int = 3
    outlier_min_total: int = 20
    device_silent_minutes: int = 60
    min_staff: int = 2


@dataclass(frozen=True, slots=True)
class Settings:
    """The whole settings tree.

    Attributes:
        database: Database settings.
        server: Listening settings.
        log_level: Root log level.
        default_language: Fallback UI language.
        debug: Tracebacks in responses.
        auth: Sign-in settings.
        field: Field-work rules.
    """

    database: DatabaseSettings
    server: ServerSettings
    log_level: str
    default_language: str
    debug: bool
    auth: AuthSettings
    field: FieldSettings

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables.

        Args:
            environ: The mapping to read; ``os.environ`` when omitted.

        Returns:
            The settings tree.

        Raises:
            SettingsError: A value is malformed.
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str:
            spec = next((v for v in ENV_VARS if v.name == name), None)
            if spec is None:  # pragma: no cover - programming error
                raise KeyError(name)
            return env.get(name) or spec.default

        def get_codes(name: str) -> frozenset[str]:
            codes = frozenset(c.strip() for c in get(name).split(",") if c.strip())
            bad = sorted(c for c in codes if not CODE.fullmatch(c))
            if bad:
                raise SettingsError(f"{name} must be comma-separated codes, got {bad[0]!r}")
            return codes

        def get_int(name: str, low: int, high: int) -> int:
            raw = get(name)
            try:
                value = int(raw)
            except ValueError:
                raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
            if not low <= value <= high:
                raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
            return value

        url = get("MADOGUCHI_DATABASE_URL")
        if not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise SettingsError(
                "MADOGUCHI_DATABASE_URL must start with sqlite:/// or postgresql://"
            )
        language = get("MADOGUCHI_DEFAULT_LANGUAGE")
        if language not in LANGUAGES:
            raise SettingsError(f"MADOGUCHI_DEFAULT_LANGUAGE must be one of {LANGUAGES}")
        level = get("MADOGUCHI_LOG_LEVEL").upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise SettingsError("MADOGUCHI_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
        port = get_int("MADOGUCHI_PORT", 1, 65535)
        public_url = (get("MADOGUCHI_PUBLIC_URL") or f"http://localhost:{port}").rstrip("/")
        parsed = urlsplit(public_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise SettingsError("MADOGUCHI_PUBLIC_URL must be an http(s) URL")
        origin = f"{parsed.scheme}://{parsed.netloc}"
        extra = tuple(
            o.strip().rstrip("/") for o in get("MADOGUCHI_EXTRA_ORIGINS").split(",") if o.strip()
        )
        auth = AuthSettings(
            public_url=public_url,
            rp_id=get("MADOGUCHI_RP_ID") or parsed.hostname,
            origins=(origin, *extra),
            idle_minutes=get_int("MADOGUCHI_SESSION_IDLE_MINUTES", 1, 7 * 24 * 60),
            absolute_hours=get_int("MADOGUCHI_SESSION_ABSOLUTE_HOURS", 1, 24 * 31),
            invite_hours=get_int("MADOGUCHI_INVITE_HOURS", 1, 24 * 31),
            signin_limit=get_int("MADOGUCHI_SIGNIN_LIMIT", 1, 100_000),
            signin_window_seconds=get_int("MADOGUCHI_SIGNIN_WINDOW_SECONDS", 1, 86_400),
        )
        return cls(
            database=DatabaseSettings(
                url=url,
                pool_max=get_int("MADOGUCHI_DB_POOL_MAX", 1, 1000),
                sqlite_busy_timeout_ms=get_int("MADOGUCHI_SQLITE_BUSY_TIMEOUT_MS", 0, 600_000),
            ),
            server=ServerSettings(
                host=get("MADOGUCHI_HOST"),
                port=port,
                workers=get_int("MADOGUCHI_WORKERS", 1, 64),
            ),
            log_level=level,
            default_language=language,
            debug=get("MADOGUCHI_DEBUG").lower() in ("1", "true", "yes", "on"),
            auth=auth,
            field=FieldSettings(
                slot_minutes=get_int("MADOGUCHI_SLOT_MINUTES", 5, 240),
                incident_report_minutes=get_int("MADOGUCHI_INCIDENT_REPORT_MINUTES", 1, 10_080),
                blocking_findings=get_codes("MADOGUCHI_BLOCKING_FINDINGS"),
                visitor_categories=get_codes("MADOGUCHI_VISITOR_CATEGORIES"),
                application_categories=get_codes("MADOGUCHI_APPLICATION_CATEGORIES"),
                no_counts_minutes=get_int("MADOGUCHI_NO_COUNTS_MINUTES", 1, 1440),
                outlier_factor=get_int("MADOGUCHI_OUTLIER_FACTOR", 2, 1000),
                outlier_min_total=get_int("MADOGUCHI_OUTLIER_MIN_TOTAL", 1, 1_000_000),
                device_silent_minutes=get_int("MADOGUCHI_DEVICE_SILENT_MINUTES", 1, 1440),
                min_staff=get_int("MADOGUCHI_MIN_STAFF", 1, 100),
            ),
        )
