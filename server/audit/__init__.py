"""Audit log (監査ログ): append-only, every entry hash-chained to the one before."""
