"""Sweeps: a 2 x 2 x 2 grid on the fixtures, cell by cell and whole, resumed, then one leaderboard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from codecrucible.cli import main
from codecrucible.errors import InputError
from codecrucible.sweep import load_config
from tests.conftest import requires_bwrap

ROOT = Path(__file__).resolve().parent.parent
GRID = ROOT / "examples" / "sweeps" / "fixtures.yaml"


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_the_grid_is_every_combination_in_a_stable_order() -> None:
    config = load_config(GRID)
    assert len(config.cells) == 8  # 2 tasks x 2 exec modes x 2 solver settings
    first, last = config.cells[0], config.cells[-1]
    assert (first.task, first.task_args["exec_mode"], first.solver_args) == (
        "code_contests",
        "strict",
        {"which": "correct"},
    )
    assert (last.task, last.task_args["exec_mode"], last.solver_args) == (
        "custom",
        "batch",
        {"which": "incorrect"},
    )
    listed = cli("sweep", str(GRID), "--list")
    assert listed.exit_code == 0
    assert listed.stdout.splitlines()[1].startswith("1\tcode_contests(")
    assert len(listed.stdout.splitlines()) == 8


def test_csv_rows_are_cells(tmp_path: Path) -> None:
    rows = tmp_path / "grid.csv"
    rows.write_text(
        "task,model,solver,T.exec_mode,S.max_turns,G.temperature\n"
        "humaneval,openai/gpt-4o,codecrucible/feedback,batch,3,0.8\n"
        "humaneval,openai/gpt-4o,,strict,,\n"
    )
    config = load_config(rows)
    assert [c.solver for c in config.cells] == ["codecrucible/feedback", None]
    assert config.cells[0].solver_args == {"max_turns": 3}
    assert config.cells[0].model_config == {"temperature": 0.8}
    assert config.cells[1].task_args == {"exec_mode": "strict"}


def test_bad_configs_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("tasks: [{name: humaneval, grid: {k: 3}}]\nmodels: [none]\n")
    with pytest.raises(InputError, match="grid 'k' of 'humaneval' must be a non-empty list"):
        load_config(bad)
    bad.write_text("tasks: [humaneval]\nmodels: [none]\nepoch: 2\n")
    with pytest.raises(InputError, match=r"unknown keys \['epoch'\]"):
        load_config(bad)
    missing = cli("sweep", str(tmp_path / "nowhere.yaml"))
    assert missing.exit_code == 2 and "cannot read the sweep config" in missing.stderr
    out_of_range = cli("sweep", str(GRID), "--cell", "8")
    assert out_of_range.exit_code == 2 and "the grid has cells 0 to 7" in out_of_range.stderr


@requires_bwrap
def test_cells_then_the_whole_grid_resume_and_one_leaderboard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # the config's data paths are the repository's
    logs = tmp_path / "sweep"
    # two cells first, as two tasks of an array job would run them
    for cell in ("1", "5"):
        result = cli("sweep", str(GRID), "--cell", cell, "--log-dir", str(logs))
        assert result.exit_code == 0, result.output
    early = {path.name: path.stat().st_mtime for path in logs.glob("*.eval")}
    assert len(early) == 2
    # then the whole grid (an interrupted sweep rerun): only the six others run
    result = cli("sweep", str(GRID), "--log-dir", str(logs))
    assert result.exit_code == 0, result.output
    after = {path.name: path.stat().st_mtime for path in logs.glob("*.eval")}
    assert len(after) == 8
    assert all(after[name] == mtime for name, mtime in early.items())  # not run again
    # and once more: nothing runs
    result = cli("sweep", str(GRID), "--log-dir", str(logs))
    assert result.exit_code == 0
    assert {path.name: path.stat().st_mtime for path in logs.glob("*.eval")} == after

    board = tmp_path / "board"
    result = cli("leaderboard", str(logs), "--output", str(board))
    assert result.exit_code == 0, result.output
    rows = json.loads((board / "leaderboard.json").read_text())
    assert len(rows) == 8  # one row per cell
    by_cell = {(row["task"], row["solver"]): row["pass@1"] for row in rows}
    assert by_cell[("code_contests[exec_mode=strict]", "reference")] == 1.0
    assert by_cell[("code_contests[exec_mode=batch]", "reference(which=incorrect)")] == 0.0


@requires_bwrap
def test_a_grid_over_a_served_scripted_model_runs_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the model is Inspect's openai-api provider talking to a loopback server that
    # answers as scripted: the first answer is wrong, every later one right
    from tests.fake_openai import Reply, fake_openai

    wrong = "```python\nprint(0)\n```"
    right = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
    answers: list[str] = []

    def respond(request: dict[str, Any]) -> Reply:
        answers.append(wrong if not answers else right)
        return Reply(answers[-1])

    monkeypatch.setenv("FAKE_API_KEY", "test-key")
    monkeypatch.chdir(ROOT)
    with fake_openai(respond) as server:
        config = tmp_path / "grid.yaml"
        config.write_text(
            f"""
log_dir: {tmp_path / "logs"}
limit: 1
eval: {{max_tasks: 1}}
tasks:
  - name: code_contests
    args: {{data_files: tests/fixtures/code_contests.jsonl}}
models:
  - name: openai-api/fake/coder
    args: {{base_url: "{server.address}"}}
solvers:
  - name: codecrucible/single_turn
  - name: codecrucible/feedback
    grid: {{max_turns: [2]}}
"""
        )
        result = cli("sweep", str(config))
        assert result.exit_code == 0, result.output
        asked = len(server.requests)
        # single_turn asks once; feedback asks until its tests pass (at most 2)
        assert 2 <= asked <= 3
        again = cli("sweep", str(config))
        assert again.exit_code == 0 and len(server.requests) == asked  # nothing re-run
    rows = json.loads(cli("passk", str(tmp_path / "logs"), "--format", "json").stdout)
    assert {row["solver"] for row in rows} == {"single_turn", "feedback(max_turns=2)"}
