"""Scorers: run candidates against hidden tests in the sample's sandbox; grade SWE-bench patches."""

from codecrucible.scorers.swe_patch import swe_patch
from codecrucible.scorers.tests import explain, tests

__all__ = ["explain", "swe_patch", "tests"]
