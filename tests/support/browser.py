"""Browser pages for tests: a fresh context per tablet, watching for errors and CSP violations."""

from __future__ import annotations

from typing import Any

# Runs before any page script; CSP does not apply to it. Collects CSP violations.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


class PageProblems:
    """Console errors, page errors and CSP violations seen by a page."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        page.on(
            "console",
            lambda m: self.console_errors.append(m.text) if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on(
            "response",
            lambda r: self.page_errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )

    def all(self) -> list[str]:
        """Everything that went wrong so far."""
        violations = self.page.evaluate("window.__cspViolations || []")
        return [*self.console_errors, *self.page_errors, *violations]


def new_tab(browser: Any, live_server: str) -> tuple[Any, Any, PageProblems]:
    """A fresh context (its own storage: one tablet) and page; returns both and its problems."""
    context = browser.new_context(base_url=live_server, locale="ja-JP")
    context.add_init_script(CSP_WATCH)
    tab = context.new_page()
    return context, tab, PageProblems(tab)


def wait_until(tab: Any, check: str, *, timeout: float = 20000, polling: float = 100) -> None:
    """Wait until the page function ``check`` (which may be async) gives a truthy value.

    Playwright's ``wait_for_function`` takes a returned promise as truthy at once, so the
    check runs inside a small synchronous predicate that remembers its last answer.
    """
    predicate = f"""(() => {{
  const check = {check};
  let done = false;
  let running = false;
  return () => {{
    if (!running && !done) {{
      running = true;
      Promise.resolve(check())
        .then((value) => {{ done = Boolean(value); }}, () => {{}})
        .finally(() => {{ running = false; }});
    }}
    return done;
  }};
}})()"""
    tab.wait_for_function(predicate, timeout=timeout, polling=polling)


def open_menu(tab: Any) -> None:
    """Open the header's menu, where the pages, the language and signing out are."""
    if tab.get_by_test_id("menu").get_attribute("open") is None:
        tab.get_by_test_id("menu-button").click()


SERIOUS = ("serious", "critical")


def axe_violations(tab: Any, impacts: tuple[str, ...] | None = None) -> list[str]:
    """axe-core's violations on the page (of these impacts, or all), as ``rule: nodes``."""
    from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

    results = Axe().run(tab)
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if impacts is None or v.get("impact") in impacts
    ]
