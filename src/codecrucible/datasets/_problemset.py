"""Problems by id, loaded once per process and converted from rows on demand.

Hidden tests never travel in samples or logs: a sample's metadata names its
problem source (`problem_source`, `problem_args`), and solvers and scorers look
the problem up here by sample id.
"""

from __future__ import annotations

import functools
import json
import os
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from codecrucible.errors import InputError
from codecrucible.problem import CodeProblem

RowConverter = Callable[[Mapping[str, Any]], CodeProblem]
Loader = Callable[..., "ProblemSet"]

_LOADERS: dict[str, Loader] = {}


class DatasetError(InputError):
    """The data cannot be loaded or a row is malformed (the message names the fix or the row)."""


class ProblemSet(Mapping[str, CodeProblem]):
    """A read-only mapping from problem id to `CodeProblem`.

    Rows stay in their source container (a Hugging Face `Dataset` is memory-mapped
    Arrow) and become `CodeProblem`s when asked for, so a split with hundreds of
    megabytes of tests costs little memory. Recently used problems are cached.
    """

    CACHE_SIZE = 64

    def __init__(
        self,
        source: str,
        ids: Sequence[str],
        rows: Sequence[Any],
        convert: RowConverter,
        summarize: RowConverter | None = None,
    ) -> None:
        """Rows become problems through `convert`.

        `summarize`, where decoding the hidden tests is costly (LiveCodeBench), makes a
        problem without them, for prompts and filters.
        """
        self.source = source
        self._index = {problem_id: position for position, problem_id in enumerate(ids)}
        if len(self._index) != len(ids):
            duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)[:5]
            raise DatasetError(f"{source}: duplicate problem ids {duplicates}")
        self._ids = list(ids)
        self._rows = rows
        self._convert = convert
        self._summarize = summarize
        self._cache: OrderedDict[str, CodeProblem] = OrderedDict()

    @classmethod
    def from_problems(cls, source: str, problems: Sequence[CodeProblem]) -> ProblemSet:
        """A set over problems that are already converted."""
        return cls(source, [p.id for p in problems], problems, _already_converted)

    def __getitem__(self, problem_id: str) -> CodeProblem:
        problem = self._cache.get(problem_id)
        if problem is not None:
            self._cache.move_to_end(problem_id)
            return problem
        position = self._index[problem_id]
        try:
            problem = self._convert(self._rows[position])
        except DatasetError:
            raise
        except Exception as exc:
            raise DatasetError(
                f"{self.source}: row {position} ({problem_id!r}) is malformed: {exc}"
            ) from exc
        self._cache[problem_id] = problem
        if len(self._cache) > self.CACHE_SIZE:
            self._cache.popitem(last=False)
        return problem

    def summary(self, problem_id: str) -> CodeProblem:
        """The problem without its hidden tests where that is cheaper (else the whole one)."""
        if self._summarize is None or problem_id in self._cache:
            return self[problem_id]
        position = self._index[problem_id]
        try:
            return self._summarize(self._rows[position])
        except DatasetError:
            raise
        except Exception as exc:
            raise DatasetError(
                f"{self.source}: row {position} ({problem_id!r}) is malformed: {exc}"
            ) from exc

    def subset(self, problem_ids: Sequence[str]) -> ProblemSet:
        """The same source restricted to these problems (in this order)."""
        unknown = [i for i in problem_ids if i not in self._index][:5]
        if unknown:
            raise DatasetError(f"{self.source}: no problems with ids {unknown}")
        positions = [self._index[i] for i in problem_ids]
        return ProblemSet(
            self.source,
            list(problem_ids),
            _Picked(self._rows, positions),
            self._convert,
            self._summarize,
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


class _Picked(Sequence[Any]):
    """Some rows of a sequence, by position, without copying them."""

    def __init__(self, rows: Sequence[Any], positions: Sequence[int]) -> None:
        self._rows = rows
        self._positions = positions

    def __getitem__(self, index: Any) -> Any:
        return self._rows[self._positions[index]]

    def __len__(self) -> int:
        return len(self._positions)


def _already_converted(row: Any) -> CodeProblem:
    assert isinstance(row, CodeProblem)
    return row


def dataset_loader(name: str) -> Callable[[Loader], Loader]:
    """Register a loader so that samples naming `name` can find their problems again."""

    def register(function: Loader) -> Loader:
        _LOADERS[name] = function
        return function

    return register


@functools.lru_cache(maxsize=16)
def _load(name: str, args_json: str) -> ProblemSet:
    if name not in _LOADERS:
        _import_loaders()
    try:
        loader = _LOADERS[name]
    except KeyError:
        raise DatasetError(
            f"unknown dataset {name!r}; known: {', '.join(sorted(_LOADERS))}"
        ) from None
    return loader(**json.loads(args_json))


def _import_loaders() -> None:
    """Import every source module of this package: importing one registers its loader."""
    import importlib
    import pkgutil

    import codecrucible.datasets as package

    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{module.name}")


def load_problems(name: str, **args: Any) -> ProblemSet:
    """The problems of a registered dataset, loaded once per process for the same arguments."""
    return _load(name, json.dumps(args, sort_keys=True))


def problem_for(metadata: Mapping[str, Any], sample_id: str | int) -> CodeProblem:
    """The problem behind a sample, from the source its metadata names."""
    try:
        name = metadata["problem_source"]
        args = metadata.get("problem_args") or {}
    except KeyError:
        raise DatasetError(
            "this sample does not come from a codecrucible task (its metadata names no problem_source)"
        ) from None
    problems = load_problems(name, **args)
    try:
        problem = problems[str(sample_id)]
    except KeyError:
        raise DatasetError(f"{name}: no problem with id {sample_id!r}") from None
    return in_language(problem, metadata.get("language"))


def in_language(problem: CodeProblem, language: str | None) -> CodeProblem:
    """The problem as candidates in `language` see it (`-T language=cpp` on a Python source).

    What is written in the source's own language goes: its reference and incorrect
    solutions, its starter code and the prefix run before a candidate's code.
    """
    if not language or language == problem.language or problem.language == "diff":
        return problem
    return problem.model_copy(
        update={
            "language": language,
            "reference_solutions": [],
            "incorrect_solutions": [],
            "starter_code": None,
            "completion_prefix": None,
        }
    )


def resolve_data_files(data_files: str | list[str] | None) -> str | list[str] | None:
    """Local data paths made absolute.

    Relative paths are taken from the directory the user ran the command in:
    Inspect runs a task file's function inside the file's own directory, so the
    shell's `$PWD` is tried as well as the current directory.
    """
    if data_files is None:
        return None
    files = [data_files] if isinstance(data_files, str) else list(data_files)
    resolved = []
    for file in files:
        path = Path(file).expanduser()
        bases = [Path.cwd()] + ([Path(os.environ["PWD"])] if os.environ.get("PWD") else [])
        found = (
            path
            if path.is_absolute()
            else next((b / path for b in bases if (b / path).exists()), None)
        )
        if found is None or not found.exists():
            raise DatasetError(f"data file not found: {file}")
        resolved.append(str(found.resolve()))
    return resolved[0] if isinstance(data_files, str) else resolved


def hf_rows(
    path: str,
    *,
    revision: str,
    split: str,
    name: str | None = None,
    data_files: str | list[str] | None = None,
) -> Any:
    """Rows of a Hugging Face dataset at a pinned revision, or of local files in its schema.

    Local files (`.jsonl`/`.json`, `.parquet`, `.csv`) are read with the `datasets`
    library as they are; `split` then does not apply (all rows are used).
    """
    import datasets

    if data_files:
        resolved = resolve_data_files(data_files)
        files = [resolved] if isinstance(resolved, str) else list(resolved or [])
        suffix = Path(files[0]).suffix.lower()
        builder = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}.get(
            suffix
        )
        if builder is None:
            raise DatasetError(
                f"unsupported data file type {suffix!r}: use .jsonl, .json, .parquet or .csv"
            )
        try:
            return datasets.load_dataset(builder, data_files=files, split="train")
        except Exception as exc:
            raise DatasetError(f"cannot read {files[0]}: {_first_line(exc)}") from exc
    try:
        return datasets.load_dataset(path, name, split=split, revision=revision)
    except ValueError as exc:
        if "split" in str(exc).lower():
            raise DatasetError(f"{path} has no split {split!r}: {_first_line(exc)}") from exc
        raise DatasetError(_hub_hint(path, exc)) from exc
    except Exception as exc:
        raise DatasetError(_hub_hint(path, exc)) from exc


def hub_file_rows(path: str, *, revision: str, split: str, files: Sequence[str]) -> Any:
    """Rows of data files in a Hugging Face dataset repository, at a pinned revision.

    For repositories that keep a loading script next to their data (APPS, TACO): the
    files are read with the `datasets` builder of their format, and no remote code runs.
    """
    import datasets

    suffix = Path(files[0]).suffix.lower()
    builder = {".jsonl": "json", ".json": "json", ".parquet": "parquet"}[suffix]
    urls = [f"hf://datasets/{path}@{revision}/{file}" for file in files]
    try:
        return datasets.load_dataset(builder, data_files={split: urls}, split=split)
    except Exception as exc:
        raise DatasetError(_hub_hint(path, exc)) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _hub_hint(path: str, exc: BaseException) -> str:
    return (
        f"cannot load {path} from the Hugging Face hub ({_first_line(exc)}); "
        "where the hub is unreachable, download the data elsewhere and pass "
        "-T data_files=PATH (local rows in the same schema)"
    )
