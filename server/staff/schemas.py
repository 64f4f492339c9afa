"""Staff shapes."""

import datetime as dt

import msgspec


class StaffOut(msgspec.Struct, frozen=True, kw_only=True):
    """A person as pages show them."""

    id: int
    display_name: str
    role: str
    active: bool
    created_at: dt.datetime
    deactivated_at: dt.datetime | None = None
