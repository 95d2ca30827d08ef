"""The executor: runs candidate programs against tests inside sandboxes.

`execute()` is the entry point for scorers and solvers. The runner
(`runner.py`, standard library only) runs inside the sandbox; the expected
answers never leave this process, which does every comparison.
"""

from codecrucible.execution.client import RUNNER_PATH, ProcessSandbox, execute, execute_as_scored
from codecrucible.execution.comparators import COMPARATORS, Comparison, get_comparator
from codecrucible.execution.protocol import (
    ExecutionMode,
    ExecutionResult,
    ExecutorError,
    TestDataError,
    Verdict,
    VerdictStatus,
)
from codecrucible.execution.workers import ProcessSpec, close_worker_pools

__all__ = [
    "COMPARATORS",
    "RUNNER_PATH",
    "Comparison",
    "ExecutionMode",
    "ExecutionResult",
    "ExecutorError",
    "ProcessSandbox",
    "ProcessSpec",
    "TestDataError",
    "Verdict",
    "VerdictStatus",
    "close_worker_pools",
    "execute",
    "execute_as_scored",
    "get_comparator",
]
