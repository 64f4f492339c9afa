"""Japan Standard Time: the city's clock for dates, slots and what pages show."""

import datetime as dt

JST = dt.timezone(dt.timedelta(hours=9), "JST")
