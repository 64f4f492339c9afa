"""The shapes of the values HTML forms send, as browsers send them (every value a string).

A route reads these strings into a typed struct (:func:`server.web.forms.read_form`) and
explains a wrong value beside its field (someone may type "5pm" for a time), so the shapes
here are loose: a short value (a date, a time, a row id) holds too few digits for a My
Number's 12, and a choice is a lowercase code. Text a person writes is
:data:`server.common.text.FreeText`.
"""

from __future__ import annotations

from typing import Annotated, Final

import msgspec
from litestar.enums import RequestEncodingType
from litestar.params import Body

# At most 11 characters, each at most one digit even after NFKC (ASCII, full-width ASCII,
# kana and kanji; not ㉑ or ⒛, which become two): a My Number's 12 digits never fit, while
# a mistyped value ("５pm", "午前10時") still reaches the route, which explains it.
SHORT_PATTERN: Final = "^[ -~\u3000-\u30ff\u4e00-\u9fff\uff01-\uff5e]{0,11}$"
CHOICE_PATTERN: Final = "^[a-z_]{0,40}$"

FormId = Annotated[str, msgspec.Meta(pattern=SHORT_PATTERN)]
"""A row id from a select or a number input; empty when none was chosen."""
FormDate = Annotated[str, msgspec.Meta(pattern=SHORT_PATTERN)]
"""A date input's ``YYYY-MM-DD``, or empty."""
FormTime = Annotated[str, msgspec.Meta(pattern=SHORT_PATTERN)]
"""A time input's ``HH:MM``, or empty."""
FormChoice = Annotated[str, msgspec.Meta(pattern=CHOICE_PATTERN)]
"""A select's or radio's code (role, duty, venue kind, ...), or empty."""

Form: Final = Body(media_type=RequestEncodingType.URL_ENCODED)
"""A route's ``data`` read from an HTML form: ``data: Annotated[SomeForm, Form]``."""
