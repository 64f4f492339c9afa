"""Japan Standard Time: the city's clock for dates, slots and what pages show."""

import datetime as dt

JST = dt.timezone(dt.timedelta(hours=9), "JST")


def utc_iso(moment: dt.datetime) -> str:
    """A moment as ISO text in UTC (``…+00:00``), as the tablet's data holds times."""
    if moment.tzinfo is not dt.UTC:  # most moments come in UTC already
        moment = moment.astimezone(dt.UTC)
    return moment.isoformat()
