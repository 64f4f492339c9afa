"""How a database error is taken: a value refused, a clash to retry, or the database
itself failing (then the request fails and is sent again)."""

from __future__ import annotations

import sqlite3

import asyncpg

INTEGRITY_ERRORS = (sqlite3.IntegrityError, asyncpg.exceptions.IntegrityConstraintViolationError)
RETRYABLE = (asyncpg.exceptions.DeadlockDetectedError, asyncpg.exceptions.SerializationError)
INFRASTRUCTURE = (
    *RETRYABLE,
    sqlite3.OperationalError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InsufficientResourcesError,
    OSError,
)
