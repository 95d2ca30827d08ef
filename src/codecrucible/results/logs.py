"""Reading eval logs into one record per sample and epoch, for every results command.

A run is identified by task, model and solver. Logs of the same run are pooled
(two runs of 5 epochs make 10 samples per problem), except that a log replaced
by `inspect eval-retry` (same task id) counts once, in its newest version.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_ai.log import (
    EvalLog,
    EvalSample,
    EvalSampleSummary,
    list_eval_logs,
    read_eval_log,
    read_eval_log_sample_summaries,
    read_eval_log_samples,
)
from inspect_ai.scorer import CORRECT, Score

from codecrucible.errors import InputError

PREFIX = "codecrucible/"
MAIN_SCORERS = ("tests", "swe_patch")
"""The scorers whose verdict is the sample's pass or fail (the first score otherwise)."""


@dataclass(frozen=True)
class Run:
    """What one log evaluated: the key results are grouped by."""

    task: str
    model: str
    solver: str

    def label(self) -> str:
        """`task · model · solver`, for messages."""
        return f"{self.task} · {self.model} · {self.solver}"


@dataclass
class SampleRecord:
    """One sample and epoch of a log, as the results commands read it."""

    run: Run
    log: str
    problem: str
    epoch: int
    passed: bool | None
    """None: unscored (no tests to decide, nothing to replay); excluded from pass@k."""
    error: str | None
    """The sample errored (the machinery's fault): counted as a failure, and shown."""
    metadata: dict[str, Any]
    input_tokens: int
    output_tokens: int
    total_time: float | None
    score: Score | None
    sample: EvalSample | None = field(default=None, repr=False)
    """The full sample, when the reader was asked for it (`full=True`)."""

    @property
    def tokens(self) -> int:
        """Input and output tokens of every model the sample used."""
        return self.input_tokens + self.output_tokens


def find_logs(paths: Sequence[str | Path]) -> list[Path]:
    """The eval logs at these paths (files, or directories searched recursively).

    Raises:
        InputError: a path does not exist, or no log is found at all.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            found += sorted(
                Path(info.name.removeprefix("file://"))
                for info in list_eval_logs(str(path.resolve()), recursive=True)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(f"no such log file or directory: {raw}")
    if not found:
        raise InputError(
            f"no eval logs (.eval or .json) in {', '.join(map(str, paths))}; "
            "run `inspect eval ... --log-dir DIR` first"
        )
    return list(dict.fromkeys(found))


def _short(name: str) -> str:
    return name.removeprefix(PREFIX)


def _value(raw: Any) -> str:
    return ",".join(map(str, raw)) if isinstance(raw, list) else str(raw)


def solver_label(log: EvalLog) -> str:
    """The solver as a reader of a table would name it: `feedback(max_turns=3)`.

    The solver and arguments given on the command line (`--solver`, `-S`) when
    there are some; otherwise the task's own solver chain, by name.
    """
    if log.eval.solver:
        args = log.eval.solver_args_passed or {}  # those given, not every default
        shown = ",".join(f"{key}={_value(value)}" for key, value in sorted(args.items()))
        return _short(log.eval.solver) + (f"({shown})" if shown else "")
    steps = (
        [_step_label(step.solver, step.params_passed) for step in log.plan.steps]
        if log.plan
        else []
    )
    return "+".join(steps) or "unknown"


def _step_label(name: str, passed: Mapping[str, Any] | None) -> str:
    """A plan step's solver with the arguments it was given that differ from its defaults.

    Runs whose solver was set on the task (a sweep's cells) carry their arguments
    here only: `reference(which=incorrect)` must not pool with `reference`.
    """
    shown = dict(passed or {})
    try:
        from inspect_ai._util.registry import registry_lookup

        function = registry_lookup("solver", name)
        if not callable(function):
            raise LookupError(name)
        defaults = {
            key: parameter.default
            for key, parameter in inspect.signature(function).parameters.items()
            if parameter.default is not inspect.Parameter.empty
        }
        shown = {key: value for key, value in shown.items() if defaults.get(key, object()) != value}
    except Exception:  # a solver not registered here: show what was passed
        pass
    inner = ",".join(f"{key}={_value(value)}" for key, value in sorted(shown.items()))
    return _short(name) + (f"({inner})" if inner else "")


def read_headers(paths: Iterable[Path]) -> list[tuple[Path, EvalLog]]:
    """Each log's header, with logs superseded by an `eval-retry` of the same task left out."""
    headers: dict[str, tuple[Path, EvalLog]] = {}
    for path in paths:
        try:
            log = read_eval_log(str(path), header_only=True)
        except Exception as exc:  # a truncated file, a JSON that is not a log
            raise InputError(f"{path} is not a readable eval log: {exc}") from None
        key = log.eval.task_id or str(path)
        previous = headers.get(key)
        if previous is None or log.eval.created > previous[1].eval.created:
            headers[key] = (path, log)
    return sorted(headers.values(), key=lambda item: str(item[0]))


def _shown(value: Any) -> str:
    """A setting as a label shows it: file paths by their name (they are long)."""
    text = _value(value)
    return ",".join(Path(part).name if "/" in part else part for part in text.split(","))


def _qualified(entries: Sequence[tuple[Path, str, dict[str, Any]]]) -> dict[Path, str]:
    """Names qualified by the settings that differ between entries of the same name.

    `entries`: (log, name, settings). Settings that do not change what is measured
    (the mirror of repositories, the pass@k list, which only sets the epochs) never
    qualify a name.
    """
    by_name: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
    for path, name, settings in entries:
        by_name.setdefault(name, []).append((path, settings))
    labels: dict[Path, str] = {}
    for name, members in by_name.items():
        keys = sorted({key for _, settings in members for key in settings})
        varying = [
            key
            for key in keys
            if len({repr(settings.get(key)) for _, settings in members}) > 1
            and key not in ("repo_dir", "k")
        ]
        for path, settings in members:
            shown = ",".join(f"{key}={_shown(settings.get(key))}" for key in varying)
            labels[path] = name + (f"[{shown}]" if shown else "")
    return labels


def _task_labels(headers: Sequence[tuple[Path, EvalLog]]) -> dict[Path, str]:
    """Task names, qualified by the task arguments that tell apart logs of the same task."""
    return _qualified(
        [(path, _short(log.eval.task), dict(log.eval.task_args or {})) for path, log in headers]
    )


def _model_labels(headers: Sequence[tuple[Path, EvalLog]]) -> dict[Path, str]:
    """Model names, qualified by the generation settings and `-M` arguments that differ.

    Logs of one model at temperature 0 and at 1 are two runs, not one pool.
    """
    entries = []
    for path, log in headers:
        # the model's own settings, and the eval's (`--temperature` and the like)
        config = log.eval.model_generate_config.model_dump(exclude_none=True)
        if log.plan is not None:
            config.update(log.plan.config.model_dump(exclude_none=True))
        settings = {
            key: value
            for key, value in config.items()
            if key not in ("max_connections", "max_retries", "timeout", "attempt_timeout")
        }
        settings.update({f"M.{k}": v for k, v in (log.eval.model_args or {}).items()})
        entries.append((path, log.eval.model, settings))
    return _qualified(entries)


def incomplete(header: EvalLog) -> str | None:
    """Why a log may lack samples (it errored or was cancelled), or None when it finished."""
    if header.status == "success":
        return None
    done = header.results.completed_samples if header.results else 0
    total = header.results.total_samples if header.results else 0
    return (
        f"{header.location or header.eval.task}: status {header.status} ({done} of {total} "
        "samples completed); its missing samples are not counted: run inspect eval-retry"
    )


def verdict(scores: dict[str, Score] | None) -> tuple[bool | None, Score | None]:
    """Pass, fail or unscored (None), from the main scorer's value, and that score."""
    if not scores:
        return None, None
    name = next((name for name in MAIN_SCORERS if name in scores), next(iter(scores)))
    score = scores[name]
    value = score.value
    if isinstance(value, str):
        return value == CORRECT, score
    if isinstance(value, bool | int | float):
        if isinstance(value, float) and math.isnan(value):
            return None, score
        return float(value) >= 1.0, score
    return None, score


def _record(
    run: Run, path: Path, sample: EvalSample | EvalSampleSummary, *, full: bool
) -> SampleRecord:
    passed, score = verdict(sample.scores)
    usage = sample.model_usage.values()
    return SampleRecord(
        run=run,
        log=str(path),
        problem=str(sample.id),
        epoch=sample.epoch,
        passed=passed,
        error=(sample.error.message if isinstance(sample, EvalSample) else sample.error)
        if sample.error
        else None,
        metadata=dict(sample.metadata or {}),
        input_tokens=sum(u.input_tokens for u in usage),
        output_tokens=sum(u.output_tokens for u in usage),
        total_time=sample.total_time,
        score=score,
        sample=sample if full and isinstance(sample, EvalSample) else None,
    )


def read_records(
    paths: Sequence[str | Path], *, full: bool = False
) -> Iterator[tuple[EvalLog, SampleRecord]]:
    """Every sample and epoch of the logs at `paths`, with its log's header.

    Args:
        paths: Log files or directories.
        full: Read whole samples (messages, events, full metadata) rather than the
            summaries a log keeps for fast listing; slower on large logs.
    """
    headers = read_headers(find_logs(paths))
    tasks, models = _task_labels(headers), _model_labels(headers)
    for path, header in headers:
        run = Run(task=tasks[path], model=models[path], solver=solver_label(header))
        samples: Iterable[EvalSample | EvalSampleSummary] = (
            read_eval_log_samples(str(path), all_samples_required=False)
            if full
            else read_eval_log_sample_summaries(str(path))
        )
        for sample in samples:
            yield header, _record(run, path, sample, full=full)
