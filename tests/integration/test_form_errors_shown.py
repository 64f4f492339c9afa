"""Every refusal names its field on the page (issue 16, point 7).

A route answers a refused form with ``errors`` keyed by field (``"_"`` when no field is at
fault, :func:`server.web.forms.on_form` moving refusals of fields a form does not show
there). So each field a person fills in must have a place showing its error, and each
page with a form must show the general one; a template that forgets one field refuses in
silence (``label_en`` on the categories page did: a 422 with no message).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>.*?</form>", re.S)
CONTROL = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.S)
NAME = re.compile(r'\bname="([a-z_]+)"')
# Where a page puts the general error, whatever its context calls it.
GENERAL = re.compile(
    r'errors\._|errors\.get\("_"\)|errors\["_"\]|general_errors|\{% if [^%]*\berror\b'
    r"|status_error|retire_errors|row_errors|error_field !="
)
# Inputs whose refusal the route reports under another name (one message for the pair).
ERROR_KEYS = {
    "occurred_date": "occurred_at",
    "occurred_time": "occurred_at",
    "reported_date": "reported_to_city_at",
    "reported_time": "reported_to_city_at",
}
# Forms that refuse nothing, and why.
NOTHING_TO_REFUSE = {
    "/logout": "ending a session refuses nothing",
    "/lang": "an unknown language is ignored, the page stays as it was",
    "/devices/": "revoking an unknown or revoked device leaves it as it is",
}


def shows_error_for(text: str, name: str) -> bool:
    """Whether a template shows the error of field ``name`` somewhere."""
    name = ERROR_KEYS.get(name, name)
    return any(
        pattern in text
        for pattern in (
            f'errors.get("{name}"',
            f'errors["{name}"]',
            f"errors.{name} ",
            f"errors.{name}%",
            f"errors.{name} }}}}",
            f'field_error("{name}")',
            f'error_field == "{name}"',
            f'data-testid="error-{name}"',
        )
    ) or bool(re.search(rf"errors\.{name}\b", text))


def form_pages() -> list[tuple[str, str, str]]:
    """(template, form action, form html) for every POST form in templates/."""
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        for form in FORM.findall(text):
            action = re.search(r'action="([^"]*)"', form)
            found.append(
                (str(path.relative_to(TEMPLATES)), action.group(1) if action else "", form)
            )
    return found


def typed_fields(form: str) -> list[str]:
    """Names of the controls a person fills in (not hidden inputs, not buttons)."""
    names = []
    for _, attributes in CONTROL.findall(form):
        if re.search(r'type="(hidden|submit|button)"', attributes):
            continue
        name = NAME.search(attributes)
        if name and name.group(1) != "csrf_token":
            names.append(name.group(1))
    return list(dict.fromkeys(names))


def page_text(template: str) -> str:
    """A template with the partials and macros it includes (one level is enough here)."""
    text = (TEMPLATES / template).read_text()
    for included in re.findall(r'(?:include|import|extends) "([^"]+)"', text):
        if included != "base.html":
            text += (TEMPLATES / included).read_text()
    return text


def test_the_scan_finds_the_forms() -> None:
    """The scan sees the forms people fill in (so the next test cannot pass empty)."""
    actions = {action for _, action, _ in form_pages()}
    assert {"/sites/categories", "/sites/venues", "/incidents", "/staff/invites"} <= actions


@pytest.mark.parametrize(
    ("template", "action", "form"), form_pages(), ids=[f"{t}:{a}" for t, a, _ in form_pages()]
)
def test_each_field_and_the_page_show_their_errors(template: str, action: str, form: str) -> None:
    """Each typed field has its error slot (a one-field form may use the page's error);
    the page shows the general error too."""
    if action.startswith(tuple(NOTHING_TO_REFUSE)):
        return
    text = page_text(template)
    fields = typed_fields(form)
    missing = [name for name in fields if not shows_error_for(text, name)]
    if len(fields) == 1 and GENERAL.search(text):
        missing = []  # one field: the page's error is about it
    assert not missing, f"{template} ({action}) shows no error for {missing}"
    assert GENERAL.search(text), f"{template} ({action}) shows no general error"
