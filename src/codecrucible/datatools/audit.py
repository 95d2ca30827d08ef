"""`codecrucible data audit`: check a task's tests against the source's own solutions.

Every reference solution should pass its problem's tests; where one does not,
the tests (or the reference) are broken, and a model is graded against them.
Every known-incorrect solution should fail; where one passes, the tests are too
weak to tell. AlphaCodium masked invalid CodeContests tests by hand and
LiveCodeBench keeps an errata list; this finds both kinds for any task.

The solutions run exactly as the task's scorer runs a candidate: the sample's
test sets, comparator, limits and execution mode, in a sandbox of the user's
choice.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import anyio
from inspect_ai.dataset import Sample

from codecrucible.datasets import DatasetError, problem_for
from codecrucible.errors import InputError
from codecrucible.execution import ExecutionResult, execute_as_scored
from codecrucible.execution.standalone import open_sandbox
from codecrucible.problem import CodeProblem


@dataclass
class SolutionFailure:
    """A reference solution that its own problem's tests reject."""

    solution: int
    status: str
    """The first failing test's verdict (`wrong_answer`, `timeout`, ...)."""
    failing_tests: list[int]
    """Indices (within the scored tests) of every test it failed."""
    message: str


@dataclass
class ProblemAudit:
    """What the audit found for one problem."""

    id: str
    tests: int
    references_run: int = 0
    reference_failures: list[SolutionFailure] = field(default_factory=list)
    incorrect_run: int = 0
    incorrect_passed: list[int] = field(default_factory=list)
    """Indices of incorrect solutions that passed every test."""
    references: int = 0
    """Reference solutions the problem has (some may be left unrun: `max_solutions`)."""
    error: str | None = None
    """Why the problem could not be loaded (a malformed row): reported, not fatal."""

    @property
    def broken(self) -> bool:
        return bool(self.reference_failures)

    @property
    def weak(self) -> bool:
        return bool(self.incorrect_passed)

    def tests_rejecting_every_reference(self) -> list[int]:
        """Tests that every reference run failed: the likeliest broken tests."""
        if not self.reference_failures or len(self.reference_failures) < self.references_run:
            return []
        common = set(self.reference_failures[0].failing_tests)
        for failure in self.reference_failures[1:]:
            common &= set(failure.failing_tests)
        return sorted(common)


@dataclass
class AuditReport:
    """The audit of a whole task."""

    task: str
    task_args: dict[str, Any]
    sandbox: str
    problems: list[ProblemAudit]
    elapsed_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        """Counts over the task."""
        return {
            "problems": len(self.problems),
            "problems_with_references": sum(1 for p in self.problems if p.references_run),
            "references_run": sum(p.references_run for p in self.problems),
            "references_failed": sum(len(p.reference_failures) for p in self.problems),
            "broken_problems": sum(1 for p in self.problems if p.broken),
            "problems_with_incorrect": sum(1 for p in self.problems if p.incorrect_run),
            "incorrect_run": sum(p.incorrect_run for p in self.problems),
            "incorrect_passed": sum(len(p.incorrect_passed) for p in self.problems),
            "weak_problems": sum(1 for p in self.problems if p.weak),
            "unloadable_problems": sum(1 for p in self.problems if p.error),
        }

    def to_json(self) -> dict[str, Any]:
        """The report as written by `--output`: summary, then the problems that need a look."""
        return {
            "task": self.task,
            "task_args": self.task_args,
            "sandbox": self.sandbox,
            "elapsed_s": round(self.elapsed_s, 1),
            "summary": self.summary(),
            "broken": [
                {
                    **asdict(p),
                    "tests_rejecting_every_reference": p.tests_rejecting_every_reference(),
                }
                for p in self.problems
                if p.broken
            ],
            "weak": [asdict(p) for p in self.problems if p.weak],
            "without_references": [p.id for p in self.problems if not p.references and not p.error],
            "without_tests": [p.id for p in self.problems if not p.tests and not p.error],
            "unloadable": [{"id": p.id, "error": p.error} for p in self.problems if p.error],
        }


def build_task(name: str, task_args: Mapping[str, Any]) -> Any:
    """A codecrucible task by name (`mbpp`, `codecrucible/mbpp` or `tasks/mbpp.py`)."""
    import codecrucible.tasks as tasks

    short = Path(name).stem if name.endswith(".py") else name.removeprefix("codecrucible/")
    function = getattr(tasks, short, None) if short in tasks.__all__ else None
    if function is None:
        raise InputError(f"unknown task {name!r}; choose one of {', '.join(tasks.__all__)}")
    accepted = inspect.signature(function).parameters
    unknown = [key for key in task_args if key not in accepted]
    if unknown:
        raise InputError(
            f"{short} has no parameter {unknown[0]!r}; its parameters: {', '.join(accepted)}"
        )
    return function(**task_args)


async def _run(
    problem: CodeProblem, code: str, settings: Mapping[str, Any], sandbox: Any, all_tests: bool
) -> ExecutionResult:
    return await execute_as_scored(
        problem,
        code,
        problem.tests(settings["tests"]),
        settings,
        stop_on_failure=not all_tests,
        sandbox=sandbox,
    )


async def _audit_solutions(
    audit: ProblemAudit,
    problem: CodeProblem,
    settings: Mapping[str, Any],
    environment: Any,
    max_solutions: int | None,
    incorrect: bool,
) -> None:
    """Run one problem's solutions; references run every test, to name the broken ones."""
    for index, code in enumerate(problem.reference_solutions[:max_solutions]):
        result = await _run(problem, code, settings, environment, all_tests=True)
        audit.references_run += 1
        if not result.passed:
            failure = result.first_failure
            audit.reference_failures.append(
                SolutionFailure(
                    solution=index,
                    status=failure.status if failure else "failed",
                    failing_tests=[v.index for v in result.verdicts if not v.passed],
                    message=(failure.message if failure else "")[:300],
                )
            )
    if not incorrect:
        return
    for index, code in enumerate(problem.incorrect_solutions[:max_solutions]):
        result = await _run(problem, code, settings, environment, all_tests=False)
        audit.incorrect_run += 1
        if result.passed:
            audit.incorrect_passed.append(index)


async def audit_task(
    name: str,
    task_args: Mapping[str, Any] | None = None,
    *,
    sandbox: str = "bwrap",
    max_solutions: int | None = 5,
    incorrect: bool = True,
    limit: int | None = None,
    concurrency: int = 4,
    progress: Callable[[int, int], None] | None = None,
) -> AuditReport:
    """Run a task's reference (and incorrect) solutions through its own scoring settings.

    Args:
        name: The task (`mbpp`, `codecrucible/code_contests`, `tasks/taco.py`).
        task_args: The task's parameters, as `-T` gives them.
        sandbox: Where the solutions run (`bwrap`, `docker` or `local`).
        max_solutions: Solutions of each kind to run per problem (None: all).
        incorrect: Also run the known-incorrect solutions, where the source has them.
        limit: Audit only the first `limit` problems.
        concurrency: Problems audited at once.
        progress: Called with (done, total) as problems finish.
    """
    started = time.monotonic()
    args = dict(task_args or {})
    task = build_task(name, args)
    samples = list(task.dataset)[:limit] if limit else list(task.dataset)
    audits: list[ProblemAudit] = []
    done = 0
    # problems in flight at once: each holds its tests in memory while it runs
    gate = anyio.Semaphore(max(1, concurrency))

    async def audit_problem(sample: Sample, environment: Any) -> None:
        nonlocal done
        try:
            metadata = sample.metadata or {}
            try:
                problem = problem_for(metadata, sample.id or "")
            except DatasetError as exc:  # one malformed row must not stop the audit
                audits.append(ProblemAudit(id=str(sample.id), tests=0, error=str(exc)))
                return
            settings = metadata["scoring"]
            audit = ProblemAudit(
                id=problem.id,
                tests=len(problem.tests(settings["tests"])),
                references=len(problem.reference_solutions),
            )
            audits.append(audit)
            if audit.tests:
                await _audit_solutions(
                    audit, problem, settings, environment, max_solutions, incorrect
                )
        finally:
            gate.release()
            done += 1
            if progress:
                progress(done, len(samples))

    if progress:
        progress(0, len(samples))
    async with open_sandbox(sandbox) as environment, anyio.create_task_group() as group:
        for sample in samples:
            await gate.acquire()
            group.start_soon(audit_problem, sample, environment)
    order = {sample.id: position for position, sample in enumerate(samples)}
    audits.sort(key=lambda audit: order.get(audit.id, len(order)))
    return AuditReport(
        task=name,
        task_args=args,
        sandbox=sandbox,
        problems=audits,
        elapsed_s=time.monotonic() - started,
    )
