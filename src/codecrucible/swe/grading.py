"""Grading a SWE-bench patch in a sandbox: tier 1 (does it apply) and tier 2 (does it resolve).

Tier 1 needs only git and the repository. The model's patch must apply at
`base_commit` (`git apply --check`), and the instance's test patch must still
apply after it.

Tier 2 runs the tests, as SWE-bench's harness does. The model's patch is applied
(`git apply`, else `patch --fuzz=5`, the harness's fallback). The test files are
reset to `base_commit` and the test patch applied. The test command then runs
between SWE-bench's output markers, and its log is parsed with the `swebench`
package's parser for the repository. The instance is resolved only when every
FAIL_TO_PASS and every PASS_TO_PASS test passes (`get_resolution_status`).

Where the sandbox runs, three environments:
- `bwrap` (default): our sandbox; the mirror directory is visible read-only and
  the repository is cloned from it into the sample's private /tmp. Tier 2 runs
  the tests with the interpreter the user names (`env_python`), which must have
  the repository's dependencies installed.
- `official`: Docker, with SWE-bench's prebuilt instance image
  (`swebench/sweb.eval.x86_64.<id>`), whose repository sits at /testbed in the
  conda environment `testbed`; the eval script is swebench's own.
- `docker:IMAGE`: Docker, with an image of the user's that holds the repository
  at /testbed and its dependencies.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from inspect_ai.util import SandboxEnvironment

from codecrucible.datasets.swe_bench import SweInstance
from codecrucible.errors import InputError

EnvironmentKind = Literal["bwrap", "official", "docker"]
OFFICIAL_NAMESPACE = "swebench"
TESTBED = "/testbed"
"""Where SWE-bench images (and the docker:IMAGE environment) keep the repository."""
BWRAP_TESTBED = "/tmp/testbed"
"""Where the bwrap environment clones the repository (the sample's private /tmp)."""
MODEL_PATCH = "/tmp/codecrucible_model.patch"
TEST_PATCH = "/tmp/codecrucible_test.patch"
EVAL_SCRIPT = "/tmp/codecrucible_eval.sh"
TEST_OUTPUT = "/tmp/codecrucible_test_output.txt"
DEFAULT_TEST_CMD = "pytest --no-header -rA --tb=no -p no:cacheprovider"
"""The test command for a repository SWE-bench does not know (its usual pytest command)."""
DEFAULT_LOG_PARSER = "pytest"
START_TEST_OUTPUT = ">>>>> Start Test Output"
END_TEST_OUTPUT = ">>>>> End Test Output"
EXIT_CODE_MARK = ">>>>> Test Exit Code:"
GIT_CONFIG = "/tmp/codecrucible.gitconfig"
GIT_CONFIG_TEXT = """[safe]
\tdirectory = *
[core]
\tfileMode = false
[advice]
\tdetachedHead = false
"""
"""git's global settings for every command: the mirror belongs to another user than the
sandbox's (safe.directory); modes are not compared, as SWE-bench's harness does."""
GIT = "git"
GIT_APPLY_CMDS = (
    "git apply --verbose",
    "git apply --verbose --reject",
    "patch --batch --fuzz=5 -p1 -i",
)
"""swebench's `run_evaluation.GIT_APPLY_CMDS` (a test checks they agree): importing that
module for them would pull in its Docker client."""
COMMAND_TIMEOUT_S = 600
"""For git commands (a clone and checkout of a large repository included)."""
SWE_EXTRA_HINT = "pip install 'codecrucible[swe]'"


class GradingError(RuntimeError):
    """The grading machinery failed (not the patch): Inspect records an error and can retry."""


@dataclass(frozen=True)
class Environment:
    """Where an instance's patch is applied and its tests run."""

    kind: EnvironmentKind
    image: str | None = None
    """The Docker image (`docker` kind)."""
    python: str | None = None
    """The interpreter tests run with (`bwrap` kind)."""

    @property
    def can_run_tests(self) -> bool:
        """Whether tier 2 can run here (bwrap needs an interpreter with the dependencies)."""
        return self.kind != "bwrap" or self.python is not None

    @property
    def testbed(self) -> str:
        """The repository's path inside the sandbox."""
        return BWRAP_TESTBED if self.kind == "bwrap" else TESTBED


def parse_environment(env: str, env_python: str | None = None) -> Environment:
    """`-T env=bwrap|official|docker:IMAGE` (with `-T env_python=` for bwrap)."""
    env = env.strip()
    if env == "bwrap":
        return Environment("bwrap", python=env_python)
    if env_python is not None:
        raise InputError(f"env_python applies to env=bwrap only (got env={env!r})")
    if env == "official":
        return Environment("official")
    if env.startswith("docker:") and env[len("docker:") :].strip():
        return Environment("docker", image=env[len("docker:") :].strip())
    raise InputError(f"env must be bwrap, official or docker:IMAGE (got {env!r})")


def official_image(instance_id: str, namespace: str = OFFICIAL_NAMESPACE) -> str:
    """SWE-bench's prebuilt instance image (x86_64), as its harness names it."""
    key = f"sweb.eval.x86_64.{instance_id}:latest".lower().replace("__", "_1776_")
    return f"{namespace}/{key}"


def compose_file(image: str, directory: Path) -> str:
    """A Docker compose file that runs `image` idle, without network, at /testbed."""
    directory.mkdir(parents=True, exist_ok=True)
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in image)
    path = directory / f"{slug}.yaml"
    service = {
        "image": image,
        "command": "sleep infinity",
        "working_dir": TESTBED,
        "network_mode": "none",
        "init": True,
    }
    text = yaml.safe_dump({"services": {"default": service}}, sort_keys=False)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return str(path)


def swebench_available() -> str | None:
    """Why tier 2 cannot grade here (the `swebench` package is missing), or None."""
    try:
        import swebench.harness.grading  # noqa: F401
    except ImportError as exc:
        return f"tier 2 grades with the swebench package, which is not installed ({exc}): {SWE_EXTRA_HINT}"
    return None


def known_repository(repo: str, version: str) -> bool:
    """Whether swebench has a test command for this repository and version."""
    from swebench.harness.constants import MAP_REPO_VERSION_TO_SPECS

    return version in MAP_REPO_VERSION_TO_SPECS.get(repo, {})


def test_command(instance: SweInstance, override: str | None) -> str:
    """The command that runs the instance's tests, with swebench's test directives."""
    from swebench.harness.constants import MAP_REPO_VERSION_TO_SPECS
    from swebench.harness.test_spec.python import get_test_directives

    command = override
    if command is None:
        spec = MAP_REPO_VERSION_TO_SPECS.get(instance.repo, {}).get(instance.version, {})
        found = spec.get("test_cmd", DEFAULT_TEST_CMD)
        command = found[-1] if isinstance(found, list) else found
    directives = get_test_directives(_instance_dict(instance))
    return " ".join([command, *map(shlex.quote, directives)])


def log_parser(repo: str, name: str | None) -> Any:
    """The swebench log parser: named (`pytest`, `django`, ...), else the repository's own."""
    import swebench.harness.log_parsers.python as python_parsers
    from swebench.harness.log_parsers import MAP_REPO_TO_PARSER

    if name is None:
        return MAP_REPO_TO_PARSER.get(repo, python_parsers.parse_log_pytest)
    parser = getattr(python_parsers, f"parse_log_{name.removeprefix('parse_log_')}", None)
    if parser is None:
        known = sorted(
            n[len("parse_log_") :] for n in dir(python_parsers) if n.startswith("parse_log_")
        )
        raise InputError(f"unknown log parser {name!r}; choose one of {', '.join(known)}")
    return parser


def _instance_dict(instance: SweInstance) -> dict[str, Any]:
    data = instance.model_dump()
    data["FAIL_TO_PASS"] = list(instance.FAIL_TO_PASS)
    data["PASS_TO_PASS"] = list(instance.PASS_TO_PASS)
    return data


@dataclass
class CommandResult:
    """What one shell step printed, and whether it succeeded."""

    ok: bool
    returncode: int
    output: str


async def run(
    sandbox: SandboxEnvironment, script: str, timeout: int = COMMAND_TIMEOUT_S
) -> CommandResult:
    """Run a bash script in the sandbox; its stdout and stderr together."""
    script = f"export GIT_CONFIG_GLOBAL={GIT_CONFIG}\n{script}"
    result = await sandbox.exec(["bash", "-c", f"{{ {script}\n}} 2>&1"], timeout=timeout)
    return CommandResult(result.success, result.returncode, result.stdout + result.stderr)


async def prepare_testbed(
    sandbox: SandboxEnvironment, instance: SweInstance, env: Environment, mirror: Path | None
) -> str:
    """The repository at `base_commit`, clean, inside the sandbox; its path there."""
    base = shlex.quote(instance.base_commit)
    testbed = env.testbed
    await sandbox.write_file(GIT_CONFIG, GIT_CONFIG_TEXT)
    if env.kind == "bwrap":
        if mirror is None:
            raise GradingError("the bwrap environment needs the mirror directory (repo_dir)")
        source = shlex.quote(str(mirror / instance.mirror_name))
        script = (
            f"rm -rf {testbed} && {GIT} clone --quiet --shared --no-checkout {source} {testbed} "
            f"&& cd {testbed} && {GIT} checkout --quiet {base}"
        )
    else:
        # SWE-bench images are at base_commit already; a user's image may hold another one
        script = (
            f'cd {testbed} && {{ [ "$({GIT} rev-parse HEAD)" = {base} ] || '
            f"{GIT} checkout --quiet --force {base}; }}"
        )
    result = await run(sandbox, script)
    if not result.ok:
        raise GradingError(
            f"cannot set up {instance.repo} at {instance.base_commit} in the sandbox: "
            f"{_last_line(result.output)}"
        )
    return testbed


@dataclass
class ApplyResult:
    """Tier 1: whether the model's patch applies, and whether the test patch applies after it."""

    applies: bool
    message: str
    test_patch_applies: bool | None = None
    test_patch_message: str = ""


async def check_applies(
    sandbox: SandboxEnvironment,
    testbed: str,
    patch: str,
    test_patch: str,
    then_test_patch: bool = True,
) -> ApplyResult:
    """`git apply --check` of the model's patch at base_commit, then of the test patch after it.

    With `then_test_patch` the model's patch stays applied; without, nothing changes.
    """
    await sandbox.write_file(MODEL_PATCH, patch)
    await sandbox.write_file(TEST_PATCH, test_patch)
    check = await run(sandbox, f"cd {testbed} && {GIT} apply --check --verbose {MODEL_PATCH}")
    if check.returncode == 127:
        raise GradingError("git is not installed in the environment")
    if not check.ok or not then_test_patch:
        return ApplyResult(check.ok, check.output)
    applied = await run(sandbox, f"cd {testbed} && {GIT} apply {MODEL_PATCH}")
    if not applied.ok:
        raise GradingError(f"git apply failed after its check passed: {_last_line(applied.output)}")
    after = await run(sandbox, f"cd {testbed} && {GIT} apply --check --verbose {TEST_PATCH}")
    return ApplyResult(True, check.output, after.ok, after.output)


async def apply_for_tests(sandbox: SandboxEnvironment, testbed: str) -> tuple[str | None, str]:
    """Apply the model's patch as SWE-bench's harness does, one command after another.

    swebench's `GIT_APPLY_CMDS` in its order, on the same tree: `git apply`, then
    `git apply --reject` (which applies the hunks that fit and fails if any does
    not, leaving them applied), then `patch --fuzz=5`. Returns the command that
    succeeded (None: none did) and what the commands printed.

    Raises:
        GradingError: `patch` is missing from the environment.
    """
    outputs = []
    for command in GIT_APPLY_CMDS:
        result = await run(sandbox, f"cd {testbed} && {command} {MODEL_PATCH}")
        outputs.append(f"$ {command}\n{result.output}")
        if result.ok:
            return command, "\n".join(outputs)
        if result.returncode == 127:
            raise GradingError(f"`{command.split()[0]}` is not installed in the environment")
    return None, "\n".join(outputs)


async def reset_testbed(sandbox: SandboxEnvironment, testbed: str, base_commit: str) -> None:
    """The testbed back at `base_commit`, without the patches (ignored build files kept)."""
    base = shlex.quote(base_commit)
    result = await run(
        sandbox, f"cd {testbed} && {GIT} reset --quiet --hard {base} && {GIT} clean -fdq"
    )
    if not result.ok:
        raise GradingError(f"cannot reset the testbed: {_last_line(result.output)}")


def eval_script(instance: SweInstance, env: Environment, testbed: str, test_cmd: str | None) -> str:
    """The script that applies the test patch and runs the tests between the markers.

    The official environment runs swebench's own script (conda environment, the
    repository's eval commands). The others reset the test files, apply the test
    patch and run the test command, recording its exit status after the end marker.
    """
    from swebench.harness.utils import get_modified_files

    if env.kind == "official" and test_cmd is None:
        from swebench.harness.constants import MAP_REPO_VERSION_TO_SPECS
        from swebench.harness.test_spec.python import make_eval_script_list_py

        specs = MAP_REPO_VERSION_TO_SPECS[instance.repo][instance.version]
        lines = make_eval_script_list_py(
            _instance_dict(instance),
            specs,
            "testbed",
            testbed,
            instance.base_commit,
            instance.test_patch,
        )
        return "\n".join(["set -uxo pipefail", *lines]) + "\n"
    test_files = " ".join(shlex.quote(f) for f in get_modified_files(instance.test_patch))
    base = shlex.quote(instance.base_commit)
    if env.kind == "official":
        prelude = ["source /opt/miniconda3/bin/activate", "conda activate testbed"]
    elif env.kind == "bwrap":
        # the clone's code comes first, also where the environment has the package installed
        # (and its src/ directory, for repositories laid out that way)
        prelude = [f"export PYTHONPATH={testbed}:{testbed}/src${{PYTHONPATH:+:$PYTHONPATH}}"]
    else:
        prelude = []
    return (
        "\n".join(
            [
                "set -uo pipefail",
                *prelude,
                f"cd {testbed}",
                f"{GIT} checkout --quiet {base} -- {test_files}",
                f"{GIT} apply --verbose {TEST_PATCH} || {{ echo '>>>>> Patch Apply Failed'; exit 3; }}",
                f"echo '{START_TEST_OUTPUT}'",
                test_command(instance, test_cmd),
                "status=$?",
                f"echo '{END_TEST_OUTPUT}'",
                f"echo '{EXIT_CODE_MARK} '$status",
            ]
        )
        + "\n"
    )


@dataclass
class TestRun:
    """Tier 2: the test log, each FAIL_TO_PASS and PASS_TO_PASS test's fate, the verdict."""

    __test__ = False

    resolved: bool
    status: str
    """swebench's resolution status (`RESOLVED_FULL`, `RESOLVED_PARTIAL`, `RESOLVED_NO`)."""
    report: dict[str, dict[str, list[str]]]
    """FAIL_TO_PASS / PASS_TO_PASS: the tests that passed (`success`) and failed (`failure`)."""
    statuses: dict[str, str]
    """What the log says of each graded test (absent: not found in the log)."""
    log: str
    exit_code: int | None
    timed_out: bool = False


async def run_tests(
    sandbox: SandboxEnvironment,
    instance: SweInstance,
    env: Environment,
    testbed: str,
    *,
    test_cmd: str | None,
    parser_name: str | None,
    timeout: int,
) -> TestRun:
    """Apply the test patch, run the tests, and grade the log with swebench."""
    script = eval_script(instance, env, testbed, test_cmd)
    await sandbox.write_file(EVAL_SCRIPT, script)
    try:
        await run(sandbox, f"bash {EVAL_SCRIPT} > {TEST_OUTPUT} 2>&1", timeout=timeout)
        timed_out = False
    except TimeoutError:
        timed_out = True
    try:
        log = await sandbox.read_file(TEST_OUTPUT)
    except FileNotFoundError:
        log = ""
    return grade_log(instance, log, parser_name, timed_out)


def grade_log(
    instance: SweInstance, log: str, parser_name: str | None, timed_out: bool = False
) -> TestRun:
    """The verdict of a test log: swebench's parser, report and resolution status."""
    from swebench.harness.constants import (
        FAIL_ONLY_REPOS,
        FAIL_TO_PASS,
        PASS_TO_PASS,
        EvalType,
        ResolvedStatus,
    )
    from swebench.harness.grading import get_eval_tests_report, get_resolution_status

    exit_code = _exit_code(log)
    if exit_code == 127:
        raise GradingError(
            "the test command was not found in the environment (exit status 127): "
            f"{_last_line(_between_markers(log) or log)}"
        )
    statuses: dict[str, str] = {}
    if not timed_out and START_TEST_OUTPUT in log and END_TEST_OUTPUT in log:
        parser = log_parser(instance.repo, parser_name)
        spec = _test_spec(instance)
        statuses = parser(_between_markers(log), spec) or parser(log, spec)
    eval_type = EvalType.FAIL_ONLY if instance.repo in FAIL_ONLY_REPOS else EvalType.PASS_AND_FAIL
    gold = {FAIL_TO_PASS: instance.FAIL_TO_PASS, PASS_TO_PASS: instance.PASS_TO_PASS}
    report = get_eval_tests_report(statuses, gold, eval_type=eval_type)
    if timed_out or not statuses:
        # a run that timed out or printed nothing the parser knows proves no test passed
        report = {
            FAIL_TO_PASS: {"success": [], "failure": list(instance.FAIL_TO_PASS)},
            PASS_TO_PASS: {"success": [], "failure": list(instance.PASS_TO_PASS)},
        }
    status = get_resolution_status(report)
    graded = {
        t: statuses[t] for t in [*instance.FAIL_TO_PASS, *instance.PASS_TO_PASS] if t in statuses
    }
    return TestRun(
        resolved=status == ResolvedStatus.FULL.value,
        status=status,
        report={key: report[key] for key in (FAIL_TO_PASS, PASS_TO_PASS)},
        statuses=graded,
        log=log,
        exit_code=exit_code,
        timed_out=timed_out,
    )


def _test_spec(instance: SweInstance) -> Any:
    """A swebench TestSpec for the parsers (some read it); no scripts, no network."""
    from swebench.harness.test_spec.test_spec import TestSpec

    return TestSpec(
        instance_id=instance.instance_id,
        repo=instance.repo,
        version=instance.version,
        repo_script_list=[],
        eval_script_list=[],
        env_script_list=[],
        arch="x86_64",
        FAIL_TO_PASS=list(instance.FAIL_TO_PASS),
        PASS_TO_PASS=list(instance.PASS_TO_PASS),
        language="py",
        docker_specs={},
        namespace=None,
    )


def _between_markers(log: str) -> str:
    return log.split(START_TEST_OUTPUT, 1)[-1].split(END_TEST_OUTPUT, 1)[0]


def _exit_code(log: str) -> int | None:
    for line in reversed(log.splitlines()):
        if line.startswith(EXIT_CODE_MARK):
            try:
                return int(line[len(EXIT_CODE_MARK) :].strip())
            except ValueError:
                return None
    return None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
