"""Local mirrors of the repositories SWE-bench instances patch.

A mirror directory holds one git clone per repository, named like the instance
ids: `django__django` for `django/django`. The harness only reads them (objects
at a commit, for the oracle prompt); the grader clones from them inside the
sandbox, which sees the directory read-only. A repository missing from the
mirror is cloned from GitHub where the network allows; otherwise the error says
where to put it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from codecrucible.errors import InputError

DEFAULT_MIRROR = Path("~/.cache/codecrucible/swe-bench-repos")
"""Where repositories are cloned when no `repo_dir` is given."""
CLONE_TIMEOUT_S = 1800
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}


class RepositoryError(InputError):
    """A repository or a commit an instance needs is not at hand (the message says what to do)."""


def _git(
    *args: str, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        env={**os.environ, **_GIT_ENV},
    )


def mirror_dir(repo_dir: str | os.PathLike[str] | None) -> Path:
    """The mirror directory: `repo_dir` made absolute, or the default cache."""
    return Path(repo_dir if repo_dir is not None else DEFAULT_MIRROR).expanduser().resolve()


def is_repository(path: Path) -> bool:
    """Whether `path` is a git repository (a clone, or a bare repository)."""
    if not path.is_dir():
        return False
    result = _git("-c", "safe.directory=*", "rev-parse", "--git-dir", cwd=path)
    return result.returncode == 0


def repository(mirror: Path, repo: str, commits: tuple[str, ...] = (), clone: bool = True) -> Path:
    """The clone of `repo` (`owner/name`) under `mirror`, holding `commits`.

    Clones it from GitHub when it is missing and `clone` allows; fetches when a
    commit is missing from a clone it has. Raises `RepositoryError` with what to
    do when neither works.
    """
    path = mirror / repo.replace("/", "__")
    if not is_repository(path):
        if path.exists() and any(path.iterdir()):
            raise RepositoryError(
                f"{path} exists but is not a git repository: remove it or clone {repo} there"
            )
        reason = _clone(repo, path) if clone else "cloning is off (-T clone=false)"
        if reason is not None:
            raise RepositoryError(
                f"no clone of {repo} at {path} ({reason}): git clone https://github.com/{repo} "
                f"{path}, or pass -T repo_dir=DIR where DIR holds <owner>__<name> clones"
            )
    missing = [c for c in commits if not has_commit(path, c)]
    if missing and clone:
        _git(
            "-c",
            "safe.directory=*",
            "fetch",
            "--quiet",
            "origin",
            cwd=path,
            timeout=CLONE_TIMEOUT_S,
        )
        missing = [c for c in missing if not has_commit(path, c)]
    if missing:
        raise RepositoryError(
            f"the clone of {repo} at {path} lacks commit {missing[0]}: "
            f"git -C {path} fetch origin (the instance's base_commit must be in it)"
        )
    return path


def _clone(repo: str, path: Path) -> str | None:
    """Clone `repo` from GitHub into `path`; the reason it failed, or None."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        result = _git(
            "clone", "--quiet", f"https://github.com/{repo}.git", str(path), timeout=CLONE_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        return f"cloning from GitHub took over {CLONE_TIMEOUT_S} s"
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        return f"cloning from GitHub failed: {lines[-1] if lines else 'git clone failed'}"
    return None


def has_commit(path: Path, commit: str) -> bool:
    """Whether the repository at `path` holds `commit`."""
    result = _git("-c", "safe.directory=*", "cat-file", "-e", f"{commit}^{{commit}}", cwd=path)
    return result.returncode == 0


def file_at(path: Path, commit: str, name: str) -> str | None:
    """The text of file `name` at `commit`, or None where it does not exist there."""
    result = _git("-c", "safe.directory=*", "show", f"{commit}:{name}", cwd=path)
    if result.returncode != 0:
        return None
    return result.stdout


def readmes_at(path: Path, commit: str) -> list[str]:
    """The top-level files whose names start with `readme` (any case) at `commit`."""
    result = _git("-c", "safe.directory=*", "ls-tree", commit, cwd=path)
    names = []
    for line in result.stdout.splitlines():
        info, _, name = line.partition("\t")
        if info.split(" ")[1:2] == ["blob"] and name.lower().startswith("readme"):
            names.append(name)
    return sorted(names)
