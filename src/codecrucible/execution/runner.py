"""The test runner that executes candidate programs inside a sandbox.

Standard library only: this file runs inside whatever sandbox holds the
candidate (bwrap, a Docker container, a Kubernetes pod), as a script or as the
`-c` argument of `python`.

Protocol (version 2): JSON messages, one per line, on the input stream; answers
on the output stream. A process serves any number of sessions, one candidate each.

    -> {"op": "start", "version": 2, "program": str, "limits": {...},
        "mode": "strict" | "batch", "stop_on_failure": bool}
    <- {"op": "ready"}  or  {"op": "compile_error", "message": str}
    -> {"op": "test", "index": int, "test": {"kind": ..., <inputs only>}}   (pipelined)
    <- {"op": "result", "index": int, "status": str, ...}, in order, or {"op": "skipped", ...}
    -> {"op": "stop"}            (optional: the harness saw a failure; queued tests are skipped)
    -> {"op": "end"}
    <- {"op": "done"}

`status` is "ok" when the program ran to completion; the harness then compares
its output, which the expected answer never left. Any other status is a verdict
the runner observed itself: timeout, runtime_error, memory_limit, output_limit.
A result carries the program's standard output as `stdout_bytes` raw bytes
following the line (or as `stdout_b64` inside it with `--text`, for channels that
carry text only). A malformed request gets {"op": "error", "message": str}: the
machinery's fault, not the candidate's.

Modes:
- strict: the program is compiled once; each test runs in a child forked from
  this process, with real file descriptors 0, 1 and 2 (memfds), fresh `__main__`
  globals, its own session and resource limits.
- batch: one child per candidate runs the tests in sequence, in-process, with
  fresh `__main__` globals and fd-level stdio per test and a CPU timer per test;
  this process holds a hard wall-clock deadline per test and forks a new child
  after a hang or a crash. Much faster; module state may leak between tests.

Options (from the sandbox that starts the runner):
- `--candidate-user UID`: children drop to this uid (the runner keeps its own, so
  a candidate can neither signal it nor read its memory);
- `--sweep`: the runner owns a pid namespace (bwrap): after every test it kills
  every process but itself and the namespace's init, and empties /tmp;
- `--text`: answers carry output as base64 inside the JSON line.
"""

from __future__ import annotations

# Imports stay few and light: every page of this process a test's child touches
# after the fork costs a copy, and a module's at-fork hooks run in every child
# (tempfile would bring `random`, which reseeds itself at every fork).
import binascii
import contextlib
import gc
import json
import math
import os
import select
import signal
import sys
import time
import types
from collections import deque

TYPE_CHECKING = False  # not typing's: importing typing would weigh on every child
if TYPE_CHECKING:
    from typing import IO, Any

try:
    import resource
except ImportError:  # not POSIX: no limits to set (the local sandbox elsewhere)
    resource = None  # type: ignore[assignment]

PROTOCOL_VERSION = 2

ADDRESS_SPACE_HEADROOM = 1 << 30  # address space is not memory: leave room for mappings
STDERR_TAIL_BYTES = 4096
OUTPUT_EXCERPT_BYTES = 4096  # what an output_limit verdict sends back of the flood
RECURSION_LIMIT = 100_000  # judges raise Python's limit (and the stack) for recursive solutions

# Records a test's process writes after the candidate ran: a returned value, the end of
# the asserts, a MemoryError. Each is "<nonce> <record>" with a nonce made for that test,
# so a program cannot pass by writing records blindly (one that reads its own memory
# for the nonce is subverting its test in-process: see the README's known limits).
MARK_MEMORY = b"M"
MARK_RETURN = b"R "
MARK_UNSERIALISABLE = b"U "
MARK_ASSERTS_DONE = b"A"
# written before the candidate runs, on a descriptor closed before it runs: untouchable
MARK_SETUP = b"S\n"


class RequestError(Exception):
    """A malformed request: reported to the harness, which raises."""


class CompileError(Exception):
    """The candidate's program does not compile (its fault: a verdict)."""


class TestTimeout(BaseException):
    """Raised in a batch child when a test's CPU time is up (the parent's deadline backs it)."""


class Limits:
    """Per-test limits as the harness sent them (see codecrucible.problem.Limits)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.time_s = float(raw.get("time_s", 2.0))
        self.wall_time_s = float(raw.get("wall_time_s") or 3 * self.time_s + 1)
        self.memory_bytes = int(raw.get("memory_mb", 1024)) << 20
        self.output_bytes = int(raw.get("output_mb", 64)) << 20
        self.processes = int(raw.get("max_processes", 128))


class Options:
    """How this runner was started (see the module docstring)."""

    def __init__(
        self, candidate_uid: int | None = None, sweep: bool = False, text: bool = False
    ) -> None:
        self.candidate_uid = candidate_uid
        self.sweep = sweep
        self.text = text
        # what the sandbox put in the writable directories (mount points): kept by a sweep
        self.keep_in: dict[str, set[str]] = {}


# ---------------------------------------------------------------- file descriptors


def _memfd(name: str) -> int:
    try:
        return os.memfd_create(name, 0)
    except (AttributeError, OSError):  # not Linux: an unlinked temporary file does the same
        import tempfile

        with tempfile.TemporaryFile() as handle:
            return os.dup(handle.fileno())


def _read_fd(fd: int, limit: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _tail(fd: int, size: int) -> bytes:
    length = os.fstat(fd).st_size
    if not length:
        return b""
    os.lseek(fd, max(0, length - size), os.SEEK_SET)
    return os.read(fd, size)


def _reset(fd: int, data: bytes = b"") -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)  # shared with the child: its offset moves too
    if data:
        os.write(fd, data)
        os.lseek(fd, 0, os.SEEK_SET)


# ---------------------------------------------------------------- the child side


def rlimits(limits: Limits, cpu_s: float | None, for_uid: int) -> list[tuple[int, tuple[int, int]]]:
    """The resource limits of a test's process, computed once in the runner.

    Hard limits equal soft ones, so the candidate cannot raise them back (lowering
    needs no privilege; raising a hard limit needs CAP_SYS_RESOURCE, which no test
    process has). CPU keeps one second between soft (SIGXCPU) and hard (SIGKILL).
    """
    if resource is None:
        return []
    wanted = {
        resource.RLIMIT_AS: limits.memory_bytes + ADDRESS_SPACE_HEADROOM,
        resource.RLIMIT_STACK: limits.memory_bytes,
        resource.RLIMIT_FSIZE: limits.output_bytes,
        resource.RLIMIT_CORE: 0,
    }
    if for_uid != 0:  # the kernel does not count root's processes
        wanted[resource.RLIMIT_NPROC] = limits.processes
    settings = []
    for which, soft in wanted.items():
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        settings.append((which, (soft, soft)))
    if cpu_s is not None:
        cpu = max(1, int(math.ceil(cpu_s)))
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        if hard == resource.RLIM_INFINITY or hard > cpu + 1:
            settings.append((resource.RLIMIT_CPU, (cpu, cpu + 1)))  # SIGXCPU, then SIGKILL
    return settings


def _apply_rlimits(settings: list[tuple[int, tuple[int, int]]]) -> None:
    for which, values in settings:
        try:  # noqa: SIM105 - a context manager here costs a child more page copies
            resource.setrlimit(which, values)
        except (ValueError, OSError):
            pass


def _become_candidate(uid: int | None) -> None:
    if uid is not None and os.getuid() != uid:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)  # a uid other than 0: every capability is gone with it


def _fd_stream(fd: int, mode: str, errors: str, **options: Any) -> IO[str]:
    return open(fd, mode, encoding="utf-8", errors=errors, closefd=False, **options)


def stdio_streams() -> dict[str, IO[str]]:
    """Streams over fds 0, 1 and 2, as a fresh interpreter makes them.

    Strict mode makes them in the runner, before the fork: the child finds them
    ready (and unused), so it touches fewer pages of memory.
    """
    return {
        "stdin": _fd_stream(0, "r", "surrogateescape", newline="\n"),
        "stdout": _fd_stream(1, "w", "surrogateescape"),
        "stderr": _fd_stream(2, "w", "backslashreplace", buffering=1),
    }


def _install_stdio(streams: dict[str, IO[str]]) -> None:
    for name, stream in streams.items():
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _flush_stdio() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def _main_module() -> types.ModuleType:
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = __builtins__
    main.__file__ = "solution.py"
    return main


def _install_main(main: types.ModuleType) -> None:
    sys.modules["__main__"] = main
    sys.argv = ["solution.py"]


def _exit_status(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(Exception):
        sys.stderr.write(f"{code}\n")
    return 1


def _print_candidate_traceback(exc: BaseException) -> None:
    # drop the runner's own frames so the traceback starts in the candidate's code
    runner_file = _print_candidate_traceback.__code__.co_filename  # also when run with -c
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == runner_file:
        tb = tb.tb_next
    import traceback

    traceback.print_exception(type(exc), exc, tb)


def _json_value(value: Any) -> bytes:
    try:
        text = json.dumps(value, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        description = {"type": type(value).__name__, "repr": repr(value)[:1000]}
        return MARK_UNSERIALISABLE + json.dumps(description).encode()
    return MARK_RETURN + text.encode("utf-8", "surrogateescape")


def _find_callable(namespace: dict[str, Any], fn_name: str) -> Any:
    # LeetCode style first, as LiveCodeBench calls it: a method of class Solution wins
    # over a module-level name (a star-imported `comb` must not shadow the answer)
    solution_class = namespace.get("Solution")
    if isinstance(solution_class, type) and hasattr(solution_class, fn_name):
        return getattr(solution_class(), fn_name)
    candidate = namespace.get(fn_name)
    if callable(candidate):
        return candidate
    raise NameError(f"the program defines no function {fn_name!r}")


def _join_threads() -> None:
    """Wait for the candidate's non-daemon threads, as an interpreter does at exit."""
    threading = sys.modules.get("threading")
    if threading is None:
        return
    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not current and not thread.daemon:
            thread.join()


def _run_test_code(
    code: types.CodeType,
    test: dict[str, Any],
    test_code: types.CodeType | None,
    main: types.ModuleType,
) -> bytes:
    """Run the candidate and the test's call or asserts; return the record that proves it."""
    exec(code, main.__dict__)
    if test["kind"] == "functional":
        function = _find_callable(main.__dict__, test["fn_name"])
        return _json_value(function(*test["args"]))
    if test_code is not None:
        exec(test_code, main.__dict__)
        return MARK_ASSERTS_DONE
    return b""


def _finish_like_interpreter() -> None:
    """What a normal interpreter exit does: join threads, run atexit, flush."""
    _join_threads()
    atexit = sys.modules.get("atexit")
    if atexit is not None:
        atexit._run_exitfuncs()
        atexit._clear()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # an error here (EFBIG past the cap) is the candidate's


def _strict_child(
    session: Session,
    test: dict[str, Any],
    test_code: types.CodeType | None,
    fds: dict[str, int],
    nonce: bytes,
) -> None:
    """Run one test in a forked child; never returns."""
    status = 121  # the runner's own code failed before the candidate started
    try:
        os.setsid()
        for fd in session.protocol_fds:
            os.close(fd)
        _become_candidate(session.options.candidate_uid)
        for target, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
            os.dup2(fds[name], target)
            os.close(fds[name])
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # a broken pipe ends a program, as usual
        _apply_rlimits(session.strict_rlimits)
        os.write(fds["setup"], MARK_SETUP)  # sys.stdio and __main__ were set before the fork
        status = 1
        if session.build is not None:
            session.build.exec_program(fds["setup"])  # never returns
        os.close(fds["setup"])
        assert session.code is not None
        status = _strict_run(session.code, test, test_code, session.main, fds["result"], nonce)
    finally:
        # whatever happened, this process must never return into the runner's loop
        try:
            _flush_stdio()
        finally:
            os._exit(status)


def _prepare_process() -> None:
    """Set, once in the runner, what every child needs (children inherit it for free)."""
    # SIGPIPE is ignored here (a dead child's pipe raises, it does not kill the runner);
    # children restore it
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    for number in (signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_DFL)  # past the output cap: die, visibly
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)  # judges have no 4300-digit limit
    sys.setrecursionlimit(RECURSION_LIMIT)


def _strict_run(
    code: types.CodeType,
    test: dict[str, Any],
    test_code: types.CodeType | None,
    main: types.ModuleType,
    result_fd: int,
    nonce: bytes,
) -> int:
    """Execute the candidate and its test; return the exit status."""
    try:
        try:
            record = _run_test_code(code, test, test_code, main)
            if record:
                os.write(result_fd, nonce + b" " + record + b"\n")
            _finish_like_interpreter()
            return 0
        except SystemExit as exc:
            status = _exit_status(exc)
            _finish_like_interpreter()
            return status
    except MemoryError:
        with contextlib.suppress(BaseException):
            os.write(result_fd, nonce + b" " + MARK_MEMORY + b"\n")
        return 1
    except SystemExit as exc:  # raised again while finishing (an atexit handler, a thread)
        return _exit_status(exc)
    except BaseException as exc:
        with contextlib.suppress(BaseException):
            _print_candidate_traceback(exc)
        return 1


# ---------------------------------------------------------------- waiting and cleaning up


def _wait(pid: int, wall_s: float) -> tuple[int, Any, bool, float]:
    """Wait for a child up to `wall_s` of wall time, then kill its process group.

    Returns (wait status, rusage, timed out, wall seconds).
    """
    start = time.monotonic()
    timed_out = not _wait_readable([], pid, wall_s)
    if timed_out:
        _killpg(pid)
    _, wait_status, rusage = os.wait4(pid, 0)
    elapsed = time.monotonic() - start
    _killpg(pid)  # anything the candidate left behind in its process group
    return wait_status, rusage, timed_out, elapsed


def _wait_readable(fds: list[int], pid: int, timeout: float) -> bool:
    """Wait until one of `fds` is readable or the child `pid` has exited; False on timeout."""
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = -1
    if pidfd >= 0:
        try:
            ready, _, _ = select.select([*fds, pidfd], [], [], max(0.0, timeout))
        finally:
            os.close(pidfd)
        return bool(ready)
    deadline = time.monotonic() + timeout  # no pidfd (old kernel, macOS): poll
    delay = 0.0005
    while True:
        ready, _, _ = select.select(fds, [], [], 0) if fds else ([], [], [])
        if ready or os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.01)


def _killpg(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _kill_strays() -> None:
    """Kill what a test left running outside its process group (a setsid, a double fork).

    Orphans come back to this process (a subreaper), so its children are exactly
    what is left: kill them, and again for their own orphans, until none is left.
    """
    children = f"/proc/self/task/{os.getpid()}/children"
    for _ in range(1000):  # a bound: a fork bomb is also bounded by RLIMIT_NPROC
        try:
            with open(children, "rb") as listing:
                pids = [int(pid) for pid in listing.read().split()]
        except OSError:  # no such file (not Linux, or an old kernel): reap at least
            pids = []
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        for pid in pids:  # these only: a child forked meanwhile is killed next round
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        while True:  # zombies the listing missed (no /proc): reaped, never waited for
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        if not pids:
            return


SWEPT_DIRECTORIES = ("/tmp", "/dev/shm")
"""Writable places a candidate could leave files in for the next one (bwrap)."""


def _writable_by(directory: str, uid: int) -> bool:
    """Whether a candidate of `uid` could leave something in `directory` (roughly: to sweep)."""
    try:
        status = os.stat(directory)
    except OSError:
        return False
    return bool(status.st_mode & 0o002) or status.st_uid == uid


def _sysv_ipc_objects() -> list[tuple[str, int]]:
    """System V shared memory, queues and semaphores of this IPC namespace: (kind, id)."""
    found = []
    for kind in ("shm", "msg", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}", "rb") as table:
                rows = table.read().split(b"\n")[1:]
        except OSError:
            continue
        found += [(kind, int(row.split()[1])) for row in rows if row.strip()]
    return found


def _remove_sysv_ipc(objects: list[tuple[str, int]]) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    ipc_rmid = 0
    for kind, identifier in objects:
        if kind == "shm":
            libc.shmctl(identifier, ipc_rmid, None)
        elif kind == "msg":
            libc.msgctl(identifier, ipc_rmid, None)
        else:
            libc.semctl(identifier, 0, ipc_rmid)


def _sweep(options: Options, candidate_done: bool = False) -> None:
    """Leave nothing of a test behind for the next one.

    With `--sweep` (the runner owns its pid and IPC namespaces): kill every process
    but init and this one, empty /tmp and /dev/shm and, once the candidate is done,
    remove its System V IPC objects (a check costs ~0.1 ms: not after every test).
    Without: kill what the test left running.
    """
    if not options.sweep:
        _kill_strays()
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(-1, signal.SIGKILL)
    while True:  # the killed processes come back to us as zombies: reap them all
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    leftovers = [
        f"{directory}/{name}"
        for directory, keep in options.keep_in.items()
        for name in os.listdir(directory)
        if name not in keep
    ]
    ipc_objects = _sysv_ipc_objects() if candidate_done else []
    if not leftovers and not ipc_objects:
        return
    helper = os.fork()  # the candidate's things belong to its uid: remove them as that uid
    if helper == 0:
        status = 1
        try:
            _become_candidate(options.candidate_uid)
            for path in leftovers:
                _remove(path)
            if ipc_objects:
                _remove_sysv_ipc(ipc_objects)
            status = 0
        finally:
            os._exit(status)
    os.waitpid(helper, 0)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        for base, directories, _ in os.walk(path):
            for name in directories:
                with contextlib.suppress(OSError):
                    os.chmod(os.path.join(base, name), 0o700)
        with contextlib.suppress(OSError):
            os.chmod(path, 0o700)
        import shutil

        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _harden() -> None:
    """Become a subreaper and non-dumpable.

    Orphans then come back here to be reaped, and a process of the same uid (a
    candidate) can neither ptrace this one nor open its /proc entries
    (/proc/<pid>/fd, mem): it cannot reach the protocol streams.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
    except Exception:  # no libc to call (not Linux)
        return
    pr_set_dumpable, pr_set_child_subreaper = 4, 36
    libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0)
    libc.prctl(pr_set_dumpable, 0, 0, 0, 0)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown"


# ---------------------------------------------------------------- verdicts


class Outcome:
    """What the runner saw of one test, before it becomes an answer."""

    def __init__(self) -> None:
        self.timed_out = False
        self.exit_code: int | None = None
        self.signal: int | None = None
        self.cpu = 0.0
        self.wall = 0.0
        self.memory_kb = 0
        self.memory_error = False
        self.record = b""  # the proof of completion: a return value or the asserts' end
        self.cpu_exceeded = False  # batch mode: the CPU timer fired
        self.violation = ""  # batch mode: the program forged or garbled its test's report


def _verdict(
    index: int, test: dict[str, Any], outcome: Outcome, limits: Limits, stdout_size: int
) -> dict[str, Any]:
    status, message = "ok", ""
    if outcome.timed_out:
        status, message = "timeout", f"still running after {limits.wall_time_s:g} s of wall time"
    elif outcome.violation:
        status, message = "runtime_error", outcome.violation
    elif outcome.signal == signal.SIGXCPU or outcome.cpu_exceeded:
        status, message = "timeout", f"stopped at the CPU time limit of {limits.time_s:g} s"
    elif outcome.cpu > limits.time_s:
        status, message = (
            "timeout",
            f"used {outcome.cpu:.2f} s of CPU time, limit {limits.time_s:g} s",
        )
    elif outcome.signal == signal.SIGXFSZ or stdout_size >= limits.output_bytes:
        status, message = "output_limit", f"wrote more than {limits.output_bytes >> 20} MiB"
    elif outcome.memory_error:
        status = "memory_limit"
        message = f"an allocation failed (MemoryError), limit {limits.memory_bytes >> 20} MiB"
    elif outcome.memory_kb * 1024 > limits.memory_bytes:
        status = "memory_limit"
        message = (
            f"peak memory {outcome.memory_kb / 1024:.0f} MiB, limit {limits.memory_bytes >> 20} MiB"
        )
    elif outcome.signal is not None:
        status = "runtime_error"
        message = f"killed by signal {outcome.signal} ({_signal_name(outcome.signal)})"
    elif outcome.exit_code:
        status, message = "runtime_error", f"exit status {outcome.exit_code}"
    answer: dict[str, Any] = {  # lean: a pass is the common answer, thousands a second
        "op": "result",
        "index": index,
        "status": status,
        "time_s": round(outcome.cpu, 4),
        "wall_s": round(outcome.wall, 4),
        "memory_kb": outcome.memory_kb,
        "exit_code": outcome.exit_code,
    }
    if message:
        answer["message"] = message
    if outcome.signal is not None:
        answer["signal"] = outcome.signal
    kind = test["kind"]
    record = outcome.record
    if status == "ok" and kind == "functional":
        if record.startswith(MARK_RETURN):
            answer["return_json"] = (
                record[len(MARK_RETURN) :].rstrip(b"\n").decode("utf-8", "surrogateescape")
            )
        elif record.startswith(MARK_UNSERIALISABLE):
            answer["unserialisable"] = json.loads(record[len(MARK_UNSERIALISABLE) :])
        else:
            answer["status"] = "runtime_error"
            answer["message"] = "the program exited before the function returned"
    elif status == "ok" and kind == "assert" and record != MARK_ASSERTS_DONE:
        answer["status"] = "runtime_error"
        answer["message"] = "the program exited before the tests completed"
    return answer


def _records(data: bytes, nonce: bytes) -> list[bytes]:
    """The records of this test's nonce (anything else in the file is ignored)."""
    prefix = nonce + b" "
    return [line[len(prefix) :] for line in data.split(b"\n") if line.startswith(prefix)]


def _outcome_of_exit(wait_status: int, rusage: Any) -> Outcome:
    outcome = Outcome()
    outcome.exit_code = os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else None
    outcome.signal = os.WTERMSIG(wait_status) if os.WIFSIGNALED(wait_status) else None
    if rusage is not None:
        outcome.cpu = rusage.ru_utime + rusage.ru_stime
        outcome.memory_kb = int(rusage.ru_maxrss) // (1024 if sys.platform == "darwin" else 1)
    return outcome


# ---------------------------------------------------------------- sessions


def _compile_candidate(program: str) -> types.CodeType:
    try:
        return compile(program, "solution.py", "exec", dont_inherit=True)
    except SyntaxError as exc:
        import traceback

        raise CompileError("".join(traceback.format_exception_only(type(exc), exc))) from exc
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        # null bytes, or an expression too deep or too large for the compiler
        raise CompileError(f"{type(exc).__name__}: {exc}") from exc


def _check_test(index: int, test: Any) -> types.CodeType | None:
    """Validate a test message; compile an assert test's program."""
    if not isinstance(test, dict):
        raise RequestError(f"test {index}: 'test' must be an object")
    kind = test.get("kind")
    if kind not in ("stdin", "functional", "assert"):
        raise RequestError(f"test {index}: unknown kind {kind!r}")
    if kind == "functional" and not (
        isinstance(test.get("fn_name"), str) and isinstance(test.get("args"), list)
    ):
        raise RequestError(f"test {index}: a functional test needs 'fn_name' and a list 'args'")
    if kind != "assert":
        return None
    if not isinstance(test.get("program"), str):
        raise RequestError(f"test {index}: an assert test needs 'program'")
    try:
        return compile(test["program"], "test.py", "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise RequestError(f"test {index}: the test program does not compile: {exc}") from exc


BUILD_ROOTS = ("/tmp", ".")
"""Where a build's directory may go: the first writable one that allows executing files
(Docker mounts /tmp `noexec`; its working directory, /work, is not)."""
EXEC_FAILED = b"codecrucible: cannot exec the program: "


def _build_root() -> str:
    for root in BUILD_ROOTS:
        path = os.path.abspath(root)
        try:
            flags = os.statvfs(path).f_flag
        except OSError:
            continue
        if not flags & os.ST_NOEXEC and not flags & os.ST_RDONLY:
            return path
    raise RuntimeError("no writable directory here allows running a compiled program")


class Build:
    """A program in another language: its source and artefact in a directory of its own.

    `spec` is the language's entry from the harness's registry: `name`, `source` (the
    file name), `compile` (argv, or None for interpreted languages), `run` (argv),
    `compile_time_s`, `compile_memory_mb` and `address_space_limit`. The compiler and
    the program run as the candidate, in the directory, which the sweep after each
    test keeps until the candidate is done.
    """

    def __init__(
        self,
        spec: Any,
        program: str,
        options: Options,
        protocol_fds: list[int],
        limits: Limits,
    ) -> None:
        if not isinstance(spec, dict) or not isinstance(spec.get("run"), list):
            raise RequestError("start: 'language' must be an object with a 'run' list")
        self.name = str(spec.get("name", "program"))
        # `{memory_mb}` in the run command: the test's memory limit (a JVM's -Xmx)
        memory_mb = str(limits.memory_bytes >> 20)
        self.run_argv = [str(a).replace("{memory_mb}", memory_mb) for a in spec["run"]]
        self.address_space_limit = bool(spec.get("address_space_limit", True))
        self.options = options
        self.protocol_fds = protocol_fds
        self.basename = ".codecrucible-build-" + binascii.hexlify(os.urandom(6)).decode()
        self.root = _build_root()
        self.directory = f"{self.root}/{self.basename}"
        self.sealed = False
        self._keep(self.basename)
        source = os.path.join(self.directory, os.path.basename(str(spec.get("source", "main"))))
        try:
            self._as_candidate(self._write, source, program.encode("utf-8", "surrogateescape"))
            command = spec.get("compile")
            if command:
                self._compile(
                    [str(a) for a in command],
                    float(spec.get("compile_time_s", 30)),
                    int(spec.get("compile_memory_mb", 2048)) << 20,
                )
            self._seal()
        except BaseException:
            # no session follows a failed build: nothing of it may stay for the next candidate
            self.release()
            self.remove()
            raise

    def _keep(self, name: str) -> None:
        keep = self.options.keep_in.get(self.root)
        if keep is not None:
            keep.add(name)

    def _seal(self) -> None:
        """Move the build out of the candidate's reach: a copy owned by the runner.

        The candidate's uid built it; were the tests to run it from there, one test
        could rewrite the program or leave files for the next. The runner cannot
        change owners, so it copies the files (read-only to the candidate) and the
        candidate's directory goes. Without a separate candidate uid there is no
        one to seal it from.
        """
        uid = self.options.candidate_uid
        if uid is None or os.getuid() == uid:
            return
        built = self.directory
        sealed_name = self.basename + "-run"
        sealed = f"{self.root}/{sealed_name}"
        self._keep(sealed_name)
        os.mkdir(sealed, 0o755)
        for name in os.listdir(built):
            path = os.path.join(built, name)
            if not os.path.isfile(path) or os.path.islink(path):
                continue
            mode = os.stat(path).st_mode & 0o755
            with open(path, "rb") as source, open(os.path.join(sealed, name), "wb") as copy:
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
            os.chmod(os.path.join(sealed, name), mode)
        self.remove()  # the candidate's own directory
        self.release()
        self.directory, self.basename, self.sealed = sealed, sealed_name, True

    def _write(self, source: str, data: bytes) -> None:
        os.mkdir(self.directory, 0o755)
        with open(source, "wb") as handle:
            handle.write(data)

    def _as_candidate(self, action: Any, *arguments: Any) -> None:
        """Do `action` as the candidate's uid (its files are its own), in a helper process.

        The runner may set uids but not change owners: the candidate's user makes
        its directory, as it removes what a test left.
        """
        uid = self.options.candidate_uid
        if uid is None or os.getuid() == uid:
            action(*arguments)
            return
        helper = os.fork()
        if helper == 0:
            status = 1
            try:
                _become_candidate(uid)
                action(*arguments)
                status = 0
            finally:
                os._exit(status)
        _, wait_status = os.waitpid(helper, 0)
        if wait_status != 0:
            raise RuntimeError(f"could not write the {self.name} source (status {wait_status})")

    def _compile(self, argv: list[str], time_s: float, memory_bytes: int) -> None:
        output = _memfd("compiler")
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                for fd in self.protocol_fds:
                    os.close(fd)
                _become_candidate(self.options.candidate_uid)
                os.chdir(self.directory)
                os.dup2(output, 1)
                os.dup2(output, 2)
                limits = Limits({"memory_mb": memory_bytes >> 20, "output_mb": 256})
                _apply_rlimits(rlimits(limits, time_s, os.getuid()))
                os.execvp(argv[0], argv)
            finally:
                os._exit(127)
        wait_status, _, timed_out, _ = _wait(pid, 3 * time_s + 1)
        message = _tail(output, STDERR_TAIL_BYTES).decode("utf-8", "replace").strip()
        os.close(output)
        if timed_out:
            raise CompileError(f"the compiler ran past {time_s:g} s")
        if os.waitstatus_to_exitcode(wait_status) == 127 and not message:
            raise RequestError(f"the {self.name} compiler {argv[0]!r} is not installed here")
        if wait_status != 0:
            raise CompileError(message or f"the compiler failed (status {wait_status})")

    def exec_program(self, setup_fd: int) -> None:
        """In a test's child: become the program (never returns).

        `setup_fd` closes on a successful exec (close-on-exec); a failed exec writes
        why on it. The program never holds it, so it cannot forge the machinery's
        failure (stderr would let it).
        """
        import fcntl

        fcntl.fcntl(setup_fd, fcntl.F_SETFD, fcntl.FD_CLOEXEC)
        os.chdir(self.directory)
        try:
            os.execvp(self.run_argv[0], self.run_argv)
        except OSError as exc:
            os.write(setup_fd, EXEC_FAILED + str(exc).encode(errors="replace"))
        finally:
            os._exit(127)

    def release(self) -> None:
        """Let the next sweep remove the directory."""
        keep = self.options.keep_in.get(self.root)
        if keep is not None:
            keep.discard(self.basename)

    def remove(self) -> None:
        if os.path.exists(self.directory):
            if self.sealed:
                _remove(self.directory)  # the runner's own copy
            else:
                self._as_candidate(_remove, self.directory)


class Session:
    """One candidate: compiled once, then run against the tests as they come."""

    def __init__(self, request: dict[str, Any], options: Options, protocol_fds: list[int]) -> None:
        program = request.get("program")
        if not isinstance(program, str):
            raise RequestError("start: 'program' must be a string")
        mode = request.get("mode", "strict")
        if mode not in ("strict", "batch"):
            raise RequestError(f"start: unknown mode {mode!r}")
        self.limits = Limits(request.get("limits") or {})
        self.stop_on_failure = bool(request.get("stop_on_failure", True))
        self.options = options
        self.protocol_fds = protocol_fds
        language = request.get("language")
        self.build: Build | None = None
        if language is None:
            self.code: types.CodeType | None = _compile_candidate(program)
        else:  # another language: compiled once (where it compiles), run by exec per test
            self.code = None
            self.build = Build(language, program, options, protocol_fds, self.limits)
            mode = "strict"  # the in-process batch mode is Python's
        self.batch = BatchChild(self) if mode == "batch" else None
        self.failed = False
        uid = os.getuid() if options.candidate_uid is None else options.candidate_uid
        self.strict_rlimits = rlimits(self.limits, self.limits.time_s, uid)
        if self.build is not None and not self.build.address_space_limit and resource is not None:
            self.strict_rlimits = [r for r in self.strict_rlimits if r[0] != resource.RLIMIT_AS]
        self.batch_rlimits = rlimits(self.limits, None, uid)
        # made here, before the forks: a child finds them in place and touches fewer pages
        _install_stdio(stdio_streams())
        self.main = _main_module()
        self.strict_fds: dict[str, int] = {}
        gc.freeze()  # children's collections then leave the runner's objects (and pages) alone

    def run(
        self, index: int, test: Any, upcoming: tuple[int, Any] | None = None
    ) -> tuple[dict[str, Any], bytes]:
        """Run one test (a message's `test`); return the answer and the program's output.

        `upcoming`, the next queued test, is handed over early in batch mode.
        """
        test_code = _check_test(index, test)
        if self.build is not None and test.get("kind") != "stdin":
            raise RequestError(
                f"test {index}: {self.build.name} programs take stdin tests only "
                f"(not {test.get('kind')!r})"
            )
        data = (test.get("input") or "").encode("utf-8", "surrogateescape")
        if self.batch is not None:
            self.batch.ensure_handed_over(index, test)
            if upcoming is not None and self.batch.can_take(upcoming[0]):
                with contextlib.suppress(RequestError):  # a bad one errors in its turn
                    _check_test(upcoming[0], upcoming[1])
                    self.batch.hand_over(*upcoming)
            outcome, fds = self.batch.result(index, test)
            return self._answer(index, test, outcome, fds)
        if not self.strict_fds:
            names = ("stdin", "stdout", "stderr", "result", "setup")
            self.strict_fds = {name: _memfd(name) for name in names}
        fds = self.strict_fds
        try:
            _reset(fds["stdin"], data)
            for name in ("stdout", "stderr", "result", "setup"):
                _reset(fds[name])
            outcome = self._run_strict(test, test_code, fds)
            return self._answer(index, test, outcome, fds)
        finally:
            _sweep(self.options)

    def _answer(
        self, index: int, test: dict[str, Any], outcome: Outcome, fds: dict[str, int]
    ) -> tuple[dict[str, Any], bytes]:
        stdout_size = os.fstat(fds["stdout"]).st_size
        answer = _verdict(index, test, outcome, self.limits, stdout_size)
        keep = (
            OUTPUT_EXCERPT_BYTES if answer["status"] == "output_limit" else self.limits.output_bytes
        )
        stdout = _read_fd(fds["stdout"], keep)
        stderr = _tail(fds["stderr"], STDERR_TAIL_BYTES)
        if stderr:
            answer["stderr_tail"] = stderr.decode("utf-8", "replace")
        if answer["status"] != "ok":
            self.failed = True
            if self.batch is not None:
                # a fresh child for the next test: this one's state (its peak memory
                # above all, which the kernel keeps for the process) would weigh on it
                self.batch.stop()
        return answer, stdout

    def _run_strict(
        self, test: dict[str, Any], test_code: types.CodeType | None, fds: dict[str, int]
    ) -> Outcome:
        self.main = _main_module()  # fresh globals for every test
        _install_main(self.main)
        nonce = binascii.hexlify(os.urandom(8))
        pid = os.fork()
        if pid == 0:
            _strict_child(self, test, test_code, fds, nonce)
        wait_status, rusage, timed_out, wall = _wait(pid, self.limits.wall_time_s)
        outcome = _outcome_of_exit(wait_status, rusage)
        outcome.timed_out = timed_out
        outcome.wall = wall
        setup = _read_fd(fds["setup"], 4096)
        if not setup.startswith(MARK_SETUP):
            raise RuntimeError(f"the runner failed to set up a test child (status {wait_status})")
        if EXEC_FAILED in setup:  # written only by the child, before (instead of) the program
            raise RuntimeError(setup[len(MARK_SETUP) :].decode("utf-8", "replace"))
        records = _records(_read_fd(fds["result"], self.limits.output_bytes + 4096), nonce)
        outcome.memory_error = MARK_MEMORY in records
        outcome.record = next((r for r in reversed(records) if r != MARK_MEMORY), b"")
        return outcome

    def close(self) -> None:
        if self.batch is not None:
            self.batch.close()
        for fd in self.strict_fds.values():
            os.close(fd)
        self.strict_fds = {}
        if self.build is not None:
            self.build.release()
        _sweep(self.options, candidate_done=True)
        if self.build is not None:
            self.build.remove()  # without a sweep (Docker, local) nothing else removes it
        gc.unfreeze()  # what this candidate left behind may be collected again


class BatchChild:
    """Batch mode: one child runs a candidate's tests in sequence (re-forked after a failure).

    Two sets of streams alternate, so the next test is handed over while the
    current one runs: this process and the child work at the same time. A test
    travels in its set's "message" memfd and a one-byte token on the control pipe
    says which set to run: a write to the pipe never blocks on a busy child.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.pid = 0
        self.pidfd = -1
        self.to_child = -1
        self.from_child = -1
        self.buffer = b""
        self.accounted_cpu = 0.0  # CPU time of the tests this child reported
        self.stream_sets: list[dict[str, int]] = []
        self.next_set = 0
        # handed over and not yet answered: (test index, stream set, nonce)
        self.pending: deque[tuple[int, int, bytes]] = deque()

    def hand_over(self, index: int, test: dict[str, Any]) -> None:
        """Give the child a test to run after the ones it has (at most two in flight)."""
        if not self.stream_sets:
            names = ("stdin", "stdout", "stderr", "message")
            self.stream_sets = [{name: _memfd(name) for name in names} for _ in range(2)]
        if not self.pid:
            self._start()
        number = self.next_set
        self.next_set ^= 1
        fds = self.stream_sets[number]
        _reset(fds["stdin"], (test.get("input") or "").encode("utf-8", "surrogateescape"))
        _reset(fds["stdout"])
        _reset(fds["stderr"])
        nonce = binascii.hexlify(os.urandom(8))
        without_input = {key: value for key, value in test.items() if key != "input"}
        message = {"test": without_input, "nonce": nonce.decode()}
        _reset(fds["message"], json.dumps(message, separators=(",", ":")).encode())
        self.pending.append((index, number, nonce))
        # a dead child's pipe raises here; its result (end of file) says how it died
        with contextlib.suppress(BrokenPipeError):
            os.write(self.to_child, bytes([number]))

    def ensure_handed_over(self, index: int, test: dict[str, Any]) -> None:
        if not any(pending[0] == index for pending in self.pending):
            self.hand_over(index, test)

    def can_take(self, index: int) -> bool:
        """Whether test `index` may be handed over now, ahead of its turn."""
        return bool(self.pid) and len(self.pending) == 1 and self.pending[0][0] != index

    def result(self, index: int, test: dict[str, Any]) -> tuple[Outcome, dict[str, int]]:
        """Wait for test `index` (handing it over first if it was not); its streams too."""
        self.ensure_handed_over(index, test)
        start = time.monotonic()
        deadline = start + self.session.limits.wall_time_s
        line = self._read_line(deadline)
        _, number, nonce = self.pending.popleft()
        outcome = self._outcome(line, nonce, deadline)
        outcome.wall = time.monotonic() - start
        return outcome, self.stream_sets[number]

    def _outcome(self, line: bytes | None, nonce: bytes, deadline: float) -> Outcome:
        if line is None:  # the child hung, crashed, or closed its end of the pipe
            exited = self._wait(max(0.0, deadline - time.monotonic()))
            wait_status, rusage = self.stop()
            outcome = _outcome_of_exit(wait_status, rusage)
            outcome.cpu = max(0.0, outcome.cpu - self.accounted_cpu)
            outcome.timed_out = not exited
            return outcome
        outcome = Outcome()
        fields = line.split(b" ")
        try:
            if len(fields) != 6 or fields[0] != nonce:
                raise ValueError("not this test's report")
            outcome.exit_code = int(fields[1])
            outcome.cpu = float(fields[2])
            outcome.memory_kb = int(fields[3])
            outcome.cpu_exceeded = b"T" in fields[4]
            outcome.memory_error = b"M" in fields[4]
            outcome.record = binascii.a2b_base64(fields[5])
        except (ValueError, binascii.Error):
            # the program wrote on the report pipe: nothing on it can be trusted any more
            self.stop()
            outcome = Outcome()
            outcome.exit_code = 1
            outcome.violation = "the program wrote into the test runner's report channel"
            return outcome
        self.accounted_cpu += outcome.cpu
        return outcome

    def _start(self) -> None:
        parent_read, child_write = os.pipe()
        child_read, parent_write = os.pipe()
        self.buffer = b""
        self.accounted_cpu = 0.0
        self.pending.clear()
        pid = os.fork()
        if pid == 0:
            status = 121
            try:
                for fd in (parent_read, parent_write, *self.session.protocol_fds):
                    os.close(fd)
                _batch_child(self.session, self.stream_sets, child_read, child_write)
                status = 0
            finally:
                os._exit(status)
        os.close(child_read)
        os.close(child_write)
        self.pid, self.to_child, self.from_child = pid, parent_write, parent_read
        try:
            self.pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.pidfd = -1

    def _wait(self, timeout: float, fds: tuple[int, ...] = ()) -> bool:
        """Wait until one of `fds` is readable or the child exited; False on timeout."""
        if self.pidfd < 0:
            return _wait_readable(list(fds), self.pid, timeout)
        ready, _, _ = select.select([*fds, self.pidfd], [], [], timeout)
        return bool(ready)

    def _read_line(self, deadline: float) -> bytes | None:
        """The child's next report line; None if it did not come (hang, crash, end of file)."""
        while b"\n" not in self.buffer:
            if not self._wait(max(0.0, deadline - time.monotonic()), (self.from_child,)):
                return None
            ready, _, _ = select.select([self.from_child], [], [], 0)
            if not ready:
                return None  # the child exited without a word
            chunk = os.read(self.from_child, 1 << 16)
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line

    def stop(self) -> tuple[int, Any]:
        """Kill the child (a later test forks a new one); its wait status and rusage."""
        if not self.pid:
            return 0, None
        _killpg(self.pid)
        _, wait_status, rusage = os.wait4(self.pid, 0)
        for fd in (self.to_child, self.from_child, self.pidfd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.pid, self.pidfd, self.to_child, self.from_child = 0, -1, -1, -1
        self.pending.clear()
        return wait_status, rusage

    def close(self) -> None:
        self.stop()
        for fds in self.stream_sets:
            for fd in fds.values():
                os.close(fd)
        self.stream_sets = []


def _batch_child(
    session: Session, stream_sets: list[dict[str, int]], control: int, reports: int
) -> None:
    """The batch child's loop: one test per token on `control`, until the pipe closes."""
    code = session.code
    assert code is not None  # batch mode is Python's: other languages run strict
    os.setsid()
    _become_candidate(session.options.candidate_uid)
    _apply_rlimits(session.batch_rlimits)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # a broken pipe ends a program, as usual

    def on_timer(signum: int, frame: Any) -> None:
        raise TestTimeout()

    signal.signal(signal.SIGPROF, on_timer)
    time_s = session.limits.time_s
    streams = stdio_streams()
    while True:
        token = os.read(control, 1)
        if not token:
            return
        fds = stream_sets[token[0]]
        message = json.loads(_read_fd(fds["message"], os.fstat(fds["message"]).st_size))
        test = message["test"]
        nonce = message["nonce"]
        test_code = _check_test(0, test)
        for target, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
            os.dup2(fds[name], target)  # again: a test may have closed them
        # stdin afresh (no input buffered from the last test); stdout and stderr are
        # empty after the last flush, unless the program closed them
        streams["stdin"] = _fd_stream(0, "r", "surrogateescape", newline="\n")
        for name in ("stdout", "stderr"):
            if streams[name].closed:
                streams[name] = stdio_streams()[name]
        _install_stdio(streams)
        main = _main_module()
        _install_main(main)
        exit_code, flags, record = 0, "", b""
        start = time.process_time()
        signal.setitimer(signal.ITIMER_PROF, time_s)
        try:
            try:
                record = _run_test_code(code, test, test_code, main)
                _finish_like_interpreter()
            except SystemExit as exc:
                exit_code = _exit_status(exc)
                _finish_like_interpreter()
        except TestTimeout:
            flags = "T"
        except MemoryError:
            exit_code, flags = 1, "M"
        except BaseException as exc:
            with contextlib.suppress(BaseException):
                _print_candidate_traceback(exc)
            exit_code = 1
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        _flush_stdio()
        cpu = time.process_time() - start
        memory_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        encoded = binascii.b2a_base64(record, newline=False).decode("ascii") or "-"
        report = f"{nonce} {exit_code} {cpu:.6f} {memory_kb} {flags or '-'} {encoded}\n"
        os.write(reports, report.encode())


# ---------------------------------------------------------------- the message loop


class Channel:
    """Protocol messages in (read eagerly, so a `stop` is seen early) and answers out.

    Answers are written in bunches while more tests wait in the queue: the harness
    then wakes once for many, and a bunch is never held longer than FLUSH_AFTER_S
    (an early stop depends on the harness seeing a failure soon).
    """

    FLUSH_AFTER_S = 0.002
    FLUSH_AT_BYTES = 1 << 16

    def __init__(self, read_fd: int, write_fd: int, text: bool) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.text = text
        self.outgoing: list[bytes] = []
        self.outgoing_bytes = 0
        self.outgoing_since = 0.0
        self.buffer = b""
        self.queue: deque[dict[str, Any] | None] = deque()  # None: a line that is not JSON
        self.stops_queued = 0
        self.closed = False

    def _take_lines(self) -> None:
        if b"\n" not in self.buffer:
            return
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            if line.strip():
                try:
                    message = json.loads(line)
                except ValueError:
                    message = None
                if not isinstance(message, dict):
                    message = None
                elif message.get("op") == "stop":
                    self.stops_queued += 1
                self.queue.append(message)

    def poll(self) -> None:
        """Read whatever has arrived, without waiting."""
        while not self.closed:
            ready, _, _ = select.select([self.read_fd], [], [], 0)
            if not ready:
                return
            self._fill()

    def _fill(self) -> None:
        chunk = os.read(self.read_fd, 1 << 20)
        if not chunk:
            self.closed = True
            self.buffer += b"\n"
        self.buffer += chunk
        self._take_lines()

    def next(self) -> dict[str, Any] | None:
        """The next message, waiting for it; raises EOFError at the end of input."""
        if not self.queue:
            self.poll()
        while not self.queue:
            self.flush()  # about to wait: the harness must have every answer first
            if self.closed:
                raise EOFError
            self._fill()
        message = self.queue.popleft()
        if message is not None and message.get("op") == "stop":
            self.stops_queued -= 1
        return message

    def upcoming_test(self) -> tuple[int, Any] | None:
        """The next queued message, if it is a test: (index, test)."""
        if not self.queue:
            return None
        message = self.queue[0]
        if (
            message is None
            or message.get("op") != "test"
            or not isinstance(message.get("index"), int)
        ):
            return None
        return message["index"], message.get("test")

    def send(self, message: dict[str, Any], payload: bytes = b"") -> None:
        if self.text:
            if payload or message.get("op") == "result":
                message["stdout_b64"] = binascii.b2a_base64(payload, newline=False).decode("ascii")
            data = json.dumps(message, separators=(",", ":")).encode() + b"\n"
        else:
            if message.get("op") == "result":
                message["stdout_bytes"] = len(payload)
            data = json.dumps(message, separators=(",", ":")).encode() + b"\n" + payload
        if not self.outgoing:
            self.outgoing_since = time.monotonic()
        self.outgoing.append(data)
        self.outgoing_bytes += len(data)
        if (
            not self.queue
            or self.outgoing_bytes >= self.FLUSH_AT_BYTES
            or time.monotonic() - self.outgoing_since >= self.FLUSH_AFTER_S
        ):
            self.flush()

    def flush(self) -> None:
        if not self.outgoing:
            return
        view = memoryview(b"".join(self.outgoing))
        self.outgoing, self.outgoing_bytes = [], 0
        while view:
            written = os.write(self.write_fd, view)
            view = view[written:]


def serve(channel: Channel, options: Options) -> None:
    """Answer protocol messages until the input ends."""
    session: Session | None = None
    stopped = False
    while True:
        try:
            message = channel.next()
        except EOFError:
            break
        try:
            if message is None:
                raise RequestError("a message is not a JSON object")
            op = message.get("op")
            if op == "start":
                if session is not None:
                    session.close()
                session, stopped = None, False
                if message.get("version", PROTOCOL_VERSION) != PROTOCOL_VERSION:
                    raise RequestError(
                        f"protocol version {message.get('version')} is not {PROTOCOL_VERSION}"
                    )
                try:
                    session = Session(message, options, channel_fds(channel))
                except CompileError as exc:
                    channel.send({"op": "compile_error", "message": str(exc)})
                    continue
                channel.send({"op": "ready"})
            elif op == "test":
                index = int(message.get("index", 0))
                if session is None:
                    raise RequestError("test before a successful start")
                channel.poll()
                stopped = stopped or channel.stops_queued > 0
                if stopped or (session.failed and session.stop_on_failure):
                    channel.send({"op": "skipped", "index": index})
                else:
                    answer, stdout = session.run(
                        index, message.get("test"), channel.upcoming_test()
                    )
                    channel.send(answer, stdout)
            elif op == "stop":
                stopped = True
            elif op == "end":
                if session is not None:
                    session.close()
                session, stopped = None, False
                channel.send({"op": "done"})
            else:
                raise RequestError(f"unknown message op {op!r}")
        except (RequestError, ValueError) as exc:
            channel.send({"op": "error", "message": str(exc)})
            if session is not None:
                session.close()
            session = None


def channel_fds(channel: Channel) -> list[int]:
    """The descriptors children must close before the candidate runs."""
    return [channel.read_fd, channel.write_fd]


def parse_options(argv: list[str]) -> Options:
    """`[--candidate-user UID] [--sweep] [--text]` (no argparse: it is heavy to import)."""
    options = Options()
    arguments = list(argv)
    while arguments:
        argument = arguments.pop(0)
        if argument == "--candidate-user" and arguments:
            options.candidate_uid = int(arguments.pop(0))
        elif argument == "--sweep":
            options.sweep = True
        elif argument == "--text":
            options.text = True
        else:
            raise SystemExit(f"runner: unknown argument {argument!r}")
    return options


def main(argv: list[str]) -> int:
    """Entry point: `runner.py [--candidate-user UID] [--sweep] [--text]`."""
    options = parse_options(argv)
    if options.sweep:
        with open("/proc/1/cmdline", "rb") as init:
            if b"bwrap" not in init.read():
                raise SystemExit(
                    "runner: --sweep kills every process it can: only inside a bwrap pid namespace"
                )
        candidate_uid = os.getuid() if options.candidate_uid is None else options.candidate_uid
        options.keep_in = {
            directory: set(os.listdir(directory))
            for directory in SWEPT_DIRECTORIES
            if _writable_by(directory, candidate_uid)
        }

    _harden()
    _prepare_process()
    # the protocol streams move off fds 0 and 1 (to 20 and up) so that nothing a child
    # does with its own stdio can reach them
    import fcntl

    reader_fd = fcntl.fcntl(0, fcntl.F_DUPFD, 20)
    writer_fd = fcntl.fcntl(1, fcntl.F_DUPFD, 20)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    serve(Channel(reader_fd, writer_fd, options.text), options)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
