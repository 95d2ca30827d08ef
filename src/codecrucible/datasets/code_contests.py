"""CodeContests (DeepMind, the AlphaCode dataset): Hugging Face `deepmind/code_contests`.

Rows follow `contest_problem.proto`: tests as `{input: [...], output: [...]}` for
the public, private and generated sets; solutions as `{language: [...],
solution: [...]}` with the proto's language ids; `time_limit` as a protobuf
Duration (`{seconds, nanos}`, or null) and `memory_limit_bytes` (0 when unknown).
Grading follows DeepMind's tester: the `tokens` comparator.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from codecrucible.datasets._problemset import DatasetError, ProblemSet, dataset_loader, hf_rows
from codecrucible.datasets._rows import Row, RowSource, register_row_source
from codecrucible.problem import CodeProblem, Limits, TestCase

SOURCE = "code_contests"
HF_PATH = "deepmind/code_contests"
HF_REVISION = "802411c3010cb00d1b05bad57ca77365a3c699d6"  # main since 2023-06-11
SPLITS = ("train", "valid", "test")

DEFAULT_TIME_S = 2.0  # rows without a time limit
DEFAULT_MEMORY_MB = 256  # rows without a memory limit (the tester's default)

# enums of contest_problem.proto (note the gaps: 5 is no source, 18 no difficulty)
LANGUAGES = {0: "unknown", 1: "python2", 2: "cpp", 3: "python3", 4: "java"}
SOURCES = {
    0: "unknown",
    1: "codechef",
    2: "codeforces",
    3: "hackerearth",
    4: "codejam",
    6: "atcoder",
    7: "aizu",
}
DIFFICULTIES = {
    0: "unknown",
    1: "easy",
    2: "medium",
    3: "hard",
    4: "harder",
    5: "hardest",
    6: "external",
}
DIFFICULTIES.update(
    {
        value: letter
        for value, letter in zip(
            [*range(7, 18), *range(19, 30)], "ABCDEFGHIJKLMNOPQRSTUV", strict=True
        )
    }
)

LANGUAGE_IDS = {"python": 3, "python3": 3, "python2": 1, "cpp": 2, "java": 4}


def _tests(field: Any, name: str) -> list[TestCase]:
    if field is None:
        return []
    if not isinstance(field, Mapping) or "input" not in field or "output" not in field:
        raise DatasetError(f"{name} must be an object with 'input' and 'output' lists")
    inputs, outputs = field["input"] or [], field["output"] or []
    if len(inputs) != len(outputs):
        raise DatasetError(f"{name} has {len(inputs)} inputs but {len(outputs)} outputs")
    return [TestCase.stdin(str(i), str(o)) for i, o in zip(inputs, outputs, strict=True)]


def _solutions(field: Any, language_id: int) -> list[str]:
    if not field:
        return []
    return [
        solution
        for language, solution in zip(
            field.get("language") or [], field.get("solution") or [], strict=False
        )
        if language == language_id
    ]


def _time_limit(field: Any) -> float:
    if not field:
        return DEFAULT_TIME_S
    seconds = float(field.get("seconds") or 0) + float(field.get("nanos") or 0) / 1e9
    return seconds if seconds > 0 else DEFAULT_TIME_S


def row_to_problem(row: Mapping[str, Any], language: str = "python") -> CodeProblem:
    """A `deepmind/code_contests` row as a `CodeProblem` (solutions in `language`)."""
    for field in ("name", "description"):
        if not isinstance(row.get(field), str):
            raise DatasetError(f"row has no {field!r} string")
    language_id = LANGUAGE_IDS[language]
    memory_bytes = int(row.get("memory_limit_bytes") or 0)
    source = SOURCES.get(int(row.get("source") or 0), "unknown")
    return CodeProblem(
        id=row["name"],
        source=SOURCE,
        name=row["name"],
        statement=row["description"],
        language="python" if language in ("python", "python3") else language,
        public_tests=_tests(row.get("public_tests"), "public_tests"),
        private_tests=_tests(row.get("private_tests"), "private_tests"),
        generated_tests=_tests(row.get("generated_tests"), "generated_tests"),
        reference_solutions=_solutions(row.get("solutions"), language_id),
        incorrect_solutions=_solutions(row.get("incorrect_solutions"), language_id),
        limits=Limits(
            time_s=_time_limit(row.get("time_limit")),
            memory_mb=max(1, memory_bytes >> 20) if memory_bytes else DEFAULT_MEMORY_MB,
        ),
        difficulty=_row_difficulty(row),
        platform=source,
        comparator="tokens",
        metadata={
            key: row[key]
            for key in (
                "cf_contest_id",
                "cf_index",
                "cf_rating",
                "cf_tags",
                "input_file",
                "output_file",
            )
            if row.get(key)
        },
    )


def _row_difficulty(row: Mapping[str, Any]) -> str:
    return DIFFICULTIES.get(int(row.get("difficulty") or 0), "unknown")


def _keep_language(row: Row, language: str) -> Row:
    """The row with only the (correct and incorrect) solutions in `language`."""
    language_id = LANGUAGE_IDS[language]
    kept = dict(row)
    for field in ("solutions", "incorrect_solutions"):
        solutions = row.get(field) or {}
        pairs = [
            (lang, code)
            for lang, code in zip(
                solutions.get("language") or [], solutions.get("solution") or [], strict=False
            )
            if lang == language_id
        ]
        kept[field] = {"language": [p[0] for p in pairs], "solution": [p[1] for p in pairs]}
    return kept


register_row_source(
    RowSource(
        name=SOURCE,
        hf_path=HF_PATH,
        revision=HF_REVISION,
        splits=SPLITS,
        default_split="test",
        difficulty=_row_difficulty,
        difficulty_columns=("difficulty",),
        keep_language=_keep_language,
        languages=tuple(LANGUAGE_IDS),
    )
)


RUNNABLE_LANGUAGES = ("python", "cpp", "java")
"""The languages of CodeContests' solutions that run here (Python 2 does not)."""


@dataset_loader(SOURCE)
def load_code_contests(
    split: str = "test", data_files: str | list[str] | None = None, language: str = "python"
) -> ProblemSet:
    """CodeContests problems of a split, or of local rows in the Hugging Face schema.

    `language` (python, cpp, java) is the language candidates are written in, and
    of the reference and incorrect solutions each problem carries.
    """
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    if language not in RUNNABLE_LANGUAGES:
        raise DatasetError(
            f"code_contests solutions run in {', '.join(RUNNABLE_LANGUAGES)}, not {language!r}"
        )
    rows = hf_rows(HF_PATH, revision=HF_REVISION, split=split, data_files=data_files)
    missing = [column for column in ("name", "description") if column not in rows.column_names]
    if missing:
        raise DatasetError(
            f"{HF_PATH} rows need the columns {missing} (are these code_contests rows?)"
        )
    return ProblemSet(
        SOURCE,
        [str(name) for name in rows["name"]],
        rows,
        functools.partial(row_to_problem, language=language),
    )
