"""Where a sample's time goes: model calls, code execution, and the rest.

Read from the sample's events: a model call lasts from its event's timestamp to
its completion; execution is every `execution` span (each run of a program
against tests, by a solver or a scorer) and every sandbox command outside one
(SWE-bench's git and test runs). Overlapping intervals count once (a reranker's
parallel calls take the wall time they took together); where a model call and an
execution overlap, the time is the model's. The rest of the sample's wall time
(loading problems, building prompts, writing the log) is `other`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from inspect_ai.event import ModelEvent, SandboxEvent, SpanBeginEvent, SpanEndEvent
from inspect_ai.log import EvalSample

from codecrucible.execution.client import EXECUTION_SPAN

Interval = tuple[float, float]


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _length(intervals: Sequence[Interval]) -> float:
    return sum(end - start for start, end in intervals)


def _minus(intervals: Sequence[Interval], cut: Sequence[Interval]) -> list[Interval]:
    """`intervals` with the parts inside `cut` removed (both merged)."""
    result: list[Interval] = []
    for start, end in intervals:
        pieces = [(start, end)]
        for c_start, c_end in cut:
            next_pieces = []
            for p_start, p_end in pieces:
                if c_end <= p_start or c_start >= p_end:
                    next_pieces.append((p_start, p_end))
                    continue
                if p_start < c_start:
                    next_pieces.append((p_start, c_start))
                if c_end < p_end:
                    next_pieces.append((c_end, p_end))
            pieces = next_pieces
        result += pieces
    return result


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


@dataclass
class SampleProfile:
    """One sample's wall time, split."""

    problem: str
    epoch: int
    total_s: float
    model_s: float
    execution_s: float
    model_calls: int
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def other_s(self) -> float:
        """Wall time neither in a model call nor in an execution."""
        return max(0.0, self.total_s - self.model_s - self.execution_s)


def profile_sample(sample: EvalSample) -> SampleProfile:
    """A sample's time split by its events (and its solver's stages, where it records them)."""
    model: list[Interval] = []
    execution: list[Interval] = []
    sandbox: list[Interval] = []
    open_spans: dict[str, float] = {}
    calls = 0
    for event in sample.events:
        if isinstance(event, ModelEvent):
            calls += 1
            start = _seconds(event.timestamp)
            if event.completed is not None:
                end = _seconds(event.completed)
            else:
                end = start + (event.working_time or 0.0)
            model.append((start, end))
        elif isinstance(event, SpanBeginEvent) and event.type == EXECUTION_SPAN:
            open_spans[event.id] = _seconds(event.timestamp)
        elif isinstance(event, SpanEndEvent) and event.id in open_spans:
            execution.append((open_spans.pop(event.id), _seconds(event.timestamp)))
        elif isinstance(event, SandboxEvent):
            start = _seconds(event.timestamp)
            end = _seconds(event.completed) if event.completed is not None else start
            sandbox.append((start, end))
    model_merged = _merge(model)
    spans = _merge(execution)
    execution_merged = _merge([*spans, *_minus(_merge(sandbox), spans)])
    execution_only = _minus(execution_merged, model_merged)
    total = sample.total_time
    if total is None:
        timestamps = [_seconds(event.timestamp) for event in sample.events]
        total = max(timestamps) - min(timestamps) if timestamps else 0.0
    record = (sample.metadata or {}).get("codecrucible") or {}
    stages = record.get("stages") if isinstance(record, dict) else None
    return SampleProfile(
        problem=str(sample.id),
        epoch=sample.epoch,
        total_s=float(total),
        model_s=_length(model_merged),
        execution_s=_length(execution_only),
        model_calls=calls,
        stages=dict(stages or {}),
    )


def stage_totals(profiles: Iterable[SampleProfile]) -> dict[str, dict[str, float]]:
    """Calls, tokens and wall time per stage, summed over samples, in the order first seen."""
    totals: dict[str, dict[str, float]] = {}
    for profile in profiles:
        for name, entry in profile.stages.items():
            total = totals.setdefault(
                name,
                {"samples": 0, "calls": 0, "input_tokens": 0, "output_tokens": 0, "wall_s": 0.0},
            )
            total["samples"] += 1
            for key in ("calls", "input_tokens", "output_tokens", "wall_s"):
                total[key] += entry.get(key) or 0
    return totals
