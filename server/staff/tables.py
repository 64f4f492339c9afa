"""Staff table."""

from piccolo.columns import Boolean, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Staff(Table, tablename="staff"):
    """A person who signs in: contractor staff or city staff.

    ``user_handle`` is the random WebAuthn user id (base64url), never the database id, so a
    passkey reveals nothing about our rows.
    """

    display_name = Varchar(length=100)
    role = Varchar(length=30, index=True)
    active = Boolean(default=True)
    user_handle = Varchar(length=100, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    deactivated_at = Timestamptz(null=True, default=None)
