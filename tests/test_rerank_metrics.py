"""rm@{n,k} (CodeRM) from the candidates the rerank solver keeps, and the command that prints it."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from inspect_ai import eval

from codecrucible.cli import main
from codecrucible.results.rerank import rm_at
from codecrucible.solvers import rerank
from tests.conftest import example_task, requires_bwrap, scripted_model
from tests.test_rerank import NO_CODE, PAIRS_ABS, PAIRS_RIGHT, PAIRS_WRONG, _judge


def candidate(
    public: bool | None, hidden: bool, reward: float | None, logprob: float
) -> dict[str, Any]:
    return {
        "code": None if public is None else "x",
        "public_passed": public,
        "public_tests_passed": int(bool(public)),
        "hidden_passed": hidden,
        "reward": reward,
        "logprob_sum": logprob,
        "logprob_mean": logprob / 10,
    }


# ABS passes the public tests but not the hidden ones; RIGHT passes both; WRONG neither
POOL = [
    candidate(True, False, 0.3, -5.0),  # ABS
    candidate(None, False, None, -1.0),  # no code
    candidate(True, True, 0.9, -9.0),  # RIGHT
    candidate(False, False, 0.1, -2.0),  # WRONG
]


def test_rm_over_the_whole_pool_is_the_ranking_itself() -> None:
    settings = {"criteria": ["public_tests"]}
    assert rm_at(POOL, "public", 4, 1) == 0.0  # ABS first (stable among public passes)
    assert rm_at(POOL, "public", 4, 2) == 1.0  # then RIGHT
    assert rm_at(POOL, "orm", 4, 1) == 1.0  # RIGHT has the highest reward
    assert rm_at(POOL, "orm+public", 4, 1) == 1.0
    assert rm_at(POOL, "ml", 4, 1) == 0.0  # the no-code answer is the most likely
    assert rm_at(POOL, "ml", 4, 4) == 1.0
    assert rm_at(POOL, "solver", 4, 1, settings=settings) == 0.0  # ties go to the first


def test_rm_over_random_subsets_is_seeded_and_near_its_expectation() -> None:
    def exact(criterion: str, n: int, k: int) -> float:
        subsets = list(itertools.permutations(POOL, n))  # drawn in random order
        return sum(rm_at(list(s), criterion, n, k) or 0.0 for s in subsets) / len(subsets)

    for criterion in ("orm", "public", "ml"):
        value = rm_at(POOL, criterion, 2, 1, perms=400)
        assert value == rm_at(POOL, criterion, 2, 1, perms=400)  # seeded
        assert value == pytest.approx(exact(criterion, 2, 1), abs=0.07)
    # orm+public with no public pass in the subset: unsolved, as CodeRM counts it
    assert rm_at([POOL[2], POOL[3]], "orm+public", 2, 1) == 1.0
    assert rm_at([POOL[3], POOL[1]], "orm+public", 2, 1) == 0.0


def test_missing_rewards_give_no_orm_value_and_bad_sizes_are_refused() -> None:
    without = [dict(c, reward=None) for c in POOL]
    assert rm_at(without, "orm", 4, 1) is None
    with pytest.raises(ValueError, match="k <= n"):
        rm_at(POOL, "orm", 5, 1)


def _rerank_log(tmp_path: Path, **parameters: Any) -> Path:
    outputs = [PAIRS_ABS, NO_CODE, PAIRS_RIGHT, PAIRS_WRONG]
    judges = [_judge(0.3), _judge(0.9), _judge(0.1)]  # one per candidate with a program
    [log] = eval(
        example_task("sum-of-pairs", tmp_path),
        model=scripted_model(*outputs, *judges),
        solver=rerank(n=4, by="public_tests,reward_model", **parameters),
        log_dir=str(tmp_path / "logs"),
        display="none",
    )
    assert log.status == "success", log.error
    assert log.location
    return Path(log.location)


def _metrics(log: Path, *args: str) -> tuple[dict[tuple[str, int, int], float], str]:
    result = CliRunner().invoke(main, ["rerank-metrics", str(log), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert all(row["solver"].startswith("rerank(by=public_tests,reward_model,n=4") for row in rows)
    assert all(row["task"] == "custom" and row["n_problems"] == 1 for row in rows)
    return {(row["metric"], row["n"], row["k"]): row["value"] for row in rows}, result.stderr


@requires_bwrap
def test_rerank_metrics_run_the_hidden_tests_the_log_lacks(tmp_path: Path) -> None:
    values, stderr = _metrics(_rerank_log(tmp_path), "--k", "1,2")
    assert "running the hidden tests of 4 candidates in bwrap" in stderr
    assert values[("pass@k", 4, 1)] == 0.25  # one of four candidates passes
    assert values[("pass@k", 4, 2)] == pytest.approx(0.5)
    assert values[("public@", 4, 1)] == 0.0  # ABS passes the public tests first
    assert values[("public@", 4, 2)] == 1.0
    assert values[("orm@", 4, 1)] == 1.0  # the judge prefers RIGHT
    assert values[("orm+public@", 4, 1)] == 1.0
    assert values[("solver@", 4, 1)] == 1.0  # the run's own choice: public, then reward
    assert ("ml@", 4, 1) not in values  # mockllm returns no log-probabilities
    assert "ml@ not shown: some candidates have no log-probabilities" in stderr


@requires_bwrap
def test_rerank_metrics_use_the_hidden_results_the_log_keeps(tmp_path: Path) -> None:
    values, stderr = _metrics(_rerank_log(tmp_path, score_all_candidates=True), "--n", "2,4")
    assert "running the hidden tests" not in stderr
    assert values[("pass@k", 4, 1)] == 0.25
    assert values[("orm@", 4, 1)] == 1.0
    assert 0.0 < values[("orm@", 2, 1)] < 1.0  # subsets without RIGHT fail


@requires_bwrap
def test_rerank_metrics_on_logs_without_candidates_say_so(tmp_path: Path) -> None:
    from tests.test_results import CHOSEN, make_log

    log = make_log(tmp_path, {CHOSEN[0]: [True]}, epochs=1)
    result = CliRunner().invoke(main, ["rerank-metrics", str(log)])
    assert result.exit_code == 2
    assert "no candidates of the rerank solver in these logs" in result.stderr


def test_the_solver_criterion_and_orm_follow_the_runs_own_settings() -> None:
    # by log-probability, summed: the most likely program; with orm_prod, reward x likelihood
    by_sum = {"criteria": ["logprobs"], "parameters": {"logprob_reduction": "sum"}}
    pool = [candidate(True, False, 0.5, -1.0), candidate(True, True, 0.6, -30.0)]
    assert rm_at(pool, "solver", 2, 1, settings=by_sum) == 0.0
    assert rm_at(pool, "orm", 2, 1) == 1.0  # the reward alone prefers the second
    unnormalized = {"parameters": {"orm_prod": "unnormalized"}}
    assert rm_at(pool, "orm", 2, 1, settings=unnormalized) == 0.0  # 0.6 e^-30 < 0.5 e^-1


def test_at_the_whole_pool_the_solver_criterion_is_the_runs_own_choice() -> None:
    # ties go to the first generated, as the solver breaks them: candidate 1, which fails
    pool = [
        candidate(False, False, 0.1, -1.0),
        candidate(True, False, 0.2, -1.0),
        candidate(False, False, 0.3, -1.0),
        candidate(True, True, 0.4, -1.0),
    ]
    assert rm_at(pool, "solver", 4, 1, settings={"criteria": ["public_tests"]}) == 0.0
    assert rm_at(pool, "public", 4, 1) == 0.0
    assert rm_at(pool, "public", 4, 2) == 1.0


def test_orm_public_without_public_results_and_a_zero_log_probability() -> None:
    no_public = [candidate(None, True, 0.9, -1.0), candidate(None, False, 0.1, -1.0)]
    for c in no_public:
        c["code"] = "x"
    assert rm_at(no_public, "orm", 2, 1) == 1.0
    assert rm_at(no_public, "orm+public", 2, 1) is None  # nothing to filter by: not shown
    certain = [candidate(True, True, 0.5, 0.0), candidate(True, False, 0.5, -5.0)]
    assert rm_at(certain, "ml", 2, 1) == 1.0  # log-probability 0.0 is the most likely


def test_problems_whose_samples_errored_count_as_unsolved() -> None:
    from codecrucible.results.logs import Run
    from codecrucible.results.rerank import ProblemPool, rerank_table

    run = Run("t", "m", "rerank")
    solved = ProblemPool("a", candidates=[candidate(True, True, 0.9, -1.0)] * 2)
    rows, notes = rerank_table({run: {"a": solved, "b": ProblemPool("b")}}, None, [1])
    values = {row.metric: (row.value, row.n_problems) for row in rows}
    assert values["pass@k"] == (0.5, 2) and values["public@"] == (0.5, 2)
