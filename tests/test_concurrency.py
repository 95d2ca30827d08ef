"""Many samples scoring at once never mix results: each candidate prints its own identity.

Forty problems, each expecting its own number; each candidate prints the number
of the problem it was written for (after a random pause, so the runs interleave),
except every fifth, which prints its neighbour's. All forty are scored at once on
the warm workers: exactly the right ones pass, in strict and in batch mode.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval
from inspect_ai.model import ChatMessage, ModelOutput, get_model

from codecrucible.tasks.custom import custom
from tests.conftest import requires_bwrap, scripted_output

PROBLEMS = 40


def _problems(tmp_path: Path) -> Path:
    path = tmp_path / "identities.jsonl"
    rows = [
        {
            "id": f"p{i:02d}",
            "statement": f"Print the number {i}, three hundred times, one per line.",
            "private_tests": [
                {"kind": "stdin", "input": f"{i}\n", "output": f"{i}\n" * 300},
                {"kind": "stdin", "input": f"{i}\n", "output": f"{i}\n" * 300},
            ],
        }
        for i in range(PROBLEMS)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _identity_model() -> Any:
    def answer(messages: list[ChatMessage], *_: Any) -> ModelOutput:
        [number] = re.findall(r"Print the number (\d+)", messages[-1].text)
        mine = int(number)
        printed = mine + 1 if mine % 5 == 0 else mine  # every fifth is wrong
        program = (
            "import random, time\n"
            "time.sleep(random.random() / 20)\n"
            f"print('\\n'.join(['{printed}'] * 300))\n"
        )
        return scripted_output(f"```python\n{program}```")

    return get_model("mockllm/model", custom_outputs=answer, memoize=False)


@requires_bwrap
@pytest.mark.parametrize("mode", ["strict", "batch"])
def test_concurrent_samples_keep_their_own_results(tmp_path: Path, mode: str) -> None:
    [log] = eval(
        custom(path=str(_problems(tmp_path)), exec_mode=mode),
        model=_identity_model(),
        max_samples=PROBLEMS,
        max_sandboxes=PROBLEMS,
        log_dir=str(tmp_path / "logs"),
        display="none",
    )
    assert log.status == "success", log.error
    verdicts = {str(s.id): s.scores["tests"].value for s in log.samples or [] if s.scores}
    assert len(verdicts) == PROBLEMS
    expected = {f"p{i:02d}": "I" if i % 5 == 0 else "C" for i in range(PROBLEMS)}
    assert verdicts == expected
    # a wrong one failed on its own output, not another's
    for sample in log.samples or []:
        if sample.scores["tests"].value == "I":
            mine = int(str(sample.id)[1:])
            assert f"{mine + 1}" in sample.scores["tests"].explanation
