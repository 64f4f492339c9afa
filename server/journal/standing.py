"""Where each site's journal of one day stands, for every site at once: its status and the
figures its latest submission froze. Reconciliation reads it to flag a journal not
submitted or changed since (:mod:`server.reconciliation.findings`) in two queries."""

from __future__ import annotations

import datetime as dt

import msgspec

from server.journal.schemas import Frozen
from server.journal.tables import Journal, JournalEvent


class Standing(msgspec.Struct, frozen=True, kw_only=True):
    """A site's journal of the day: its status and what its latest submission froze."""

    site_id: int
    status: str
    frozen: Frozen | None


async def of_day(day: dt.date, site_id: int | None = None) -> dict[int, Standing]:
    """The journals of ``day`` (of one site, or all), by site."""
    query = Journal.select(Journal._meta.primary_key, Journal.site, Journal.status).where(
        Journal.day == day
    )
    if site_id is not None:
        query = query.where(Journal.site == site_id)
    journals = await query
    if not journals:
        return {}
    events = await JournalEvent.select(
        JournalEvent.journal, JournalEvent.version, JournalEvent.figures
    ).where(
        JournalEvent.journal.is_in([j["id"] for j in journals])
        & (JournalEvent.action == "submitted")
    )
    latest: dict[int, tuple[int, str]] = {}
    for event in events:
        journal = int(event["journal"])
        if journal not in latest or event["version"] > latest[journal][0]:
            latest[journal] = (int(event["version"]), str(event["figures"]))
    found = {}
    for row in journals:
        figures = latest.get(int(row["id"]), (0, ""))[1]
        found[int(row["site"])] = Standing(
            site_id=int(row["site"]),
            status=str(row["status"]),
            frozen=msgspec.json.decode(figures, type=Frozen) if figures else None,
        )
    return found
