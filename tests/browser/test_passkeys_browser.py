"""Passkeys end to end: Chromium's virtual authenticator against a real `madoguchi serve`.

Passkeys need the origin http://localhost:<port> (RP ID ``localhost``), so every page here
is opened at ``localhost``, not at the fixture's 127.0.0.1.

Chromium's virtual authenticator answers a *conditional* request (the sign-in page starts one
in the background for the autofill) at once, as if the person had picked the passkey. Tests
of the button therefore hold that background request's options call (:class:`SignInPage`)
and release it only after the click, which has aborted it by then.
"""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from webauthn import verify_authentication_response, verify_registration_response

from tests import dbutil
from tests.support import passkey_browser as passkeys
from tests.support.browser import open_menu

pytestmark = pytest.mark.browser

RESPONSE_ERROR = re.compile(r"^\d{3} https?://")
LOAD_FAILED = "Failed to load resource: the server responded with a status of 4"
# Reports CSP violations of every page to Python (the shared fixture only sees the last page).
CSP_REPORT = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.__reportCsp(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def b64url(data: str) -> bytes:
    """Bytes of base64url text, padded or not."""
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def watch_csp(tab: Any) -> list[str]:
    """Collect CSP violations of every page the tab opens from now on."""
    seen: list[str] = []
    tab.expose_binding("__reportCsp", lambda _source, text: seen.append(text))
    tab.add_init_script(CSP_REPORT)
    return seen


def held_credentials(cdp: Any, authenticator_id: str) -> list[dict[str, Any]]:
    """The passkeys the virtual authenticator holds."""
    found = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    result: list[dict[str, Any]] = found["credentials"]
    return result


def override(cdp: Any, authenticator_id: str, **bits: bool) -> None:
    """Make the authenticator's answers wrong in the given ways (none given: right again)."""
    cdp.send("WebAuthn.setResponseOverrideBits", {"authenticatorId": authenticator_id, **bits})


def stored_rows(database_url: str, name: str, sql: str) -> list[tuple[object, ...]]:
    """Rows of ``sql`` (selecting from ``staff s``) for the person called ``name``."""
    assert "'" not in name
    return dbutil.fetch(database_url, f"{sql} WHERE s.display_name = '{name}'")


def session_cookies(tab: Any) -> list[str]:
    """Values of the login session cookie the browser holds (none when signed out)."""
    return [
        c["value"] for c in tab.context.cookies() if c["name"] == "madoguchi_session" and c["value"]
    ]


def besides_refusals(problems: Any, refusals: list[str]) -> list[str]:
    """What went wrong, once exactly the expected ``refusals`` ("401 <url>") are set aside.

    A refused step is a 4xx answer, and Chromium logs each as a console error too.
    """
    responses = [e for e in problems.page_errors if RESPONSE_ERROR.match(e)]
    assert sorted(responses) == sorted(refusals)
    page_errors = [e for e in problems.page_errors if not RESPONSE_ERROR.match(e)]
    console = [m for m in problems.console_errors if not m.startswith(LOAD_FAILED)]
    assert len(problems.console_errors) - len(console) == len(refusals)
    return [*page_errors, *console]


class SignInPage:
    """The sign-in page with its background (conditional) request held at its options call.

    Every ``/auth/login/options`` call is held unless a click on the button is expected;
    held calls are let through after the click, so the conditional request that started
    before the click gets its options only after the click aborted it.
    """

    def __init__(self, tab: Any, origin: str) -> None:
        self.tab = tab
        self.origin = origin
        self.held: list[Any] = []
        self.passed = 0
        self.let_through = False
        tab.route(f"{origin}/auth/login/options", self._route)

    def _route(self, route: Any) -> None:
        if self.let_through:
            self.let_through = False
            self.passed += 1
            route.continue_()
        else:
            self.held.append(route)

    def wait_for_background_request(self) -> None:
        """Wait until the page's conditional request has asked for its options (held)."""
        deadline = time.monotonic() + 10
        while not self.held:
            assert time.monotonic() < deadline, "the sign-in page started no conditional request"
            self.tab.wait_for_timeout(20)

    def click_sign_in(self) -> None:
        """Click the button, then let the held background options call through."""
        self.wait_for_background_request()
        self.let_through = True
        self.tab.get_by_test_id("passkey-login").click()
        released, self.held = self.held, []
        for route in released:
            route.continue_()

    def close(self, cdp: Any, authenticator_id: str) -> None:
        """Stop holding, with the authenticator no longer answering by itself.

        The virtual authenticator answers conditional requests at once: the background
        request of the page now shown, released, would sign the browser straight back in.
        Without presence simulation it waits for a user who never comes, as a real one does.
        """
        cdp.send(
            "WebAuthn.setAutomaticPresenceSimulation",
            {"authenticatorId": authenticator_id, "enabled": False},
        )
        released, self.held = self.held, []
        for route in released:
            route.continue_()
        self.tab.unroute_all(behavior="ignoreErrors")


@pytest.fixture(autouse=True)
def fresh_signin_allowance(database_url: str) -> None:
    """Every test starts with a full sign-in allowance.

    The server counts sign-in attempts per client address, and every test here comes from
    127.0.0.1 to one shared server: without this the module would nearly use up the default
    30 attempts a window, and the next test to add a few would see 429s.
    """
    dbutil.execute(database_url, "DELETE FROM rate_limit WHERE key LIKE 'signin:%'")


def log_out(tab: Any, origin: str) -> None:
    """Sign out from the header and land on the sign-in page, signed out."""
    open_menu(tab)
    tab.get_by_test_id("logout").click()
    tab.wait_for_url(f"{origin}/login")
    expect(tab.get_by_test_id("me")).to_have_count(0)


def expect_refused(tab: Any, answer: Any, origin: str, path: str, code: str) -> None:
    """The server answered 401 ``code``; the page stays at ``path`` saying why, signed out."""
    assert answer.status == 401
    body = answer.json()
    assert body["error"] == code
    status = tab.get_by_test_id("status")
    expect(status).to_have_text(body["message"])
    expect(status).to_have_class(re.compile(r"\berror\b"))
    assert tab.url == f"{origin}{path}"
    expect(tab.get_by_test_id("me")).to_have_count(0)
    assert session_cookies(tab) == []


@dataclass
class Holder:
    """A person with a passkey on the tab's virtual authenticator, signed in after the invite."""

    tab: Any
    problems: Any
    csp: list[str]
    origin: str
    name: str
    cdp: Any
    authenticator_id: str
    verifies: list[str]


def registered(page: tuple[Any, Any], live_server: str, label: str) -> Holder:
    """Watch the tab, add the authenticator and register a passkey from a fresh invite.

    ``verifies`` collects every sign-in verify call the tab sends from before the invite on.
    """
    tab, problems = page
    csp = watch_csp(tab)
    origin = passkeys.origin_of(live_server)
    name = passkeys.unique_name(label)
    cdp, authenticator_id = passkeys.add_authenticator(tab)
    verifies: list[str] = []
    tab.on(
        "request",
        lambda r: verifies.append(r.url) if r.url.endswith("/auth/login/verify") else None,
    )
    passkeys.register(tab, passkeys.invite(name, live_server), name, origin)
    return Holder(tab, problems, csp, origin, name, cdp, authenticator_id, verifies)


def signed_out(holder: Holder) -> SignInPage:
    """Sign the holder out, with the sign-in page's background request held."""
    sign_in = SignInPage(holder.tab, holder.origin)
    log_out(holder.tab, holder.origin)
    return sign_in


def expect_only_refusal(holder: Holder, path: str) -> None:
    """No CSP violation and nothing went wrong but the one expected 401 at ``path``."""
    assert holder.csp == []
    assert besides_refusals(holder.problems, [f"401 {holder.origin}{path}"]) == []


def refused_sign_in(holder: Holder, **bits: bool) -> tuple[SignInPage, Any]:
    """Sign out, make the authenticator's answers wrong in the given ways and click to sign in.

    The server must refuse the answer (401 ``verification_failed``); returns the sign-in page
    and the verify request the click sent.
    """
    sign_in = signed_out(holder)
    override(holder.cdp, holder.authenticator_id, **bits)
    with (
        holder.tab.expect_request(f"{holder.origin}/auth/login/verify") as sent,
        holder.tab.expect_response(f"{holder.origin}/auth/login/verify") as answer,
    ):
        sign_in.click_sign_in()
    expect_refused(holder.tab, answer.value, holder.origin, "/login", "verification_failed")
    return sign_in, sent.value


def sent_credential(request: Any) -> tuple[dict[str, Any], bytes]:
    """The credential a verify request sent, and the challenge its client data signed."""
    credential: dict[str, Any] = request.post_data_json["credential"]
    challenge = json.loads(b64url(credential["response"]["clientDataJSON"]))["challenge"]
    return credential, b64url(challenge)


def login_sessions(database_url: str, name: str) -> list[tuple[object, ...]]:
    """The login sessions stored for the person called ``name``."""
    return stored_rows(
        database_url, name, "SELECT l.id FROM login_session l JOIN staff s ON s.id = l.staff"
    )


def test_invite_register_sign_out_and_sign_in_without_a_name(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """An invite makes one resident passkey; the button signs in with it, no name typed."""
    holder = registered(page, live_server, "パスキー 太郎")
    tab, origin, name = holder.tab, holder.origin, holder.name
    sign_in = signed_out(holder)
    sign_in.click_sign_in()
    tab.wait_for_url(f"{origin}/")
    expect(tab.get_by_test_id("me")).to_have_text(name)
    assert (sign_in.passed, len(holder.verifies)) == (1, 1), (
        "the aborted background request sent none"
    )
    log_out(tab, origin)
    sign_in.close(holder.cdp, holder.authenticator_id)

    held = held_credentials(holder.cdp, holder.authenticator_id)
    assert len(held) == 1
    assert held[0]["isResidentCredential"] is True
    assert held[0]["rpId"] == "localhost"
    stored = stored_rows(
        database_url,
        name,
        "SELECT c.credential_id, s.user_handle, c.sign_count FROM webauthn_credential c"
        " JOIN staff s ON s.id = c.staff",
    )
    assert len(stored) == 1
    credential_id, user_handle, sign_count = stored[0]
    assert b64url(str(credential_id)) == base64.b64decode(held[0]["credentialId"])
    assert b64url(str(user_handle)) == base64.b64decode(held[0]["userHandle"])
    assert sign_count == held[0]["signCount"]
    assert session_cookies(tab) == []
    assert holder.csp == []
    assert holder.problems.all() == []


def test_conditional_request_signs_in_once_the_passkey_is_picked(
    page: tuple[Any, Any], live_server: str
) -> None:
    """With a passkey on the device, the sign-in page's autofill request signs in by itself."""
    holder = registered(page, live_server, "オートフィル 花子")
    tab, origin = holder.tab, holder.origin
    visited: list[str] = []
    tab.on("framenavigated", lambda frame: visited.append(frame.url))

    # The virtual authenticator picks the passkey at once, as a person would in the autofill.
    with tab.expect_response(f"{origin}/auth/login/verify") as answer:
        open_menu(tab)
        tab.get_by_test_id("logout").click()
    assert answer.value.status == 200
    tab.wait_for_url(f"{origin}/")
    assert visited == [f"{origin}/login", f"{origin}/"]
    expect(tab.get_by_test_id("me")).to_have_text(holder.name)
    assert session_cookies(tab) != []
    assert holder.csp == []
    assert holder.problems.all() == []


def test_bogus_signature_is_refused(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """A sign-in answer with a wrong signature is refused: 401, a message, no session."""
    holder = registered(page, live_server, "署名 次郎")
    tab, origin = holder.tab, holder.origin
    sign_in, _ = refused_sign_in(holder, isBogusSignature=True)
    expect(tab.get_by_test_id("passkey-login")).to_be_enabled()
    sign_in.close(holder.cdp, holder.authenticator_id)
    tab.goto(f"{origin}/")
    expect(tab.get_by_test_id("me")).to_have_count(0)
    expect(tab.get_by_test_id("sign-in-link")).to_be_visible()
    assert login_sessions(database_url, holder.name) == []
    expect_only_refusal(holder, "/auth/login/verify")


def test_registration_without_user_verification_is_refused_and_keeps_the_invite(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """A new passkey without the UV flag is refused; nothing is made and the invite still works."""
    tab, problems = page
    csp = watch_csp(tab)
    origin = passkeys.origin_of(live_server)
    name = passkeys.unique_name("検証 三郎")
    url = passkeys.invite(name, live_server)
    path = urlsplit(url).path
    cdp, authenticator_id = passkeys.add_authenticator(tab)
    tab.goto(url)
    expect(tab.get_by_test_id("invite-name")).to_have_text(name)

    override(cdp, authenticator_id, isBadUV=True)
    with (
        tab.expect_request(f"{origin}/auth/register/verify") as sent,
        tab.expect_response(f"{origin}/auth/register/verify") as answer,
    ):
        tab.get_by_test_id("passkey-register").click()
    expect_refused(tab, answer.value, origin, path, "verification_failed")
    # The answer is sound but for the UV flag: only required user verification refused it.
    credential, challenge = sent_credential(sent.value)
    verified = verify_registration_response(
        credential=credential,
        expected_challenge=challenge,
        expected_rp_id="localhost",
        expected_origin=origin,
        require_user_verification=False,
    )
    assert verified.user_verified is False
    assert stored_rows(database_url, name, "SELECT s.id FROM staff s") == []

    # The refused attempt used nothing up: the same link makes the passkey once UV is back.
    override(cdp, authenticator_id)
    cdp.send("WebAuthn.clearCredentials", {"authenticatorId": authenticator_id})
    passkeys.register(tab, url, name, origin)
    assert len(held_credentials(cdp, authenticator_id)) == 1
    assert csp == []
    assert besides_refusals(problems, [f"401 {origin}/auth/register/verify"]) == []


def test_sign_in_without_user_verification_is_refused(
    page: tuple[Any, Any], live_server: str, database_url: str
) -> None:
    """A sign-in answer without the UV flag is refused although its signature is good."""
    holder = registered(page, live_server, "検証 四郎")
    sign_in, sent = refused_sign_in(holder, isBadUV=True)
    sign_in.close(holder.cdp, holder.authenticator_id)
    # The signature is good: without required UV the same answer would have passed.
    credential, challenge = sent_credential(sent)
    [(public_key, sign_count)] = stored_rows(
        database_url,
        holder.name,
        "SELECT c.public_key, c.sign_count FROM webauthn_credential c"
        " JOIN staff s ON s.id = c.staff",
    )
    verified = verify_authentication_response(
        credential=credential,
        expected_challenge=challenge,
        expected_rp_id="localhost",
        expected_origin=holder.origin,
        credential_public_key=b64url(str(public_key)),
        credential_current_sign_count=int(str(sign_count)),
        require_user_verification=False,
    )
    assert verified.user_verified is False
    assert login_sessions(database_url, holder.name) == []
    expect_only_refusal(holder, "/auth/login/verify")


def test_refused_autofill_sign_in_says_why(page: tuple[Any, Any], live_server: str) -> None:
    """A passkey picked in the autofill but refused by the server shows the server's message."""
    holder = registered(page, live_server, "自動 五郎")
    tab = holder.tab

    override(holder.cdp, holder.authenticator_id, isBogusSignature=True)
    with tab.expect_response(f"{holder.origin}/auth/login/verify") as answer:
        log_out(tab, holder.origin)
    assert answer.value.status == 401
    expect(tab.get_by_test_id("me")).to_have_count(0)
    expect_only_refusal(holder, "/auth/login/verify")
    expect(tab.get_by_test_id("status")).to_have_text(answer.value.json()["message"], timeout=3000)


def test_signing_in_returns_to_the_page_that_asked(page: tuple[Any, Any], live_server: str) -> None:
    """Signed out, トラブル・事故・苦情 asks for a sign-in; the passkey signs in and the
    browser is back on that page, not on the home page."""
    holder = registered(page, live_server, "戻り先 一郎")
    tab, origin = holder.tab, holder.origin
    tab.context.clear_cookies()
    with tab.expect_response(f"{origin}/auth/login/verify") as answer:
        tab.goto(f"{origin}/incidents")
    assert answer.value.status == 200
    tab.wait_for_url(f"{origin}/incidents")
    expect(tab.get_by_test_id("me")).to_have_text(holder.name)
    assert holder.problems.all() == []
