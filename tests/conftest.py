"""Shared test set-up: offline Hugging Face, sandboxes, scripted models, solver runs read back."""

from __future__ import annotations

import os

# nothing in the tests may wait on the network (the hub is unreachable here)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("INSPECT_LOG_LEVEL", "warning")

import json
import shutil
import subprocess
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import Task, eval
from inspect_ai.event import InfoEvent, ModelEvent
from inspect_ai.log import EvalSample, resolve_sample_attachments
from inspect_ai.model import ChatMessage, Model, ModelOutput, ModelUsage, get_model
from inspect_ai.solver import Solver

from codecrucible.execution import close_worker_pools
from codecrucible.sandboxes.bwrap import BwrapSandboxEnvironment, bwrap_unavailable_reason
from codecrucible.tasks.custom import custom

FIXTURES = Path(__file__).parent / "fixtures"
CODE_CONTESTS_FIXTURE = FIXTURES / "code_contests.jsonl"

_bwrap_reason = bwrap_unavailable_reason()
requires_bwrap = pytest.mark.skipif(
    _bwrap_reason is not None, reason=f"bwrap unavailable: {_bwrap_reason}"
)


def _docker_engine() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        result = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0 and bool(result.stdout.strip())


requires_docker = pytest.mark.skipif(not _docker_engine(), reason="no Docker engine answers")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def bwrap_sandbox() -> AsyncIterator[BwrapSandboxEnvironment]:
    if _bwrap_reason is not None:
        pytest.skip(f"bwrap unavailable: {_bwrap_reason}")
    sandbox = await BwrapSandboxEnvironment.create()
    try:
        yield sandbox
    finally:
        await sandbox.close()
        await close_worker_pools()


def scripted_output(content: str) -> ModelOutput:
    """A model answer that carries usage (so Inspect counts no tokens with tiktoken, offline)."""
    output = ModelOutput.from_content(model="mockllm/model", content=content)
    output.usage = ModelUsage(input_tokens=10, output_tokens=20, total_tokens=30)
    return output


def _as_output(content: str | ModelOutput) -> ModelOutput:
    return content if isinstance(content, ModelOutput) else scripted_output(content)


def scripted_model(*contents: str | ModelOutput) -> Model:
    """mockllm answering with these contents (text, or a ready output), in order."""
    return get_model("mockllm/model", custom_outputs=[_as_output(c) for c in contents])


def failing_model(*contents: str | ModelOutput, message: str = "provider down") -> Model:
    """mockllm answering with these contents, in order, then failing as a provider would.

    The call itself raises RuntimeError(message), as a provider's client would (an
    exception placed in mockllm's list of outputs fails as mockllm's ValueError instead).
    """
    outputs = iter([_as_output(content) for content in contents])

    def answer(*_: Any) -> ModelOutput:
        output = next(outputs, None)
        if output is None:
            raise RuntimeError(message)
        return output

    return get_model("mockllm/model", custom_outputs=answer)


# ---- reading solver runs back from their logs (shared by the solver tests)

EXAMPLES = Path(__file__).parent.parent / "examples" / "problems.jsonl"


def fenced_answer(code: str) -> str:
    """A model answer holding `code` in a python block, after a line of prose."""
    return f"Here it is.\n\n```python\n{code}```\n"


def example_task(problem_id: str, tmp_path: Path) -> Task:
    """The custom task of one problem of examples/problems.jsonl."""
    for line in EXAMPLES.read_text().splitlines():
        if json.loads(line)["id"] == problem_id:
            path = tmp_path / f"{problem_id}.jsonl"
            path.write_text(line + "\n")
            return custom(path=str(path))
    raise AssertionError(f"no example {problem_id}")


def run_solver(
    task: Task,
    solver: Solver,
    model: Model | Sequence[str | ModelOutput],
    log_dir: Path,
    **eval_args: Any,
) -> EvalSample:
    """One sample through a solver, its attachments resolved; the run must succeed.

    Args:
        task: The task (its first sample runs, unless `sample_id` names one).
        solver: The solver, built with its parameters.
        model: The model, or the answers a scripted one gives in order (`scripted_model`).
        log_dir: Where the log goes.
        **eval_args: More arguments for `inspect_ai.eval` (`sample_id`, `model_roles`,
            `cache`, ...).
    """
    if "sample_id" not in eval_args:
        eval_args.setdefault("limit", 1)
    [log] = eval(
        task,
        model=model if isinstance(model, Model) else scripted_model(*model),
        solver=solver,
        log_dir=str(log_dir),
        display="none",
        **eval_args,
    )
    assert log.status == "success", log.error
    assert log.samples and len(log.samples) == 1
    return resolve_sample_attachments(log.samples[0])


def errored_sample(
    task: Task, solver: Solver, model: Model, log_dir: Path, **eval_args: Any
) -> EvalSample:
    """The one sample of a run that must fail (as `run_solver` runs it): errored, unscored."""
    if "sample_id" not in eval_args:
        eval_args.setdefault("limit", 1)
    [log] = eval(
        task, model=model, solver=solver, log_dir=str(log_dir), display="none", **eval_args
    )
    assert log.status == "error" and log.error is not None
    assert log.samples and len(log.samples) == 1
    sample = log.samples[0]
    assert sample.error is not None and not sample.scores
    return sample


def solver_metadata(sample: EvalSample, key: str | None = None) -> dict[str, Any]:
    """What the solver recorded: the sample's `codecrucible` metadata, or its entry `key`."""
    record = sample.metadata["codecrucible"]
    if key is not None:
        record = record[key]
    assert isinstance(record, dict)
    return record


def score_of(sample: EvalSample) -> Any:
    """The `tests` scorer's value for a sample."""
    assert sample.scores
    return sample.scores["tests"].value


def stage_calls(sample: EvalSample) -> dict[str, int]:
    """Model calls per stage, for the stages that made any."""
    stages = sample.metadata["codecrucible"]["stages"]
    return {name: entry["calls"] for name, entry in stages.items() if entry["calls"]}


def model_events(sample: EvalSample) -> list[ModelEvent]:
    """Every model call of a sample, in order."""
    return [event for event in sample.events if isinstance(event, ModelEvent)]


def model_inputs(sample: EvalSample) -> list[list[ChatMessage]]:
    """The messages of every model call, in order."""
    return [event.input for event in model_events(sample)]


def user_prompts(sample: EvalSample) -> list[str]:
    """The last (user) message of every model call, in order."""
    return [event.input[-1].text for event in model_events(sample)]


def info_texts(sample: EvalSample, source: str | None = None) -> list[str]:
    """The transcript's info events (from one source, if given) as text."""
    return [
        str(event.data)
        for event in sample.events
        if isinstance(event, InfoEvent) and (source is None or event.source == source)
    ]
