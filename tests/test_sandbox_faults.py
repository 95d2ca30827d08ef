"""Sandbox faults in a real eval: a runner killed mid-sample errors the sample, never INCORRECT.

A candidate sleeps while a thread of the test kills the warm runner serving it
(the `python /opt/codecrucible/runner.py` inside its bwrap), as the kernel's OOM
killer or an operator would. The sample errors; `retry_on_error` runs it again and
it passes; `inspect eval-retry` re-runs only the errored sample and keeps the
finished one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval, eval_retry
from inspect_ai.model import get_model

from codecrucible.sandboxes.bwrap import RUNNER_IN_SANDBOX, SCRATCH_ENV
from codecrucible.tasks.code_contests import code_contests
from tests.conftest import CODE_CONTESTS_FIXTURE, requires_bwrap, scripted_model
from tests.fake_openai import Reply, fake_openai

pytestmark = requires_bwrap

SUM, CIRCLE = "1500_A. Sum of Two", "1500_B. Circle Area"
RIGHT_SUM = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
# sleeps long enough to be caught in the act; then answers right (if it lives)
SLOW_SUM = (
    "```python\nimport time\ntime.sleep(3)\na, b = map(int, input().split())\nprint(a + b)\n```"
)


def _runner_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if RUNNER_IN_SANDBOX.encode() in argv and b"--sweep" in argv and b"bwrap" not in argv[0]:
            pids.append(int(entry.name))
    return pids


class RunnerKiller(threading.Thread):
    """Kills the runner that is running a sleeping candidate, once."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.killed: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for pid in _runner_pids():
                if _serves_a_sleeper(pid):
                    os.kill(pid, signal.SIGKILL)
                    self.killed.append(pid)
                    return
            time.sleep(0.05)


def _serves_a_sleeper(pid: int) -> bool:
    """Whether a child of this runner has been running its candidate for a while."""
    try:
        children = (Path(f"/proc/{pid}/task/{pid}/children")).read_text().split()
    except OSError:
        return False
    for child in children:
        try:
            stat = Path(f"/proc/{child}/stat").read_text()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[0] == "S":  # asleep: the candidate's time.sleep
            return True
    return False


def test_a_runner_killed_mid_sample_errors_it_and_retry_on_error_runs_it_again(
    tmp_path: Path,
) -> None:
    killer = RunnerKiller()
    killer.start()
    try:
        [log] = eval(
            code_contests(data_files=str(CODE_CONTESTS_FIXTURE)),
            model=scripted_model(SLOW_SUM, RIGHT_SUM),
            sample_id=SUM,
            retry_on_error=1,
            log_dir=str(tmp_path),
            display="none",
        )
    finally:
        killer.stop.set()
        killer.join(timeout=10)
    assert killer.killed, "no runner was caught serving the sleeping candidate"
    assert log.status == "success", log.error
    [sample] = log.samples or []
    assert sample.scores and sample.scores["tests"].value == "C"  # the retry's verdict
    assert sample.error is None
    assert sample.error_retries and len(sample.error_retries) == 1
    assert "runner" in sample.error_retries[0].message  # why it failed the first time


def test_eval_retry_reruns_only_the_errored_sample_and_keeps_the_finished_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a served model (Inspect's openai-api provider on a loopback server), so that
    # `eval_retry` can rebuild it from the log as a user's retry would
    circle = "```python\nimport math\nprint(f'{math.pi * int(input()) ** 2:.6f}')\n```"
    asked: dict[str, int] = {}

    def respond(request: dict[str, Any]) -> Reply:
        prompt = request["messages"][-1]["content"]
        problem = "circle" if "circle" in prompt.lower() else "sum"
        asked[problem] = asked.get(problem, 0) + 1
        if problem == "circle":
            return Reply(circle)
        return Reply(SLOW_SUM if asked["sum"] == 1 else RIGHT_SUM)

    monkeypatch.setenv("FAKE_API_KEY", "test-key")
    killer = RunnerKiller()
    with fake_openai(respond) as server:
        killer.start()
        try:
            [first] = eval(
                code_contests(data_files=str(CODE_CONTESTS_FIXTURE)),
                model=get_model("openai-api/fake/coder", base_url=server.address),
                sample_id=[SUM, CIRCLE],
                fail_on_error=False,
                log_dir=str(tmp_path),
                display="none",
            )
        finally:
            killer.stop.set()
            killer.join(timeout=10)
        assert killer.killed
        by_id = {sample.id: sample for sample in first.samples or []}
        assert by_id[SUM].error is not None and not by_id[SUM].scores  # errored, not INCORRECT
        assert by_id[CIRCLE].error is None and by_id[CIRCLE].scores
        circle_verdict = by_id[CIRCLE].scores["tests"].value
        assert asked == {"sum": 1, "circle": 1}

        [second] = eval_retry(first, log_dir=str(tmp_path), display="none")
    assert second.status == "success", second.error
    assert asked == {"sum": 2, "circle": 1}  # only the errored sample asked again
    by_id = {sample.id: sample for sample in second.samples or []}
    assert by_id[SUM].scores and by_id[SUM].scores["tests"].value == "C"
    assert by_id[CIRCLE].scores["tests"].value == circle_verdict  # kept as it was


@pytest.fixture(autouse=True)
def _no_runner_left() -> None:
    yield
    # the pools end with each eval: no runner outlives its eval
    deadline = time.monotonic() + 10
    while _runner_pids() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _runner_pids()


def _mount_small_tmpfs(path: Path) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(path)], capture_output=True
    )
    return result.returncode == 0


def test_full_scratch_space_errors_the_sample_and_a_retry_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codecrucible.solvers import reference
    from codecrucible.tasks.swe_bench import swe_bench
    from tests.test_swe_bench import toy

    repo_dir, rows = toy.make_instance(tmp_path / "instance")
    scratch = tmp_path / "scratch"
    if not _mount_small_tmpfs(scratch):
        pytest.skip("mounting a small tmpfs needs root")
    try:
        filler = scratch / "filler"
        with filler.open("wb") as handle, contextlib.suppress(OSError):
            while True:  # until the device is full
                handle.write(b"\0" * 65536)
                handle.flush()
        # the sandbox's scratch space (each sample's host directory) is on the full device
        monkeypatch.setenv(SCRATCH_ENV, str(scratch))

        # candidates run in the workers' own memory-backed /tmp: tests still score
        [log] = eval(
            code_contests(data_files=str(CODE_CONTESTS_FIXTURE)),
            model=scripted_model(RIGHT_SUM),
            sample_id=SUM,
            log_dir=str(tmp_path / "logs"),
            display="none",
        )
        [sample] = log.samples or []
        assert sample.scores and sample.scores["tests"].value == "C"

        # SWE-bench clones the repository into the sample's scratch: no space, an error
        task = swe_bench(data_files=str(rows), repo_dir=str(repo_dir), tier=1)
        [first] = eval(
            task,
            model="none",
            solver=reference(),
            fail_on_error=False,
            log_dir=str(tmp_path / "swe-logs"),
            display="none",
        )
        [sample] = first.samples or []
        assert sample.error is not None and "No space left on device" in sample.error.message
        assert not sample.scores  # never INCORRECT
        filler.unlink()  # space again: the same eval, retried, passes
        [second] = eval_retry(first, log_dir=str(tmp_path / "swe-logs"), display="none")
        [sample] = second.samples or []
        assert sample.error is None and sample.scores["swe_patch"].value == "C"
    finally:
        monkeypatch.undo()
        subprocess.run(["umount", "-l", str(scratch)], check=False)
