"""Piccolo's configuration, for Piccolo's own machinery (migrations, ``piccolo`` CLI).

The engine is built from the same environment the app reads; building it opens nothing.
"""

from piccolo.conf.apps import AppRegistry

from server.db import make_engine
from server.settings import Settings

DB = make_engine(Settings.from_env().database)

APP_REGISTRY = AppRegistry(apps=["server.piccolo_app"])
