"""The world the leak test sends requests into, and a request each route accepts as it is.

``tests/reliability/test_no_my_number_stored.py`` puts a My Number into one field of such a
request at a time; a plain request must be accepted, or the refusals prove nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import msgspec

from server.auth import service as auth_service
from server.auth.web import SESSION_COOKIE
from server.common.clock import JST
from server.incidents import service as incidents
from server.settings import Settings
from server.sync import ops
from tests import dbutil
from tests.support.field import apply, open_session, staffed_session
from tests.support.identities import make_staff, sign_in
from tests.support.soft_authenticator import SoftAuthenticator

Body = dict[str, Any]
Factory = Callable[[], Awaitable[tuple[str, str, Body]]]  # (kind, url, body)


def put(body: Any, path: str, value: str) -> None:
    """Set ``path`` (``a.b``, ``a[].b``, ``a.b[]``) in ``body`` to ``value``."""
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        name = head[:-2]
        if not rest:
            body[name] = [value]
            return
        for item in body[name]:
            put(item, rest, value)
        return
    if not rest:
        assert head in body or isinstance(body, dict), path
        body[head] = value
        return
    put(body[head], rest, value)


class World:
    """What the requests refer to: people, a venue, an open session, an incident, devices."""

    async def build(self, http: httpx.AsyncClient, settings: Settings, url: str) -> None:
        """Make it through the app's services, and sign ``http`` in as an overall manager."""
        self.settings, self.url = settings, url
        self.boss = await make_staff("overall_manager")
        venue = await apply(
            ops.SiteAddVenue(payload=ops.AddVenue(name_ja="検査会場", venue_kind="other")),
            self.boss,
            "overall_manager",
            settings,
        )
        assert isinstance(venue.entity_id, int)
        self.site = venue.entity_id
        # Yesterday: every time of it has passed, whenever the test runs.
        self.day = dt.datetime.now(JST).date() - dt.timedelta(days=1)
        ids = await open_session(settings, site_id=self.site, day=self.day)
        self.session, self.operator = ids["session"], ids["operator"]
        # Planned and staffed, not started: a manager starts it on another day, saying why.
        later = await staffed_session(settings, site_id=self.site, day=self.day, start_hour=14)
        self.planned = later["session"]
        # Finished: a manager reopens it, saying why.
        done = await open_session(settings, site_id=self.site, day=self.day, start_hour=6)
        self.finished = done["session"]
        end = dt.datetime.combine(self.day, dt.time(9), JST)
        close = ops.CloseWorkSession(work_session_id=self.finished, at=end)
        await apply(ops.WorkSessionClose(payload=close), done["operator"], "operator", settings)
        self.spare = await make_staff("operator")  # not in the session yet: can be assigned
        self.slot = dt.datetime.combine(self.day, dt.time(10), JST)
        # Plans go on a day to come, at times of their own: the past and overlaps are refused.
        self.ahead = self.day + dt.timedelta(days=2)
        self.incident = str(uuid.uuid4())
        await apply(
            ops.IncidentCreate(payload=self.create_incident(self.incident)),
            self.boss,
            "overall_manager",
            settings,
        )
        # The journal's roles: the deputy submits it, city staff return or acknowledge it.
        self.deputy = await make_staff("deputy_manager")
        self.city = await make_staff("city_staff")
        self.deputy_cookie = await sign_in(http, self.deputy, settings)
        self.city_cookie = await sign_in(http, self.city, settings)
        self.authenticator = SoftAuthenticator()
        _, _, first = await self.factories(http)["POST /auth/register/verify"]()
        assert (await send(http, "json", "/auth/register/verify", first)).status_code == 200
        self.cookie = await sign_in(http, self.boss, settings)
        self.devices = []
        for label in ("push tablet", "upload tablet"):
            answer = await http.post("/api/devices", json={"label": label})
            assert answer.status_code == 200, answer.text
            self.devices.append(answer.json()["device_id"])
        self.seq = {device: 0 for device in self.devices}

    def create_incident(self, uid: str) -> ops.CreateIncident:
        """A complete incident filing."""
        return ops.CreateIncident(
            uid=uid,
            site_id=self.site,
            category="complaint",
            severity="low",
            occurred_at=self.slot,
            description="窓口で苦情",
        )

    def payloads(self) -> dict[str, Body]:
        """A payload each op type accepts as it is."""
        at = self.slot.isoformat()
        return {
            "site.add_venue": {"name_ja": "会場", "venue_kind": "other"},
            "site.retire": {"site_id": self.site},
            "work_session.plan": {
                "site_id": self.site,
                "work_date": self.ahead.isoformat(),
                "planned_start": dt.datetime.combine(self.ahead, dt.time(10), JST).isoformat(),
                "planned_end": dt.datetime.combine(self.ahead, dt.time(11), JST).isoformat(),
            },
            "work_session.assign": {
                "work_session_id": self.session,
                "staff_id": self.boss,
                "duty": "operator",
            },
            "work_session.unassign": {"work_session_id": self.session, "staff_id": self.boss},
            "work_session.open": {"work_session_id": self.session, "at": at},
            "work_session.close": {"work_session_id": self.session, "at": at},
            "work_session.update": {"work_session_id": self.session, "notes": "備考"},
            "work_session.reopen": {"work_session_id": self.session, "reason": "再開の理由"},
            "headcount.add": {
                "work_session_id": self.session,
                "slot_start": at,
                "category": "visitors",
                "delta": 1,
            },
            "headcount.category_add": {"site_group": "outreach", "label_ja": "区分"},
            "headcount.category_set_active": {
                "site_group": "outreach",
                "code": "photo",
                "active": True,
            },
            "incident.create": msgspec.to_builtins(self.create_incident(str(uuid.uuid4()))),
            "incident.update": {"uid": self.incident, "description": "更新"},
        }

    def op(self, device: str, op_type: str, payload: Body) -> Body:
        """An envelope around ``payload`` with ``device``'s next seq."""
        self.seq[device] = self.seq.get(device, 0) + 1
        return {
            "op_id": str(uuid.uuid4()),
            "device_id": device,
            "seq": self.seq[device],
            "type": op_type,
            "actor_id": self.boss,
            "client_time": dt.datetime.now(dt.UTC).isoformat(),
            "payload": payload,
        }

    async def invite_token(self) -> str:
        """A fresh invite link's token."""
        created = await auth_service.create_invite(
            auth=self.settings.auth, role="operator", display_name="招待"
        )
        return created.token

    def factories(self, http: httpx.AsyncClient) -> dict[str, Factory]:
        """Per route: a request it accepts as it is (made afresh for each send)."""
        origin = self.settings.auth.origins[0]

        async def registration() -> tuple[str, str, Body]:
            token = await self.invite_token()
            options = await http.post("/auth/register/options", json={"token": token})
            credential = self.authenticator.create(options.json(), origin=origin)
            return "json", "/auth/register/verify", {"token": token, "credential": credential}

        async def login() -> tuple[str, str, Body]:
            options = await http.post("/auth/login/options", json={})
            credential = self.authenticator.get(options.json(), origin=origin)
            return "json", "/auth/login/verify", {"credential": credential}

        async def edit() -> tuple[str, str, Body]:
            now = await incidents.get(self.incident, now=dt.datetime.now(dt.UTC), report_minutes=60)
            assert now is not None
            return (
                "form",
                f"/incidents/{self.incident}",
                {"base_version": str(now.version), "description": "編集"},
            )

        async def dismiss() -> tuple[str, str, Body]:
            rows = dbutil.fetch(
                self.url, "SELECT id FROM sync_issue WHERE resolution = '' ORDER BY id DESC LIMIT 1"
            )
            assert rows, "no open review item to dismiss"
            return "form", f"/review/{rows[0][0]}/dismiss", {"reason": "対応不要"}

        def journal_version() -> tuple[int, str]:
            rows = dbutil.fetch(
                self.url,
                "SELECT version, status FROM journal "
                f"WHERE site = {self.site} AND day = '{self.day.isoformat()}'",
            )
            return (int(str(rows[0][0])), str(rows[0][1])) if rows else (0, "")

        def journal_key() -> dict[str, str]:
            return {"site_id": str(self.site), "day": self.day.isoformat()}

        async def submit_journal() -> tuple[str, str, Body]:
            version, _ = journal_version()
            http.cookies.set(SESSION_COOKIE, self.deputy_cookie)
            body = {**journal_key(), "base_version": str(version), "notes": "特記事項"}
            body |= {"handover": "引継ぎ", "reason": "訂正のため" if version else ""}
            return "form", "/journal/submit", body

        def review_journal(path: str) -> Factory:
            async def make() -> tuple[str, str, Body]:
                version, status = journal_version()
                if status != "submitted":  # a journal to return or acknowledge: submit one
                    kind, url, body = await submit_journal()
                    assert (await send(http, kind, url, body)).status_code == 303
                    version, _ = journal_version()
                http.cookies.set(SESSION_COOKIE, self.city_cookie)
                return "form", path, {**journal_key(), "version": str(version), "comment": "確認"}

            return make

        def report_version() -> tuple[int, str]:
            rows = dbutil.fetch(
                self.url,
                "SELECT r.version, r.status FROM incident_report r "
                f"JOIN incident i ON i.id = r.incident WHERE i.uid = '{self.incident}'",
            )
            return (int(str(rows[0][0])), str(rows[0][1])) if rows else (0, "")

        async def submit_report() -> tuple[str, str, Body]:
            version, _ = report_version()
            http.cookies.set(SESSION_COOKIE, self.deputy_cookie)
            body = {"base_version": str(version), "summary": "概要", "timeline": "10:00 受付"}
            body |= {"response": "謝罪", "cause": "原因", "prevention": "対策"}
            body |= {"follow_up": "周知", "reason": "訂正のため" if version else ""}
            return "form", f"/incidents/{self.incident}/report/submit", body

        def review_report(action: str) -> Factory:
            async def make() -> tuple[str, str, Body]:
                version, status = report_version()
                if status != "submitted":  # a report to return or acknowledge: submit one
                    kind, url, body = await submit_report()
                    assert (await send(http, kind, url, body)).status_code == 303
                    version, _ = report_version()
                http.cookies.set(SESSION_COOKIE, self.city_cookie)
                path = f"/incidents/{self.incident}/report/{action}"
                return "form", path, {"version": str(version), "comment": "確認"}

            return make

        async def rename_device() -> tuple[str, str, Body]:
            return "form", f"/devices/{self.devices[0]}/rename", {"label": "本庁舎 3号機"}

        async def register_options() -> tuple[str, str, Body]:
            return "json", "/auth/register/options", {"token": await self.invite_token()}

        def fixed(kind: str, url: str, body: Callable[[], Body]) -> Factory:
            async def make() -> tuple[str, str, Body]:
                return kind, url, body()

            return make

        hhmm = self.slot.strftime("%H:%M")
        return {
            "POST /api/devices": fixed("json", "/api/devices", lambda: {"label": "端末"}),
            "POST /devices/{device_id:str}/rename": rename_device,
            "POST /journal/submit": submit_journal,
            "POST /journal/acknowledge": review_journal("/journal/acknowledge"),
            "POST /journal/return": review_journal("/journal/return"),
            "POST /incidents/{uid:str}/report/submit": submit_report,
            "POST /incidents/{uid:str}/report/acknowledge": review_report("acknowledge"),
            "POST /incidents/{uid:str}/report/return": review_report("return"),
            "POST /api/sync/report": fixed(
                "json",
                "/api/sync/report",
                lambda: {
                    "device_id": self.devices[0],
                    "reports": [{"day": self.day.isoformat(), "op_count": 1, "digest": "ab" * 32}],
                },
            ),
            "POST /auth/register/options": register_options,
            "POST /auth/register/verify": registration,
            "POST /auth/login/verify": login,
            "POST /field/sessions/{work_session_id:int}/count": fixed(
                "form",
                f"/field/sessions/{self.session}/count",
                lambda: {"category": "visitors", "delta": "1", "slot": self.slot.isoformat()},
            ),
            "POST /incidents": fixed(
                "form",
                "/incidents",
                lambda: {
                    "uid": str(uuid.uuid4()),
                    "site_id": str(self.site),
                    "work_session_id": "",
                    "category": "complaint",
                    "severity": "low",
                    "occurred_date": self.day.isoformat(),
                    "occurred_time": hhmm,
                    "description": "説明",
                    "immediate_action": "",
                },
            ),
            "POST /incidents/{uid:str}": edit,
            "POST /lang": fixed("form", "/lang", lambda: {"lang": "ja", "next": "/"}),
            "POST /review/{issue_id:int}/dismiss": dismiss,
            "POST /sites/checks": fixed(
                "form",
                "/sites/checks",
                lambda: {
                    "site_group": "office",
                    "phase": "close",
                    "label_ja": "施錠",
                    "label_en": "",
                },
            ),
            "POST /sites/categories": fixed(
                "form",
                "/sites/categories",
                lambda: {"site_group": "outreach", "label_ja": "新区分", "label_en": ""},
            ),
            "POST /sites/venues": fixed(
                "form",
                "/sites/venues",
                lambda: {
                    "name_ja": "新会場",
                    "name_en": "",
                    "address": "",
                    "venue_kind": "other",
                    "notes": "",
                },
            ),
            "POST /sites/{site_id:int}/calendar/days": fixed(
                "form",
                "/sites/1/calendar/days",
                lambda: {"day": self.ahead.isoformat(), "status": "closed", "note": "点検"},
            ),
            "POST /sites/{site_id:int}/calendar/hours": fixed(
                "form",
                "/sites/1/calendar/hours",
                lambda: {
                    f"{edge}_{key}": time if key < 5 else ""
                    for key in range(8)
                    for edge, time in (("opens", "09:00"), ("closes", "17:30"))
                },
            ),
            "POST /staff/invites": fixed(
                "form", "/staff/invites", lambda: {"display_name": "新人", "role": "operator"}
            ),
            "POST /work-sessions": fixed(
                "form",
                "/work-sessions",
                lambda: {
                    "site_id": str(self.site),
                    "work_date": self.ahead.isoformat(),
                    "planned_start": "12:00",
                    "planned_end": "13:00",
                    "notes": "",
                },
            ),
            "POST /work-sessions/{work_session_id:int}/staff": fixed(
                "form",
                f"/work-sessions/{self.session}/staff",
                lambda: {"staff_id": str(self.spare), "duty": "operator"},
            ),
            "POST /work-sessions/{work_session_id:int}/reopen": fixed(
                "form", f"/work-sessions/{self.finished}/reopen", lambda: {"reason": "再開の理由"}
            ),
            "POST /field/sessions/{work_session_id:int}/open": fixed(
                "form",
                f"/field/sessions/{self.planned}/open",
                lambda: {"override_reason": "別の日に開始する理由"},
            ),
            # Not confirmed: the page with the totals, the session still open for the counts.
            "POST /field/sessions/{work_session_id:int}/close": fixed(
                "form", f"/field/sessions/{self.session}/close", lambda: {"confirmed": ""}
            ),
        }


async def send(http: httpx.AsyncClient, kind: str, url: str, body: Body) -> httpx.Response:
    """POST ``body`` as JSON or as a form; a body never answers 5xx."""
    if kind == "json":
        response = await http.post(
            url, content=msgspec.json.encode(body), headers={"content-type": "application/json"}
        )
    else:
        response = await http.post(url, data=body, follow_redirects=False)
    assert response.status_code < 500, f"{url}: {response.status_code} {response.text[:300]}"
    return response
