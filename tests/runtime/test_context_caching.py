"""What `RunContext` derives from the tool set is computed once per registry state, and is
recomputed when a tool is added."""

from __future__ import annotations

from toolweave.formats import get_format
from toolweave.models import Scripted
from toolweave.runtime.budget import Budget
from toolweave.runtime.context import RunContext
from toolweave.runtime.recorder import TraceRecorder
from toolweave.tools import ToolRegistry
from toolweave.types import Completion, Trace


def alpha(x: int) -> int:
    """First tool."""
    return x


def beta(x: int) -> int:
    """Second tool."""
    return x


def context(registry: ToolRegistry, fmt: str = "hermes") -> RunContext:
    return RunContext(model=Scripted([]), tools=registry, format=get_format(fmt),
                      budget=Budget(), recorder=TraceRecorder(Trace(question="q")))


def test_tool_docs_and_grammar_are_reused_then_follow_a_new_tool():
    registry = ToolRegistry([alpha])
    ctx = context(registry)
    docs, grammar = ctx.tool_docs(), ctx.turn_constraint()
    assert "alpha" in docs and "beta" not in docs
    assert ctx.tool_docs() is docs and ctx.turn_constraint() is grammar

    registry.add(beta)
    assert "beta" in ctx.tool_docs() and "beta" not in docs
    new_grammar = ctx.turn_constraint()
    assert new_grammar is not grammar and "beta" in new_grammar.value


def test_turn_variants_are_cached_apart():
    ctx = context(ToolRegistry([alpha]))
    free, required, answer = (ctx.turn_constraint(), ctx.turn_constraint(require_call=True),
                              ctx.turn_constraint(answer_only=True))
    assert len({free.value, required.value, answer.value}) == 3
    assert "alpha" not in answer.value


def test_each_format_renders_its_own_docs():
    registry = ToolRegistry([alpha])
    assert context(registry, "hermes").tool_docs() != context(registry, "glm-xml").tool_docs()


async def test_native_tools_follow_the_registry():
    registry = ToolRegistry([alpha])
    model = Scripted(["one", "two"])
    ctx = context(registry, "openai")
    ctx.model = model
    await ctx.model_turn([])
    registry.add(beta)
    await ctx.model_turn([])
    assert [[t.name for t in kw["tools"]] for kw in model.kwargs] == [["alpha"], ["alpha", "beta"]]


async def test_scripted_does_not_mutate_a_scripted_completion():
    reply = Completion(text="hi")
    got = await Scripted([reply]).complete([])
    assert got is not reply and got.model == "scripted" and reply.model == ""


def calc(expression: str) -> str:
    """Evaluate an arithmetic expression."""
    return expression


def test_the_run_numbers_follow_each_new_result_and_any_changed_one():
    from toolweave.runtime.grounding import run_numbers
    from toolweave.types import Observation, ToolCall

    ctx = context(ToolRegistry([alpha, calc]))
    ctx.recorder.trace.question = "Is 12 more than 7?"
    ctx = RunContext(model=ctx.model, tools=ctx.tools, format=ctx.format, budget=ctx.budget,
                     recorder=ctx.recorder)

    def made(name: str, content: str, ok: bool = True, **arguments) -> None:
        call = ToolCall(name=name, arguments=arguments)
        ctx.guard.remember(call, Observation(call_id=call.id, tool=name, content=content,
                                             ok=ok))

    def whole() -> tuple[str, ...]:
        return run_numbers(ctx.said, ctx.guard.seen.values(), ctx.calculators())

    assert ctx.numbers() == whole() == ("12", "7")
    made("alpha", "x is 30 and 12", x=1)
    assert ctx.numbers() == whole() == ("12", "7", "30")
    made("calc", "42", expression="30+12")  # a calculator's result is no new data
    made("alpha", "failed: 99", ok=False, x=2)  # nor is a failure's
    made("alpha", "5 then 30", x=3)
    assert ctx.numbers() == whole() == ("12", "7", "30", "5")
    made("alpha", "now 8", x=1)  # the same call again: its result is replaced, not added
    assert ctx.numbers() == whole() == ("12", "7", "8", "5", "30")


def lookup(name: str) -> str:
    """Look a person up by name."""
    return name


def test_a_grounded_turn_grammar_follows_what_it_reads_though_kept_by_it():
    from toolweave.types import Observation, ToolCall

    registry = ToolRegistry([tool_named("lookup", lookup), calc])
    ctx = RunContext(model=Scripted([]), tools=registry, format=get_format("hermes"),
                     budget=Budget(), recorder=TraceRecorder(Trace(question="Who is Ann?")))

    def made(tool: str, content: str, ok: bool = True, **arguments) -> None:
        call = ToolCall(name=tool, arguments=arguments)
        ctx.guard.remember(call, Observation(call_id=call.id, tool=tool, content=content,
                                             ok=ok, error=None if ok else "ValueError"))

    def offers(grammar) -> set[str]:
        return {name for name in ("lookup", "calc") if f'\\"{name}\\"' in grammar.value}

    first = ctx.turn_constraint()
    assert offers(first) == {"lookup"}  # no two numbers yet: no calculator
    assert ctx.turn_constraint() is first  # nothing new read: the same grammar
    made("lookup", "Ann is 30, Bob is 41", name="Ann")
    second = ctx.turn_constraint()
    assert offers(second) == {"lookup", "calc"} and "Bob" in second.value
    # errors that quote nothing add no value: what changes is that lookup failed twice
    made("lookup", "unknown name", ok=False, name="Bob")
    assert ctx.run_values(ctx.guard.made()) == ctx.run_values(ctx.guard.made()[:1])
    made("lookup", "no such person", ok=False, name="Ann is 30, Bob is 41")
    assert offers(ctx.turn_constraint()) == {"calc"}  # set aside until a result comes
    made("calc", "71", expression="30 + 41")
    assert offers(ctx.turn_constraint()) == {"lookup", "calc"}  # a result came: it is back


def tool_named(name, fn):
    from toolweave.tools import tool

    return tool(fn, name=name)
