"""Imports every task, solver, scorer and sandbox so Inspect finds them by name.

Names: `codecrucible/humaneval`, `--solver codecrucible/reference`, `sandbox="bwrap"`.
"""

from codecrucible.models import hf_classifier
from codecrucible.sandboxes import BwrapSandboxEnvironment
from codecrucible.scorers import swe_patch, tests
from codecrucible.solvers import alphacodium, feedback, reference, rerank, seidr, single_turn
from codecrucible.tasks import (
    apps,
    code_contests,
    custom,
    deepcoder,
    humaneval,
    livecodebench,
    mbpp,
    psb2,
    swe_bench,
    taco,
)
