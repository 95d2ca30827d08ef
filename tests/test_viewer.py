"""Logs in `inspect view`: the score's explanation and the solver's stages, in a real browser.

The viewer is started on loopback over a log made with a scripted model and the
feedback solver (a wrong answer, then a right one), and opened in headless
Chromium.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from inspect_ai import eval
from inspect_ai.model import get_model

from codecrucible.solvers import feedback
from codecrucible.tasks.code_contests import code_contests
from tests.browser import browser_page, colour_pixels, requires_browser
from tests.conftest import CODE_CONTESTS_FIXTURE, requires_bwrap, scripted_output

PROBLEM = "1500_A. Sum of Two"
RIGHT = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
WRONG = "```python\nprint(0)\n```"
PASSED_BADGE = (25, 135, 84)  # the viewer's colour for a C score


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def viewer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(the viewer's address, the log's name) for a feedback run."""
    log_dir = tmp_path_factory.mktemp("view-logs")
    [log] = eval(
        code_contests(data_files=str(CODE_CONTESTS_FIXTURE)),
        model=get_model(
            "mockllm/model", custom_outputs=[scripted_output(WRONG), scripted_output(RIGHT)]
        ),
        solver=feedback(max_turns=3),
        sample_id=PROBLEM,
        log_dir=str(log_dir),
        display="none",
    )
    assert log.status == "success" and log.location
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "inspect_ai",
            "view",
            "start",
            "--log-dir",
            str(log_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("inspect view did not start")
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", Path(log.location).name
    finally:
        server.terminate()
        server.wait(timeout=30)


def _capture(viewer: tuple[str, str], tab: str, ready: str, image: Path, height: int) -> str:
    """Open a tab of the sample, wait for `ready` to show, screenshot it; the page's text."""
    address, log_name = viewer
    with browser_page(height=height) as page:
        page.goto(f"{address}/#/logs/{log_name}/samples/sample/{quote(PROBLEM)}/1/{tab}")
        page.wait_for_selector(f"text={ready}", timeout=60_000)
        page.screenshot(path=str(image), full_page=True)
        return str(page.inner_text("body"))


@requires_bwrap
@requires_browser
def test_the_score_explanation_renders_in_the_viewer(
    viewer: tuple[str, str], tmp_path: Path
) -> None:
    image = tmp_path / "scoring.png"
    text = _capture(viewer, "scoring", "Passed", image, height=1000)
    # the explanation's Markdown is rendered (bold head, a verdict table), not shown raw
    assert "Passed all 5 tests" in text and "**Passed**" not in text
    assert "comparator tokens" in text.replace("`", "")
    assert "verdict\ttests\npass\t5" in text  # a table: its cells in columns
    assert colour_pixels(image, PASSED_BADGE) > 200, "the C badge is not on the screenshot"


@requires_bwrap
@requires_browser
def test_the_solver_stages_and_feedback_render_in_the_transcript(
    viewer: tuple[str, str], tmp_path: Path
) -> None:
    image = tmp_path / "transcript.png"
    text = _capture(viewer, "transcript", "FEEDBACK: TURN 2", image, height=2400)
    # each turn is a span, the model call sits in the generate stage, and the
    # feedback the model got (the failing test) is readable
    assert "FEEDBACK: TURN 1" in text and "STAGE: GENERATE" in text
    assert "Test 1: wrong answer" in text and "expected '3', got '0'" in text
    assert text.count("MODEL CALL: MOCKLLM/MODEL") == 2
    assert image.stat().st_size > 20_000  # a page with content, not a blank one
