"""Native tools for chat templates without a tools section: written into the prompt."""

from __future__ import annotations

from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from toolweave.models._tools_in_prompt import inline_tools, renders_tools
from toolweave.types import Message, ToolCall, ToolSpec

PLAIN = "{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}<assistant>"
WITH_TOOLS = "{% if tools %}{{ tools | tojson }}\n{% endif %}" + PLAIN
WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Weather.",
                                            "parameters": {"type": "object", "properties": {}}}}


def formatter(template: str) -> Jinja2ChatFormatter:
    return Jinja2ChatFormatter(template=template, eos_token="</s>", bos_token="<s>")


def test_a_template_with_a_tools_section_is_told_apart_from_one_without():
    assert renders_tools(formatter(WITH_TOOLS))
    assert not renders_tools(formatter(PLAIN))
    assert not renders_tools(formatter("{{ raise_exception('no tools here') }}"))


def test_tools_join_an_existing_system_message():
    out = inline_tools([{"role": "system", "content": "Be brief."},
                        {"role": "user", "content": "Weather in Paris?"}], [WEATHER])
    assert [m["role"] for m in out] == ["system", "user"]
    assert out[0]["content"].startswith("Be brief.\n\n# Tools")
    assert '"name": "get_weather"' in out[0]["content"] and "<tool_call>" in out[0]["content"]


def test_calls_and_results_become_text_and_one_turns_results_stay_together():
    chat = [{"role": "user", "content": "Weather in Paris and Rome?"},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "1", "type": "function",
                 "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                {"id": "2", "type": "function",
                 "function": {"name": "get_weather", "arguments": {"city": "Rome"}}}]},
            {"role": "tool", "content": "sunny", "tool_call_id": "1"},
            {"role": "tool", "content": "rain", "tool_call_id": "2"}]
    out = inline_tools(chat, [WEATHER])
    assert [m["role"] for m in out] == ["system", "user", "assistant", "user"]
    assert out[2]["content"].count("<tool_call>") == 2 and '"city": "Rome"' in out[2]["content"]
    assert out[3]["content"] == ("<tool_response>\nsunny\n</tool_response>\n"
                                 "<tool_response>\nrain\n</tool_response>")
    assert all(set(m) == {"role", "content"} for m in out)


def test_the_tiny_model_sees_its_tools_and_calls(tiny):
    # SmolLM2's own template has no tools section: without the fallback the prompt would
    # hold neither the tool nor the earlier call.
    spec = ToolSpec(name="get_weather", description="Weather for a city.",
                    parameters={"type": "object", "properties": {"city": {"type": "string"}}})
    prompt = tiny.render_prompt(
        [Message(role="user", content="Weather in Paris?"),
         Message(role="assistant", content="",
                 tool_calls=[ToolCall(id="c1", name="get_weather", arguments={"city": "Paris"})]),
         Message(role="tool", content="sunny", tool_call_id="c1", name="get_weather")], [spec])
    assert '"name": "get_weather"' in prompt and "<tools>" in prompt
    assert '{"name": "get_weather", "arguments": {"city": "Paris"}}' in prompt
    assert "<tool_response>\nsunny\n</tool_response>" in prompt
