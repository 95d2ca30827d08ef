"""The SWE-bench scorer: the model's patch applied (tier 1) and the instance's tests run (tier 2).

See `codecrucible.swe.grading` for the tiers and the environments. The patch
the scorer graded is the score's answer; the score's metadata keeps the files it
changes, the repairs made to it, and per test whether it passed; the
explanation says which step failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspect_ai.scorer import CORRECT, INCORRECT, Score, Scorer, Target, accuracy, scorer, stderr
from inspect_ai.solver import TaskState
from inspect_ai.util import sandbox

from codecrucible.datasets import problem_for
from codecrucible.datasets.swe_bench import SweInstance, instance_of
from codecrucible.execution.protocol import excerpt
from codecrucible.extraction import fence
from codecrucible.solvers._code import NO_SOLUTION_KEY, get_code
from codecrucible.swe import grading
from codecrucible.swe.patches import extract_patch, patch_files

EXPLANATION_CHARS = 1500
LOG_TAIL_CHARS = 3000


@scorer(metrics=[accuracy(), stderr()])
def swe_patch() -> Scorer:
    """Grade a SWE-bench patch: it applies (tier 1), or it resolves the issue (tier 2).

    The tier, the environment and the test settings come from the task (the
    sample's `scoring` metadata).
    """

    async def score(state: TaskState, target: Target) -> Score:
        settings: dict[str, Any] = state.metadata["scoring"]
        instance = instance_of(problem_for(state.metadata, state.sample_id))
        no_solution = state.store.get(NO_SOLUTION_KEY)
        if no_solution:
            return Score.unscored(
                reason="no_reference_solution", explanation=f"Nothing to replay: {no_solution}."
            )
        patch, files, repairs = _candidate_patch(state)
        metadata: dict[str, Any] = {"tier": settings["tier"], "files": files, "repairs": repairs}
        if not patch.strip():
            metadata.update(applies=False, no_patch=True)
            return Score(
                value=INCORRECT,
                answer=excerpt(state.output.completion, EXPLANATION_CHARS),
                explanation="No patch found in the completion: nothing to apply.",
                metadata=metadata,
            )
        env = grading.Environment(**settings["environment"])
        mirror = Path(settings["mirror"]) if settings.get("mirror") else None
        box = sandbox()
        testbed = await grading.prepare_testbed(box, instance, env, mirror)
        tier = settings["tier"]
        applied = await grading.check_applies(
            box, testbed, patch, instance.test_patch, then_test_patch=tier == 1
        )
        metadata["applies"] = applied.applies
        if tier == 1:
            metadata["test_patch_applies"] = applied.test_patch_applies
            return _tier_1_score(patch, files, metadata, instance, applied)
        # tier 2 applies the patch as SWE-bench's harness does (its three commands in turn)
        method, apply_output = await grading.apply_for_tests(box, testbed)
        metadata["applied_with"] = method
        if method is None:
            return _incorrect(
                patch,
                metadata,
                f"**The patch does not apply** at base commit `{instance.base_commit[:12]}` "
                "(`git apply`, `git apply --reject`, nor `patch --fuzz=5`):",
                apply_output,
            )
        run = await _run_tests(box, instance, env, testbed, settings)
        if not run.statuses and not run.timed_out:
            await _check_environment(box, instance, env, testbed, settings, run)
        metadata.update(
            resolved=run.resolved,
            resolution=run.status,
            tests=run.report,
            test_statuses=run.statuses,
            test_exit_code=run.exit_code,
            timed_out=run.timed_out,
        )
        return Score(
            value=CORRECT if run.resolved else INCORRECT,
            answer=patch,
            explanation=_explain_tests(run, int(settings["test_timeout"])),
            metadata=metadata,
        )

    return score


async def _run_tests(
    box: Any,
    instance: SweInstance,
    env: grading.Environment,
    testbed: str,
    settings: dict[str, Any],
) -> grading.TestRun:
    return await grading.run_tests(
        box,
        instance,
        env,
        testbed,
        test_cmd=settings.get("test_cmd"),
        parser_name=settings.get("log_parser"),
        timeout=int(settings["test_timeout"]),
    )


async def _check_environment(
    box: Any,
    instance: SweInstance,
    env: grading.Environment,
    testbed: str,
    settings: dict[str, Any],
    failed: grading.TestRun,
) -> None:
    """After a run with no test result: is it the patch's doing, or the environment's?

    The gold patch runs the same way. If its tests report results, the model's
    patch stopped them (its fault: the score stands); if they do not either, the
    environment cannot run the tests (missing dependencies, a stale install, a
    wrong test command), which no patch can be blamed for.

    Raises:
        GradingError: the environment cannot run the tests even with the gold patch.
    """
    await grading.reset_testbed(box, testbed, instance.base_commit)
    await box.write_file(grading.MODEL_PATCH, instance.patch)
    method, _ = await grading.apply_for_tests(box, testbed)
    gold = await _run_tests(box, instance, env, testbed, settings) if method else None
    if gold is None or not gold.statuses:
        raise grading.GradingError(
            f"the environment ({env.kind}) reports no test result for {instance.instance_id} "
            "even with the gold patch: check its dependencies, -T test_cmd and -T log_parser "
            f"(exit status {failed.exit_code}; last line: "
            f"{(failed.log.strip().splitlines() or ['(no output)'])[-1][:200]})"
        )


def _candidate_patch(state: TaskState) -> tuple[str, list[str], list[str]]:
    """The patch to grade: what the solver recorded, else the one found in the completion."""
    found = extract_patch(state.output.completion)
    code = get_code(state)
    if code is not None and (found is None or code != found.text):
        return code, patch_files(code), []  # the solver's own (the reference's gold patch)
    if found is None:
        return "", [], []
    return found.text, found.files, found.repairs


def _tier_1_score(
    patch: str,
    files: list[str],
    metadata: dict[str, Any],
    instance: SweInstance,
    applied: grading.ApplyResult,
) -> Score:
    base = instance.base_commit[:12]
    if not applied.applies:
        return _incorrect(
            patch,
            metadata,
            f"**The patch does not apply** at base commit `{base}` (`git apply --check`):",
            applied.message,
        )
    if not applied.test_patch_applies:
        return _incorrect(
            patch,
            metadata,
            "**The patch applies, but the instance's test patch no longer applies after it** "
            "(`git apply --check`):",
            applied.test_patch_message,
        )
    return Score(
        value=CORRECT,
        answer=patch,
        explanation=(
            f"**Applies** at `{base}`, and the test patch applies after it "
            f"(tier 1: the tests were not run). Files: {', '.join(files)}."
        ),
        metadata=metadata,
    )


def _incorrect(patch: str, metadata: dict[str, Any], head: str, output: str) -> Score:
    return Score(
        value=INCORRECT,
        answer=patch,
        explanation=f"{head}\n\n{fence(excerpt(output.strip(), EXPLANATION_CHARS), '')}",
        metadata=metadata,
    )


def _explain_tests(run: grading.TestRun, timeout: int) -> str:
    f2p = run.report["FAIL_TO_PASS"]
    p2p = run.report["PASS_TO_PASS"]
    if run.timed_out:
        head = f"**Not resolved**: the tests timed out after {timeout} s"
    elif run.resolved:
        head = "**Resolved**: every FAIL_TO_PASS and PASS_TO_PASS test passes"
    elif not run.statuses:
        head = (
            "**Not resolved**: with the patch applied the tests do not run (no result for any "
            "graded test; with the gold patch they do)"
        )
    else:
        head = (
            "**Not resolved**: the patch does not fix the issue"
            if f2p["failure"]
            else ("**Not resolved**: the patch breaks tests that passed before it")
        )
    lines = [
        head,
        "",
        "| tests | passed | failed |",
        "|---|---|---|",
        f"| FAIL_TO_PASS | {len(f2p['success'])} | {len(f2p['failure'])} |",
        f"| PASS_TO_PASS | {len(p2p['success'])} | {len(p2p['failure'])} |",
    ]
    failed = [*f2p["failure"], *p2p["failure"]]
    if failed:
        lines += ["", "Failed: " + ", ".join(f"`{t}`" for t in failed[:10])]
        if len(failed) > 10:
            lines[-1] += f" and {len(failed) - 10} more"
    if not run.resolved:
        tail = run.log[-LOG_TAIL_CHARS:]
        lines += ["", "Test log (tail):", fence(tail.strip() or "(empty)", "")]
    return "\n".join(lines)
