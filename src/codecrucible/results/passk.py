"""pass@k by the unbiased estimator, with bootstrap intervals over problems.

For a problem with n samples of which c pass, pass@k = 1 - C(n-c, k) / C(n, k)
(Chen et al. 2021), computed in the numerically stable product form. A run's
pass@k is the mean over its problems; the 95% interval resamples problems with
replacement. An errored sample counts as one of the n and as a failure (it is
never dropped from the denominator) and is reported; an unscored one (nothing
could decide it) is left out and reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from codecrucible.results.logs import Run, SampleRecord

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0
GROUP_FIELDS = ("difficulty", "platform", "month", "source")


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k of one problem with n samples, c of them correct."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def bootstrap_interval(
    values: Sequence[float],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float]:
    """The 95% percentile interval of the mean, resampling the values with replacement."""
    data = np.asarray(values, dtype=float)
    if len(data) == 0:
        return float("nan"), float("nan")
    if len(data) == 1:
        return float(data[0]), float(data[0])
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), size=(resamples, len(data)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


@dataclass
class ProblemCounts:
    """One problem's samples in a run."""

    n: int = 0
    correct: int = 0
    errors: int = 0
    unscored: int = 0
    records: list[SampleRecord] = field(default_factory=list)


def group_value(record: SampleRecord, by: str) -> str:
    """The value of a grouping field for a sample (`unknown` where the data has none)."""
    metadata = record.metadata
    if by == "month":
        released = metadata.get("release_date")
        return str(released)[:7] if released else "unknown"
    if by == "source":
        source = metadata.get("problem_source")
        args = metadata.get("problem_args")
        config = args.get("config") if isinstance(args, dict) else None
        if not source:
            return "unknown"
        return f"{source}/{config}" if config else str(source)
    value = metadata.get(by)
    return str(value) if value not in (None, "") else "unknown"


def count_problems(records: Iterable[SampleRecord]) -> dict[str, ProblemCounts]:
    """Samples, passes, errors and unscored samples per problem."""
    problems: dict[str, ProblemCounts] = {}
    for record in records:
        counts = problems.setdefault(record.problem, ProblemCounts())
        counts.records.append(record)
        if record.error is not None:
            counts.n += 1
            counts.errors += 1
        elif record.passed is None:
            counts.unscored += 1
        else:
            counts.n += 1
            counts.correct += int(record.passed)
    return problems


@dataclass
class PassAtK:
    """One row of the pass@k table."""

    task: str
    model: str
    solver: str
    k: int
    pass_at_k: float
    ci_low: float
    ci_high: float
    n_problems: int
    n_samples_per_problem: int
    errors: int
    unscored: int = 0
    group: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The row as the JSON output gives it (`group` only when grouped)."""
        row: dict[str, Any] = {
            "task": self.task,
            "model": self.model,
            "solver": self.solver,
            "k": self.k,
            "pass_at_k": self.pass_at_k,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "n_problems": self.n_problems,
            "n_samples_per_problem": self.n_samples_per_problem,
            "errors": self.errors,
            "unscored": self.unscored,
        }
        if self.group is not None:
            row["group"] = self.group
        return row


def rows_for(
    run: Run,
    problems: dict[str, ProblemCounts],
    ks: Sequence[int] | None,
    group: str | None = None,
) -> tuple[list[PassAtK], list[str]]:
    """pass@k rows of one run (or one group of it), and notes on what could not be shown.

    A k larger than the fewest scored samples of any problem has no unbiased
    estimate and is skipped with a note; so is a run with no scored problem.
    """
    scored = {pid: counts for pid, counts in problems.items() if counts.n > 0}
    errors = sum(counts.errors for counts in problems.values())
    unscored = sum(counts.unscored for counts in problems.values())
    where = run.label() + (f" [{group}]" if group is not None else "")
    if not scored:
        return [], [f"{where}: no scored sample ({unscored} unscored, {errors} errored)"]
    n_min = min(counts.n for counts in scored.values())
    wanted = list(ks) if ks else [1]
    rows, notes = [], []
    for k in wanted:
        if k > n_min:
            notes.append(
                f"{where}: pass@{k} needs {k} samples per problem; the fewest here is "
                f"{n_min} (run more --epochs)"
            )
            continue
        values = [pass_at_k(c.n, c.correct, k) for c in scored.values()]
        low, high = bootstrap_interval(values)
        rows.append(
            PassAtK(
                task=run.task,
                model=run.model,
                solver=run.solver,
                k=k,
                pass_at_k=float(np.mean(values)),
                ci_low=low,
                ci_high=high,
                n_problems=len(scored),
                n_samples_per_problem=n_min,
                errors=errors,
                unscored=unscored,
                group=group,
            )
        )
    return rows, notes


def pass_at_k_table(
    records: Iterable[SampleRecord],
    ks: Sequence[int] | None = None,
    by: str | None = None,
    on_record: Callable[[SampleRecord], None] | None = None,
) -> tuple[list[PassAtK], list[str]]:
    """pass@k rows per run (task x model x solver), and per group of `by` when given.

    With `by`, each run's overall rows come first, with group `all`.
    """
    runs: dict[Run, list[SampleRecord]] = {}
    for record in records:
        runs.setdefault(record.run, []).append(record)
        if on_record is not None:
            on_record(record)
    rows: list[PassAtK] = []
    notes: list[str] = []
    for run in sorted(runs, key=lambda r: (r.task, r.model, r.solver)):
        run_records = runs[run]
        found, said = rows_for(run, count_problems(run_records), ks, group="all" if by else None)
        rows += found
        notes += said
        if by:
            groups: dict[str, list[SampleRecord]] = {}
            for record in run_records:
                groups.setdefault(group_value(record, by), []).append(record)
            for value in sorted(groups):
                found, said = rows_for(run, count_problems(groups[value]), ks, group=value)
                rows += found
                notes += said
    return rows, notes
