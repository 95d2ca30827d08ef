"""One generation, one program: the baseline every other solver is compared with."""

from __future__ import annotations

from inspect_ai.model import ChatMessageSystem, ChatMessageUser
from inspect_ai.solver import Generate, Solver, TaskState, solver

from codecrucible.datasets import problem_for
from codecrucible.extraction import extract_code
from codecrucible.prompts import render_prompt, system_prompt
from codecrucible.solvers._code import set_code


@solver
def single_turn(system_prompt_id: str = "default", prompt_template: str | None = None) -> Solver:
    """Ask once, take the last fenced code block of the answer.

    Args:
        system_prompt_id: Id of the system prompt (see `codecrucible.prompts.SYSTEM_PROMPTS`;
            `none` for no system message).
        prompt_template: Render the user prompt with this template (an id or literal
            text) instead of the task's.
    """
    system_text = system_prompt(system_prompt_id)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        problem = problem_for(state.metadata, state.sample_id)
        if prompt_template is not None:
            state.messages = [ChatMessageUser(content=render_prompt(prompt_template, problem))]
        if system_text and not any(isinstance(m, ChatMessageSystem) for m in state.messages):
            state.messages.insert(0, ChatMessageSystem(content=system_text))
        state = await generate(state)
        set_code(
            state, extract_code(state.output.completion, problem.language, problem.entry_point)
        )
        return state

    return solve
