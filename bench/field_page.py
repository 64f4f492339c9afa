"""Target 7, the field page in headless Chromium: bytes, offline reload, tap to counter.

A work session around the present time is planned, staffed and opened through the app's
services, and its operator gets a login session (made the way the tests make one); the
browser context carries that cookie. Per run, a fresh context (so a fresh service worker):

1. **Bytes.** The page is opened online and left until it says it is kept for offline use.
   Every same-origin GET it or its service worker made (the document, CSS, JS modules,
   vendored htmx, the worker script, the pages and files the worker keeps; the sync API's
   data calls excluded) is fetched again with ``Accept-Encoding: gzip`` and its body bytes
   counted as they come off the wire. Resources the server sends uncompressed count as sent.
2. **Offline reload.** The context goes offline and the page is reloaded ``reloads`` times
   from the service worker. Each time: milliseconds from the navigation's start to the page
   being usable (``#counters`` present and the sync loop's first status written), measured
   in the page; the load event's time is kept beside it.
3. **Tap offline.** ``taps`` clicks on a ``+`` button; each is timed in the page from the
   click event to the DOM's grand total changing (``MutationObserver``).
"""

from __future__ import annotations

import datetime as dt
import gzip
import statistics
import time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from bench import data
from bench.server import Server
from server import db
from server.auth.service import create_login_session
from server.auth.web import SESSION_COOKIE
from server.common.clock import JST
from server.sync import ops
from tests.support.field import apply, open_for
from tests.support.identities import make_staff

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 30_000
# Runs in every document before its scripts: notes when the field page became usable.
READY_WATCH = """(() => {
  const ready = () => {
    const panel = document.getElementById('sync-status');
    return Boolean(panel && panel.dataset.state && document.getElementById('counters'));
  };
  const watch = new MutationObserver(() => {
    if (ready()) { window.__fieldReady = performance.now(); watch.disconnect(); }
  });
  watch.observe(document, { subtree: true, childList: true, attributes: true });
})();"""
# Times each tap from the click (capture phase on window, before the page's own handler on
# document) to the grand total changing in the DOM.
TAP_WATCH = """() => {
  window.__taps = [];
  let clicked = null;
  window.addEventListener('click', (event) => {
    if (event.target.closest?.('#counters button.tap')) clicked = performance.now();
  }, true);
  const total = () => document.querySelector('[data-testid="grand-total"]')?.textContent;
  let last = total();
  new MutationObserver(() => {
    const now = total();
    if (clicked !== null && now !== last) {
      window.__taps.push(performance.now() - clicked);
      clicked = null;
    }
    last = now;
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""
KEPT = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
  }
  const worker = navigator.serviceWorker.controller;
  if (worker) urls.push(worker.scriptURL);
  return urls;
}"""
TIMING = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  return { ready: window.__fieldReady, load: nav.loadEventEnd, worker: nav.workerStart > 0,
           online: navigator.onLine };
}"""
STATE = """() => ({ url: location.href, state: document.getElementById('sync-status')?.dataset,
  counters: Boolean(document.getElementById('counters')), title: document.title })"""
PENDING = "async () => (await (await import('/static/js/outbox.js')).pending()).length"


async def today_session(made: data.Field) -> tuple[int, str]:
    """An open session at the office site around now; (its id, its operator's cookie)."""
    now = dt.datetime.now(JST).replace(second=0, microsecond=0)
    start = max(now - dt.timedelta(hours=1), now.replace(hour=0, minute=0))
    end = now + dt.timedelta(hours=3)
    await open_for(data.SITE, now.date(), start, end)
    applied = await apply(
        ops.WorkSessionPlan(
            payload=ops.PlanWorkSession(
                site_id=data.SITE,
                work_date=now.date(),
                planned_start=start,
                planned_end=end,
                allow_overlap=True,  # beside the session the harness planned there today
            )
        ),
        made.manager,
        "overall_manager",
        made.settings,
    )
    session = int(applied.entity_id or 0)
    in_charge, operator = await make_staff("business_manager"), await make_staff("operator")
    duties: tuple[tuple[int, Literal["in_charge", "operator"]], ...] = (
        (in_charge, "in_charge"),
        (operator, "operator"),
    )
    for staff_id, duty in duties:
        await apply(
            ops.WorkSessionAssign(
                payload=ops.AssignStaff(work_session_id=session, staff_id=staff_id, duty=duty)
            ),
            made.manager,
            "overall_manager",
            made.settings,
        )
    await apply(
        ops.WorkSessionOpen(payload=ops.OpenWorkSession(work_session_id=session, at=start)),
        operator,
        "operator",
        made.settings,
    )
    async with db.writing():
        cookie = await create_login_session(operator, made.settings.auth)
    return session, cookie


async def wire_sizes(base: str, cookie: str, urls: list[str]) -> list[dict[str, Any]]:
    """Each URL fetched with ``Accept-Encoding: gzip``: bytes on the wire and decoded."""
    sizes = []
    async with httpx.AsyncClient(
        base_url=base, cookies={SESSION_COOKIE: cookie}, headers={"accept-encoding": "gzip"}
    ) as http:
        for url in urls:
            async with http.stream("GET", url) as response:
                raw = b"".join([chunk async for chunk in response.aiter_raw()])
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}")
            encoding = response.headers.get("content-encoding", "")
            body = gzip.decompress(raw) if encoding == "gzip" else raw
            sizes.append(
                {
                    "url": url,
                    "wire_bytes": len(raw),
                    "bytes": len(body),
                    "encoding": encoding or "none",
                    "gzip6_bytes": len(gzip.compress(body, compresslevel=6, mtime=0)),
                }
            )
    return sizes


def _same_origin_path(url: str, origin: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc != origin:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def _one_run(
    browser: Any, server: Server, session: int, cookie: str, reloads: int, taps: int
) -> dict[str, dict[str, Any]]:
    context = await browser.new_context(base_url=server.base, locale="ja-JP")
    try:
        await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": server.base}])
        await context.add_init_script(READY_WATCH)
        origin = urlsplit(server.base).netloc
        requested: dict[str, str] = {}  # path → who asked (page or worker)

        def seen(request: Any) -> None:
            path = _same_origin_path(request.url, origin)
            if path and request.method == "GET":
                requested.setdefault(path, "worker" if request.service_worker else "page")

        context.on("request", seen)
        page = await context.new_page()
        problems: list[str] = []  # shown when a step times out
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        await page.goto(f"/field/sessions/{session}")
        try:
            await page.wait_for_selector(
                '[data-offline-ready="1"]', state="attached", timeout=WAIT_MS
            )
        except Exception as error:
            state = await page.evaluate(STATE)
            raise RuntimeError(f"never kept for offline use: {state}, {problems}") from error
        await page.wait_for_function(
            "() => navigator.serviceWorker.controller !== null", timeout=WAIT_MS
        )
        for url in await page.evaluate(KEPT):
            seen_path = _same_origin_path(url, origin)
            if seen_path:
                requested.setdefault(seen_path, "kept")
        paths = sorted(p for p in requested if not p.startswith("/api/"))
        resources = await wire_sizes(server.base, cookie, paths)
        for resource in resources:
            resource["asked_by"] = requested[resource["url"]]
        wire = sum(r["wire_bytes"] for r in resources)
        page_wire = sum(r["wire_bytes"] for r in resources if r["asked_by"] == "page")

        await context.set_offline(True)
        timings = []
        for _ in range(reloads):
            await page.reload(wait_until="load", timeout=WAIT_MS)
            try:
                await page.wait_for_function(
                    "() => window.__fieldReady !== undefined", timeout=WAIT_MS
                )
            except Exception as error:
                state = await page.evaluate(STATE)
                raise RuntimeError(f"offline reload never usable: {state}, {problems}") from error
            timings.append(await page.evaluate(TIMING))
        if any(t["online"] or not t["worker"] for t in timings):
            raise RuntimeError(f"reloads were not offline from the service worker: {timings}")
        ready = [float(t["ready"]) for t in timings]
        load = [float(t["load"]) for t in timings]

        await page.evaluate(TAP_WATCH)
        button = page.get_by_test_id("plus-issuance_reserved")
        for number in range(1, taps + 1):
            await button.click(timeout=WAIT_MS)
            await page.wait_for_function(f"() => window.__taps.length >= {number}", timeout=WAIT_MS)
        tap_ms = [float(t) for t in await page.evaluate("window.__taps")]
        queued = await page.evaluate(PENDING)
        if queued < taps:
            raise RuntimeError(f"{taps} offline taps left {queued} ops in the outbox")
    finally:
        await context.close()
    return {
        "field_bytes": {
            "value": wire / 1000,
            "wire_bytes": wire,
            "page_wire_bytes": page_wire,
            "gzip6_bytes": sum(r["gzip6_bytes"] for r in resources),
            "uncompressed_bytes": sum(r["bytes"] for r in resources),
            "sent_uncompressed": [r["url"] for r in resources if r["encoding"] == "none"],
            "resources": resources,
        },
        "field_reload": {
            "value": statistics.median(ready),
            "max_ms": max(ready),
            "load_event_median_ms": statistics.median(load),
            "samples": ready,
        },
        "field_tap": {
            "value": statistics.median(tap_ms),
            "max_ms": max(tap_ms),
            "samples": tap_ms,
        },
    }


async def field_page(
    server: Server, made: data.Field, *, runs: int, reloads: int, taps: int
) -> dict[str, list[dict[str, Any]]]:
    """The three field-page figures, ``runs`` times each (a fresh browser context each).

    Args:
        server: The running server.
        made: Its database (its manager plans the session).
        runs: Fresh contexts to measure in.
        reloads: Offline reloads per run (the value is their median).
        taps: Offline taps per run (the value is their median; the max is kept).

    Returns:
        Runs of ``field_bytes`` (KB), ``field_reload`` (ms) and ``field_tap`` (ms).
    """
    from playwright.async_api import async_playwright

    session, cookie = await today_session(made)
    found: dict[str, list[dict[str, Any]]] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            for _ in range(runs):
                began = time.perf_counter()
                for name, run in (
                    await _one_run(browser, server, session, cookie, reloads, taps)
                ).items():
                    run["run_seconds"] = time.perf_counter() - began
                    found.setdefault(name, []).append(run)
        finally:
            await browser.close()
    return found
