"""What the app hands route handlers through Litestar's dependency injection.

A handler names the parameter and its type, ``settings: AppSettings``, and the app
(:func:`server.app.create_app`) provides the value; no route reaches into the app's state.
"""

from __future__ import annotations

from typing import TypeAlias

from litestar.di import NamedDependency

from server.settings import Settings

AppSettings: TypeAlias = NamedDependency[Settings]
"""The app's settings tree, provided app-wide as ``settings``."""
