"""Tools for a chat template that cannot show them.

Native tool calling (``tools=``, the `openai` format) relies on the model's chat template to
put the tool signatures into the prompt. Many small models' templates (SmolLM2's, for one)
have no tools section and drop them without a word, so the model is asked to call tools it
never sees. Like llama.cpp's server with its generic handler, the in-process backend then
writes the tools into the system message itself, in the Hermes/Qwen form (the text that
`prompts/tools_in_prompt.txt` holds), and renders the conversation's calls and results as
``<tool_call>`` / ``<tool_response>`` text, which the `openai` format reads back.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from string import Template
from typing import Any

PROBE = "toolweave_template_probe"


@cache
def _instructions() -> Template:
    text = resources.files("toolweave.models").joinpath("prompts/tools_in_prompt.txt")
    return Template(text.read_text(encoding="utf-8").strip())


def renders_tools(formatter: Any) -> bool:
    """Whether a llama-cpp-python chat formatter puts the ``tools`` it is given in the prompt."""
    probe = {"type": "function", "function": {
        "name": PROBE, "description": "", "parameters": {"type": "object", "properties": {}}}}
    try:
        prompt = formatter(messages=[{"role": "user", "content": "hi"}], tools=[probe]).prompt
    except Exception:  # noqa: BLE001 - a template that fails on tools does not render them
        return False
    return PROBE in prompt


def inline_tools(messages: list[dict[str, Any]], tools: list[dict[str, Any]]
                 ) -> list[dict[str, Any]]:
    """``messages`` (chat-template dicts) with ``tools`` (OpenAI tool schemas) described in
    the system message, assistant calls as ``<tool_call>`` text and tool results as user
    ``<tool_response>`` text: a conversation any chat template can render."""
    docs = _instructions().substitute(
        tools="\n".join(json.dumps(t, ensure_ascii=False) for t in tools))
    out: list[dict[str, Any]] = []
    previous = None  # the role of the message before, as given
    for message in messages:
        role, content = message["role"], message.get("content") or ""
        if role == "assistant" and message.get("tool_calls"):
            calls = [json.dumps({"name": c["function"]["name"],
                                 "arguments": c["function"]["arguments"]}, ensure_ascii=False)
                     for c in message["tool_calls"]]
            text = "\n".join(f"<tool_call>\n{c}\n</tool_call>" for c in calls)
            out.append({"role": "assistant", "content": f"{content}\n{text}".strip()})
        elif role == "tool":
            response = f"<tool_response>\n{content}\n</tool_response>"
            if previous == "tool":
                out[-1]["content"] += "\n" + response  # results of one turn go together
            else:
                out.append({"role": "user", "content": response})
        else:
            out.append({"role": role, "content": content})
        previous = role
    if out and out[0]["role"] == "system":
        out[0] = {"role": "system", "content": f"{out[0]['content']}\n\n{docs}".strip()}
    else:
        out.insert(0, {"role": "system", "content": docs})
    return out
