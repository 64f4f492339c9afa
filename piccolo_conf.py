"""Entry point for the ``piccolo`` CLI when run from the project folder."""

from server.piccolo_conf import APP_REGISTRY, DB

__all__ = ["APP_REGISTRY", "DB"]
