"""Other languages in the executor: C++ and Java compiled once per candidate, exec'd per test."""

from __future__ import annotations

from typing import Any

import pytest

from codecrucible.execution import execute
from codecrucible.execution.languages import Language, get_language, languages, register_language
from codecrucible.execution.protocol import TestDataError
from codecrucible.problem import Limits, TestCase
from codecrucible.sandboxes.bwrap import bwrap_unavailable_reason as bwrap_reason


def requires(name: str) -> Any:
    missing = get_language(name).missing_toolchain()
    return pytest.mark.skipif(bool(missing), reason=f"{name}: {', '.join(missing)} not installed")


SUM_TESTS = [TestCase.stdin(f"{i} {i + 1}\n", f"{2 * i + 1}\n") for i in range(6)]
CPP_SUM = (
    "#include <bits/stdc++.h>\n"
    "int main() { long long a, b; std::cin >> a >> b; std::cout << a + b << '\\n'; }\n"
)
JAVA_SUM = (
    "import java.util.*;\n"
    "public class Main {\n"
    "  public static void main(String[] args) {\n"
    "    Scanner in = new Scanner(System.in);\n"
    "    long a = in.nextLong(), b = in.nextLong();\n"
    "    System.out.println(a + b);\n"
    "  }\n"
    "}\n"
)


def test_the_registry_knows_names_and_aliases_and_refuses_others() -> None:
    assert get_language("c++") is get_language("cpp") is get_language("CPP17")
    assert get_language("python3").in_process and not get_language("java").in_process
    assert {lang.name for lang in languages()} >= {"python", "cpp", "java"}
    with pytest.raises(ValueError, match="unknown language 'cobol'; choose one of"):
        get_language("cobol")


@requires("cpp")
@pytest.mark.anyio
async def test_cpp_passes_fails_and_reports_the_compilers_message(bwrap_sandbox: Any) -> None:
    right = await execute(CPP_SUM, SUM_TESTS, sandbox=bwrap_sandbox, language="cpp")
    assert right.passed and right.counts == {"pass": 6} and right.mode == "strict"
    wrong = await execute(
        CPP_SUM.replace("a + b", "a - b"), SUM_TESTS, sandbox=bwrap_sandbox, language="cpp"
    )
    assert not wrong.passed and wrong.verdicts[0].status == "wrong_answer"
    broken = await execute(
        "int main() { return undeclared; }\n", SUM_TESTS, sandbox=bwrap_sandbox, language="cpp"
    )
    assert not broken.passed and broken.verdicts[0].status == "compile_error"
    assert "'undeclared' was not declared" in broken.verdicts[0].message.replace("‘", "'").replace(
        "’", "'"
    )


@requires("cpp")
@pytest.mark.anyio
async def test_cpp_crashes_and_loops_get_their_verdicts(bwrap_sandbox: Any) -> None:
    crash = "int main() { int *p = nullptr; return *p; }\n"
    result = await execute(crash, SUM_TESTS[:1], sandbox=bwrap_sandbox, language="cpp")
    assert result.verdicts[0].status == "runtime_error"
    loop = "int main() { volatile long x = 0; for (;;) x++; }\n"
    limits = Limits(time_s=1)
    result = await execute(
        loop, SUM_TESTS[:1], sandbox=bwrap_sandbox, language="cpp", limits=limits
    )
    assert result.verdicts[0].status == "timeout"


@requires("cpp")
@pytest.mark.anyio
async def test_a_build_leaves_nothing_for_the_next_candidate(bwrap_sandbox: Any) -> None:
    await execute(CPP_SUM, SUM_TESTS[:2], sandbox=bwrap_sandbox, language="cpp")
    listing = await execute(
        "import os\nprint(sorted(os.listdir('/tmp')))\n",
        [TestCase.stdin("", "[]\n")],
        sandbox=bwrap_sandbox,
    )
    assert listing.passed, listing.verdicts[0].actual


@requires("java")
@pytest.mark.anyio
async def test_java_runs_as_main(bwrap_sandbox: Any) -> None:
    result = await execute(JAVA_SUM, SUM_TESTS[:3], sandbox=bwrap_sandbox, language="java")
    assert result.passed, result.first_failure
    broken = await execute(
        "public class Main {", SUM_TESTS[:1], sandbox=bwrap_sandbox, language="java"
    )
    assert (
        broken.verdicts[0].status == "compile_error" and "Main.java" in broken.verdicts[0].message
    )


@requires("cpp")
@pytest.mark.anyio
async def test_other_languages_take_stdin_tests_only_and_unknown_ones_are_refused(
    bwrap_sandbox: Any,
) -> None:
    with pytest.raises(TestDataError, match="cpp programs take stdin tests only"):
        await execute(
            CPP_SUM, [TestCase.functional("f", [1], 1)], sandbox=bwrap_sandbox, language="cpp"
        )
    with pytest.raises(TestDataError, match="unknown language 'cobol'"):
        await execute("x", SUM_TESTS, sandbox=bwrap_sandbox, language="cobol")


@pytest.mark.anyio
async def test_a_language_is_a_data_entry(bwrap_sandbox: Any) -> None:
    # what a JSON entry in CODECRUCIBLE_LANGUAGES becomes: no code of its own
    shell = Language(name="bash", source="main.sh", run=("bash", "main.sh"), toolchain=("bash",))
    spec = shell.spec()
    assert spec["compile"] is None and spec["run"] == ["bash", "main.sh"]
    register_language(shell)
    result = await execute(
        "read a b; echo $((a + b))\n", SUM_TESTS, sandbox=bwrap_sandbox, language="bash"
    )
    assert result.passed, result.first_failure


def test_exec_lists_the_languages_and_runs_a_cpp_file(tmp_path: Any) -> None:
    import json

    from click.testing import CliRunner

    from codecrucible.cli import main

    listed = CliRunner().invoke(main, ["exec", "--languages", "--json"])
    assert listed.exit_code == 0
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["python"]["available"] and rows["cpp"]["compiled"]
    assert rows["cpp"]["available"] == (not get_language("cpp").missing_toolchain())
    if not rows["cpp"]["available"] or bwrap_reason() is not None:
        return
    source = tmp_path / "sum.cpp"
    source.write_text(CPP_SUM)
    tests = tmp_path / "tests.jsonl"
    tests.write_text("".join(test.model_dump_json() + "\n" for test in SUM_TESTS))
    result = CliRunner().invoke(main, ["exec", str(source), "--tests", str(tests), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["passed"] and document["language"] == "cpp"
    unknown = CliRunner().invoke(
        main, ["exec", str(source), "--tests", str(tests), "--language", "cobol"]
    )
    assert unknown.exit_code == 2 and "unknown language 'cobol'" in unknown.stderr


@pytest.mark.anyio
async def test_a_compiler_missing_from_the_sandbox_is_an_error_not_a_verdict(
    bwrap_sandbox: Any,
) -> None:
    register_language(
        Language(
            name="phantom",
            source="main.ph",
            compile=("phantom-compiler-not-installed", "main.ph"),
            run=("./main",),
        )
    )
    with pytest.raises(
        TestDataError, match="phantom compiler 'phantom-compiler-not-installed' is not installed"
    ):
        await execute("x", SUM_TESTS, sandbox=bwrap_sandbox, language="phantom")


@requires("java")
@pytest.mark.anyio
async def test_the_jvm_heap_follows_the_memory_limit(bwrap_sandbox: Any) -> None:
    hungry = (
        "public class Main { public static void main(String[] a) {"
        " long[] big = new long[100_000_000]; System.out.println(big.length); } }\n"
    )
    result = await execute(
        hungry,
        [TestCase.stdin("", "100000000\n")],
        sandbox=bwrap_sandbox,
        language="java",
        limits=Limits(memory_mb=256),
    )
    assert result.verdicts[0].status == "runtime_error"
    assert "OutOfMemoryError" in result.verdicts[0].stderr  # -Xmx256m, not the host's default


def test_a_block_in_the_language_beats_a_later_unlabelled_one() -> None:
    from codecrucible.extraction import extract_code

    answer = "```cpp\nint main() {}\n```\nOutput:\n```\n3\n```\n"
    assert extract_code(answer, "cpp") == "int main() {}\n"
    assert extract_code("```\nint main() {}\n```", "cpp") == "int main() {}\n"


@requires("cpp")
@pytest.mark.anyio
async def test_a_compiled_candidate_cannot_touch_its_program_or_the_next_candidate(
    bwrap_sandbox: Any,
) -> None:
    # a failed build leaves nothing behind; a test cannot rewrite the program or keep
    # state beside it; printing the machinery's failure message is the program's own exit
    await execute("int main( {\n", SUM_TESTS[:1], sandbox=bwrap_sandbox, language="cpp")
    listing = await execute(
        "import os\nprint(sorted(os.listdir('/tmp')))\n",
        [TestCase.stdin("", "[]\n")],
        sandbox=bwrap_sandbox,
    )
    assert listing.passed, listing.verdicts[0].actual
    rewrite = (
        "#include <cstdio>\n#include <unistd.h>\n"
        'int main() { if (unlink("solution") == 0) { std::puts("rewritten"); return 0; }\n'
        '  FILE *f = std::fopen("state", "w"); if (f) { std::puts("kept state"); return 0; }\n'
        '  std::puts("sealed"); }\n'
    )
    sealed = await execute(
        rewrite, [TestCase.stdin("", "sealed\n")] * 2, sandbox=bwrap_sandbox, language="cpp"
    )
    if bwrap_sandbox.layout.privileged:  # a separate candidate uid to seal it from
        assert sealed.passed, sealed.first_failure
    forged = (
        "#include <cstdio>\n"
        'int main() { std::fputs("codecrucible: cannot exec the program: x", stderr); return 127; }\n'
    )
    result = await execute(forged, SUM_TESTS[:1], sandbox=bwrap_sandbox, language="cpp")
    assert result.verdicts[0].status == "runtime_error"
