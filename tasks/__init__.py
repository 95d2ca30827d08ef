"""Inspect tasks, one per benchmark (`inspect eval tasks/<name>.py` or `codecrucible/<name>`)."""

from codecrucible.tasks.apps import apps
from codecrucible.tasks.code_contests import code_contests
from codecrucible.tasks.custom import custom
from codecrucible.tasks.deepcoder import deepcoder
from codecrucible.tasks.humaneval import humaneval
from codecrucible.tasks.livecodebench import livecodebench
from codecrucible.tasks.mbpp import mbpp
from codecrucible.tasks.psb2 import psb2
from codecrucible.tasks.swe_bench import swe_bench
from codecrucible.tasks.taco import taco

__all__ = [
    "apps",
    "code_contests",
    "custom",
    "deepcoder",
    "humaneval",
    "livecodebench",
    "mbpp",
    "psb2",
    "swe_bench",
    "taco",
]
