"""The plan IR of the `dag` strategy: tasks, their parsing (whole or streamed), validation,
reference substitution, and the grammars the planner, decomposer and joiner decode under.

The planner writes LLMCompiler-style lines (methods.md §3, §10)::

    Thought: the two lookups are independent.      (optional, attached to the next task)
    1. lookup_population({"city": "Paris"})
    2. lookup_population({"city": "Rome"})
    3. add({"a": "$1", "b": "$2"})
    join()

Arguments are one JSON object per line; any string value may reference an earlier task's
result as ``$N`` or ``${N}``. A task depends on every task it references.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from toolweave.constraints.gbnf import GrammarBuilder, literal
from toolweave.errors import InvalidConstraintError
from toolweave.formats.base import function_schema
from toolweave.formats.values import grammar_schema
from toolweave.text import MAX_DEPTH, clean_text
from toolweave.types import ToolSpec

JOIN = "join()"
MAX_TASKS = 12
THOUGHT_MAX_CHARS = 200
REF = re.compile(r"\$\{?(\d+)\}?")
WHOLE_REF = re.compile(r"^\s*\$\{?(\d+)\}?\s*$")
_TASK = re.compile(r"^\s*(\d+)\s*[.):]\s*([A-Za-z0-9_-]+)\s*\((.*)\)\s*$")
_TASKLIKE = re.compile(r"^\s*\d+\s*[.):]\s*\S")
_THOUGHT = re.compile(r"^\s*Thought:\s*(.*)$")
# A reference standing in for a non-string value, as a grammar-safe pattern (GBNF knows no \$).
_REF_PATTERN = r"^[$][{]?[1-9][0-9]?[}]?$"


@dataclass
class Task:
    """One node of the plan graph: a tool call whose arguments may reference earlier tasks."""

    id: int
    tool: str
    args: dict[str, Any]
    deps: tuple[int, ...] = ()
    thought: str = ""
    line: str = ""


@dataclass
class Plan:
    """A parsed plan: its tasks in written order, whether it reached ``join()``, and lines that
    looked like tasks but could not be read."""

    tasks: list[Task] = field(default_factory=list)
    joined: bool = False
    issues: list[str] = field(default_factory=list)


def references(value: Any) -> set[int]:
    """Every task id referenced (``$N`` / ``${N}``) anywhere inside ``value``."""
    if isinstance(value, str):
        return {int(m) for m in REF.findall(value)}
    if isinstance(value, dict):
        return set().union(*(references(v) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(references(v) for v in value)) if value else set()
    return set()


def substitute(value: Any, results: dict[int, str]) -> Any:
    """``value`` with references replaced by result texts.

    A string that is exactly one reference becomes the raw result text (the tool layer coerces
    it to the parameter's type); references inside longer strings are replaced longest id first
    so that ``$12`` is not clobbered by ``$1``.
    """
    if isinstance(value, dict):
        return {k: substitute(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, results) for v in value]
    if not isinstance(value, str):
        return value
    whole = WHOLE_REF.match(value)
    if whole and int(whole.group(1)) in results:
        return results[int(whole.group(1))]
    for ref in sorted(results, reverse=True):
        value = value.replace(f"${{{ref}}}", results[ref]).replace(f"${ref}", results[ref])
    return value


def parse_args(text: str) -> dict[str, Any] | str:
    """A task's argument text as a dict of JSON values, or a message saying why it is not one.

    JSON first; Python literals (single quotes) as LLMCompiler's parser accepts them, with
    tuples read as lists (a set, bytes or ``...`` is not JSON, so it is refused). Values nested
    deeper than `MAX_DEPTH` are refused: nothing downstream could write them to a trace."""
    text = text.strip()
    if not text:
        return {}
    for reader in (json.loads, _literal):
        try:
            value = reader(text)
        except (ValueError, SyntaxError, RecursionError, MemoryError, TypeError):
            continue
        if not isinstance(value, dict):
            return f"arguments must be one JSON object, got {text[:80]!r}"
        try:
            return _json_value(value)
        except ValueError as exc:
            return f"arguments must be plain JSON values: {exc}"
    return f"arguments are not valid JSON: {text[:80]!r}"


def _literal(text: str) -> Any:
    """``ast.literal_eval`` without its warnings (``1x``, ``"\\d"``): the text is a
    model's, and its oddities are reported as plan issues, not printed on stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning, and DeprecationWarning before 3.12
        return ast.literal_eval(text)


def _json_value(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON data (keys as strings, tuples as lists, lone surrogates replaced), or
    `ValueError` naming what is not JSON."""
    if isinstance(value, str):
        return clean_text(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if depth >= MAX_DEPTH and isinstance(value, (dict, list, tuple)):
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        return {clean_text(str(k)): _json_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v, depth + 1) for v in value]
    raise ValueError(f"a {type(value).__name__} is not a JSON value")


class PlanParser:
    """Reads a plan line by line as text arrives; `feed` returns the tasks completed so far.

    Never raises: lines that are not tasks are ignored, unless they look like tasks (``3. …``)
    and cannot be read, which become `Plan.issues`. Text after ``join()`` is ignored.
    """

    def __init__(self) -> None:
        self.plan = Plan()
        self._buffer = ""
        self._thought = ""

    def feed(self, text: str) -> list[Task]:
        """Add streamed text; returns the tasks whose lines are now complete."""
        self._buffer += clean_text(text)  # the lines end up in traces: writable as UTF-8
        *lines, self._buffer = self._buffer.split("\n")
        return [t for line in lines if (t := self._line(line)) is not None]

    def finish(self, truncated: bool = False) -> Plan:
        """Read the last (unterminated) line and return the whole plan. ``truncated``: the
        output was cut off by its token limit, so that line is a fragment and is dropped (the
        complete tasks before it still run)."""
        rest, self._buffer = self._buffer, ""
        if not truncated:
            self._line(rest)
        return self.plan

    def _line(self, line: str) -> Task | None:
        if self.plan.joined or not line.strip():
            return None
        stripped = line.strip().removesuffix("<END_OF_PLAN>").strip()
        if stripped in (JOIN, "join"):
            self.plan.joined = True
            return None
        if thought := _THOUGHT.match(stripped):
            self._thought = thought.group(1).strip()
            return None
        match = _TASK.match(stripped)
        if match is None:
            if _TASKLIKE.match(stripped):
                self.plan.issues.append(f"cannot read the task line {stripped[:100]!r}: write "
                                        'it as N. tool_name({"arg": value})')
            return None
        task_id, tool_name, raw = int(match.group(1)), match.group(2), match.group(3)
        if tool_name == "join":
            self.plan.joined = True
            return None
        args = parse_args(raw)
        if isinstance(args, str):
            self.plan.issues.append(f"task {task_id}: {args}")
            return None
        task = Task(id=task_id, tool=tool_name, args=args,
                    deps=tuple(sorted(references(args))), thought=self._thought, line=stripped)
        self._thought = ""
        self.plan.tasks.append(task)
        return task


def parse_plan(text: str) -> Plan:
    """Parse a whole plan text (see `PlanParser`)."""
    parser = PlanParser()
    parser.feed(text)
    return parser.finish()


def task_problems(task: Task, earlier: Iterable[int], tools: Sequence[str],
                  all_ids: Iterable[int] | None = None) -> list[str]:
    """What is wrong with ``task`` given the ids written before it. While streaming the later
    ids are unknown (``all_ids`` None); for a finished plan they tell "missing" from "later"."""
    seen = earlier if isinstance(earlier, (set, frozenset)) else set(earlier)
    every = all_ids if all_ids is None or isinstance(all_ids, (set, frozenset)) else set(all_ids)
    problems = []
    if task.id in seen:
        problems.append(f"task {task.id}: the id {task.id} is used twice; number tasks 1, 2, 3…")
    if task.tool not in tools:
        problems.append(f"task {task.id}: unknown tool {task.tool!r}; the tools are "
                        f"{', '.join(tools) or '(none)'}")
    for dep in task.deps:
        if dep == task.id:
            problems.append(f"task {task.id} refers to its own result ${dep}")
        elif dep in seen:
            continue
        elif every is not None and dep not in every:
            problems.append(f"task {task.id} refers to ${dep}, but there is no task {dep}")
        elif every is not None:
            problems.append(f"task {task.id} refers to ${dep}, which comes later in the plan; "
                            "a task may only use results of tasks written before it")
        else:
            problems.append(f"task {task.id} refers to ${dep}, which is not an earlier task")
    return problems


def validate(plan: Plan, tools: Sequence[str]) -> list[str]:
    """Every problem of a finished plan, as messages the planner can act on (empty: valid)."""
    problems = list(plan.issues)
    if not plan.tasks:
        problems.append("the plan has no tasks: write at least one numbered tool call")
    seen: set[int] = set()  # grown as we go: an unconstrained plan may have thousands of lines
    every = {t.id for t in plan.tasks}
    for task in plan.tasks:
        problems += task_problems(task, seen, tools, every)
        seen.add(task.id)
    if cycle := find_cycle(plan.tasks):
        problems.append("tasks " + " -> ".join(map(str, cycle)) + " depend on each other in "
                        "a cycle")
    return problems


def find_cycle(tasks: Sequence[Task]) -> list[int] | None:
    """A dependency cycle as a closed path of ids (``[2, 3, 2]``), or None.

    Depth-first without recursion: a plan written without its grammar may chain thousands of
    tasks, deeper than Python's recursion limit."""
    graph = {t.id: [d for d in t.deps if d != t.id] for t in tasks}
    state: dict[int, int] = {}  # 1: on the current path, 2: done
    for root in graph:
        if root in state:
            continue
        state[root] = 1
        path, pending = [root], [iter(graph[root])]
        while pending:
            for dep in pending[-1]:
                if state.get(dep) == 1:
                    return path[path.index(dep):] + [dep]
                if dep in graph and dep not in state:
                    state[dep] = 1
                    path.append(dep)
                    pending.append(iter(graph[dep]))
                    break
            else:  # every dependency of the path's last node is explored
                pending.pop()
                state[path.pop()] = 2
    return None


# -- grammars ----------------------------------------------------------------------------------

def _with_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's argument schema where every non-string parameter may also be a ``"$N"``
    reference (string parameters already accept references inside their text)."""
    schema = grammar_schema(schema)
    props = schema.get("properties")
    if not isinstance(props, dict):
        return schema
    ref = {"type": "string", "pattern": _REF_PATTERN}
    out = dict(schema)
    out["properties"] = {
        name: prop if isinstance(prop, dict) and prop.get("type") == "string"
        else {"anyOf": [prop, ref]}
        for name, prop in props.items()}
    return out


def plan_grammar(tools: Sequence[ToolSpec], max_tasks: int = MAX_TASKS) -> str:
    """GBNF for a plan over ``tools``: 1..max_tasks numbered task lines, each optionally after
    a ``Thought:`` line, then ``join()``. Tool names come from the registry; arguments follow
    each tool's schema with references allowed (a generic JSON object where a schema cannot be
    compiled)."""
    builder = GrammarBuilder()
    calls = []
    for i, spec in enumerate(tools):
        try:
            args = builder.schema(_with_refs(function_schema(spec)), f"dag-args-{i}")
        except InvalidConstraintError:
            args = builder.schema({"type": "object"}, f"dag-args-{i}")
        calls.append(builder.rule(f"dag-call-{i}", f"{literal(spec.name + '(')} {args} \")\""))
    if not calls:
        raise InvalidConstraintError("a plan needs at least one tool")
    builder.rule("dag-thought", f'"Thought: " [^\\n]{{1,{THOUGHT_MAX_CHARS}}} "\\n"')
    builder.rule("dag-task", 'dag-thought? [1-9] [0-9]? ". " ( ' + " | ".join(calls) + ' ) "\\n"')
    builder.rule("root", f"dag-task{{1,{max_tasks}}} {literal(JOIN)}")
    return _one_line_space(builder.text())


def _one_line_space(gbnf: str) -> str:
    """Whitespace inside a task's JSON stays on its line: the stream is parsed line by line."""
    return re.sub(r"(?m)^space ::= .*$", 'space ::= " "?', gbnf)


def subqueries_grammar(max_items: int = 5) -> str:
    """GBNF for a short numbered list of sub-questions."""
    item = '[1-9] ". " [^\\n]{2,160}'
    return f'root ::= item ( "\\n" item ){{0,{max_items - 1}}}\nitem ::= {item}'


def join_grammar(allow_replan: bool) -> str:
    """GBNF for the joiner: ``Answer: …`` (or ``Replan: …`` when replanning is still allowed)."""
    heads = '"Answer: " | "Replan: "' if allow_replan else '"Answer: "'
    return f'root ::= ( {heads} ) [^\\n]{{1,400}}'


def parse_subqueries(text: str) -> list[str]:
    """The items of a numbered (or bulleted) list, in order."""
    items = []
    for line in clean_text(text).splitlines():  # the items become questions and trace text
        item = re.sub(r"^\s*(\d+\s*[.)]|[-*])\s*", "", line).strip()
        if item:
            items.append(item)
    return items


def tool_docs(tools: Sequence[ToolSpec]) -> str:
    """One line per tool, in registry order (a stable prompt prefix):
    ``name({"arg": type, ...}) - description``; optional arguments are marked."""
    lines = []
    for spec in tools:
        schema = function_schema(spec)
        required = set(schema.get("required", ()))
        parts = []
        for name, prop in (schema.get("properties") or {}).items():
            kind = prop.get("type", "any") if isinstance(prop, dict) else "any"
            if isinstance(kind, list):
                kind = "|".join(map(str, kind))
            optional = "" if name in required else " (optional)"
            parts.append(f'"{name}": {kind}{optional}')
        summary = spec.description.strip().splitlines()[0] if spec.description.strip() else ""
        lines.append(f"- {spec.name}({{{', '.join(parts)}}})" + (f" - {summary}" if summary
                                                                  else ""))
    return "\n".join(lines)
