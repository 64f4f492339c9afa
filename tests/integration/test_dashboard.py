"""The managers' dashboard (本日の状況): today's figures are the sums of the stored
increments per site, and what waits for a manager is listed as an open problem."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
import uuid
from typing import Any

import httpx
import pytest

from server.common.parsing import hhmm
from server.dashboard import service
from server.settings import Settings
from server.sync import ops
from server.sync.tables import Device
from tests import dbutil
from tests.support.field import JST, apply, new_uid, open_session, staffed_session, window
from tests.support.identities import make_staff, sign_in

JA = {"accept": "text/html", "accept-language": "ja"}
FRAGMENT = {**JA, "HX-Request": "true", "HX-Target": "dashboard-figures"}


@pytest.fixture
def settings() -> Settings:
    """This run's settings with a one-minute deadline to report a serious incident, so an
    incident early today is overdue at any hour of the test run."""
    base = Settings.from_env()
    return dataclasses.replace(
        base, field=dataclasses.replace(base.field, incident_report_minutes=1)
    )


async def _venue(settings: Settings) -> int:
    """A new outreach venue: no other test's sessions are counted there."""
    manager = await make_staff("overall_manager")
    payload = ops.AddVenue(name_ja=f"会場 {uuid.uuid4().hex[:8]}", venue_kind="other")
    applied = await apply(ops.SiteAddVenue(payload=payload), manager, "overall_manager", settings)
    return int(applied.entity_id or 0)


async def _tap(
    settings: Settings, ids: dict[str, int], hour: int, category: str, delta: int
) -> None:
    """A count by the session's operator in today's slot starting at ``hour``:00 JST."""
    _, start, _ = window(None, hour, 1)
    payload = ops.AddHeadcount(
        work_session_id=ids["session"], slot_start=start, category=category, delta=delta
    )
    await apply(ops.HeadcountAdd(payload=payload), ids["operator"], "operator", settings)


def _card(page: str, site_id: int) -> str:
    found = re.search(
        rf'<li class="card dash-site"[^>]*data-site-id="{site_id}".*?</li>\s*</ul>'
        r".*?</li>",
        page,
        re.S,
    )
    assert found, f"no card for site {site_id}"
    return found.group(0)


def _shown(card: str) -> dict[str, int]:
    """The per-category figures of a site's card."""
    pairs = re.findall(r'data-category="([^"]+)"><dt>[^<]*</dt><dd>(\d+)</dd>', card)
    return {code: int(n) for code, n in pairs}


def _site_total(card: str) -> int:
    found = re.search(r'data-testid="site-total">(\d+)<', card)
    assert found
    return int(found.group(1))


def _stored(database_url: str, site_id: int) -> dict[str, int]:
    """Today's sums per category at a site, straight from the stored increments."""
    rows = dbutil.fetch(
        database_url,
        "SELECT h.category, SUM(h.delta) FROM headcount h "
        "JOIN work_session w ON w.id = h.work_session "
        f"WHERE w.site = {site_id} AND w.work_date = '{dt.datetime.now(JST).date()}' "
        "GROUP BY h.category",
    )
    return {str(code): int(str(n)) for code, n in rows if int(str(n))}


async def test_the_figures_are_the_sums_of_todays_counts_per_site(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    """Two venues, one with two sessions, counts with a correction: each card's figures and
    total equal the stored sums, and the page's total is theirs and the other sites'."""
    first, second = await _venue(settings), await _venue(settings)
    a = await open_session(settings, site_id=first, start_hour=9)
    b_morning = await open_session(settings, site_id=second, start_hour=9)
    b_afternoon = await open_session(settings, site_id=second, start_hour=13)
    for ids, hour, category, delta in [
        (a, 9, "visitors", 1),
        (a, 9, "visitors", 1),
        (a, 10, "visitors", 1),
        (a, 10, "visitors", -1),
        (a, 11, "photo", 1),
        (b_morning, 9, "visitors", 1),
        (b_afternoon, 13, "visitors", 1),
        (b_afternoon, 14, "consultation", 1),
    ]:
        await _tap(settings, ids, hour, category, delta)

    await sign_in(client, await make_staff("business_manager"), settings)
    response = await client.get("/dashboard", headers=JA)
    assert response.status_code == 200
    page = response.text
    assert "本日の状況" in page and 'data-testid="nav-dashboard"' in page
    expected = {
        first: {"visitors": 2, "photo": 1},
        second: {"visitors": 2, "consultation": 1},
    }
    for site_id, figures in expected.items():
        assert _stored(database_url, site_id) == figures
        card = _card(page, site_id)
        assert _shown(card) == figures
        assert _site_total(card) == sum(figures.values())
    assert len(re.findall(r'data-session-id="\d+"', _card(page, second))) == 2
    totals = [int(n) for n in re.findall(r'data-testid="site-total">(\d+)<', page)]
    total = re.search(r'data-testid="dashboard-total">(\d+)<', page)
    assert total and int(total.group(1)) == sum(totals)


async def _refused_push(client: httpx.AsyncClient, ids: dict[str, int]) -> str:
    """The operator's tablet sends a count to the planned (not open) session: refused and
    kept for review. Returns the op's id."""
    response = await client.post("/api/devices", json={"label": "会場タブレット1"})
    assert response.status_code == 200, response.text
    device = str(response.json()["device_id"])
    _, start, _ = window(None, 0, 1)
    op_id = str(uuid.uuid4())
    tap = {
        "op_id": op_id,
        "seq": 1,
        "type": "headcount.add",
        "actor_id": ids["operator"],
        "client_time": dt.datetime.now(dt.UTC).isoformat(),
        "payload": {
            "work_session_id": ids["session"],
            "slot_start": start.isoformat(),
            "category": "visitors",
            "delta": 1,
        },
    }
    body = {"device_id": device, "schema_version": 1, "ops": [tap]}
    answer = await client.post("/api/sync/push", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["status"] == "rejected"
    return op_id


async def test_open_problems_are_listed(client: httpx.AsyncClient, settings: Settings) -> None:
    """A refused synced count waits for review, a serious incident unreported past its
    deadline is overdue (resolved or not), and the session planned from 0:00 has not
    started: all three are open problems; a low-severity incident already reported is not."""
    venue = await _venue(settings)
    ids = await staffed_session(settings, site_id=venue, start_hour=0)
    await sign_in(client, ids["operator"], settings)
    op_id = await _refused_push(client, ids)
    today = dt.datetime.now(JST).replace(hour=0, minute=0, second=0, microsecond=0)
    serious, minor = new_uid(), new_uid()
    for uid, severity in ((serious, "high"), (minor, "low")):
        payload = ops.CreateIncident(
            uid=uid,
            site_id=venue,
            category="accident_injury",
            severity=severity,  # type: ignore[arg-type]
            occurred_at=today,
            description="来庁者が段差で転倒した。",
        )
        await apply(ops.IncidentCreate(payload=payload), ids["operator"], "operator", settings)
    # The fall is resolved but was never reported: still overdue. The minor one is reported.
    for change in (
        ops.UpdateIncident(uid=serious, status="resolved", recurrence_prevention="段差に標示"),
        ops.UpdateIncident(uid=minor, status="reported", reported_to_city_at=today),
    ):
        await apply(
            ops.IncidentUpdate(payload=change, base_version=1),
            ids["operator"],
            "operator",
            settings,
        )

    await sign_in(client, await make_staff("deputy_manager"), settings)
    page = (await client.get("/dashboard", headers=JA)).text
    problems = re.search(r'data-testid="dashboard-problems">(.*?)</section>', page, re.S)
    assert problems
    found = problems.group(1)
    review = re.search(r'data-testid="problem-review">(.*?)</div>', found, re.S)
    assert review and f'data-op-id="{op_id}"' in review.group(1)
    assert "件数は開設中の業務でのみ記録できます。" in html.unescape(review.group(1))
    incidents = re.search(r'data-testid="problem-incidents">(.*?)</div>', found, re.S)
    assert incidents and f'data-incident-uid="{serious}"' in incidents.group(1)
    assert "報告期限超過" in incidents.group(1)
    assert minor not in found
    late = re.search(r'data-testid="problem-late">(.*?)</div>', found, re.S)
    assert late and f'data-session-id="{ids["session"]}"' in late.group(1)
    count = re.search(r'data-testid="dashboard-problem-count">(\d+)<', page)
    assert count and int(count.group(1)) >= 3


async def test_htmx_gets_the_figures_alone(client: httpx.AsyncClient, settings: Settings) -> None:
    """The poll's request gets the figures without the page around them; both vary on
    HX-Request, so no cache hands one for the other."""
    await sign_in(client, await make_staff("overall_manager"), settings)
    whole = await client.get("/dashboard", headers=JA)
    before = dt.datetime.now(dt.UTC)
    part = await client.get("/dashboard", headers=FRAGMENT)
    for response in (whole, part):
        assert response.status_code == 200
        assert "HX-Request" in response.headers["vary"]
    assert "<html" in whole.text and 'id="dashboard-figures"' in whole.text
    assert "<html" not in part.text and "topbar" not in part.text
    assert part.text.lstrip().startswith('<div id="dashboard-figures"')
    assert 'hx-trigger="every 30s"' in part.text and 'hx-swap="outerHTML"' in part.text
    stamp = re.search(r'data-testid="dashboard-updated">(\d\d:\d\d) 更新', part.text)
    assert stamp and stamp.group(1) in {hhmm(before), hhmm(dt.datetime.now(dt.UTC))}


async def test_only_managers_open_the_dashboard(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Operators and city staff are refused the page and see no menu link to it."""
    for role in ("operator", "city_staff"):
        await sign_in(client, await make_staff(role), settings)
        assert (await client.get("/dashboard", headers=JA)).status_code == 403
        assert 'data-testid="nav-dashboard"' not in (await client.get("/", headers=JA)).text


async def test_a_tablet_quiet_for_an_hour_at_an_open_site_is_a_problem(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """At 15:00 JST a tablet of a site open now that last sent at 13:30 is listed; one that
    sent at 14:30, one revoked and one of a site with no open session are not."""
    venue, closed_venue = await _venue(settings), await _venue(settings)
    await open_session(settings, site_id=venue, start_hour=9)
    await staffed_session(settings, site_id=closed_venue, start_hour=9)
    await sign_in(client, await make_staff("business_manager"), settings)
    day = dt.datetime.now(JST).date()
    labels: dict[str, Any] = {}
    for name, site, seen, revoked in (
        ("quiet", venue, dt.time(13, 30), False),
        ("busy", venue, dt.time(14, 30), False),
        ("revoked", venue, dt.time(13, 0), True),
        ("elsewhere", closed_venue, dt.time(13, 0), False),
    ):
        label = f"{name}-{uuid.uuid4().hex[:6]}"
        response = await client.post("/api/devices", json={"label": label})
        device = response.json()["device_id"]
        at = dt.datetime.combine(day, seen, JST)
        # What a push from the site at that time would have left (and a revocation).
        await Device.update(
            {Device.site: site, Device.last_seen_at: at, Device.revoked_at: at if revoked else None}
        ).where(Device.uid == device)
        labels[name] = label
    board = await service.today(
        now=dt.datetime.combine(day, dt.time(15), JST), field=settings.field
    )
    quiet = [d.label for d in board.problems.quiet]
    assert labels["quiet"] in quiet
    assert not {labels["busy"], labels["revoked"], labels["elsewhere"]} & set(quiet)
