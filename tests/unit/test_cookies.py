"""Login session and CSRF cookie attributes follow the public origin."""

from server.auth.web import session_cookie
from server.settings import Settings


def test_session_cookie_is_secure_on_https() -> None:
    """Behind https the session cookie is Secure, HttpOnly and SameSite=Lax."""
    settings = Settings.from_env({"MADOGUCHI_PUBLIC_URL": "https://madoguchi.example.jp"})
    header = session_cookie("abc", settings).to_header()
    assert "Secure" in header
    assert "HttpOnly" in header
    assert "SameSite=lax" in header
    assert f"Max-Age={settings.auth.absolute_hours * 3600}" in header


def test_session_cookie_on_localhost_http_is_not_secure() -> None:
    """On http://localhost (make run) the cookie cannot be Secure, or browsers would drop it."""
    header = session_cookie("abc", Settings.from_env({})).to_header()
    assert "Secure" not in header
    assert "HttpOnly" in header


def test_https_origin_is_the_passkey_origin() -> None:
    """The RP ID and origin come from the public URL; extra origins are added."""
    settings = Settings.from_env(
        {
            "MADOGUCHI_PUBLIC_URL": "https://madoguchi.example.jp/",
            "MADOGUCHI_EXTRA_ORIGINS": "https://tablet.example.jp",
        }
    )
    assert settings.auth.rp_id == "madoguchi.example.jp"
    assert settings.auth.origins == ("https://madoguchi.example.jp", "https://tablet.example.jp")


async def test_csrf_cookie_outlives_the_browser_session() -> None:
    """The CSRF cookie persists (Max-Age), so a tablet's stored token survives a restart."""
    import httpx

    from server.app import create_app
    from server.auth.web import CSRF_MAX_AGE
    from tests.support.harness import transport

    app = create_app(Settings.from_env())
    async with httpx.AsyncClient(transport=transport(app), base_url="http://127.0.0.1") as client:
        response = await client.get("/login")
    header = response.headers["set-cookie"]
    assert header.startswith("madoguchi_csrf=")
    assert f"Max-Age={CSRF_MAX_AGE}" in header
    assert "SameSite=strict" in header
