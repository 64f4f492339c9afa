"""Tables for passkeys, invites, login sessions, challenges and rate limits."""

from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.staff.tables import Staff


class WebauthnCredential(Table, tablename="webauthn_credential"):
    """A passkey. A person may have several (phone, tablet, security key)."""

    staff = ForeignKey(references=Staff, on_delete=OnDelete.cascade, index=True)
    credential_id = Varchar(length=1400, unique=True)
    public_key = Text()
    sign_count = Integer(default=0)
    transports = Varchar(length=200, default="")
    aaguid = Varchar(length=36, default="")
    backup_eligible = Boolean(default=False)
    backup_state = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)


class Invite(Table, tablename="invite"):
    """A one-time link to register a passkey. Only the token's SHA-256 is stored.

    ``staff`` is set for a re-invite (a lost passkey); otherwise the person is created from
    ``display_name`` and ``role`` when the invite is used. A revoked invite is kept (its
    link then says it was revoked), never deleted.
    """

    token_hash = Varchar(length=64, unique=True)
    staff = ForeignKey(references=Staff, null=True, default=None, on_delete=OnDelete.cascade)
    display_name = Varchar(length=100)
    role = Varchar(length=30)
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class LoginSession(Table, tablename="login_session"):
    """A server-side login session. The cookie carries a random id; only its hash is here."""

    id_hash = Varchar(length=64, unique=True)
    staff = ForeignKey(references=Staff, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()


class WebauthnChallenge(Table, tablename="webauthn_challenge"):
    """A challenge handed to a browser; consumed (deleted) by the one answer that uses it."""

    challenge = Varchar(length=120, unique=True)
    purpose = Varchar(length=20)
    invite = Integer(null=True, default=None)
    user_handle = Varchar(length=100, default="")
    expires_at = Timestamptz(index=True)


class RateLimit(Table, tablename="rate_limit"):
    """Attempts per key per window, shared by every worker through the database."""

    key = Varchar(length=120, unique=True)
    window_start = Timestamptz()
    attempts = Integer(default=0)
