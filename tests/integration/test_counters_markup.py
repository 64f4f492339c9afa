"""The counters the server renders and those the tablet renders are the same markup.

The field page's template (templates/headcounts/_counters.html) and the service worker's
renderer (static/js/render.js, run here by Node) draw the counters from the same state: the
page's data island for the tablet, the database for the server. A tap answered offline must
look like one the server answered, so both are rendered for the same data and compared as
parsed markup (attribute order, quoting, entities and blank space aside; the tablet's
fragment alone carries ``data-local``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.settings import Settings
from tests.support.field import open_session, staffed_session
from tests.support.identities import sign_in
from tests.support.node import node

ROOT = Path(__file__).resolve().parents[2]
RENDER = ROOT / "tests" / "js" / "render_counters.mjs"
ISLAND = re.compile(r'<script type="application/json" id="field-data">(.*?)</script>', re.DOTALL)
COUNTERS = re.compile(r'<section id="counters".*?</section>', re.DOTALL)
HTMX = {"HX-Request": "true"}

Markup = list[tuple[Any, ...]]


class _Parsed(HTMLParser):
    """Tags with their attributes as a set, and the text between them with blanks folded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: Markup = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kept = []
        for name, value in attrs:
            if name == "data-local":
                continue
            if name == "hx-vals" and value is not None:
                value = json.dumps(json.loads(value), sort_keys=True)
            kept.append((name, value))
        self.items.append(("<", tag, tuple(sorted(kept))))

    def handle_endtag(self, tag: str) -> None:
        self.items.append((">", tag))

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text:
            self.items.append(("text", text))


def parsed(html: str) -> Markup:
    """``html`` as a comparable list."""
    parser = _Parsed()
    parser.feed(html)
    parser.close()
    return parser.items


def counters(html: str) -> str:
    """The counters section of a page or fragment."""
    found = COUNTERS.search(html)
    assert found, "no counters section"
    return found.group(0)


def island(html: str) -> dict[str, Any]:
    """The field page's data island."""
    found = ISLAND.search(html)
    assert found, "no field-data island"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def rendered_by_js(*cases: dict[str, Any]) -> list[str]:
    """render.js's fragments for ``{snap, error}`` cases, each at its snapshot's time."""
    given = [{"now": case["snap"]["rendered_at"], **case} for case in cases]
    result = subprocess.run(
        [node(), str(RENDER)],
        input=json.dumps(given),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    html: list[str] = json.loads(result.stdout)
    return html


async def field_page(client: httpx.AsyncClient, session: int) -> tuple[str, dict[str, Any]]:
    """The field page's counters and its island."""
    response = await client.get(f"/field/sessions/{session}")
    assert response.status_code == 200
    return counters(response.text), island(response.text)


async def tap(
    client: httpx.AsyncClient, session: int, category: str, slot: str, delta: int = 1
) -> str:
    """A tap as htmx sends it; the server's counters fragment."""
    response = await client.post(
        f"/field/sessions/{session}/count",
        data={"category": category, "delta": str(delta), "slot": slot},
        headers=HTMX,
    )
    assert response.status_code == 200, response.text
    return counters(response.text)


async def test_counters_with_taps_are_the_same(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """An open session with counts in two slots: the page's counters, the tap's fragment
    and the tablet's rendering of the page's island agree."""
    ids = await open_session(settings, site_id=1)
    await sign_in(client, ids["operator"], settings)
    session = ids["session"]
    _, data = await field_page(client, session)
    first, second = data["slots"][0], data["slots"][1]
    await tap(client, session, "issuance_reserved", first)
    await tap(client, session, "issuance_reserved", second)
    fragment = await tap(client, session, "pin_reset", second)
    server, data = await field_page(client, session)
    assert data["cells"], "the taps were not counted"
    [tablet] = rendered_by_js({"snap": data})
    assert (
        'data-testid="plus-issuance_reserved"' in server
        and 'data-testid="grand-total">3<' in server
    )
    assert parsed(tablet) == parsed(server)
    assert parsed(fragment) == parsed(server)


async def test_a_refused_tap_shows_the_same_error(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Below zero: the server's fragment with its error is the tablet's with the island's."""
    ids = await open_session(settings, site_id=1)
    await sign_in(client, ids["operator"], settings)
    session = ids["session"]
    _, data = await field_page(client, session)
    server = await tap(client, session, "issuance_reserved", data["slots"][0], delta=-1)
    _, data = await field_page(client, session)
    assert 'data-testid="count-error"' in server
    [tablet] = rendered_by_js({"snap": data, "error": data["messages"]["below_zero"]})
    assert parsed(tablet) == parsed(server)


@pytest.mark.parametrize("language", ["ja", "en"])
async def test_a_session_not_open_has_no_buttons(
    client: httpx.AsyncClient, settings: Settings, language: str
) -> None:
    """A planned session, in either language: totals only, the same on both sides."""
    ids = await staffed_session(settings, site_id=1)
    await sign_in(client, ids["operator"], settings)
    client.headers["Accept-Language"] = language
    server, data = await field_page(client, ids["session"])
    assert data["status"] == "planned" and "<button" not in server
    [tablet] = rendered_by_js({"snap": data})
    assert parsed(tablet) == parsed(server)


@pytest.mark.parametrize(
    ("language", "plus", "minus"),
    [
        ("ja", "交付（予約）：1件追加", "交付（予約）：1件減らす"),
        ("en", "Issued: booked: add one", "Issued: booked: subtract one"),
    ],
)
async def test_each_button_names_its_category(
    client: httpx.AsyncClient, settings: Settings, language: str, plus: str, minus: str
) -> None:
    """A screen reader hears which category a +1 or −1 counts, on both sides alike: the
    button's text alone is only "+1"."""
    ids = await open_session(settings, site_id=1)
    await sign_in(client, ids["operator"], settings)
    client.headers["Accept-Language"] = language
    server, data = await field_page(client, ids["session"])
    [tablet] = rendered_by_js({"snap": data})
    for html in (server, tablet):
        buttons = {
            dict(attrs).get("data-testid"): dict(attrs).get("aria-label")
            for kind, *rest in parsed(html)
            if kind == "<" and rest[0] == "button"
            for attrs in [rest[1]]
        }
        assert buttons["plus-issuance_reserved"] == plus
        assert buttons["minus-issuance_reserved"] == minus
        assert len(set(buttons.values())) == len(buttons)  # no two buttons share a name


def counter_texts(html: str, code: str) -> list[str]:
    """The texts inside one category's counter, in order."""
    items = parsed(html)
    start = next(
        i for i, item in enumerate(items) if item[0] == "<" and ("data-category", code) in item[2]
    )
    end = items.index((">", "li"), start)
    return [item[1] for item in items[start:end] if item[0] == "text"]


async def test_a_counter_shows_this_slot_and_the_session_apart(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Two taps in the current slot and one in another: the counter reads 「この時間帯 2」
    and 「合計 3」, each number under its own caption, on both sides alike."""
    ids = await open_session(settings, site_id=1)
    await sign_in(client, ids["operator"], settings)
    client.headers["Accept-Language"] = "ja"
    session = ids["session"]
    server, data = await field_page(client, session)
    plus = next(
        dict(item[2])
        for item in parsed(server)
        if item[0] == "<" and ("data-testid", "plus-pin_reset") in item[2]
    )
    now = dt.datetime.fromisoformat(json.loads(plus["hx-vals"])["slot"])
    other = next(s for s in data["slots"] if dt.datetime.fromisoformat(s) != now)
    for slot in (now.isoformat(), now.isoformat(), other):
        await tap(client, session, "pin_reset", slot)
    server, data = await field_page(client, session)
    [tablet] = rendered_by_js({"snap": data})
    for html in (server, tablet):
        assert counter_texts(html, "pin_reset")[1:5] == ["この時間帯", "2", "合計", "3"]
        assert counter_texts(html, "issuance_reserved")[1:5] == ["この時間帯", "0", "合計", "0"]
