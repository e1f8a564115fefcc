"""Prompts are data: Jinja templates beside this file, rendered strictly (a missing variable is
an error, never an empty string)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from toolweave.runtime.derived import derived


@lru_cache(maxsize=None)
def _template(name: str):
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False,
                             trim_blocks=True, lstrip_blocks=True, autoescape=False)
    text = resources.files(__package__).joinpath(f"{name}.j2").read_text(encoding="utf-8")
    return env.from_string(text)


def render(name: str, **variables: Any) -> str:
    """Render the template ``name`` (file ``name.j2``) with ``variables``."""
    return _template(name).render(**variables).strip()


def system_prompt(template: str, instructions: str, ctx) -> str:
    """``template`` rendered with ``instructions`` and the run's tool docs, kept with the tool
    set (``ctx`` is a `RunContext`): with a thousand tools the prompt is ~400 KB of text, so it
    is rendered once per tool set, not per run."""
    return derived(
        ctx.tools, (template, instructions, ctx.format.name),
        lambda: render(template, instructions=instructions, tool_docs=ctx.tool_docs()))
