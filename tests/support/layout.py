"""Checks every page of the browser tests makes: it fits a phone and a landscape tablet (no
sideways scrolling, a one-line header) with no serious or critical axe-core finding, and a
screenshot at each size is written for a reviewer: to ``test-results/screenshots/`` (not
committed), or to the folder MADOGUCHI_SHOTS names."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.support.browser import SERIOUS, axe_violations

SIZES = {"phone": (390, 844), "tablet": (1024, 768)}
NARROWEST = (360, 740)
# Wider than the viewport: the page scrolls sideways (a pixel of rounding allowed).
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
HEADER_ROWS = "document.querySelector('.topbar').getBoundingClientRect().height"
SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"


def shot(tab: Any, name: str) -> None:
    """A full-page screenshot for a reviewer (the folder is made when missing)."""
    folder = Path(os.environ.get("MADOGUCHI_SHOTS") or SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def check_page(tab: Any, name: str) -> list[str]:
    """At each size: no sideways scroll, a one-line header; the axe findings, named. The
    viewport is left at the phone's size."""
    found = []
    for size, (width, height) in {"narrowest": NARROWEST, **SIZES}.items():
        tab.set_viewport_size({"width": width, "height": height})
        assert tab.evaluate(OVERFLOW) <= 1, f"{name} scrolls sideways at {width} px"
        assert tab.evaluate(HEADER_ROWS) <= 64, f"{name}: the header wraps at {width} px"
        if size != "narrowest":
            found += [f"{name} {size}: {v}" for v in axe_violations(tab, SERIOUS)]
            shot(tab, f"{name}-{size}")
    tab.set_viewport_size({"width": SIZES["phone"][0], "height": SIZES["phone"][1]})
    return found
