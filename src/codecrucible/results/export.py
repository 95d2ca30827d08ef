"""Samples as JSON lines in the generation-result format of the original scraper (seed 001).

One line per sample and epoch:

    {"problem": {"problem_id", "problem", "solutions", "test_cases", "metadata"},
     "final_code": "...", "full_message_history": [{"role", "content"}, ...],
     "generation_metadata": {"model", "temperature", "prompt_id", "solver", "epoch", ...},
     "verdict": {"passed", "score", "explanation", "error", ...}}

Hidden tests and reference solutions never travel in logs: they are loaded from
the problem's source (the task's own data) unless `with_tests` is off.
"""

from __future__ import annotations

from typing import Any

from inspect_ai.log import EvalLog, resolve_sample_attachments
from inspect_ai.model import ChatMessage

from codecrucible.results.logs import SampleRecord


def _message(message: ChatMessage) -> dict[str, Any]:
    entry: dict[str, Any] = {"role": message.role, "content": message.text}
    tool_calls = getattr(message, "tool_calls", None)
    if tool_calls:
        entry["tool_calls"] = [call.model_dump(mode="json") for call in tool_calls]
    return entry


def _problem(record: SampleRecord, with_tests: bool) -> dict[str, Any]:
    sample = record.sample
    assert sample is not None
    metadata = dict(record.metadata)
    metadata.pop("codecrucible", None)  # the solver's record is generation metadata
    problem: dict[str, Any] = {
        "problem_id": record.problem,
        "problem": sample.input if isinstance(sample.input, str) else sample.input[-1].text,
        "solutions": None,
        "test_cases": None,
        "metadata": metadata,
    }
    if with_tests and metadata.get("problem_source"):
        from codecrucible.datasets import problem_for

        full = problem_for(metadata, record.problem)
        problem["problem"] = full.statement
        problem["solutions"] = full.reference_solutions
        problem["test_cases"] = [
            {"set": name, **test.model_dump(mode="json", exclude_none=True)}
            for name in ("public", "private", "generated")
            for test in full.tests([name])
        ]
    return problem


def _final_code(record: SampleRecord) -> str | None:
    """The program the scorer ran, or None where the answer held none.

    The score's answer is then an excerpt of the completion, not code.
    """
    score = record.score
    if (
        score is None
        or (score.metadata or {}).get("no_code")
        or (score.metadata or {}).get("no_patch")
    ):
        return None
    return score.answer


def export_record(log: EvalLog, record: SampleRecord, *, with_tests: bool = True) -> dict[str, Any]:
    """One sample in the seed's generation-result format, with its verdicts."""
    assert record.sample is not None, "export reads whole samples"
    sample = resolve_sample_attachments(record.sample)
    config = log.eval.model_generate_config
    plan_config = log.plan.config if log.plan else None
    temperature = config.temperature if config.temperature is not None else None
    if temperature is None and plan_config is not None:
        temperature = plan_config.temperature
    plan_params = log.plan.steps[0].params if log.plan and log.plan.steps else {}
    score = record.score
    solver_record = (record.metadata.get("codecrucible") or {}) if record.metadata else {}
    return {
        "problem": _problem(record, with_tests),
        "final_code": _final_code(record),
        "full_message_history": [_message(message) for message in sample.messages],
        "generation_metadata": {
            "model": log.eval.model,
            "temperature": temperature,
            "prompt_id": (log.eval.solver_args or {}).get("system_prompt_id")
            or plan_params.get("system_prompt_id"),
            "solver": record.run.solver,
            "task": record.run.task,
            "epoch": record.epoch,
            "input_tokens": record.input_tokens,
            "output_tokens": record.output_tokens,
            "total_time": record.total_time,
            # the solver's own record: stages, turns, and a reranker's every candidate
            "solver_record": solver_record if isinstance(solver_record, dict) else None,
            "log": record.log,
        },
        "verdict": {
            "passed": record.passed,
            "score": score.value if score is not None else None,
            "explanation": score.explanation if score is not None else None,
            "details": score.metadata if score is not None else None,
            "error": record.error,
        },
    }
