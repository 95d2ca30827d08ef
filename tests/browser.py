"""A real headless browser for the tests that look at pages: Debian's Chromium driven by Playwright.

The network here is closed, so Chromium starts with its background traffic off.
Tests using it skip where Chromium or Playwright is missing (`apt-get install
chromium`; Playwright comes with the dev extra and never downloads a browser).
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_reason = (
    "no chromium (apt-get install chromium)"
    if CHROMIUM is None
    else "no playwright (pip install -e '.[dev]')"
    if importlib.util.find_spec("playwright") is None
    else None
)
requires_browser = pytest.mark.skipif(_reason is not None, reason=_reason or "")

QUIET = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def browser_page(width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """A fresh page in headless Chromium, closed after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=QUIET)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def colour_pixels(path: Path, colour: tuple[int, int, int], tolerance: int = 8) -> int:
    """How many pixels of a screenshot are within `tolerance` of `colour` on every channel."""
    from PIL import Image

    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=int)
    return int((np.abs(pixels - np.array(colour)) <= tolerance).all(axis=-1).sum())
