"""Sign-in: passkeys, invites, login sessions, CSRF, rate limits and the role policy."""
