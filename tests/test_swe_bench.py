"""SWE-bench: patch extraction and repair, the loader, prompts, and grading in both tiers.

The instance is the one `examples/swe_bench/make_instance.py` builds: a git
repository made here, with a real bug, its gold patch, a test patch, and
FAIL_TO_PASS / PASS_TO_PASS tests. Tier 2 runs its tests with this interpreter
(pytest) in the bwrap sandbox.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from inspect_ai import eval
from inspect_ai.log import EvalSample

from codecrucible.datasets.swe_bench import SweInstance, instance_of, load_swe_bench, row_to_problem
from codecrucible.errors import InputError
from codecrucible.extraction import extract_code
from codecrucible.solvers import reference, single_turn
from codecrucible.swe import grading, repos
from codecrucible.swe.patches import extract_patch, patch_files
from codecrucible.swe.prompts import issue_prompt, oracle_files, render
from codecrucible.tasks.swe_bench import swe_bench
from tests.conftest import requires_bwrap, scripted_model

EXAMPLE = Path(__file__).parent.parent / "examples" / "swe_bench" / "make_instance.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("swe_example", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


toy = _example()


@pytest.fixture(scope="module")
def instance_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(repo_dir, rows file) of the example instance."""
    return toy.make_instance(tmp_path_factory.mktemp("swe"))


def _row(rows: Path) -> dict[str, Any]:
    return json.loads(rows.read_text().splitlines()[0])


def _git_apply_check(repository: Path, commit: str, patch: str, tmp_path: Path) -> bool:
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", str(repository), str(work)], check=True)
    subprocess.run(["git", "-C", str(work), "checkout", "-q", commit], check=True)
    result = subprocess.run(
        ["git", "-C", str(work), "apply", "--check", "-"],
        input=patch,
        text=True,
        capture_output=True,
    )
    return result.returncode == 0


# ---- finding the patch in a completion


def test_a_patch_between_patch_tags_is_found() -> None:
    found = extract_patch(f"Sure.\n<patch>\n{toy.GOLD_PATCH}</patch>\nDone.")
    assert found is not None
    assert found.text == toy.GOLD_PATCH
    assert found.files == ["calc/stats.py"] and found.repairs == []


def test_a_fenced_diff_is_found_and_prose_around_it_dropped() -> None:
    found = extract_patch(f"The fix:\n\n```diff\n{toy.GOLD_PATCH}```\n\nThis handles even lists.")
    assert found is not None and found.text == toy.GOLD_PATCH


def test_a_bare_diff_between_paragraphs_is_found() -> None:
    found = extract_patch(f"I changed median.\n\n{toy.GOLD_PATCH}\nThat is all.\n")
    assert found is not None and found.text == toy.GOLD_PATCH


def test_one_block_per_file_is_joined_and_a_later_block_replaces_an_earlier_one() -> None:
    first_try = toy.WRONG_PATCH
    completion = (
        f"First:\n```diff\n{first_try}```\nOops, corrected:\n```diff\n{toy.GOLD_PATCH}```\n"
        f"And the test:\n```diff\n{toy.TEST_PATCH}```\n"
    )
    found = extract_patch(completion)
    assert found is not None
    assert found.files == ["calc/stats.py", "tests/test_stats.py"]
    assert found.text == toy.GOLD_PATCH + toy.TEST_PATCH


def test_thinking_and_answers_without_a_diff_give_none() -> None:
    assert extract_patch("I am not sure how to fix this.") is None
    assert extract_patch("```python\nprint('hello')\n```") is None
    hidden = f"<think>\n{toy.WRONG_PATCH}</think>\nNo patch after all."
    assert extract_patch(hidden) is None


def test_cosmetic_errors_are_repaired_so_that_git_applies_the_patch(
    instance_dir: tuple[Path, Path], tmp_path: Path
) -> None:
    repo_dir, rows = instance_dir
    # no a/ b/ prefixes, no diff --git line, wrong hunk counts, a blank context line
    # without its space, and no line numbers in the second file's hunk header
    sloppy = (
        "--- calc/stats.py\n+++ calc/stats.py\n@@ -10,9 +10,2 @@ def median(values):\n"
        '     """The middle value of a non-empty list."""\n'
        "     ordered = sorted(values)\n     middle = len(ordered) // 2\n"
        "+    if len(ordered) % 2 == 0:\n"
        "+        return (ordered[middle - 1] + ordered[middle]) / 2\n"
        "     return ordered[middle]\n"
        "--- tests/test_stats.py\n+++ tests/test_stats.py\n@@ ... @@\n"
        "\n def test_median_odd():\n     assert median([3, 1, 2]) == 2\n+\n+\n"
        "+def test_median_even():\n+    assert median([4, 1, 3, 2]) == 2.5\n"
    )
    repository = repo_dir / "codecrucible__calc"
    base = _row(rows)["base_commit"]
    assert not _git_apply_check(repository, base, sloppy, tmp_path / "raw")
    found = extract_patch(f"```diff\n{sloppy}```")
    assert found is not None
    assert found.repairs == [
        "added diff --git lines",
        "added the a/ and b/ prefixes to file headers",
        "gave line numbers to hunk headers that had none",
        "recounted the lines of hunk headers",
        "restored the leading space of blank context lines",
    ]
    assert "@@ -10,4 +10,6 @@ def median(values):" in found.text
    assert _git_apply_check(repository, base, found.text, tmp_path / "repaired")
    # added and removed lines are never touched

    def changed(patch: str) -> list[str]:
        return [
            line
            for line in patch.splitlines()
            if line[:1] in ("+", "-") and not line.startswith(("+++ ", "--- "))
        ]

    assert changed(found.text) == changed(sloppy) and len(changed(sloppy)) == 6


def test_extract_code_gives_the_patch_for_the_diff_language() -> None:
    assert extract_code(f"```diff\n{toy.GOLD_PATCH}```", "diff") == toy.GOLD_PATCH
    assert extract_code("no patch", "diff") is None


def test_patch_files_names_new_and_deleted_files() -> None:
    patch = (
        "diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/new.py\n"
        "@@ -0,0 +1 @@\n+x = 1\n"
        "diff --git a/old.py b/old.py\ndeleted file mode 100644\n--- a/old.py\n+++ /dev/null\n"
        "@@ -1 +0,0 @@\n-y = 2\n"
    )
    assert patch_files(patch) == ["new.py", "old.py"]


# ---- the loader and the prompts


def test_a_row_becomes_a_diff_problem_with_its_instance(instance_dir: tuple[Path, Path]) -> None:
    _, rows = instance_dir
    row = _row(rows)
    problem = row_to_problem(row)
    assert problem.language == "diff" and problem.id == toy.INSTANCE_ID
    assert problem.reference_solutions == [toy.GOLD_PATCH]
    assert problem.platform == toy.REPO and str(problem.release_date) == "2024-01-01"
    instance = instance_of(problem)
    assert instance.FAIL_TO_PASS == ["tests/test_stats.py::test_median_even"]
    assert instance.mirror_name == "codecrucible__calc"
    # local rows may hold real lists instead of the hub's JSON text
    assert instance_of(row_to_problem({**row, "PASS_TO_PASS": ["a", "b"]})).PASS_TO_PASS == [
        "a",
        "b",
    ]


def test_a_malformed_row_is_refused_with_the_missing_field(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="has no base_commit"):
        row_to_problem(
            {"instance_id": "x", "repo": "a/b", "problem_statement": "p", "test_patch": "t"}
        )
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"instance_id": "x", "repo": "a/b", "base_commit": "c" * 40,
                               "problem_statement": "p", "test_patch": "t",
                               "FAIL_TO_PASS": "[not json"}) + "\n")  # fmt: skip
    problems = load_swe_bench(data_files=str(bad))
    with pytest.raises(
        InputError,
        match="SWE-bench row 'x' has a bad FAIL_TO_PASS: Value error, not a JSON list of test ids",
    ):
        problems["x"]


def test_unknown_sets_and_splits_are_refused_before_loading() -> None:
    with pytest.raises(InputError, match="choose one of full, lite, verified"):
        swe_bench(dataset="mini")
    with pytest.raises(InputError, match="no split 'train'; choose one of test"):
        swe_bench(dataset="verified", split="train")


def test_the_oracle_prompt_shows_the_gold_patch_files_numbered(
    instance_dir: tuple[Path, Path],
) -> None:
    repo_dir, rows = instance_dir
    instance = SweInstance.model_validate(_row(rows))
    assert oracle_files(instance) == ["calc/stats.py"]
    text = render(instance, "oracle", repo_dir / "codecrucible__calc")
    assert text.startswith("You will be provided with a partial code base and an issue statement")
    assert "[start of README.md]\n1 # calc\n" in text
    assert (
        "[start of calc/stats.py]\n" in text
        and "13     return ordered[middle]\n14 \n[end of calc/stats.py]" in text
    )
    assert "tests/test_stats.py" not in text  # the test patch's files are not shown
    assert text.endswith("Respond below:")
    # an _oracle row's own text is used as it is
    assert render(instance.model_copy(update={"oracle_text": "ORACLE"}), "oracle", None) == "ORACLE"
    with pytest.raises(InputError, match="pass -T repo_dir=DIR"):
        render(instance, "oracle", None)


def test_the_issue_prompt_shows_the_issue_and_hints_only(instance_dir: tuple[Path, Path]) -> None:
    _, rows = instance_dir
    instance = SweInstance.model_validate({**_row(rows), "hints_text": "Look at middle."})
    text = issue_prompt(instance)
    assert "median() is wrong for lists of even length" in text
    assert "<hints>\nLook at middle.\n</hints>" in text
    assert "[start of" not in text


def test_a_missing_clone_names_repo_dir(tmp_path: Path) -> None:
    with pytest.raises(
        repos.RepositoryError, match=r"no clone of codecrucible/nothing-here at .*-T repo_dir=DIR"
    ):
        repos.repository(tmp_path, "codecrucible/nothing-here", clone=False)
    with pytest.raises(repos.RepositoryError, match="cloning from GitHub failed"):
        repos.repository(tmp_path, "codecrucible/no-such-repository-anywhere", clone=True)


def test_a_clone_without_the_base_commit_says_how_to_fetch(instance_dir: tuple[Path, Path]) -> None:
    repo_dir, _ = instance_dir
    with pytest.raises(repos.RepositoryError, match="lacks commit 0{40}: git -C .* fetch origin"):
        repos.repository(repo_dir, toy.REPO, ("0" * 40,), clone=False)


# ---- grading settings


def test_environments_and_tiers_are_checked_before_loading() -> None:
    with pytest.raises(InputError, match="env must be bwrap, official or docker:IMAGE"):
        swe_bench(env="podman")
    with pytest.raises(InputError, match="pass -T env_python=PATH, or -T env=official"):
        swe_bench(tier=2)
    with pytest.raises(InputError, match="tier must be 1, 2 or auto"):
        swe_bench(tier=3)
    with pytest.raises(InputError, match="unknown log parser 'nose'; choose one of"):
        swe_bench(env="official", log_parser="nose")
    assert grading.official_image("django__django-11099") == (
        "swebench/sweb.eval.x86_64.django_1776_django-11099:latest"
    )


def test_the_official_environment_runs_swebenchs_own_eval_script() -> None:
    instance = SweInstance(
        instance_id="django__django-11099",
        repo="django/django",
        base_commit="d26b2424437dabeeca94d7900b37d2df4410da0c",
        problem_statement="p",
        version="3.0",
        test_patch=(
            "diff --git a/tests/auth_tests/test_validators.py b/tests/auth_tests/test_validators.py\n"
            "--- a/tests/auth_tests/test_validators.py\n+++ b/tests/auth_tests/test_validators.py\n"
            "@@ -1 +1 @@\n-a\n+b\n"
        ),
    )
    script = grading.eval_script(instance, grading.Environment("official"), grading.TESTBED, None)
    assert "conda activate testbed" in script
    assert (
        "./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1 auth_tests.test_validators"
        in script
    )
    assert f": '{grading.START_TEST_OUTPUT}'" in script


def test_a_test_log_is_graded_with_swebenchs_parser_and_resolution_rule(
    instance_dir: tuple[Path, Path],
) -> None:
    _, rows = instance_dir
    instance = SweInstance.model_validate(_row(rows))
    log = (
        f"{grading.START_TEST_OUTPUT}\n"
        "PASSED tests/test_stats.py::test_median_even\nPASSED tests/test_stats.py::test_mean\n"
        "FAILED tests/test_stats.py::test_median_odd - assert 3 == 2\n"
        f"{grading.END_TEST_OUTPUT}\n{grading.EXIT_CODE_MARK} 1\n"
    )
    run = grading.grade_log(instance, log, None)
    assert not run.resolved and run.status == "RESOLVED_NO"
    assert run.report["PASS_TO_PASS"]["failure"] == ["tests/test_stats.py::test_median_odd"]
    assert run.statuses["tests/test_stats.py::test_median_even"] == "PASSED"
    assert run.exit_code == 1
    assert grading.grade_log(instance, log.replace("FAILED", "PASSED"), None).resolved
    timed_out = grading.grade_log(instance, log.replace("FAILED", "PASSED"), None, timed_out=True)
    assert not timed_out.resolved and timed_out.report["FAIL_TO_PASS"]["failure"]
    with pytest.raises(grading.GradingError, match="test command was not found"):
        grading.grade_log(instance, log.replace("Exit Code: 1", "Exit Code: 127"), None)


# ---- the task end to end: the reference, and scripted models' patches


def _task(instance_dir: tuple[Path, Path], **args: Any) -> Any:
    repo_dir, rows = instance_dir
    return swe_bench(data_files=str(rows), repo_dir=str(repo_dir), **args)


def _run(task: Any, solver: Any, tmp_path: Path, *answers: str) -> EvalSample:
    model = scripted_model(*answers) if answers else "none"
    [log] = eval(task, model=model, solver=solver, log_dir=str(tmp_path), display="none")
    assert log.status == "success", log.error
    assert log.samples
    return log.samples[0]


def _score(sample: EvalSample) -> Any:
    assert sample.scores
    return sample.scores["swe_patch"]


@requires_bwrap
def test_the_gold_patch_resolves_the_instance_in_tier_2(
    instance_dir: tuple[Path, Path], tmp_path: Path
) -> None:
    task = _task(instance_dir, env_python=sys.executable)
    score = _score(_run(task, reference(), tmp_path))
    assert score.value == "C"
    assert score.answer == toy.GOLD_PATCH
    assert score.metadata["tier"] == 2 and score.metadata["resolution"] == "RESOLVED_FULL"
    assert score.metadata["tests"]["FAIL_TO_PASS"]["success"] == [
        "tests/test_stats.py::test_median_even"
    ]
    assert set(score.metadata["test_statuses"].values()) == {"PASSED"}
    assert score.explanation.startswith("**Resolved**")


@requires_bwrap
def test_the_gold_patch_applies_in_tier_1(instance_dir: tuple[Path, Path], tmp_path: Path) -> None:
    task = _task(instance_dir)  # no interpreter named: tier 1 (auto)
    score = _score(_run(task, reference(), tmp_path))
    assert score.value == "C"
    assert (
        score.metadata["tier"] == 1
        and score.metadata["applies"]
        and score.metadata["test_patch_applies"]
    )
    assert "resolved" not in score.metadata


@requires_bwrap
@pytest.mark.parametrize(
    ("patch", "tier", "head", "failed"),
    [
        (
            "WRONG_PATCH",
            2,
            "**Not resolved**: the patch does not fix the issue",
            "test_median_even",
        ),
        ("BREAKING_PATCH", 2, "**Not resolved**: the patch breaks tests that passed", "test_mean"),
        ("STALE_PATCH", 2, "**The patch does not apply**", None),
        ("STALE_PATCH", 1, "**The patch does not apply**", None),
    ],
)
def test_a_model_patch_gets_the_verdict_it_deserves(
    instance_dir: tuple[Path, Path],
    tmp_path: Path,
    patch: str,
    tier: int,
    head: str,
    failed: str | None,
) -> None:
    task = _task(instance_dir, tier=tier, env_python=sys.executable)
    answer = f"Here is my fix.\n\n```diff\n{getattr(toy, patch)}```\n"
    score = _score(_run(task, single_turn(), tmp_path, answer))
    assert score.value == "I"
    assert score.explanation.startswith(head), score.explanation
    if failed:
        assert score.metadata["applies"] and not score.metadata["resolved"]
        failures = (
            score.metadata["tests"]["FAIL_TO_PASS"]["failure"]
            + score.metadata["tests"]["PASS_TO_PASS"]["failure"]
        )
        assert failures == [f"tests/test_stats.py::{failed}"]
    else:
        assert score.metadata["applies"] is False
        assert "calc/stats.py" in score.explanation  # git's own message says where


@requires_bwrap
def test_a_sloppy_but_correct_patch_is_repaired_and_resolves(
    instance_dir: tuple[Path, Path], tmp_path: Path
) -> None:
    sloppy = toy.GOLD_PATCH.replace("diff --git a/calc/stats.py b/calc/stats.py\n", "").replace(
        "a/calc", "calc").replace("b/calc", "calc").replace("@@ -10,4 +10,6 @@", "@@ -10,3 +10,9 @@")  # fmt: skip
    task = _task(instance_dir, env_python=sys.executable)
    score = _score(_run(task, single_turn(), tmp_path, f"<patch>\n{sloppy}</patch>"))
    assert score.value == "C", score.explanation
    assert "recounted the lines of hunk headers" in score.metadata["repairs"]


@requires_bwrap
def test_an_empty_completion_is_incorrect_without_running_anything(
    instance_dir: tuple[Path, Path], tmp_path: Path
) -> None:
    task = _task(instance_dir, env_python=sys.executable)
    score = _score(_run(task, single_turn(), tmp_path, ""))
    assert score.value == "I" and score.metadata["no_patch"]
    assert score.explanation == "No patch found in the completion: nothing to apply."


@requires_bwrap
def test_a_mirror_gone_before_scoring_is_an_error_not_a_verdict(tmp_path: Path) -> None:
    repo_dir, rows = toy.make_instance(tmp_path / "instance")
    task = swe_bench(data_files=str(rows), repo_dir=str(repo_dir))
    shutil.rmtree(repo_dir)
    [log] = eval(
        task, model="none", solver=reference(), log_dir=str(tmp_path / "logs"), display="none"
    )
    assert log.status == "error" and log.error is not None
    assert "cannot set up codecrucible/calc" in log.error.message


def test_the_task_refuses_instance_ids_it_does_not_have(instance_dir: tuple[Path, Path]) -> None:
    with pytest.raises(InputError, match="no problems with ids"):
        _task(instance_dir, instance_ids="codecrucible__calc-2")
    task = _task(instance_dir, instance_ids=toy.INSTANCE_ID, prompt="issue")
    [sample] = list(task.dataset)
    assert sample.id == toy.INSTANCE_ID
    assert "def test_median_even" not in json.dumps(sample.metadata) + str(sample.input)
    assert sample.metadata["fail_to_pass"] == 1 and sample.metadata["pass_to_pass"] == 2


@requires_bwrap
def test_tier_2_applies_with_fuzz_where_git_refuses_as_swe_benchs_harness_does(
    instance_dir: tuple[Path, Path], tmp_path: Path
) -> None:
    # one context line differs from the file: git apply refuses, patch --fuzz=5 applies
    fuzzy = toy.GOLD_PATCH.replace("The middle value of a non-empty list.", "Return the median.")
    answer = f"```diff\n{fuzzy}```"
    tier_2 = _score(
        _run(_task(instance_dir, env_python=sys.executable), single_turn(), tmp_path, answer)
    )
    assert tier_2.value == "C", tier_2.explanation
    assert (
        tier_2.metadata["applies"] is False
        and tier_2.metadata["applied_with"] == "patch --batch --fuzz=5 -p1 -i"
    )
    tier_1 = _score(_run(_task(instance_dir, tier=1), single_turn(), tmp_path, answer))
    assert tier_1.value == "I" and tier_1.explanation.startswith("**The patch does not apply**")


# ---- what a review found: each case below once graded wrongly -------------------------------

_HEADER, _FIRST_HUNK, _SECOND_HUNK = (
    toy.BREAKING_PATCH[: toy.BREAKING_PATCH.index("@@ -3")],
    toy.BREAKING_PATCH[toy.BREAKING_PATCH.index("@@ -3") : toy.BREAKING_PATCH.index("@@ -10")],
    toy.BREAKING_PATCH[toy.BREAKING_PATCH.index("@@ -10") :],
)


def test_hunks_of_one_file_in_separate_blocks_are_merged_not_dropped() -> None:
    completion = (
        f"First:\n```diff\n{_HEADER}{_FIRST_HUNK}```\nThen:\n```diff\n{_HEADER}{_SECOND_HUNK}```\n"
    )
    found = extract_patch(completion)
    assert found is not None and found.text == toy.BREAKING_PATCH
    assert "merged the hunks of a file given in several pieces" in found.repairs
    # one diff with two sections for the same file (git applies that): both kept
    two_sections = f"{_HEADER}{_FIRST_HUNK}{_HEADER.split(chr(10), 1)[1]}{_SECOND_HUNK}"
    found = extract_patch(two_sections)
    assert found is not None and found.text == toy.BREAKING_PATCH


def test_a_bare_diff_followed_by_a_markdown_list_ends_at_its_declared_lines() -> None:
    found = extract_patch(f"{toy.GOLD_PATCH}\n- handles even lengths\n- keeps odd ones\n")
    assert found is not None and found.text == toy.GOLD_PATCH


def test_patch_tags_named_in_prose_do_not_hide_the_diff() -> None:
    completion = (
        "You asked for the patch between <patch></patch> tags; here it is as a diff block:\n"
        f"```diff\n{toy.GOLD_PATCH}```\n"
    )
    found = extract_patch(completion)
    assert found is not None and found.text == toy.GOLD_PATCH


def test_timestamps_after_spaces_are_stripped_from_file_headers() -> None:
    stamped = toy.GOLD_PATCH.replace(
        "--- a/calc/stats.py", "--- a/calc/stats.py  2024-01-01 10:00:00 +0000"
    ).replace("+++ b/calc/stats.py", "+++ b/calc/stats.py  2024-01-02 11:30:00.123 +0100")
    found = extract_patch(stamped)
    assert found is not None and found.text == toy.GOLD_PATCH


def test_rows_without_fail_to_pass_tests_or_with_a_bad_commit_are_refused(
    instance_dir: tuple[Path, Path],
) -> None:
    row = _row(instance_dir[1])
    with pytest.raises(InputError, match="has no FAIL_TO_PASS tests"):
        row_to_problem({**row, "FAIL_TO_PASS": "[]"})
    with pytest.raises(InputError, match="bad base_commit: .*not a 40-digit git commit id"):
        row_to_problem({**row, "base_commit": "main; rm -rf /"})


def test_the_patch_commands_are_swebenchs() -> None:
    from swebench.harness.run_evaluation import GIT_APPLY_CMDS

    assert list(grading.GIT_APPLY_CMDS) == list(GIT_APPLY_CMDS)


@requires_bwrap
def test_a_patch_the_harness_cannot_apply_is_not_applied_with_more_fuzz(
    instance_dir: tuple[Path, Path], tmp_path: Path
) -> None:
    # the first hunk fits; the second needs fuzz. `git apply --reject` applies the
    # first and fails, after which `patch` finds it applied: the harness gives up
    fuzzy = toy.BREAKING_PATCH.replace(
        '"""The middle value of a non-empty list."""', '"""Return the median."""'
    )
    task = _task(instance_dir, env_python=sys.executable)
    score = _score(_run(task, single_turn(), tmp_path, f"```diff\n{fuzzy}```"))
    assert score.value == "I"
    assert score.explanation.startswith("**The patch does not apply**"), score.explanation
    assert score.metadata["applied_with"] is None


@requires_bwrap
def test_tests_that_report_nothing_are_the_environments_fault_unless_the_gold_patch_runs(
    instance_dir: tuple[Path, Path], tmp_path: Path
) -> None:
    # an environment that runs no test (here a test command that prints nothing):
    # even the gold patch shows no result, so no verdict is given
    task = _task(instance_dir, env_python=sys.executable, test_cmd="true")
    [log] = eval(task, model="none", solver=reference(), log_dir=str(tmp_path), display="none")
    assert log.status == "error" and log.error is not None
    assert "reports no test result for codecrucible__calc-1 even with the gold patch" in (
        log.error.message
    )
    # a patch that stops the tests from running (a syntax error in the module):
    # the gold patch's tests do run, so it is the patch's fault
    broken = toy.GOLD_PATCH.replace(
        "+        return (ordered[middle - 1] + ordered[middle]) / 2",
        "+        return (ordered[middle - 1] + ordered[middle] / 2",
    )
    task = _task(instance_dir, env_python=sys.executable)
    score = _score(_run(task, single_turn(), tmp_path / "broken", f"```diff\n{broken}```"))
    assert score.value == "I"
    assert score.explanation.startswith(
        "**Not resolved**: with the patch applied the tests do not run"
    ), score.explanation
