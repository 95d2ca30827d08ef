"""Model API faults through Inspect's real OpenAI-compatible provider and a loopback server.

Each test runs a one-problem eval against a scripted server: the eval finishes,
a failed call is retried or its sample is marked errored, and nothing is ever
scored from a failed call.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from inspect_ai import eval
from inspect_ai.log import EvalLog
from inspect_ai.model import GenerateConfig, get_model

from codecrucible.tasks.code_contests import code_contests
from tests.conftest import CODE_CONTESTS_FIXTURE, requires_bwrap
from tests.fake_openai import FakeOpenAI, Hang, Raw, Reply, Status, fake_openai

PROBLEM = "1500_A. Sum of Two"
RIGHT = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"

pytestmark = requires_bwrap


def _eval(server: FakeOpenAI, tmp_path: Path, **config: Any) -> EvalLog:
    model = get_model(
        "openai-api/fake/coder",
        base_url=server.address,
        api_key="test-key",
        config=GenerateConfig(**config),
        memoize=False,
    )
    [log] = eval(
        code_contests(data_files=str(CODE_CONTESTS_FIXTURE)),
        model=model,
        sample_id=PROBLEM,
        fail_on_error=False,  # an errored sample is recorded, and the eval goes on
        log_dir=str(tmp_path),
        display="none",
    )
    return log


def _only_sample(log: EvalLog) -> Any:
    assert log.samples and len(log.samples) == 1
    return log.samples[0]


def test_a_429_is_retried_after_its_retry_after(tmp_path: Path) -> None:
    with fake_openai([Status(429, retry_after=1), Reply(RIGHT)]) as server:
        started = time.monotonic()
        log = _eval(server, tmp_path)
        elapsed = time.monotonic() - started
    sample = _only_sample(log)
    assert log.status == "success" and sample.error is None
    assert sample.scores["tests"].value == "C"
    assert len(server.requests) == 2
    assert elapsed >= 1.0  # it waited as the server asked


def test_server_errors_are_retried_until_an_answer_comes(tmp_path: Path) -> None:
    with fake_openai([Status(500), Status(503), Reply(RIGHT)]) as server:
        log = _eval(server, tmp_path)
    sample = _only_sample(log)
    assert sample.error is None and sample.scores["tests"].value == "C"
    assert len(server.requests) == 3


def test_a_call_that_keeps_failing_errors_the_sample_and_scores_nothing(tmp_path: Path) -> None:
    with fake_openai([Status(500)] * 20) as server:
        log = _eval(server, tmp_path, max_retries=2)
    sample = _only_sample(log)
    assert sample.error is not None and "InternalServerError" in sample.error.message
    assert not sample.scores  # never INCORRECT: the model never answered
    # bounded: three attempts by Inspect (the first and max_retries=2), each with the
    # OpenAI client's own retries inside it
    assert 3 <= len(server.requests) <= 9


def test_a_hung_connection_is_abandoned_and_retried(tmp_path: Path) -> None:
    with fake_openai([Hang(20), Reply(RIGHT)]) as server:
        started = time.monotonic()
        log = _eval(server, tmp_path, attempt_timeout=2)
        elapsed = time.monotonic() - started
    sample = _only_sample(log)
    assert sample.error is None and sample.scores["tests"].value == "C"
    assert len(server.requests) == 2
    assert elapsed < 15  # it did not wait out the hang


def test_malformed_json_is_never_scored(tmp_path: Path) -> None:
    with fake_openai([Raw("{not json"), Reply(RIGHT)]) as server:
        log = _eval(server, tmp_path, max_retries=2)
    sample = _only_sample(log)
    # retried into an answer, or an errored sample: never a verdict on the bad body
    if sample.error is None:
        assert sample.scores["tests"].value == "C" and len(server.requests) == 2
    else:
        assert not sample.scores


def test_an_empty_completion_is_the_models_answer_and_says_so(tmp_path: Path) -> None:
    with fake_openai([Reply("")]) as server:
        log = _eval(server, tmp_path)
    sample = _only_sample(log)
    assert sample.error is None and len(server.requests) == 1
    score = sample.scores["tests"]
    assert score.value == "I"
    assert score.explanation == (
        "The model's answer is empty (stop reason: stop): there was no program to run."
    )
