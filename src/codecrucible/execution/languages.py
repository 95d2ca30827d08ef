"""The languages candidates may be written in: a registry of data, not code.

Python runs inside the runner (compiled once, a forked child per test, functional
and assert tests as well as stdin). Every other language is an entry: the source
file's name, the compile command (run once per candidate in the candidate's own
directory, with its own time and memory limits; its failure is the candidate's
`compile_error`, with the compiler's message), and the run command (exec'd in a
forked child per test, on the compiled artefact). Such programs take stdin tests.

Adding a language is adding an entry, here or in a JSON file named by
`CODECRUCIBLE_LANGUAGES` (a list of objects with the fields of `Language`):

    [{"name": "rust", "aliases": ["rs"], "source": "main.rs",
      "compile": ["rustc", "-O", "-o", "main", "main.rs"], "run": ["./main"],
      "toolchain": ["rustc"]}]
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

LANGUAGES_ENV = "CODECRUCIBLE_LANGUAGES"


@dataclass(frozen=True)
class Language:
    """How to build and run a program in one language."""

    name: str
    source: str
    """The source file's name (Java needs `Main.java` for `public class Main`)."""
    run: tuple[str, ...]
    """The command that runs the program, in its directory (`./solution`); `{memory_mb}`
    in it becomes the test's memory limit."""
    compile: tuple[str, ...] | None = None
    """The command that builds it, in its directory; None for interpreted languages."""
    aliases: tuple[str, ...] = ()
    """Other names: fence labels (`c++`), code_contests' names (`cpp`), versions."""
    toolchain: tuple[str, ...] = ()
    """Executables that must be on PATH for the language to be available."""
    compile_time_s: float = 30.0
    compile_memory_mb: int = 2048
    address_space_limit: bool = True
    """Limit the address space too (a JVM reserves far more than it uses: False)."""
    fence: str = ""
    """The label of the code fence the prompt asks for (default: the name)."""
    display: str = ""
    """The language as a prompt names it (default: the name)."""

    @property
    def fence_label(self) -> str:
        return self.fence or self.name

    @property
    def display_name(self) -> str:
        return self.display or self.name

    @property
    def labels(self) -> frozenset[str]:
        """Every fence label that marks a block in this language."""
        return frozenset({self.name, self.fence_label, *self.aliases, self.display_name.lower()})

    @property
    def in_process(self) -> bool:
        """Python runs inside the runner; other languages are exec'd."""
        return self.name == "python"

    def spec(self) -> dict[str, Any]:
        """The entry as the runner receives it in a session's start message."""
        entry = asdict(self)
        entry["compile"] = list(self.compile) if self.compile else None
        entry["run"] = list(self.run)
        return entry

    def missing_toolchain(self) -> list[str]:
        """The executables of `toolchain` not found on this machine's PATH."""
        return [tool for tool in self.toolchain if shutil.which(tool) is None]


BUILTIN = (
    Language(
        name="python",
        aliases=("python3", "py", "py3"),
        display="Python 3",
        source="solution.py",
        run=("python3", "solution.py"),
    ),
    Language(
        name="cpp",
        aliases=("c++", "cpp17", "gnu++17", "cxx", "cc"),
        display="C++17",
        source="solution.cpp",
        # code_contests' C++ is judged with g++ -O2; gnu++17 accepts its solutions
        compile=("g++", "-O2", "-std=gnu++17", "-pipe", "-o", "solution", "solution.cpp"),
        run=("./solution",),
        toolchain=("g++",),
    ),
    Language(
        name="java",
        aliases=("java17",),
        display="Java",
        source="Main.java",
        compile=("javac", "-encoding", "UTF-8", "-J-Xmx512m", "Main.java"),
        run=(
            "java",
            "-Xmx{memory_mb}m",  # the heap within the test's memory limit
            "-Xss64m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            ".",
            "Main",
        ),
        toolchain=("javac", "java"),
        address_space_limit=False,
    ),
)

_REGISTRY: dict[str, Language] = {}


def register_language(language: Language) -> None:
    """Add (or replace) a language and its aliases."""
    for name in (language.name, *language.aliases):
        _REGISTRY[name.lower()] = language


for _language in BUILTIN:
    register_language(_language)


def _load_file(path: Path) -> None:
    try:
        entries = json.loads(path.read_text())
        for entry in entries:
            for key in ("run", "compile", "aliases", "toolchain"):
                if entry.get(key) is not None:
                    entry[key] = tuple(entry[key])
            register_language(Language(**entry))
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise ValueError(
            f"{LANGUAGES_ENV}={path}: not a list of language entries ({exc})"
        ) from None


if os.environ.get(LANGUAGES_ENV):
    _load_file(Path(os.environ[LANGUAGES_ENV]))


def get_language(name: str) -> Language:
    """The language of a name or alias.

    Raises:
        ValueError: no such language (the message lists them).
    """
    language = _REGISTRY.get(name.lower())
    if language is None:
        known = sorted({lang.name for lang in _REGISTRY.values()})
        raise ValueError(f"unknown language {name!r}; choose one of {', '.join(known)}")
    return language


OTHER_SUFFIXES = {".cc": "cpp", ".cxx": "cpp"}
"""Suffixes beyond those of the languages' own source files."""


def language_for_file(path: Path) -> Language:
    """The language a source file's suffix names (Python when it names none we know)."""
    suffix = path.suffix.lower()
    for language in languages():
        if suffix and Path(language.source).suffix == suffix:
            return language
    return get_language(OTHER_SUFFIXES.get(suffix, "python"))


def languages() -> list[Language]:
    """Every registered language, once each."""
    unique = {id(lang): lang for lang in _REGISTRY.values()}
    return sorted(unique.values(), key=lambda lang: lang.name)


@dataclass
class Availability:
    """Whether a language can run here, and why not."""

    language: Language
    missing: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return not self.missing


def availability() -> list[Availability]:
    """Each language, with the executables it lacks on this machine."""
    return [Availability(lang, lang.missing_toolchain()) for lang in languages()]
