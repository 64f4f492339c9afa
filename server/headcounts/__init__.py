"""Headcounts (集計): append-only increments per work session, time slot and category."""
