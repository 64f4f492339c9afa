"""Changes the server refuses, on the tablet: listed with the reason, never shown as applied,
and the rules the form can check stopped before anything is queued."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from server.common.clock import JST
from server.common.dates import long_moment
from server.web.i18n import load_catalogs
from tests.support import refusals, tablet
from tests.support.browser import PageProblems
from tests.support.harness import ROOT

pytestmark = pytest.mark.browser


def test_a_refused_tap_is_listed_with_its_reason(
    page: tuple[Any, PageProblems], live_server: str, database_url: str
) -> None:
    """A tap made offline on a session the office closed meanwhile: listed with the reason."""
    tab, problems, data = refusals.tap_then_session_closed(page, live_server)

    tab.context.set_offline(False)
    expect(tab.get_by_test_id("sync-error")).to_contain_text(
        "1件の記録が受け付けられませんでした。責任者が確認できます。", timeout=20000
    )
    refused = tab.get_by_test_id("refused-list")
    refused.locator("summary").click()
    item = refused.get_by_test_id("refused-op")
    expect(item).to_have_count(1)
    expect(item.get_by_test_id("refused-kind")).to_have_text("交付（予約） +1")
    expect(item).to_contain_text(f"業務 #{data['session']}")
    [op] = [op for op in tab.evaluate(refusals.ALL_OPS) if op.get("status") == "rejected"]
    made = dt.datetime.fromisoformat(op["client_time"].replace("Z", "+00:00")).astimezone(JST)
    # Written as the server's pages write a moment: 2026年12月3日(木) 14:05, Japan time.
    expect(item.get_by_test_id("refused-time")).to_have_text(long_moment(made, "ja"))
    expect(item.get_by_test_id("refused-reason")).to_have_text(
        "件数は開設中の業務でのみ記録できます。"
    )
    refusals.shots(tab, "refused-list")
    # The list stays after a reload (kept until the person drops it from the list).
    tab.reload()
    expect(tab.get_by_test_id("refused-op")).to_have_count(1)
    assert tablet.unexpected(problems) == []


def test_a_refused_tap_no_longer_counts_without_a_pull(
    page: tuple[Any, PageProblems], live_server: str
) -> None:
    """The refused tap leaves the counters at once, though no pull brings the session."""
    tab, problems, _ = refusals.tap_then_session_closed(page, live_server)
    tab.route("**/api/sync/pull*", lambda route: route.abort("internetdisconnected"))

    tab.context.set_offline(False)
    expect(tab.get_by_test_id("refused-list")).to_have_count(1, timeout=20000)
    expect(tablet.total(tab, "issuance_reserved")).to_have_text("0")
    expect(tab.get_by_test_id("grand-total")).to_have_text("0")
    assert tablet.unexpected(problems) == []


def close_incident(tab: Any) -> Any:
    """Set the incident page's status to 完了 and save; returns the edit form."""
    form = tab.get_by_test_id("edit-form")
    form.locator("select[name=status]").select_option("closed")
    tab.get_by_test_id("save-incident").click()
    return form


def test_a_refused_edit_shows_the_servers_value(
    page: tuple[Any, PageProblems], live_server: str, database_url: str
) -> None:
    """完了 set offline, refused (the office made it high meanwhile): the page shows 対応中."""
    tab, problems = page
    data, uid = refusals.incident_page(tab, live_server, "medium")
    tab.context.set_offline(True)
    tab.reload()
    form = close_incident(tab)
    tab.wait_for_url(f"**/incidents/{uid}")
    expect(tab.get_by_test_id("field-status")).to_have_text("完了")
    refusals.raise_severity(uid, data["operator"])

    tab.context.set_offline(False)
    expect(tab.get_by_test_id("field-status")).to_have_text("対応中", timeout=20000)
    expect(form.locator("select[name=status]")).to_have_value("open")
    mark = tab.get_by_test_id("refused-status")
    expect(mark).to_contain_text("受け付けられなかった変更: 完了")
    expect(mark).to_contain_text(refusals.PREVENTION_REQUIRED)
    expect(tab.get_by_test_id("local-edits")).to_be_hidden()
    # The page comes again from the server: what the office changed meanwhile shows too.
    expect(tab.get_by_test_id("field-version")).to_have_text("2")
    expect(tab.get_by_test_id("field-severity")).to_have_text("高")
    expect(tab.get_by_test_id("field-status")).to_have_text("対応中")
    expect(mark).to_contain_text("受け付けられなかった変更: 完了")
    assert refusals.incident_version(database_url, uid) == ("open", "high", 2)
    refusals.shots(tab, "refused-edit")
    assert tablet.unexpected(problems) == []


def test_the_form_refuses_closing_without_prevention(
    page: tuple[Any, PageProblems], live_server: str, database_url: str
) -> None:
    """High severity, 完了 without 再発防止策: the server's words by the field, nothing queued."""
    tab, problems = page
    _data, uid = refusals.incident_page(tab, live_server, "high")
    form = close_incident(tab)
    expect(tab.get_by_test_id("error-recurrence_prevention")).to_have_text(
        refusals.PREVENTION_REQUIRED
    )
    expect(form.locator("textarea[name=recurrence_prevention]")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert [op for op in tab.evaluate(refusals.ALL_OPS) if op["type"] == "incident.update"] == []
    expect(tab.get_by_test_id("field-status")).to_have_text("対応中")
    refusals.shots(tab, "form-rule")

    # With the prevention written, the same change is queued and applied.
    form.locator("textarea[name=recurrence_prevention]").fill("混雑時は受付を二列にする。")
    tab.get_by_test_id("save-incident").click()
    expect(tab.get_by_test_id("field-status")).to_have_text("完了")
    expect(tab.get_by_test_id("error-recurrence_prevention")).to_have_count(0)
    tablet.synced(tab)
    assert refusals.incident_version(database_url, uid) == ("closed", "high", 2)
    assert tablet.unexpected(problems) == []


def test_an_incident_of_blanks_is_refused_offline_before_queueing(
    page: tuple[Any, PageProblems], live_server: str
) -> None:
    """Offline, 内容 of spaces only: the server's 「入力してください。」 by the field, no op."""
    tab, problems, _data = tablet.field_online(page, live_server)
    tab.context.set_offline(True)
    tab.reload()
    tab.get_by_test_id("report-incident").click()
    form = tablet.fill_incident(tab, "equipment_failure", "medium", "　  ")
    expect(tab.get_by_test_id("required-error")).to_have_text("入力してください。")
    assert [op for op in tab.evaluate(refusals.ALL_OPS) if op["type"] == "incident.create"] == []

    form.locator("textarea[name=description]").fill("写真用プリンターが紙詰まり。")
    tab.get_by_test_id("file-incident").click()
    tab.wait_for_url("**/field/sessions/*")
    assert [op["type"] for op in tab.evaluate(refusals.ALL_OPS)][-1] == "incident.create"
    assert tablet.unexpected(problems) == []


def _messages(tree: ast.Module) -> dict[str, str]:
    """Names bound to ``N_("…")`` in a module, and their message ids."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
            call = node.value
            if getattr(call.func, "id", "") == "N_" and isinstance(call.args[0], ast.Constant):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        found[target.id] = str(call.args[0].value)
    return found


def refusal_codes() -> dict[str, set[str | None]]:
    """Every code the server refuses an op with, and its message ids (None: not literal)."""
    codes: dict[str, set[str | None]] = {}
    for path in sorted((ROOT / "server").rglob("*.py")):
        if path.name == "review.py":
            continue  # a supervisor's decisions on the review screen, never a synced op's
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
        names = _messages(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "OpRejected"):
                continue
            if len(node.args) < 2 or not isinstance(node.args[0], ast.Constant):
                continue
            message = node.args[1]
            text = None
            if isinstance(message, ast.Call) and isinstance(message.args[0], ast.Constant):
                text = str(message.args[0].value)
            elif isinstance(message, ast.Name):
                text = names.get(message.id)
            codes.setdefault(str(node.args[0].value), set()).add(text)
    return codes


def test_the_tablet_words_every_refusal_as_the_server_does(
    page: tuple[Any, PageProblems], live_server: str
) -> None:
    """Each refusal code has Japanese words on the tablet, the catalog's where it has one."""
    tab, problems = page
    tab.goto("/login")
    codes = refusal_codes()
    words = tab.evaluate(
        """async (codes) => {
          const { reason, REASON_CODES } = await import('/static/js/refused.js');
          const words = Object.fromEntries(codes.map((code) => [code, reason({ code })]));
          return { known: REASON_CODES, words };
        }""",
        sorted(codes),
    )
    assert sorted(set(codes) - set(words["known"])) == []
    ja = load_catalogs()["ja"]
    for code, messages in codes.items():
        translated = {ja.gettext(m) for m in messages if m is not None and ja.gettext(m) != m}
        if len(translated) != 1 or None in messages:
            continue  # several wordings, or one not translated yet: the tablet's own words
        [expected] = translated
        # A value the server fills in (a limit, a date, a name) is the tablet's own words.
        pattern = re.sub(r"%\\\(\w+\\\)s", ".+", re.escape(expected))
        assert re.fullmatch(pattern, words["words"][code]), (code, words["words"][code])
    assert problems.all() == []
