"""Experiment sweeps: a grid of tasks x models x solver settings, run as one Inspect eval set.

A config (YAML) names tasks with their `-T` arguments, models with their `-M`
arguments and generation settings, and solvers with their `-S` arguments; each
entry may add a `grid` of values to try, and the cells are every combination:

    log_dir: logs/sweep
    epochs: 1
    tasks:
      - name: code_contests
        args: {data_files: tests/fixtures/code_contests.jsonl}
        grid: {exec_mode: [strict, batch]}
    models:
      - name: openai/gpt-4o
        config: {temperature: 0.8}
    solvers:
      - name: codecrucible/seidr
        grid: {branching_factor: [1, 2, 4], lexicase_selection: [false, true]}

Or CSV rows, as SEIDR kept its experiments: one cell per row, columns `task`,
`model`, `solver` and `T.<name>`, `M.<name>`, `S.<name>` for arguments (values read
as `-T` values are: YAML scalars).

Locally the grid runs as one `eval_set` in `log_dir`: rerunning resumes it, and a
finished cell is never run again. On a cluster each task of an array runs one
cell (`--cell N`) into the same `log_dir`.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from codecrucible.errors import InputError

EVAL_OPTIONS = (
    "max_samples",
    "max_tasks",
    "max_sandboxes",
    "max_connections",
    "retry_attempts",
    "retry_on_error",
    "fail_on_error",
    "time_limit",
    "token_limit",
    "message_limit",
)
"""Eval-set options a config may set under `eval:`."""


@dataclass(frozen=True)
class Cell:
    """One combination of the grid."""

    index: int
    task: str
    task_args: dict[str, Any]
    model: str
    model_args: dict[str, Any]
    model_config: dict[str, Any]
    solver: str | None
    solver_args: dict[str, Any]

    def label(self) -> str:
        """`task(args) · model(args) · solver(args)`, as `--list` prints it."""

        def shown(name: str, args: Mapping[str, Any]) -> str:
            inner = ",".join(f"{key}={value}" for key, value in sorted(args.items()))
            return f"{name}({inner})" if inner else name

        parts = [
            shown(self.task, self.task_args),
            shown(self.model, {**self.model_args, **self.model_config}),
            shown(self.solver or "(task's solver)", self.solver_args),
        ]
        return " · ".join(parts)


@dataclass
class SweepConfig:
    """A parsed config: its cells and how to run them."""

    path: Path
    cells: list[Cell]
    log_dir: str
    epochs: int | None = None
    limit: int | None = None
    sandbox: str | None = None
    eval_options: dict[str, Any] = field(default_factory=dict)


def _variants(
    entry: Any, what: str, where: Path
) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(name, args, generation config) for each combination of an entry's grid."""
    if isinstance(entry, str):
        entry = {"name": entry}
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise InputError(f"{where}: each of {what} needs a name (got {entry!r})")
    unknown = sorted(set(entry) - {"name", "args", "grid", "config"})
    if unknown:
        raise InputError(f"{where}: {what} entry {entry['name']!r} has unknown keys {unknown}")
    args = dict(entry.get("args") or {})
    grid = dict(entry.get("grid") or {})
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise InputError(
                f"{where}: grid {key!r} of {entry['name']!r} must be a non-empty list of values"
            )
    keys = sorted(grid)
    combos = itertools.product(*(grid[key] for key in keys)) if keys else [()]
    return [
        (
            entry["name"],
            {**args, **dict(zip(keys, combo, strict=True))},
            dict(entry.get("config") or {}),
        )
        for combo in combos
    ]


def _from_yaml(path: Path, document: Any) -> SweepConfig:
    if not isinstance(document, dict):
        raise InputError(f"{path}: a sweep config is a mapping with tasks, models, solvers")
    unknown = sorted(
        set(document)
        - {"log_dir", "epochs", "limit", "sandbox", "eval", "tasks", "models", "solvers"}
    )
    if unknown:
        raise InputError(f"{path}: unknown keys {unknown}")
    tasks = [v for entry in document.get("tasks") or [] for v in _variants(entry, "tasks", path)]
    models = [v for entry in document.get("models") or [] for v in _variants(entry, "models", path)]
    solvers: list[tuple[str | None, dict[str, Any], dict[str, Any]]] = [
        v for entry in document.get("solvers") or [] for v in _variants(entry, "solvers", path)
    ] or [(None, {}, {})]
    if not tasks or not models:
        raise InputError(f"{path}: a sweep needs at least one task and one model")
    cells = [
        Cell(index, task, targs, model, margs, mconfig, solver, sargs)
        for index, ((task, targs, _), (model, margs, mconfig), (solver, sargs, _)) in enumerate(
            itertools.product(tasks, models, solvers)
        )
    ]
    options = dict(document.get("eval") or {})
    bad = sorted(set(options) - set(EVAL_OPTIONS))
    if bad:
        raise InputError(f"{path}: eval options {bad} are not among {', '.join(EVAL_OPTIONS)}")
    return SweepConfig(
        path=path,
        cells=cells,
        log_dir=str(document.get("log_dir") or f"logs/sweep-{path.stem}"),
        epochs=document.get("epochs"),
        limit=document.get("limit"),
        sandbox=document.get("sandbox"),
        eval_options=options,
    )


def _from_csv(path: Path) -> SweepConfig:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "task" not in rows[0] or "model" not in rows[0]:
        raise InputError(f"{path}: a sweep CSV needs a header with task and model columns")
    cells = []
    for index, row in enumerate(rows):
        groups: dict[str, dict[str, Any]] = {"T": {}, "M": {}, "S": {}, "G": {}}
        for column, raw in row.items():
            if column in ("task", "model", "solver") or raw in (None, ""):
                continue
            prefix, _, name = column.partition(".")
            if prefix not in groups or not name:
                raise InputError(
                    f"{path}: column {column!r} is not task, model, solver or T./M./S./G.<name>"
                )
            groups[prefix][name] = yaml.safe_load(raw)
        cells.append(
            Cell(
                index,
                row["task"],
                groups["T"],
                row["model"],
                groups["M"],
                groups["G"],
                row.get("solver") or None,
                groups["S"],
            )  # fmt: skip
        )
    return SweepConfig(path=path, cells=cells, log_dir=f"logs/sweep-{path.stem}")


def load_config(path: str | Path) -> SweepConfig:
    """A sweep config from YAML or CSV.

    Raises:
        InputError: the file is missing, malformed, or names nothing to run.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the sweep config {path}: {exc.strerror or exc}") from None
    if path.suffix.lower() == ".csv":
        return _from_csv(path)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    return _from_yaml(path, document)


def build_task(cell: Cell) -> Any:
    """The cell as an Inspect Task: the registered task, its solver and its model."""
    from inspect_ai import task_with
    from inspect_ai._eval.registry import task_create
    from inspect_ai._util.registry import registry_create
    from inspect_ai.model import GenerateConfig, get_model

    import codecrucible._registry  # noqa: F401 - registers the tasks and solvers

    name = cell.task
    if name.endswith(".py"):  # tasks/code_contests.py names the registered task
        name = Path(name).stem
    if "/" not in name:
        name = f"codecrucible/{name}"
    task = task_create(name, **cell.task_args)
    overrides: dict[str, Any] = {}
    if cell.solver is not None:
        overrides["solver"] = registry_create("solver", cell.solver, **cell.solver_args)
    if cell.model != "none":
        overrides["model"] = get_model(
            cell.model, config=GenerateConfig(**cell.model_config), **cell.model_args
        )
    else:
        overrides["model"] = get_model("none")
    return task_with(task, **overrides)


def run(config: SweepConfig, cells: Sequence[Cell]) -> tuple[bool, list[Any]]:
    """Run cells as one eval set in the config's log dir (resuming what is there)."""
    from inspect_ai import eval_set

    return eval_set(
        [build_task(cell) for cell in cells],
        log_dir=config.log_dir,
        epochs=config.epochs,
        limit=config.limit,
        sandbox=config.sandbox,
        # the cells of an array job share the log dir: each run finds the others' logs
        log_dir_allow_dirty=True,
        **config.eval_options,
    )
