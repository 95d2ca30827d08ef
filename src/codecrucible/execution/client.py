"""Run a candidate's tests through the runner inside a sandbox, and judge the answers.

Two ways to reach the runner:

- warm worker processes (`workers.WorkerPool`), for sandboxes that can start
  one on this machine (our bwrap provider, Inspect's `local`): a candidate costs
  a message and a compile; its tests are pipelined and an early stop costs
  nothing;
- one `exec` per batch of tests (`ExecConnection`), for any other Inspect
  sandbox (Docker, Kubernetes): batches grow geometrically (1, 4, 16, ...) so a
  candidate that fails early costs one small exec, and one that passes costs a
  handful.

Either way the expected answers stay in this process: the runner receives inputs
and returns outputs, and the comparison happens here.
"""

from __future__ import annotations

import abc
import base64
import json
import os
import sys
import tempfile
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

from inspect_ai.util import SandboxEnvironment, override_sandbox_output_limit, span

from codecrucible.execution.comparators import Comparison, compare_values, get_comparator
from codecrucible.execution.languages import get_language
from codecrucible.execution.protocol import (
    TEST_STATUSES,
    ExecutionMode,
    ExecutionResult,
    ExecutorError,
    TestDataError,
    Verdict,
    excerpt,
    test_message,
)
from codecrucible.execution.runner import PROTOCOL_VERSION
from codecrucible.execution.workers import (
    RUNNER_GRACE_S,
    Judge,
    ProcessSpec,
    check_index,
    decode,
    encode,
    worker_pool,
)
from codecrucible.problem import CodeProblem, Limits, TestCase

RUNNER_PATH = Path(__file__).with_name("runner.py")
"""The runner script, bind-mounted into sandboxes that start it as a process."""
RUNNER_SOURCE = RUNNER_PATH.read_text()
"""The runner's source, passed as `python -c` where it runs through `exec`."""

EXECUTION_SPAN = "execution"
"""The name and type of the transcript span around each `execute` call."""

WINDOW = {"strict": 4, "batch": 64}
"""Tests in flight per candidate: enough to hide the round trip, few enough that an
early stop wastes nothing (the runner skips what is queued when told to stop)."""


class ProcessSandbox(SandboxEnvironment):
    """A sandbox that can start long-lived runner processes on this machine."""

    @abc.abstractmethod
    def worker_pool_key(self) -> Hashable:
        """Sandboxes with equal keys share warm workers."""

    @abc.abstractmethod
    def worker_process(self, slot: int) -> ProcessSpec:
        """The command that starts worker number `slot` (its runner, inside the sandbox)."""


class RunnerConnection(abc.ABC):
    """A way to run one candidate's session and feed the answers to a judge."""

    @abc.abstractmethod
    async def run(
        self, start: dict[str, Any], tests: Sequence[dict[str, Any]], judge: Judge, wall_s: float
    ) -> dict[str, Any]:
        """Start a session, feed tests until `judge` says stop; return the start answer."""


class PooledConnection(RunnerConnection):
    """A warm worker from the sandbox's pool."""

    def __init__(self, sandbox: ProcessSandbox, max_payload_bytes: int, window: int) -> None:
        self.pool = worker_pool(sandbox.worker_pool_key(), sandbox.worker_process)
        self.max_payload_bytes = max_payload_bytes
        self.window = window

    async def run(
        self, start: dict[str, Any], tests: Sequence[dict[str, Any]], judge: Judge, wall_s: float
    ) -> dict[str, Any]:
        return await self.pool.run(start, tests, judge, wall_s, self.window, self.max_payload_bytes)


class ExecConnection(RunnerConnection):
    """Any Inspect sandbox: one `exec` per batch of tests, nothing left in the sandbox.

    The runner's source travels as the `-c` argument, the messages on stdin and the
    answers on stdout, so the sandbox holds no file a candidate could alter for a
    later batch.
    """

    FIRST_BATCH = 1
    GROWTH = 4
    MAX_BATCH_INPUT_BYTES = 16 << 20

    def __init__(self, sandbox: SandboxEnvironment, python: str, max_answer_bytes: int) -> None:
        self.sandbox = sandbox
        self.python = python
        self.max_answer_bytes = max_answer_bytes

    async def run(
        self, start: dict[str, Any], tests: Sequence[dict[str, Any]], judge: Judge, wall_s: float
    ) -> dict[str, Any]:
        batch = self.FIRST_BATCH
        position = 0
        while True:
            chunk = _take(tests, position, batch, self.MAX_BATCH_INPUT_BYTES)
            answers = await self._exec([start, *chunk, {"op": "end"}], wall_s * max(1, len(chunk)))
            start_answer = answers[0]
            if start_answer.get("op") != "ready":
                return start_answer
            results = answers[1 : 1 + len(chunk)]
            if len(results) != len(chunk) or answers[1 + len(chunk) :] != [{"op": "done"}]:
                raise ExecutorError(
                    f"the test runner's answers are incomplete ({len(answers)} for {len(chunk)} tests)"
                )
            for message, result in zip(chunk, results, strict=True):
                check_index(message, result)
                payload = base64.b64decode(result.pop("stdout_b64", ""))
                if not judge(result, payload):
                    return start_answer
            position += len(chunk)
            if position >= len(tests):
                return start_answer
            batch *= self.GROWTH

    async def _exec(self, messages: list[dict[str, Any]], wall_s: float) -> list[dict[str, Any]]:
        request = b"".join(encode(m) for m in messages)
        try:
            with override_sandbox_output_limit(self.max_answer_bytes, "exec"):
                result = await self.sandbox.exec(
                    [self.python, "-I", "-c", RUNNER_SOURCE, "--text"],
                    input=request,
                    timeout=int(wall_s + RUNNER_GRACE_S),
                    timeout_retry=False,
                )
        except TimeoutError as exc:
            raise ExecutorError(f"the test runner did not finish within {wall_s:g} s") from exc
        if not result.success:
            raise ExecutorError(
                f"the test runner failed (status {result.returncode}): {excerpt(result.stderr, 2000)}"
            )
        return [decode(line.encode()) for line in result.stdout.splitlines() if line.strip()]


def _take(
    tests: Sequence[dict[str, Any]], position: int, count: int, max_bytes: int
) -> list[dict[str, Any]]:
    chunk: list[dict[str, Any]] = []
    size = 0
    for message in tests[position : position + count]:
        size += len(message["test"].get("input") or "") + len(message["test"].get("program") or "")
        if chunk and size > max_bytes:
            break
        chunk.append(message)
    return chunk


class LocalProcesses(ProcessSandbox):
    """Workers started directly on this machine, for Inspect's `local` sandbox (no isolation)."""

    def worker_pool_key(self) -> Hashable:
        return ("local", sys.executable)

    def worker_process(self, slot: int) -> ProcessSpec:
        directory = tempfile.mkdtemp(prefix=f"codecrucible-local-{slot}-")
        return ProcessSpec(
            argv=[sys.executable, "-I", str(RUNNER_PATH)],
            env={"PATH": os.defpath, "LANG": "C.UTF-8", "HOME": directory, "TMPDIR": directory},
            cwd=directory,
        )

    async def exec(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("only runs test runners")

    async def write_file(self, file: str, contents: str | bytes) -> None:
        raise NotImplementedError("only runs test runners")

    async def read_file(self, file: str, text: bool = True) -> Any:
        raise NotImplementedError("only runs test runners")

    @classmethod
    async def sample_cleanup(cls, *args: Any, **kwargs: Any) -> None:
        pass


def connect(
    sandbox: SandboxEnvironment, limits: Limits, mode: ExecutionMode, python: str = "python3"
) -> RunnerConnection:
    """The fastest connection the sandbox allows."""
    max_payload = limits.output_mb << 20
    try:
        process_sandbox = sandbox.as_type(ProcessSandbox)  # type: ignore[type-abstract]
    except TypeError:
        from inspect_ai.util._sandbox.local import LocalSandboxEnvironment

        try:
            sandbox.as_type(LocalSandboxEnvironment)
        except TypeError:
            return ExecConnection(sandbox, python, (max_payload * 4) // 3 * 4 + (8 << 20))
        process_sandbox = LocalProcesses()
    return PooledConnection(process_sandbox, max_payload, WINDOW[mode])


async def execute(
    program: str,
    tests: Sequence[TestCase],
    *,
    limits: Limits | None = None,
    comparator: str = "exact",
    stop_on_failure: bool = True,
    mode: ExecutionMode = "strict",
    sandbox: SandboxEnvironment | None = None,
    python: str = "python3",
    language: str = "python",
) -> ExecutionResult:
    """Run `program` against `tests` in a sandbox and judge every test it ran.

    Args:
        program: The candidate's source code, as it should run.
        tests: The tests, in the order to run them.
        limits: Per-test limits (defaults: `Limits()`).
        comparator: Output comparison policy for stdin tests (see `COMPARATORS`).
        stop_on_failure: Stop at the first failing test (pass@k scoring) or run all
            (feedback, partial credit).
        mode: `strict` forks one clean child per test; `batch` runs the tests in
            one child per candidate (faster; module state may leak between tests).
        sandbox: Where to run; defaults to the current sample's sandbox.
        python: Interpreter command in sandboxes reached through `exec` (Docker, ...).
        language: The program's language (see `codecrucible.execution.languages`):
            Python runs in the runner; others are compiled once and exec'd per test,
            in strict mode, against stdin tests.

    Returns:
        The verdicts of the tests run, and whether all tests passed.

    Raises:
        ExecutorError: the machinery failed (never the candidate's fault).
        TestDataError: a test is malformed, or there are no tests.
        ValueError: the comparator or the mode is unknown.
    """
    # a span of its own, so `codecrucible profile` can tell execution time from the rest
    async with span(EXECUTION_SPAN, type=EXECUTION_SPAN):
        return await _execute(
            program, tests, limits, comparator, stop_on_failure, mode, sandbox, python, language
        )


async def _execute(
    program: str,
    tests: Sequence[TestCase],
    limits: Limits | None,
    comparator: str,
    stop_on_failure: bool,
    mode: ExecutionMode,
    sandbox: SandboxEnvironment | None,
    python: str,
    language: str,
) -> ExecutionResult:
    if not tests:
        raise TestDataError("there are no tests to run")
    if mode not in WINDOW:
        raise TestDataError(f"unknown execution mode {mode!r}; choose strict or batch")
    limits = _room_for_the_answer(limits or Limits(), tests)
    compare = get_comparator(comparator)
    if sandbox is None:
        from inspect_ai.util import sandbox as current_sandbox

        sandbox = current_sandbox()
    connection = connect(sandbox, limits, mode, python)
    verdicts: list[Verdict] = []

    def judge(answer: dict[str, Any], payload: bytes) -> bool:
        op = answer.get("op")
        if op == "error":
            raise TestDataError(str(answer.get("message")))
        if op == "skipped":
            return False
        if op != "result":
            raise ExecutorError(f"the test runner sent an unexpected answer: {op!r}")
        index = int(answer["index"])
        verdict = judge_answer(tests[index], answer, payload, compare)
        verdicts.append(verdict)
        return verdict.passed or not stop_on_failure

    try:
        spoken = get_language(language)
    except ValueError as exc:
        raise TestDataError(str(exc)) from None
    start: dict[str, Any] = {
        "op": "start",
        "version": PROTOCOL_VERSION,
        "program": program,
        "limits": limits.model_dump(),
        "mode": mode if spoken.in_process else "strict",
        "stop_on_failure": stop_on_failure,
    }
    if not spoken.in_process:
        start["language"] = spoken.spec()
    messages = [test_message(index, test) for index, test in enumerate(tests)]
    start_answer = await connection.run(start, messages, judge, limits.effective_wall_time_s)
    if start_answer.get("op") == "compile_error":
        message = str(start_answer.get("message", "")).strip()
        verdicts = [Verdict(index=0, status="compile_error", message=message)]
    elif start_answer.get("op") == "error":
        raise TestDataError(str(start_answer.get("message")))
    elif start_answer.get("op") != "ready":
        raise ExecutorError(f"the test runner did not start: {start_answer!r}")
    passed = len(verdicts) == len(tests) and all(verdict.passed for verdict in verdicts)
    return ExecutionResult(
        passed=passed,
        verdicts=verdicts,
        tests_total=len(tests),
        mode=start["mode"],
        comparator=comparator,
        limits=limits,
    )


async def execute_as_scored(
    problem: CodeProblem,
    code: str,
    tests: Sequence[TestCase],
    settings: Mapping[str, Any],
    *,
    stop_on_failure: bool,
    sandbox: SandboxEnvironment | None = None,
    comparator: str | None = None,
) -> ExecutionResult:
    """Run a candidate as its sample is scored: the sample's `scoring` settings.

    Limits, comparator and mode come from `settings` (a sample's `scoring`
    metadata), the problem's own where a setting is absent; the program is the
    problem's (`program_for`), in the problem's language. The tests scorer, the
    solvers' test runs, the audit and the reranking metrics all run candidates so.
    """
    return await execute(
        problem.program_for(code),
        list(tests),
        limits=Limits(**settings["limits"]) if "limits" in settings else problem.limits,
        comparator=comparator or settings.get("comparator") or problem.comparator,
        stop_on_failure=stop_on_failure,
        mode=settings.get("mode", "strict"),
        sandbox=sandbox,
        language=problem.language,
    )


def _room_for_the_answer(limits: Limits, tests: Sequence[TestCase]) -> Limits:
    """The limits with an output cap of at least twice the largest expected output.

    A program must be able to print the answer its test expects: with a 100 MB
    expected output and the default 64 MiB cap, a right answer would be cut off.
    """
    largest = max(
        (len(test.output.encode("utf-8", "surrogateescape")) for test in tests if test.output),
        default=0,
    )
    needed_mb = (2 * largest >> 20) + 1
    if needed_mb <= limits.output_mb:
        return limits
    return limits.model_copy(update={"output_mb": needed_mb})


def _displayable(text: str) -> str:
    """`text` with undecodable bytes shown as U+FFFD (they are kept for comparison only).

    Verdicts must serialise to JSON and into logs, which lone surrogates cannot.
    """
    try:
        data = text.encode("utf-8", "surrogateescape")  # the bytes the program wrote
    except UnicodeEncodeError:  # other lone surrogates (a returned str, say)
        data = text.encode("utf-8", "surrogatepass")
    return data.decode("utf-8", "replace")


def judge_answer(
    test: TestCase,
    answer: dict[str, Any],
    payload: bytes,
    compare: Callable[[str, str], Comparison],
) -> Verdict:
    """Turn the runner's answer for one test into a verdict (comparing outputs here)."""
    stdout = payload.decode("utf-8", "surrogateescape")
    status = answer.get("status")
    message = str(answer.get("message", ""))
    actual = stdout
    if status == "ok":
        if test.kind == "stdin":
            outcome = compare(test.output or "", stdout)
        elif test.kind == "functional":
            if "unserialisable" in answer:
                kind = answer["unserialisable"].get("type", "object")
                actual = str(answer["unserialisable"].get("repr", ""))
                outcome = Comparison(False, f"returned a {kind}, which is not a JSON value")
            else:
                actual = str(answer.get("return_json", ""))
                try:
                    outcome = compare_values(
                        test.expected, json.loads(actual), test.alternatives or ()
                    )
                except RecursionError:
                    outcome = Comparison(False, "returned a value nested too deeply to compare")
        else:
            outcome = Comparison(True)
        status = "pass" if outcome.ok else "wrong_answer"
        message = outcome.message
    if status not in TEST_STATUSES:
        raise ExecutorError(f"the test runner reported an unknown status {status!r}")
    failed = status != "pass"  # what a reader needs of a failure (passes stay light)
    return Verdict(
        index=int(answer.get("index", 0)),
        status=status,
        time_s=float(answer.get("time_s", 0.0)),
        wall_s=float(answer.get("wall_s", 0.0)),
        memory_mb=round(float(answer.get("memory_kb", 0)) / 1024, 1),
        exit_code=answer.get("exit_code"),
        signal=answer.get("signal"),
        message=message,
        input=excerpt(test.describe_input()) if failed else "",
        expected=excerpt(test.describe_expected()) if failed else "",
        actual=excerpt(_displayable(actual)) if failed else "",
        stderr=excerpt(_displayable(str(answer.get("stderr_tail", "")))) if failed else "",
    )
