"""Marking message ids for the translation catalogs where they are defined.

``N_`` returns its argument unchanged; pages translate it when they show it. The catalog
test scans for ``_(`` and ``N_(`` so every marked message must have a Japanese translation.
"""


def N_(message: str) -> str:
    """Mark ``message`` as a message id without translating it now."""
    return message
