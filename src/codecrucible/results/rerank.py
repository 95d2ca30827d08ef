"""Reranking metrics over the candidates the rerank solver keeps: CodeRM's rm@{n,k}.

For each problem, n candidates are drawn at random (seeded) from all it generated
(every epoch's candidates pooled: they are draws of the same prompt), ranked by a
criterion, and the problem counts as solved when one of the top k passes the
hidden tests; the fraction is averaged over `perms` draws, then over problems
(CodeRM's `get_reward_acc`, `coderm/eval/metrics.py`). The criteria:

- `orm`: the reward model's P(pass), highest first (`orm_prod` multiplies by the
  likelihood as CodeRM's `--orm-prod normalized|unnormalized`);
- `public`: candidates that pass every public test first, otherwise in the order drawn;
- `orm+public`: only candidates passing the public tests, by reward; none: unsolved;
- `ml`: cumulative log-probability, highest first;
- `solver`: the run's own ranking (`by=` of the solver), as `rank_candidates` does.

Plain pass@k of the same candidates is given beside them. Whether a candidate
passes the hidden tests is read from the log (`score_all_candidates=true`), or
found by running them now in a sandbox.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from codecrucible.results.logs import Run, SampleRecord
from codecrucible.results.passk import pass_at_k

CRITERIA = ("orm", "public", "orm+public", "ml", "solver")
NEEDS = {
    "orm": "reward (rank with by=reward_model)",
    "orm+public": "reward (rank with by=reward_model)",
    "public": "public-test result (the problem has no public tests)",
    "ml": "log-probabilities (the provider returned none)",
}
CODERM_SEED = 42
DEFAULT_PERMS = 50


@dataclass
class ProblemPool:
    """Every candidate one problem got in a run, and how the run ranked them."""

    problem: str
    candidates: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


def pools(records: Iterable[SampleRecord]) -> tuple[dict[Run, dict[str, ProblemPool]], list[str]]:
    """Candidates per run and problem, from samples of the rerank solver (others noted)."""
    found: dict[Run, dict[str, ProblemPool]] = {}
    notes: list[str] = []
    skipped: dict[Run, int] = {}
    errored: dict[Run, set[str]] = {}
    for record in records:
        solver = record.metadata.get("codecrucible") or {}
        candidates = solver.get("candidates") if isinstance(solver, dict) else None
        if not candidates:
            if record.error is not None:
                errored.setdefault(record.run, set()).add(record.problem)
            else:
                skipped[record.run] = skipped.get(record.run, 0) + 1
            continue
        pool = found.setdefault(record.run, {}).setdefault(
            record.problem, ProblemPool(record.problem)
        )
        pool.candidates += [dict(candidate) for candidate in candidates]
        pool.settings = dict(solver.get("rerank") or {})
        pool.metadata = record.metadata
    for run, count in skipped.items():
        if run not in found:
            notes.append(f"{run.label()}: no rerank candidates in its {count} samples (skipped)")
    for run, problems in errored.items():
        if run not in found:
            continue
        # as in passk, an errored sample is a failure: its problem counts, unsolved
        lost = sorted(problems - set(found[run]))
        for problem in lost:
            found[run][problem] = ProblemPool(problem)
        if lost:
            notes.append(
                f"{run.label()}: {len(lost)} problems whose samples errored count as unsolved"
            )
    return found, notes


def _order(
    candidates: Sequence[Mapping[str, Any]], criterion: str, settings: Mapping[str, Any]
) -> list[int] | None:
    """Indices best first by a criterion; None when the candidates lack what it needs."""
    from codecrucible.solvers.rerank import criterion_value, rank_candidates

    positions = list(range(len(candidates)))
    with_code = [c for c in candidates if c.get("code") is not None]
    parameters = settings.get("parameters") or {}
    orm_prod = parameters.get("orm_prod", "none")
    if criterion == "solver":
        return rank_candidates(
            candidates,
            settings.get("criteria") or ["public_tests"],
            logprob_reduction=parameters.get("logprob_reduction", "mean"),
            orm_prod=orm_prod,
        )
    if criterion == "public":
        if with_code and all(c.get("public_passed") is None for c in with_code):
            return None
        return sorted(positions, key=lambda i: not candidates[i].get("public_passed"))
    if criterion == "ml":
        if any(c.get("logprob_sum") is None for c in with_code):
            return None

        def likelihood(i: int) -> float:
            value = candidates[i].get("logprob_sum")
            return -math.inf if value is None else float(value)

        return sorted(positions, key=lambda i: -likelihood(i))
    # orm, orm+public
    if any(c.get("reward") is None for c in with_code):
        return None
    if (
        criterion == "orm+public"
        and with_code
        and all(c.get("public_passed") is None for c in with_code)
    ):
        return None  # no public-test result to filter by

    def reward(i: int) -> float:
        value = criterion_value(candidates[i], "reward_model", orm_prod=orm_prod)
        return -1.0 if value is None else value

    pool = positions
    if criterion == "orm+public":
        pool = [i for i in positions if candidates[i].get("public_passed")]
    return sorted(pool, key=lambda i: -reward(i))


def rm_at(
    pool: Sequence[Mapping[str, Any]],
    criterion: str,
    n: int,
    k: int,
    *,
    settings: Mapping[str, Any] | None = None,
    perms: int = DEFAULT_PERMS,
    seed: int = CODERM_SEED,
) -> float | None:
    """rm@{n,k} of one problem: the mean over `perms` random n-subsets of "a top-k passes".

    None when the candidates lack what the criterion needs. With n equal to the
    pool size the pool is ranked as generated (ties go to the first), as the solver did.
    """
    if not 1 <= k <= n <= len(pool):
        raise ValueError(f"rm@{{n,k}} needs 1 <= k <= n <= {len(pool)} (n={n}, k={k})")
    rng = random.Random(seed)
    whole = n == len(pool)  # the ranking itself, in the order generated (ties: the first)
    draws = 1 if whole else perms
    solved = 0
    for _ in range(draws):
        subset = list(pool) if whole else rng.sample(list(pool), n)
        order = _order(subset, criterion, settings or {})
        if order is None:
            return None
        solved += any(subset[i].get("hidden_passed") for i in order[:k])
    return solved / draws


@dataclass
class RerankRow:
    """One metric of one run."""

    task: str
    model: str
    solver: str
    metric: str
    n: int
    k: int
    value: float
    n_problems: int

    def as_dict(self) -> dict[str, Any]:
        """The row as the JSON output gives it."""
        return dict(self.__dict__)


def rerank_table(
    runs: Mapping[Run, Mapping[str, ProblemPool]],
    ns: Sequence[int] | None,
    ks: Sequence[int],
    *,
    perms: int = DEFAULT_PERMS,
    progress: Callable[[], None] | None = None,
) -> tuple[list[RerankRow], list[str]]:
    """pass@k and rm@{n,k} per criterion, for each run, n (default: the smallest pool) and k."""
    rows: list[RerankRow] = []
    notes: list[str] = []
    for run in sorted(runs, key=lambda r: (r.task, r.model, r.solver)):
        problems = [p for p in runs[run].values() if p.candidates]
        unsolved = sum(1 for p in runs[run].values() if not p.candidates)  # errored samples
        missing: set[str] = set()
        smallest = min(len(p.candidates) for p in problems)
        for k in ks:
            if k > smallest:
                notes.append(
                    f"{run.label()}: pass@{k} needs {k} candidates; the fewest is {smallest}"
                )
                continue
            values = [
                pass_at_k(
                    len(p.candidates), sum(bool(c.get("hidden_passed")) for c in p.candidates), k
                )
                for p in problems
            ]
            rows.append(_row(run, "pass@k", smallest, k, values + [0.0] * unsolved))
        for n in ns or [smallest]:
            if n > smallest:
                notes.append(f"{run.label()}: n={n} exceeds the fewest candidates ({smallest})")
                continue
            for k in ks:
                if k > n:
                    notes.append(f"{run.label()}: rm@{{{n},{k}}} needs k <= n (not shown)")
                    continue
                for criterion in CRITERIA:
                    found = [
                        rm_at(p.candidates, criterion, n, k, settings=p.settings, perms=perms)
                        for p in problems
                    ]
                    if progress is not None:
                        progress()
                    if any(value is None for value in found):
                        missing.add(criterion)
                        continue
                    values = [v for v in found if v is not None] + [0.0] * unsolved
                    rows.append(_row(run, f"{criterion}@", n, k, values))
        for criterion in sorted(missing):
            needs = NEEDS[criterion]
            notes.append(f"{run.label()}: {criterion}@ not shown: some candidates have no {needs}")
    return rows, notes


def _row(run: Run, metric: str, n: int, k: int, values: Sequence[float]) -> RerankRow:
    return RerankRow(
        task=run.task,
        model=run.model,
        solver=run.solver,
        metric=metric,
        n=n,
        k=k,
        value=sum(values) / len(values),
        n_problems=len(values),
    )


def needs_hidden_results(runs: Mapping[Run, Mapping[str, ProblemPool]]) -> int:
    """How many candidates have no recorded hidden-test result."""
    return sum(
        "hidden_passed" not in candidate
        for problems in runs.values()
        for pool in problems.values()
        for candidate in pool.candidates
    )


async def run_hidden_tests(
    runs: Mapping[Run, Mapping[str, ProblemPool]],
    sandbox: Any,
    progress: Callable[[], None] | None = None,
) -> None:
    """Run the hidden tests of every candidate whose result the log does not hold.

    The tests are those the task scores with (the sample's `scoring` settings),
    loaded from the problem's source as the scorer does; a program with no code
    fails. Identical programs of a problem run once.
    """
    from codecrucible.datasets import problem_for
    from codecrucible.execution import execute_as_scored

    for problems in runs.values():
        for pool in problems.values():
            todo = [c for c in pool.candidates if "hidden_passed" not in c]
            if not todo:
                continue
            problem = problem_for(pool.metadata, pool.problem)
            settings = pool.metadata.get("scoring") or {}
            tests = problem.tests(settings.get("tests") or ["private", "generated"])
            results: dict[str, bool] = {}
            for candidate in todo:
                code = candidate.get("code")
                if code is None or not tests:
                    candidate["hidden_passed"] = False if code is None else None
                elif code not in results:
                    result = await execute_as_scored(
                        problem, code, tests, settings, stop_on_failure=True, sandbox=sandbox
                    )
                    results[code] = result.passed
                if code in results:
                    candidate["hidden_passed"] = results[code]
                if progress is not None:
                    progress()
