"""`auto`: a cheap router picks the strategy and the reasoning effort per question (GPT-5-style
"dynamic reasoning", methods.md §8), then hands the run to that strategy with the same context.

The route comes from a heuristic over the question's wording (free, instant); with
``use_model=True`` one grammar-constrained turn (``strategy: …; effort: …``) decides instead,
falling back to the heuristic if its reply cannot be read. The choice is recorded in the trace
meta as ``route``.

How an effort reaches the model depends on the model (`effort_settings`): a ``/think`` or
``/no_think`` soft switch for Qwen3 hybrid models (§7), ``reasoning_effort`` for servers that take
it (§8), otherwise a per-step token budget.
"""

from __future__ import annotations

import re
import time
from typing import Any

from pydantic import BaseModel

from toolweave.agents.prompts import render
from toolweave.agents.strategies import strategy_class
from toolweave.runtime.budget import BudgetExceeded
from toolweave.runtime.context import RunContext
from toolweave.types import Constraint, Message, Step, Trace

ROUTED = ("react", "preact", "dag")
ROUTE_EFFORTS = ("minimal", "low", "medium", "high")
VERBOSITIES = ("low", "medium", "high")
# step_max_tokens per effort for models with no effort knob: room to think before the call.
# Efforts beyond the four (providers add "none", "xhigh") map to the nearest end.
STEP_TOKENS = {"none": 128, "minimal": 128, "low": 256, "medium": 384, "high": 768, "xhigh": 768}
ROUTE_GRAMMAR = ('root ::= "strategy: " ( "react" | "preact" | "dag" ) '
                 '"; effort: " ( "minimal" | "low" | "medium" | "high" )')
ROUTE_MAX_TOKENS = 24

# independent lookups that can run side by side
_PARALLEL = re.compile(r"\b(compare[sd]?|comparing|each|every|both|versus|vs\.?|respectively|"
                       r"all of|difference between|which of)\b", re.IGNORECASE)
# a chain: each step needs the previous one's result
_DEPENDENT = re.compile(r"\b(then|after that|afterwards|using (that|it|this|the result)|"
                        r"with (that|the) result|based on (that|it|the result)|whose|"
                        r"of (that|the) result|use (it|that|the result)|finally)\b", re.IGNORECASE)
_AND = re.compile(r"\band\b|,", re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-z][\w'-]*|\d[\d.,]*\d|\d")


def entities(question: str) -> set[str]:
    """Named things and numbers: capitalised words (not the first) and numbers."""
    tokens = _TOKEN.findall(question)[1:]
    return {t for t in tokens if t[0].isdigit() or (t[0].isupper() and t != "I")}


class Route(BaseModel):
    """Where a question goes: the strategy, the reasoning effort, and why."""

    strategy: str
    effort: str
    source: str = "heuristic"  # heuristic | model | fixed
    why: str = ""


# The strategy that solved most questions of each shape on the agent benchmark
# (`bench/agent.py`), per model; the wording tells the shape (`SHAPE_OF`). A model or shape
# not listed keeps the strategy its wording suggests. See README "Agent benchmark".
MEASURED_ROUTES: dict[str, dict[str, str]] = {
    # react did best on every shape once its guards were in (README "Agent benchmark"):
    # dag's plans and preact's plan turns cost steps the 0.5B model spends badly
    "default": {"single": "react", "fanout": "react", "chain": "react"},
}
SHAPE_OF = {"react": "single", "dag": "fanout", "preact": "chain"}


def measured_route(route: Route, model_name: str) -> Route:
    """``route`` sent where its question's shape did best on this model, when measured, at
    the effort it was measured at (the run's own step budget: ``auto``)."""
    shape = SHAPE_OF.get(route.strategy, "")
    best = MEASURED_ROUTES.get(model_name, {}).get(shape)
    if best is None:
        return route
    why = route.why if best == route.strategy else (
        f"{route.why}; {shape} questions: {best} did best on {model_name} (measured)")
    return route.model_copy(update={"strategy": best, "effort": "auto", "why": why})


def heuristic_route(question: str) -> Route:
    """The route by wording alone.

    - ``dag``: independent lookups: "compare", "each", "both", "versus"…, or several "and"/comma
      separated items over two or more named entities or numbers.
    - ``preact``: a dependent chain: "then", "using the result", "whose"…
    - ``react``: anything else (a single lookup).

    Effort grows with the strategy and the question's length: a short single lookup is
    ``minimal``, a long question (over 40 words) ``high``.
    """
    words = len(question.split())
    named = len(entities(question))
    parallel = len(_PARALLEL.findall(question))
    dependent = len(_DEPENDENT.findall(question))
    listed = len(_AND.findall(question)) >= 1 and named >= 2
    if parallel:
        strategy, why = "dag", f"{parallel} parallel marker(s)"
    elif dependent:
        strategy, why = "preact", f"{dependent} dependency marker(s)"
    elif listed:
        strategy, why = "dag", f"{named} entities joined by and/commas"
    else:
        strategy, why = "react", "single lookup"
    if words > 40:
        effort = "high"
    elif strategy == "react":
        effort = "minimal" if words <= 8 else "low"
    elif strategy == "dag" and words <= 15:
        effort = "low"
    else:
        effort = "medium"
    return Route(strategy=strategy, effort=effort, why=f"{why}; {words} words")


def parse_route(text: str) -> Route | None:
    """A router turn's reply, or None when it is not ``strategy: X; effort: Y``."""
    match = re.search(r"strategy:\s*(react|preact|dag)\s*[;,]\s*effort:\s*(minimal|low|medium|high)",
                      text, re.IGNORECASE)
    if not match:
        return None
    return Route(strategy=match.group(1).lower(), effort=match.group(2).lower(), source="model")


def is_qwen3_hybrid(model: Any) -> bool:
    """Qwen3 models that switch thinking on and off (the April 2025 ones). The 2507 models are
    instruct-only or thinking-only and ignore the soft switch (methods.md §7)."""
    name = str(getattr(model, "name", "")).lower().replace("_", "-")
    return "qwen3" in name and "2507" not in name and "coder" not in name


def effort_settings(effort: str, model: Any) -> dict[str, Any]:
    """How ``effort`` is applied to ``model``; at most one of these keys:

    - ``{"system_suffix": "/think" | "/no_think"}`` for Qwen3 hybrid models: the soft switch,
      added to the system prompt (``/no_think`` for minimal and low effort);
    - ``{"reasoning": effort}`` for servers that take ``reasoning_effort`` (`OpenAICompatible`
      with the ``openai`` or ``vllm`` dialect): passed through as the run's ``reasoning``;
    - ``{"step_max_tokens": n}`` otherwise: the per-turn token budget, leaving room to think
      (minimal 128, low 256, medium 384, high 768).

    ``auto`` (or an empty effort) changes nothing: ``{}``.
    """
    if not effort or effort == "auto":
        return {}
    if is_qwen3_hybrid(model):
        return {"system_suffix": "/no_think" if effort in ("none", "minimal", "low")
                else "/think"}
    dialects = getattr(type(model), "REASONING_DIALECTS", frozenset())
    if getattr(model, "dialect", None) in dialects:
        return {"reasoning": effort}
    return {"step_max_tokens": STEP_TOKENS.get(effort, STEP_TOKENS["medium"])}


def verbosity_instruction(verbosity: str) -> str:
    """One instruction line on the final answer's length (GPT-5's ``verbosity`` as a prompt)."""
    if verbosity not in VERBOSITIES:
        raise ValueError(f"unknown verbosity {verbosity!r}; use one of {', '.join(VERBOSITIES)}")
    return render("router_verbosity", verbosity=verbosity)


class RouterStrategy:
    """Routes each question to react, preact or dag with an effort, then runs that strategy.

    ``use_model``: one grammar-constrained model turn picks the route (the heuristic is the
    fallback). ``verbosity`` (low | medium | high) adds an instruction on the final answer's
    length. An explicit ``reasoning`` on the run (anything but ``auto``) is kept as the effort.
    """

    name = "auto"

    def __init__(self, instructions: str = "", *, use_model: bool = False,
                 verbosity: str | None = None):
        if verbosity is not None:
            verbosity_instruction(verbosity)  # fail early on a bad value
        self.instructions, self.use_model, self.verbosity = instructions, use_model, verbosity

    async def route(self, question: str, ctx: RunContext) -> Route:
        """The route of ``question``: heuristic, or the model's when ``use_model``."""
        route = heuristic_route(question)
        if self.use_model:
            route = await self._model_route(question, ctx) or route
        route = measured_route(route, getattr(ctx.model, "name", ""))
        if ctx.reasoning != "auto":
            route = route.model_copy(update={"effort": ctx.reasoning, "source": "fixed"})
        return route

    async def run(self, question: str, ctx: RunContext) -> Trace:
        try:
            route = await self.route(question, ctx)
        except BudgetExceeded as stop:
            return ctx.recorder.end(None, stop.reason)
        settings = effort_settings(route.effort, ctx.model)
        if "reasoning" in settings:
            ctx.reasoning = settings["reasoning"]
        if "step_max_tokens" in settings:
            ctx.budget.step_max_tokens = settings["step_max_tokens"]
        parts = [self.instructions,
                 verbosity_instruction(self.verbosity) if self.verbosity else "",
                 settings.get("system_suffix", "")]
        ctx.recorder.meta(route={**route.model_dump(), "settings": settings,
                                 "verbosity": self.verbosity})
        strategy = strategy_class(route.strategy)(
            instructions="\n\n".join(p for p in parts if p))
        return await strategy.run(question, ctx)

    async def _model_route(self, question: str, ctx: RunContext) -> Route | None:
        """One short routing turn, recorded as a "think" step."""
        step = Step(index=len(ctx.recorder.trace.steps), kind="think", started_at=time.time())
        completion = await ctx.model_turn(
            [Message(role="system", content=render("router_system")),
             Message(role="user", content=question)],
            constraint=Constraint.grammar(ROUTE_GRAMMAR), max_tokens=ROUTE_MAX_TOKENS,
            offer_tools=False, reasoning="auto")
        step.completion, step.thought = completion, completion.text.strip()
        route = parse_route(completion.text)
        if route is None:
            step.error = "unreadable route; using the heuristic"
        ctx.recorder.step(step)
        return route
