"""SWE-bench (Jimenez et al. 2024): real GitHub issues, resolved by a patch to the repository.

Three sets on the Hugging Face hub, one schema (seeds.md section 8): `full`
(`princeton-nlp/SWE-bench`: test 2,294, dev 225, train 19,008), `lite` (300 test,
23 dev) and `verified` (500 test, human-checked). A row: `repo, instance_id,
base_commit, patch` (the gold fix), `test_patch` (the tests that show it),
`problem_statement, hints_text, created_at, version, FAIL_TO_PASS, PASS_TO_PASS`
(JSON-encoded lists of test ids), `environment_setup_commit`; Verified adds
`difficulty` (`<15 min fix` ... `>4 hours`). SWE-bench's `_oracle` sets (full and
lite) add `text`: the whole prompt, with the files the gold patch touches.

An instance becomes a `CodeProblem` in the `diff` language: the issue is its
statement, the gold patch its reference solution, and everything the grader
needs (commits, the test patch, the test ids) sits in its metadata under
`swe_bench`, read back as a `SweInstance`. Like every hidden test, the test patch
never enters a sample or a log: the scorer looks it up by instance id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from codecrucible.datasets._problemset import DatasetError, ProblemSet, dataset_loader, hf_rows
from codecrucible.datasets._rows import RowSource, register_row_source
from codecrucible.problem import CodeProblem

SOURCE = "swe_bench"
HF_SETS: dict[str, tuple[str, str]] = {
    "full": ("princeton-nlp/SWE-bench", "e48e2bd1e9fecd5bbd641e9414ac59da9f2e69f6"),
    "lite": ("princeton-nlp/SWE-bench_Lite", "6ec7bb89b9342f664a54a6e0a6ea6501d3437cc2"),
    "verified": ("princeton-nlp/SWE-bench_Verified", "c104f840cc67f8b6eec6f759ebc8b2693d585d4a"),
}
"""Each set's hub id and pinned revision."""
ORACLE_SETS: dict[str, str] = {
    "full": "princeton-nlp/SWE-bench_oracle",
    "lite": "princeton-nlp/SWE-bench_Lite_oracle",
}
"""SWE-bench's own oracle-retrieval prompts (`text`); their revision is not pinned (none known),
so only their prompt text is used, joined by instance id to the pinned set's rows."""
SPLITS: dict[str, tuple[str, ...]] = {
    "full": ("test", "dev", "train"),
    "lite": ("test", "dev"),
    "verified": ("test",),
}
REQUIRED = ("instance_id", "repo", "base_commit", "problem_statement", "test_patch", "FAIL_TO_PASS")
"""Without FAIL_TO_PASS tests nothing shows a fix (swebench would resolve any patch)."""


class SweInstance(BaseModel):
    """One SWE-bench instance, as the grader needs it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    instance_id: str
    repo: str
    """`owner/name` on GitHub."""
    base_commit: str
    problem_statement: str
    test_patch: str
    patch: str = ""
    """The gold patch (empty where a set withholds it)."""
    hints_text: str = ""
    created_at: str | None = None
    version: str = ""
    FAIL_TO_PASS: list[str] = Field(default_factory=list)
    PASS_TO_PASS: list[str] = Field(default_factory=list)
    environment_setup_commit: str | None = None
    difficulty: str | None = None
    oracle_text: str | None = None
    """The `_oracle` sets' prompt (`text`), where the row has one."""

    @field_validator("FAIL_TO_PASS", "PASS_TO_PASS", mode="before")
    @classmethod
    def _json_list(cls, value: Any) -> Any:
        """The hub stores these lists as JSON text; local rows may hold real lists."""
        if value is None:
            return []
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else []
            except json.JSONDecodeError as exc:
                raise ValueError(f"not a JSON list of test ids: {exc}") from None
        return value

    @field_validator("base_commit")
    @classmethod
    def _commit(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9a-f]{40}", value):
            raise ValueError(f"not a 40-digit git commit id: {value[:60]!r}")
        return value

    @field_validator("hints_text", "version", "patch", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return "" if value is None else str(value)

    @field_validator("created_at", mode="before")
    @classmethod
    def _timestamp(cls, value: Any) -> Any:
        """`datasets` reads the hub's text as a timestamp from local JSON files."""
        return value.isoformat() if isinstance(value, date) else value

    @property
    def mirror_name(self) -> str:
        """The folder of the repository's clone under a mirror directory: `owner__name`."""
        return self.repo.replace("/", "__")


def instance_of(problem: CodeProblem) -> SweInstance:
    """The SWE-bench instance behind a problem of this source."""
    data = problem.metadata.get("swe_bench")
    if data is None:
        raise DatasetError(f"{problem.id} is not a SWE-bench instance (no swe_bench metadata)")
    return SweInstance.model_validate(data)


def row_to_problem(row: Mapping[str, Any]) -> CodeProblem:
    """A SWE-bench row (any of the sets, or an `_oracle` row) as a `CodeProblem`."""
    missing = [name for name in REQUIRED if not row.get(name)]
    if missing:
        raise DatasetError(f"SWE-bench row {row.get('instance_id')!r} has no {', '.join(missing)}")
    try:
        instance = SweInstance.model_validate({**row, "oracle_text": row.get("text")})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise DatasetError(
            f"SWE-bench row {row.get('instance_id')!r} has a bad {field}: {first['msg']}"
        ) from None
    if not instance.FAIL_TO_PASS:
        raise DatasetError(
            f"SWE-bench row {instance.instance_id!r} has no FAIL_TO_PASS tests: "
            "nothing would show that a patch fixes the issue"
        )
    created = (instance.created_at or "")[:10]
    try:
        release = date.fromisoformat(created) if created else None
    except ValueError:
        release = None
    return CodeProblem(
        id=instance.instance_id,
        source=SOURCE,
        name=instance.instance_id,
        statement=instance.problem_statement,
        language="diff",
        reference_solutions=[instance.patch] if instance.patch.strip() else [],
        difficulty=instance.difficulty,
        release_date=release,
        platform=instance.repo,
        metadata={"swe_bench": instance.model_dump()},
    )


def check_set_and_split(dataset: str, split: str) -> None:
    """Refuse an unknown set or split before any data loads."""
    if dataset not in HF_SETS:
        raise DatasetError(f"unknown SWE-bench set {dataset!r}; choose one of full, lite, verified")
    if split not in SPLITS[dataset]:
        raise DatasetError(
            f"SWE-bench {dataset} has no split {split!r}; choose one of {', '.join(SPLITS[dataset])}"
        )


def swe_rows(
    dataset: str, split: str, data_files: str | list[str] | None = None, oracle: bool = False
) -> Any:
    """The rows of a set and split: local files, SWE-bench's `_oracle` set, or the set itself."""
    check_set_and_split(dataset, split)
    path, revision = HF_SETS[dataset]
    if data_files:
        return hf_rows(path, revision=revision, split=split, data_files=data_files)
    rows = hf_rows(path, revision=revision, split=split)
    if oracle and dataset in ORACLE_SETS and "text" not in rows.column_names:
        # the instances, their tests and patches come from the pinned set; only the
        # prompt text is taken from the (unpinned) oracle set, matched by instance id
        prompts = hf_rows(ORACLE_SETS[dataset], revision="main", split=split)
        texts = dict(zip(prompts["instance_id"], prompts["text"], strict=True))
        rows = rows.add_column("text", [texts.get(i) for i in rows["instance_id"]])
    return rows


register_row_source(
    RowSource(
        name=SOURCE,
        hf_path=HF_SETS["lite"][0],
        revision=HF_SETS["lite"][1],
        splits=("test", "dev", "train"),
        default_split="test",
        configs=tuple(HF_SETS),
        default_config="lite",
        read=lambda config, split: swe_rows(config or "lite", split),
    )
)


@dataset_loader(SOURCE)
def load_swe_bench(
    dataset: str = "lite",
    split: str = "test",
    data_files: str | list[str] | None = None,
    oracle: bool = False,
) -> ProblemSet:
    """SWE-bench instances of a set and split, from the hub or from local rows.

    Args:
        dataset: `full`, `lite` or `verified`.
        split: `test`, `dev` (full, lite) or `train` (full).
        data_files: Local rows in the same schema (.jsonl, .json, .parquet); an
            `_oracle` set's rows keep their `text` prompt.
        oracle: Read SWE-bench's `_oracle` set (full, lite) for its prompts.
    """
    rows = swe_rows(dataset, split, data_files, oracle)
    ids = [str(i) for i in rows["instance_id"]]
    return ProblemSet(SOURCE, ids, rows, row_to_problem)
