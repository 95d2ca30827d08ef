"""The results commands on real logs made with a scripted model: passk, export, profile, leaderboard."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from inspect_ai import eval
from inspect_ai.model import ChatMessage, Model, ModelOutput, get_model

from codecrucible.cli import main
from codecrucible.datasets import load_problems
from codecrucible.results.passk import bootstrap_interval, pass_at_k
from codecrucible.tasks.code_contests import code_contests
from tests.browser import browser_page, colour_pixels, requires_browser
from tests.conftest import CODE_CONTESTS_FIXTURE, requires_bwrap, scripted_output

WRONG = "```python\nprint(0)\n```"


def exact_pass_at_k(n: int, c: int, k: int) -> float:
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def test_the_estimator_is_exact_including_its_edges() -> None:
    for n in range(1, 12):
        for c in range(n + 1):
            for k in range(1, n + 1):
                assert pass_at_k(n, c, k) == pytest.approx(exact_pass_at_k(n, c, k), abs=1e-12)
    assert pass_at_k(5, 0, 5) == 0.0  # k = n, c = 0
    assert pass_at_k(5, 1, 5) == 1.0  # k = n, one correct
    assert pass_at_k(200, 3, 1) == pytest.approx(3 / 200)
    with pytest.raises(ValueError, match="k <= n"):
        pass_at_k(3, 1, 4)


def test_the_bootstrap_interval_holds_the_mean_and_is_seeded() -> None:
    values = [0.0, 0.0, 1.0, 1.0, 0.5, 0.25, 1.0, 0.0]
    low, high = bootstrap_interval(values)
    assert low < sum(values) / len(values) < high
    assert (low, high) == bootstrap_interval(values)
    assert bootstrap_interval([0.4]) == (0.4, 0.4)


# ---- logs with known per-problem counts -------------------------------------------------------

PROBLEMS = load_problems("code_contests", data_files=str(CODE_CONTESTS_FIXTURE), split="test")
CHOSEN = ["1500_A. Sum of Two", "1500_B. Circle Area", "1500_C. Sorted Lines"]


def planned_model(plan: dict[str, Sequence[bool | str]]) -> Model:
    """A model answering each problem's prompts in turn as planned.

    True: the problem's reference solution; False: a wrong program; "error": the
    call fails as a provider's would (the sample errors).
    """
    remaining = {pid: list(outcomes) for pid, outcomes in plan.items()}

    def answer(messages: list[ChatMessage], *_: Any) -> ModelOutput:
        prompt = messages[-1].text
        [pid] = [p for p in remaining if PROBLEMS[p].statement[:60] in prompt]
        outcome = remaining[pid].pop(0)
        if outcome == "error":
            raise RuntimeError("provider down")
        code = PROBLEMS[pid].reference_solutions[0] if outcome else "print(0)\n"
        return scripted_output(f"```python\n{code}```")

    return get_model("mockllm/model", custom_outputs=answer, memoize=False)


def make_log(
    log_dir: Path,
    plan: dict[str, Sequence[bool | str]],
    epochs: int,
    solver: Any = None,
    **eval_args: Any,
) -> Path:
    eval_args.setdefault("fail_on_error", False)
    [log] = eval(
        code_contests(data_files=str(CODE_CONTESTS_FIXTURE)),
        model=planned_model(plan),
        solver=solver,
        sample_id=list(plan),
        epochs=epochs,
        max_samples=1,  # one sample at a time: the plan is consumed in epoch order
        log_dir=str(log_dir),
        display="none",
        **eval_args,
    )
    assert log.location
    return Path(log.location)


PLAN: dict[str, Sequence[bool | str]] = {
    CHOSEN[0]: [True, True, True, True],  # c = n
    CHOSEN[1]: [False, True, "error", False],  # c = 1, one errored sample
    CHOSEN[2]: [False, False, False, False],  # c = 0
}
COUNTS = {CHOSEN[0]: (4, 4), CHOSEN[1]: (4, 1), CHOSEN[2]: (4, 0)}


@pytest.fixture(scope="module")
def planned_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not _bwrap_ok():
        pytest.skip("bwrap unavailable")
    return make_log(tmp_path_factory.mktemp("logs"), PLAN, epochs=4)


def _bwrap_ok() -> bool:
    from codecrucible.sandboxes.bwrap import bwrap_unavailable_reason

    return bwrap_unavailable_reason() is None


def _no_nan(constant: str) -> Any:
    raise AssertionError(f"not strict JSON: {constant}")


def run_cli(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args))
    return result


@requires_bwrap
def test_passk_json_agrees_with_the_estimator(planned_log: Path) -> None:
    result = run_cli("passk", str(planned_log), "--k", "1,2,4", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["k"] for row in rows] == [1, 2, 4]
    for row in rows:
        expected = sum(exact_pass_at_k(n, c, row["k"]) for n, c in COUNTS.values()) / 3
        assert row["pass_at_k"] == pytest.approx(expected, abs=1e-12)
        assert row["task"] == "code_contests" and row["model"] == "mockllm/model"
        assert row["solver"] == "single_turn"
        assert row["n_problems"] == 3 and row["n_samples_per_problem"] == 4
        assert row["errors"] == 1  # shown, and counted in the denominator
        assert row["ci_low"] <= row["pass_at_k"] <= row["ci_high"]
        assert "group" not in row
    assert rows[2]["pass_at_k"] == pytest.approx(2 / 3)  # k = n: A and B solved, C (c = 0) not


@requires_bwrap
def test_passk_skips_a_k_beyond_the_samples_and_says_so(planned_log: Path) -> None:
    result = run_cli("passk", str(planned_log), "--k", "1,5", "--format", "json")
    assert result.exit_code == 0
    assert [row["k"] for row in json.loads(result.stdout)] == [1]
    assert "pass@5 needs 5 samples per problem; the fewest here is 4" in result.stderr


@requires_bwrap
def test_passk_by_difficulty_splits_the_problems(planned_log: Path) -> None:
    result = run_cli("passk", str(planned_log), "--by", "difficulty", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {row["group"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"all", "A", "B", "C"}
    assert rows["A"]["pass_at_k"] == 1.0 and rows["C"]["pass_at_k"] == 0.0
    assert rows["B"]["pass_at_k"] == 0.25 and rows["B"]["errors"] == 1
    assert rows["all"]["n_problems"] == 3 and rows["B"]["n_problems"] == 1


@requires_bwrap
def test_passk_pools_runs_and_prints_every_format(planned_log: Path, tmp_path: Path) -> None:
    second = make_log(tmp_path, {CHOSEN[0]: [False, False]}, epochs=2)
    result = run_cli("passk", str(planned_log), str(second), "--format", "json")
    rows = json.loads(result.stdout)
    # problem A now has 6 samples, 4 correct; the others keep 4 samples
    expected = (exact_pass_at_k(6, 4, 1) + 0.25 + 0.0) / 3
    assert rows[0]["pass_at_k"] == pytest.approx(expected)
    markdown = run_cli("passk", str(planned_log), "--format", "md").stdout
    assert markdown.splitlines()[0].startswith("| task | model | solver | k | pass_at_k |")
    assert "| code_contests | mockllm/model | single_turn | 1 | 0.417 |" in markdown
    csv = run_cli("passk", str(planned_log), "--format", "csv").stdout
    assert csv.splitlines()[0].startswith("task,model,solver,k,pass_at_k,ci_low")
    table = run_cli("passk", str(planned_log)).stdout
    assert "code_contests" in table and "0.417" in table


def test_passk_errors_are_one_line(tmp_path: Path) -> None:
    missing = run_cli("passk", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2
    assert (
        missing.stderr.strip()
        == f"codecrucible: no such log file or directory: {tmp_path / 'nowhere'}"
    )
    empty = run_cli("passk", str(tmp_path))
    assert empty.exit_code == 2 and "run `inspect eval ... --log-dir DIR` first" in empty.stderr
    bad = tmp_path / "bad.eval"
    bad.write_text("not a log")
    garbled = run_cli("passk", str(bad))
    assert garbled.exit_code == 2 and "is not a readable eval log" in garbled.stderr
    assert len(garbled.stderr.strip().splitlines()) == 1
    zero = run_cli("passk", str(CODE_CONTESTS_FIXTURE.parent), "--k", "0")
    assert zero.exit_code == 2 and zero.stderr.startswith("codecrucible: --k: it must be")


@requires_bwrap
def test_export_writes_the_seed_format_with_verdicts(planned_log: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    result = run_cli("export", str(planned_log), "--output", str(output))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert len(lines) == 12  # 3 problems x 4 epochs
    first = next(
        line
        for line in lines
        if line["problem"]["problem_id"] == CHOSEN[0] and line["generation_metadata"]["epoch"] == 1
    )
    assert set(first) == {
        "problem",
        "final_code",
        "full_message_history",
        "generation_metadata",
        "verdict",
    }
    problem = PROBLEMS[CHOSEN[0]]
    assert first["final_code"].strip() == problem.reference_solutions[0].strip()
    assert first["problem"]["problem"] == problem.statement
    assert first["problem"]["solutions"] == problem.reference_solutions
    assert {t["set"] for t in first["problem"]["test_cases"]} == {"public", "private", "generated"}
    roles = [m["role"] for m in first["full_message_history"]]
    assert roles[-1] == "assistant" and "user" in roles
    assert first["generation_metadata"]["model"] == "mockllm/model"
    assert first["generation_metadata"]["prompt_id"] == "default"
    assert first["verdict"]["passed"] is True and first["verdict"]["score"] == "C"
    errored = [line for line in lines if line["verdict"]["error"]]
    assert len(errored) == 1 and "provider down" in errored[0]["verdict"]["error"]
    assert errored[0]["verdict"]["passed"] is None
    bare = run_cli("export", str(planned_log), "--no-tests")
    assert json.loads(bare.stdout.splitlines()[0])["problem"]["test_cases"] is None
    [prose] = eval(
        code_contests(data_files=str(CODE_CONTESTS_FIXTURE)),
        model=get_model("mockllm/model", custom_outputs=[scripted_output("I'd add them.")]),
        sample_id=CHOSEN[0],
        log_dir=str(tmp_path / "prose"),
        display="none",
    )
    line = json.loads(run_cli("export", str(prose.location), "--no-tests").stdout)
    assert line["final_code"] is None and line["verdict"]["passed"] is False


@requires_bwrap
def test_profile_splits_time_into_model_execution_and_the_rest(planned_log: Path) -> None:
    result = run_cli("profile", str(planned_log), "--format", "json", "--samples")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    [run] = document["runs"]
    assert run["samples"] == 12 and run["model_calls"] == 12
    # execution is the scorers' test runs: within the scorer spans, most of them
    from inspect_ai.event import SpanBeginEvent, SpanEndEvent
    from inspect_ai.log import read_eval_log

    scoring = 0.0
    for sample in read_eval_log(str(planned_log)).samples or []:
        begun = {
            e.id: e.timestamp
            for e in sample.events
            if isinstance(e, SpanBeginEvent) and e.type == "scorers"
        }
        for event in sample.events:
            if isinstance(event, SpanEndEvent) and event.id in begun:
                scoring += (event.timestamp - begun[event.id]).total_seconds()
    assert 0.5 * scoring <= run["execution_s"] <= scoring
    assert 0 < run["model_s"] < run["total_s"]
    scored = [s for s in document["samples"] if s["execution_s"] > 0]
    assert len(scored) == 11  # the errored sample never reached the scorer


@requires_bwrap
def test_profile_shows_the_stages_of_a_multi_stage_solver(tmp_path: Path) -> None:
    from codecrucible.solvers import feedback

    pid = CHOSEN[0]
    [log] = eval(
        code_contests(data_files=str(CODE_CONTESTS_FIXTURE)),
        model=get_model(
            "mockllm/model",
            custom_outputs=[
                scripted_output(WRONG),
                scripted_output(f"```python\n{PROBLEMS[pid].reference_solutions[0]}```"),
            ],
        ),
        solver=feedback(max_turns=3),
        sample_id=pid,
        log_dir=str(tmp_path),
        display="none",
    )
    result = run_cli("profile", str(log.location), "--format", "json")
    stages = {row["stage"]: row for row in json.loads(result.stdout)["stages"]}
    assert stages["generate"]["calls"] == 2
    assert stages["generate"]["output_tokens"] == 40
    assert json.loads(result.stdout)["runs"][0]["run"].endswith("feedback(max_turns=3)")


# ---- the leaderboard, and its page in a real browser ------------------------------------------


@requires_bwrap
def test_leaderboard_writes_every_format(planned_log: Path, tmp_path: Path) -> None:
    output = tmp_path / "board"
    result = run_cli("leaderboard", str(planned_log.parent), "--k", "1,2", "--output", str(output))
    assert result.exit_code == 0, result.output
    rows = json.loads((output / "leaderboard.json").read_text(), parse_constant=_no_nan)
    [row] = rows
    assert row["pass@1"] == pytest.approx((1 + 0.25 + 0) / 3)
    assert row["pass@2"] == pytest.approx((1 + exact_pass_at_k(4, 1, 2) + 0) / 3)
    assert row["tokens_per_sample"] == pytest.approx(30 * 11 / 12)  # the errored call used none
    assert row["calls_per_sample"] == 1.0 and row["errors"] == 1
    assert (output / "leaderboard.md").read_text().startswith("| task | model | solver | pass@1 |")
    assert (output / "leaderboard.csv").read_text().startswith("task,model,solver,pass@1,")
    page = (output / "leaderboard.html").read_text()
    assert page.count("<svg") == 3 and "<script" not in page  # self-contained, three plots


@requires_bwrap
@requires_browser
def test_the_leaderboard_page_shows_the_table_and_the_plots(
    planned_log: Path, tmp_path: Path
) -> None:
    from codecrucible.solvers import single_turn

    other = make_log(
        tmp_path / "logs",
        {pid: [False, True] for pid in CHOSEN},
        epochs=2,
        solver=single_turn(system_prompt_id="competitive"),
    )
    shutil.copy(planned_log, other.parent / planned_log.name)
    output = tmp_path / "board"
    result = run_cli("leaderboard", str(other.parent), "--output", str(output))
    assert result.exit_code == 0, result.output
    solvers = {row["solver"] for row in json.loads((output / "leaderboard.json").read_text())}
    assert solvers == {"single_turn", "single_turn(system_prompt_id=competitive)"}
    image = tmp_path / "board.png"
    with browser_page() as page:
        page.goto((output / "leaderboard.html").as_uri())
        page.screenshot(path=str(image), full_page=True)
    # the table's header band; matplotlib's first two series colours, one per run,
    # in the pass@k curves, the cost scatter and the difficulty bars
    assert colour_pixels(image, (0x23, 0x4E, 0x8C)) > 5_000, "the table header is not shown"
    assert colour_pixels(image, (0x1F, 0x77, 0xB4)) > 3_000, "the first run is not plotted"
    assert colour_pixels(image, (0xFF, 0x7F, 0x0E)) > 3_000, "the second run is not plotted"


@requires_bwrap
def test_tasks_are_told_apart_by_the_arguments_that_differ(planned_log: Path) -> None:
    from inspect_ai.log import read_eval_log

    from codecrucible.results.logs import _task_labels

    header = read_eval_log(str(planned_log), header_only=True)

    def variant(**task_args: Any) -> Any:
        copy = header.model_copy(deep=True)
        copy.eval.task_args = {**copy.eval.task_args, **task_args}
        return copy

    labels = _task_labels(
        [
            (Path("a"), variant(comparator="exact", k="1")),
            (Path("b"), variant(comparator="tokens", k="1,5")),
            (Path("c"), variant(comparator="tokens", data_files="/elsewhere.jsonl")),
        ]
    )
    # k (epochs) does not make another task; the comparator and the data do (files by name)
    assert labels == {
        Path("a"): "code_contests[comparator=exact,data_files=code_contests.jsonl]",
        Path("b"): "code_contests[comparator=tokens,data_files=code_contests.jsonl]",
        Path("c"): "code_contests[comparator=tokens,data_files=elsewhere.jsonl]",
    }


@requires_bwrap
def test_runs_at_other_generation_settings_are_not_pooled(
    planned_log: Path, tmp_path: Path
) -> None:
    hot = make_log(tmp_path, {CHOSEN[0]: [False, False]}, epochs=2, temperature=1.0)
    rows = json.loads(run_cli("passk", str(planned_log), str(hot), "--format", "json").stdout)
    by_model = {row["model"]: row for row in rows}
    assert set(by_model) == {"mockllm/model[temperature=None]", "mockllm/model[temperature=1.0]"}
    assert by_model["mockllm/model[temperature=1.0]"]["pass_at_k"] == 0.0
    assert by_model["mockllm/model[temperature=None]"]["n_problems"] == 3


@requires_bwrap
def test_an_incomplete_log_is_counted_with_a_note(tmp_path: Path) -> None:
    log = make_log(
        tmp_path, {CHOSEN[0]: [True], CHOSEN[1]: ["error"]}, epochs=1, fail_on_error=True
    )
    result = run_cli("passk", str(log), "--format", "json")
    assert result.exit_code == 0, result.output
    assert "status error" in result.stderr and "run inspect eval-retry" in result.stderr
