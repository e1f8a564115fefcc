"""Behaviour of `Tool` and `@tool`: schemas, docstrings, validation, running, failures, caps."""

import asyncio
import json
import time
from typing import Annotated, Literal, Optional

import pytest
from pydantic import BaseModel, Field

from toolweave.tools import Tool, ToolDefinitionError, tool
from toolweave.tools._docstrings import parse_docstring
from toolweave.types import Constraint, ToolCall, ToolSpec


class Address(BaseModel):
    city: str
    zip_code: str | None = None


class Node(BaseModel):
    value: int
    children: list["Node"] = []


def call(tool_name, /, **arguments):
    return ToolCall(name=tool_name, arguments=arguments)


def walk(node):
    """Every dict inside a JSON value."""
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


@tool
def book(
    city: str,
    mode: Literal["fast", "cheap"],
    nights: int = 1,
    note: Optional[str] = None,  # noqa: UP045 - typing.Optional must work as well as X | None
    guests: list[str] = [],  # noqa: B006 - a default the schema must show
    home: Address | None = None,
    title: str = "",
) -> str:
    """Book a hotel room.

    Longer explanation that must not end up in the tool description.

    Args:
        city: where to stay.
        mode: how to
            choose the hotel.
        nights (int): how many nights.

    Returns:
        A confirmation.
    """
    return f"{city}/{mode}/{nights}"


# --- schema ---------------------------------------------------------------------------------

def test_schema_types_defaults_and_required():
    params = book.spec.parameters
    props = params["properties"]
    assert params["type"] == "object"
    assert params["required"] == ["city", "mode"]
    assert params["additionalProperties"] is False
    assert props["city"]["type"] == "string"
    assert props["mode"]["enum"] == ["fast", "cheap"]
    assert props["nights"] == {"type": "integer", "default": 1, "description": "how many nights."}
    assert {"type": "null"} in props["note"]["anyOf"] and props["note"]["default"] is None
    assert props["guests"] == {"type": "array", "items": {"type": "string"}, "default": []}


def test_schema_inlines_nested_models_and_drops_titles():
    params = book.spec.parameters
    assert "$defs" not in params
    assert "$ref" not in json.dumps(params)
    home = next(s for s in params["properties"]["home"]["anyOf"] if s.get("type") == "object")
    assert home["properties"]["city"] == {"type": "string"}
    assert home["required"] == ["city"]
    assert all("title" not in d or not isinstance(d["title"], str) for d in walk(params))
    # A *parameter* called "title" is not a pydantic title and must survive.
    assert params["properties"]["title"] == {"type": "string", "default": ""}


def test_schema_of_recursive_model_keeps_its_definition():
    @tool
    def tree_sum(root: Node) -> int:
        """Sum a tree."""
        return root.value

    params = tree_sum.spec.parameters
    assert params["properties"]["root"]["properties"]["value"] == {"type": "integer"}
    assert params["properties"]["root"]["properties"]["children"]["items"] == {
        "$ref": "#/$defs/Node"}
    assert set(params["$defs"]) == {"Node"}


def test_annotated_constraints_reach_the_schema():
    @tool
    def top(k: Annotated[int, Field(ge=1, le=10)] = 3) -> int:
        return k

    assert top.spec.parameters["properties"]["k"] == {
        "type": "integer", "minimum": 1, "maximum": 10, "default": 3}


def test_description_and_parameter_docs_come_from_the_docstring():
    assert book.spec.description == "Book a hotel room."
    props = book.spec.parameters["properties"]
    assert props["city"]["description"] == "where to stay."
    assert props["mode"]["description"] == "how to choose the hotel."
    assert "description" not in props["note"]


def test_sphinx_style_docstring():
    description, params = parse_docstring("""Add two numbers
    together.

    :param a: the first number.
    :param int b: the second
        number.
    :returns: the sum
    """)
    assert description == "Add two numbers together."
    assert params == {"a": "the first number.", "b": "the second number."}


def test_decorator_arguments_override_name_and_description():
    @tool(name="add_numbers", description="Adds.", timeout_s=1.5, max_output_chars=10)
    def add(a: int, b: int) -> int:
        """Ignored."""
        return a + b

    assert (add.name, add.description, add.timeout_s, add.max_output_chars) == (
        "add_numbers", "Adds.", 1.5, 10)
    assert add(2, 3) == 5  # still callable as plain Python


def test_parameters_named_like_basemodel_attributes():
    @tool
    def echo(json: str, schema: int = 0, model_config: str = "x") -> str:
        return f"{json}{schema}{model_config}"

    assert set(echo.spec.parameters["properties"]) == {"json", "schema", "model_config"}


@pytest.mark.parametrize("bad", [lambda x: x, print])
def test_invalid_tool_names_are_rejected(bad):
    with pytest.raises(ToolDefinitionError):
        tool(bad)


def test_var_args_are_rejected():
    def anything(*args: int) -> None: ...

    with pytest.raises(ToolDefinitionError, match=r"\*args"):
        tool(anything)


# --- invoking ---------------------------------------------------------------------------------

async def test_sync_tool_returns_its_result_and_timestamps():
    obs = await book.invoke(call("book", city="Oslo", mode="fast", nights="2"))
    assert obs.ok and obs.error is None
    assert obs.content == "Oslo/fast/2"
    assert obs.tool == "book"
    assert 0 < obs.started_at <= obs.ended_at


async def test_async_tool_receives_validated_nested_models():
    @tool
    async def where(home: Address, tags: list[int]) -> dict:
        assert isinstance(home, Address)
        return {"city": home.city, "tags": tags}

    obs = await where.invoke(call("where", home={"city": "Turku"}, tags=["1", 2]))
    assert obs.ok
    assert obs.content == '{"city":"Turku","tags":[1,2]}'


async def test_callable_object_with_async_call():
    class Greeter:
        async def __call__(self, name: str) -> str:
            await asyncio.sleep(0)
            return f"hello {name}"

    greet = tool(Greeter(), name="greet")
    assert (await greet.invoke(call("greet", name="Ada"))).content == "hello Ada"


async def test_positional_only_parameters():
    @tool
    def sub(a: int, b: int, /) -> int:
        return a - b

    assert (await sub.invoke(call("sub", a=5, b=2))).content == "3"


@pytest.mark.parametrize("result, text", [
    ("plain", "plain"),
    (42, "42"),
    (None, "(no output)"),
    ([1, {"a": "é"}], '[1,{"a":"é"}]'),
    (Address(city="Oulu"), '{"city":"Oulu","zip_code":null}'),
    ({"home": Address(city="Oulu")}, '{"home":{"city":"Oulu","zip_code":null}}'),
])
async def test_results_become_text(result, text):
    @tool
    def give() -> object:
        return result

    assert (await give.invoke(call("give"))).content == text


async def test_validation_error_names_the_bad_fields():
    obs = await book.invoke(call("book", mode="slow", nights="many", colour="red"))
    assert not obs.ok and obs.error == "invalid_arguments"
    assert "`city` is required" in obs.content
    assert "`mode`" in obs.content and "'fast'" in obs.content
    assert "`nights`" in obs.content and "integer" in obs.content and "'many'" in obs.content
    assert "`colour` is not a parameter" in obs.content
    assert "Expected city (string, required), mode (one of 'fast', 'cheap', required)" \
        in obs.content


async def test_nested_validation_error_gives_the_path():
    @tool
    def visit(home: Address) -> str:
        return home.city

    obs = await visit.invoke(call("visit", home={"zip_code": "00100"}))
    assert not obs.ok and "`home.city` is required" in obs.content


async def test_exception_becomes_a_short_observation():
    @tool
    def explode(x: int) -> str:
        raise ValueError(f"cannot handle {x}")

    obs = await explode.invoke(call("explode", x=7))
    assert not obs.ok
    assert obs.error == "ValueError"
    assert obs.content == "ValueError: cannot handle 7"
    assert "Traceback" not in obs.content


async def test_tool_raising_timeout_error_is_not_a_timeout():
    @tool
    async def flaky() -> str:
        raise TimeoutError("upstream slow")

    obs = await flaky.invoke(call("flaky"))
    assert obs.error == "TimeoutError" and obs.content == "TimeoutError: upstream slow"


async def test_hanging_tool_times_out():
    @tool(timeout_s=0.2)
    async def hang() -> str:
        await asyncio.sleep(60)
        return "never"

    obs = await hang.invoke(call("hang"))
    assert not obs.ok and obs.error == "timeout"
    assert obs.content == "hang timed out after 0.2 s"
    assert obs.ended_at - obs.started_at < 5


async def test_hanging_sync_tool_times_out():
    @tool(timeout_s=0.1)
    def slow() -> str:
        time.sleep(0.5)  # short: the worker thread cannot be stopped and runs on
        return "late"

    obs = await slow.invoke(call("slow"))
    assert obs.error == "timeout" and "0.1 s" in obs.content


async def test_cancellation_propagates():
    @tool
    async def hang() -> None:
        await asyncio.sleep(60)

    task = asyncio.create_task(hang.invoke(call("hang")))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_huge_output_is_capped_with_a_note():
    @tool
    def flood() -> str:
        return "x" * 10_000_000

    obs = await flood.invoke(call("flood"))
    assert obs.ok
    assert obs.truncated_chars == 10_000_000 - 8000
    assert obs.content.startswith("x" * 8000)
    assert obs.content.endswith("… [cut 9,992,000 of 10,000,000 chars]")
    assert len(obs.content) < 8100


async def test_error_messages_are_capped_too():
    @tool(max_output_chars=50)
    def loud() -> None:
        raise RuntimeError("e" * 1000)

    obs = await loud.invoke(call("loud"))
    assert not obs.ok and obs.truncated_chars > 0 and len(obs.content) < 120


# --- custom (freeform) tools and raw callables -------------------------------------------------

async def test_custom_tool_takes_text_checked_by_regex():
    @tool(kind="custom", input_format=Constraint.regex(r"[a-z]+ \d+"))
    def lookup(query: str) -> str:
        """Look something up.

        Args:
            query: a word and a number.
        """
        return query.upper()

    assert lookup.spec.kind == "custom"
    assert lookup.spec.input_format == Constraint.regex(r"[a-z]+ \d+")
    assert lookup.spec.parameters["properties"]["input"]["description"] == "a word and a number."
    ok = await lookup.invoke(call("lookup", input="page 12"))
    assert ok.ok and ok.content == "PAGE 12"
    bad = await lookup.invoke(call("lookup", input="page twelve"))
    assert not bad.ok and bad.error == "invalid_input" and "[a-z]+ \\\\d+" in bad.content
    not_text = await lookup.invoke(call("lookup", input=12))
    assert not not_text.ok and "string" in not_text.content


def test_custom_tool_needs_exactly_one_parameter():
    def two(a: str, b: str) -> str: ...

    with pytest.raises(ToolDefinitionError):
        tool(two, kind="custom")


def test_input_format_on_a_function_tool_is_an_error():
    def one(a: str) -> str: ...

    with pytest.raises(ToolDefinitionError):
        tool(one, input_format=Constraint.regex("x"))


async def test_from_callable_passes_the_arguments_dict_unvalidated():
    seen = []

    async def remote(arguments):
        seen.append(arguments)
        return {"echo": arguments}

    spec = ToolSpec(name="remote_echo", description="Echo.",
                    parameters={"type": "object", "properties": {"a": {"type": "integer"}}})
    t = Tool.from_callable(spec, remote, max_output_chars=12)
    assert t.spec is spec
    obs = await t.invoke(call("remote_echo", a="not checked"))
    assert seen == [{"a": "not checked"}]
    assert obs.ok and obs.truncated_chars > 0 and obs.content.startswith('{"echo":{"a"')


async def test_from_callable_applies_timeout_and_custom_regex():
    async def slow(arguments):
        await asyncio.sleep(60)

    spec = ToolSpec(name="slow", kind="custom", input_format=Constraint.regex(r"\d+"))
    t = Tool.from_callable(spec, slow, timeout_s=0.1)
    assert (await t.invoke(call("slow", input="abc"))).error == "invalid_input"
    assert (await t.invoke(call("slow", input="123"))).error == "timeout"


@pytest.mark.parametrize(("result", "ok"), [
    ({"error": "mv: cannot move 'a.pdf': No such file or directory"}, False),
    ({"error": "bad id", "code": 404, "message": "not found"}, False),
    ('{"error": "returned as text"}', False),
    ({"error": None}, True),  # no error in it
    ({"error": "", "rows": []}, True),
    ({"error": "partial", "rows": [1, 2]}, True),  # data besides the error: a result
    ("error: plain text is not judged", True),
])
async def test_a_result_that_only_reports_an_error_is_a_failed_call(result, ok):
    @tool
    def api(path: str):
        """An API that answers failures with an error object."""
        return result

    obs = await api.invoke(ToolCall(name="api", arguments={"path": "a"}))
    assert obs.ok is ok
    assert obs.error == (None if ok else "reported_error")
    assert obs.content == (result if isinstance(result, str) else json.dumps(
        result, separators=(",", ":")))


async def test_an_async_tool_that_blocks_the_loop_past_its_timeout_is_a_timeout():
    # asyncio.timeout cannot interrupt time.sleep: the call is reported once it returns
    @tool(timeout_s=0.05)
    async def blocking() -> str:
        time.sleep(0.2)
        return "late"

    obs = await blocking.invoke(call("blocking"))
    assert obs.error == "timeout" and not obs.ok
    assert "past its 0.05 s timeout" in obs.content and "blocked the event loop" in obs.content
    assert "belongs in a sync tool" in obs.content
