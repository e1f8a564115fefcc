"""The tools of a suite: built-ins, Python tools and inline mock tools, resolved per task.

A task's ``tools`` names tools from three sources: the built-ins (``calculator``, and
``search_docs``/``read_file`` when the suite sets ``docs``/``files``), the suite's ``python:``
entries, and mock tools (defined in the suite's ``tools`` or inline in the task). A task
without ``tools`` gets all of them: the suite's own tools in file order, then the built-ins.
"""

from __future__ import annotations

import json
from typing import Any

from toolweave.eval.suite.format import MockTool, PythonTools, Suite, SuiteError, SuiteTask
from toolweave.eval.suite.score import arguments_match
from toolweave.tools.arguments import ArgumentError, expected_arguments
from toolweave.tools.builtins import calculator, make_read_file, make_search_docs
from toolweave.tools.errors import ToolLoadError
from toolweave.tools.registry import ToolRegistry, load_tools
from toolweave.tools.tool import Tool
from toolweave.types import ToolSpec


class NoMockResult(LookupError):
    """A mock tool has no case for these arguments and no default."""


def mock_tool(definition: MockTool) -> Tool:
    """A `Tool` answering from ``definition``'s cases. Arguments are checked against its
    schema first, as a real tool's would be, so a bad call gets the same kind of feedback."""
    from jsonschema import Draft202012Validator

    spec = ToolSpec(name=definition.name, description=definition.description,
                    parameters=definition.parameters)
    validator = Draft202012Validator(definition.parameters)

    def prepare(arguments: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        error = next(iter(validator.iter_errors(arguments)), None)
        if error is not None:
            where = ".".join(str(p) for p in error.absolute_path) or "arguments"
            raise ArgumentError(f"{where}: {error.message}. "
                                f"{expected_arguments(definition.parameters)}")
        return (arguments,), {}

    def answer(arguments: dict[str, Any]) -> Any:
        for case in definition.cases:
            if arguments_match(case.when, arguments):
                return case.output
        if definition.default is not None:
            return definition.default
        raise NoMockResult(f"no result for {json.dumps(arguments, ensure_ascii=False)}")

    return Tool(spec, answer, prepare)


class SuiteToolbox:
    """Every tool a suite can offer, built once; `registry` picks one task's tools.

    Construction imports the Python tools and checks that each task's tool names and
    expected calls refer to tools it has, so a bad suite fails before anything runs."""

    def __init__(self, suite: Suite):
        self.suite = suite
        own: dict[str, Tool] = {}
        for entry in suite.tools:
            for item in self._build(entry):
                if item.name in own:
                    raise SuiteError(f"suite tools: {item.name!r} is defined twice")
                own[item.name] = item
        builtins: dict[str, Tool] = {}
        if suite.docs is not None:
            builtins["search_docs"] = make_search_docs(suite.docs)
        if suite.files is not None:
            builtins["read_file"] = make_read_file(suite.files)
        builtins["calculator"] = calculator
        self.tools = {**builtins, **own}
        self.default_names = [*own, *(n for n in builtins if n not in own)]
        for task in suite.tasks:
            self._check(task)

    @staticmethod
    def _build(entry: MockTool | PythonTools) -> list[Tool]:
        if isinstance(entry, MockTool):
            return [mock_tool(entry)]
        try:
            return list(load_tools(entry.python))
        except ToolLoadError as exc:
            raise SuiteError(f"suite tools: {exc}") from None

    def registry(self, task: SuiteTask) -> ToolRegistry:
        """The tools ``task`` may use, in the order it lists them."""
        if task.tools is None:
            return ToolRegistry([self.tools[n] for n in self.default_names])
        return ToolRegistry([mock_tool(t) if isinstance(t, MockTool) else self.tools[t]
                             for t in task.tools])

    def _check(self, task: SuiteTask) -> None:
        where = f"task {task.id!r}"
        names: list[str] = []
        for item in task.tools if task.tools is not None else self.default_names:
            name = item.name if isinstance(item, MockTool) else item
            if isinstance(item, str) and item not in self.tools:
                hint = {"search_docs": " (set 'docs' in the suite)",
                        "read_file": " (set 'files' in the suite)"}.get(item, "")
                raise SuiteError(f"{where}: unknown tool {item!r}{hint}; known: "
                                 f"{', '.join(sorted(self.tools))}")
            if name in names:
                raise SuiteError(f"{where}: tool {name!r} is listed twice")
            names.append(name)
        for call in task.calls or []:
            if call.name not in names:
                raise SuiteError(f"{where}: expected call of {call.name!r}, which is not one "
                                 f"of the task's tools ({', '.join(names)})")
