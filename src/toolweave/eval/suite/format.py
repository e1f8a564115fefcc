"""The eval suite file: multi-step tasks with their tools and expected answers and calls.

A suite is YAML (``.yaml``/``.yml``) or JSON lines (``.jsonl``), documented in
``docs/eval-suite.md``. In short::

    name: basic
    docs: ../docs                  # optional: offers search_docs over this folder
    tools:                         # tool definitions shared by the tasks
      - python: mypkg.tools:weather          # Python tools (a Tool, function, list, registry)
      - name: get_stock                      # an inline mock tool with fixed outputs
        parameters: {type: object, properties: {sku: {type: string}}, required: [sku]}
        cases: [{when: {sku: W-1}, output: "12 in stock"}]
        default: "unknown sku"
    tasks:
      - id: calc-1
        question: What is 12 * 7?
        tools: [calculator]
        answer: "84"                         # or a list of acceptable answers
        calls: [{name: calculator, arguments: {expression: "12*7"}}]
        tags: [math]

A JSONL suite holds the same document one object per line: an optional first line
``{"suite": {...everything but tasks...}}``, then one task per line.

Loading checks the structure and says which task and which field is wrong (`SuiteError`);
tool names are checked against the suite's tools by `toolweave.eval.suite.tools`.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from toolweave.errors import ToolweaveError

BUILTIN_TOOLS = ("calculator", "search_docs", "read_file")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class SuiteError(ToolweaveError, ValueError):
    """A suite file that cannot be used: the message names the file, the task and the field."""


class _Strict(BaseModel):
    # A misspelt key (``anwser:``) must fail loudly, not be ignored.
    model_config = ConfigDict(extra="forbid")


class ExpectedCall(_Strict):
    """A tool call the task expects. Listed ``arguments`` must match; others are not checked."""

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class MockCase(_Strict):
    """One canned result: returned when every ``when`` argument matches the call's."""

    when: dict[str, Any] = Field(default_factory=dict)
    output: Any


class MockTool(_Strict):
    """A simulated tool defined in the suite: fixed outputs make a suite self-contained and
    deterministic. The first matching case answers; else ``default``; else an error."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}})
    cases: list[MockCase] = Field(default_factory=list)
    default: Any = None

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(f"tool name {name!r} must be 1-64 letters, digits, '_' or '-'")
        return name

    @field_validator("parameters")
    @classmethod
    def _valid_schema(cls, schema: dict[str, Any]) -> dict[str, Any]:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise ValueError(f"not a valid JSON Schema: {exc.message}") from None
        if schema.get("type", "object") != "object":
            raise ValueError("a tool's parameters must be a JSON Schema of type object")
        return schema


class PythonTools(_Strict):
    """Python tools imported from ``module:attr`` (a Tool, a function, a list or a registry)."""

    python: str


def _tool_kind(value: Any) -> str:
    # Called on the raw input when validating and on the model when serialising.
    if isinstance(value, str):
        return "named"
    if isinstance(value, PythonTools) or (isinstance(value, dict) and "python" in value):
        return "python"
    return "mock"


# Tagged unions: a broken definition is reported against the one kind it is, not against
# every kind pydantic could have tried.
ToolDefinition = Annotated[Annotated[MockTool, Tag("mock")] | Annotated[PythonTools, Tag("python")],
                           Discriminator(_tool_kind)]
TaskTool = Annotated[Annotated[str, Tag("named")] | Annotated[MockTool, Tag("mock")],
                     Discriminator(_tool_kind)]
_TAGS = {"named", "mock", "python"}


class SuiteTask(_Strict):
    """One question with the tools it may use and what a right run looks like."""

    id: str
    question: str
    tools: list[TaskTool] | None = None  # None: every tool the suite has
    answer: list[str] | None = None  # acceptable final answers (a single one is a list of 1)
    calls: list[ExpectedCall] | None = None
    ordered_calls: bool = False  # expected calls must occur in this order
    # the fewest tool calls a right run needs; reports compare the calls made against it.
    # It changes no run, so (like `answer`) it is no part of the run's fingerprint.
    min_calls: int | None = Field(default=None, ge=0)
    tags: list[str] = Field(default_factory=list)

    @field_validator("id", "question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("answer", mode="before")
    @classmethod
    def _answers(cls, value: Any) -> Any:
        # YAML reads `answer: 84` as a number; answers are compared as text.
        if value is None:
            return None
        values = value if isinstance(value, list) else [value]
        if not values:
            raise ValueError("give at least one acceptable answer")
        if any(isinstance(v, (dict, list)) or v is None for v in values):
            raise ValueError("answers are strings (or numbers), one or a list of them")
        return [v if isinstance(v, str) else json.dumps(v) for v in values]

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _expects_something(self) -> SuiteTask:
        if self.answer is None and self.calls is None:
            raise ValueError("give an expected 'answer', expected 'calls', or both")
        # a passing run makes every expected call (and none for `calls: []`)
        if self.min_calls is not None and self.calls is not None and (
                self.min_calls < len(self.calls) or (not self.calls and self.min_calls)):
            raise ValueError(f"min_calls {self.min_calls} disagrees with the {len(self.calls)} "
                             "expected calls")
        return self

class Suite(_Strict):
    """A named set of tasks and the tools they share."""

    name: str = ""
    description: str = ""
    docs: Path | None = None  # search_docs over this folder (relative to the suite file)
    files: Path | None = None  # read_file inside this folder (relative to the suite file)
    tools: list[ToolDefinition] = Field(default_factory=list)
    tasks: list[SuiteTask]

    @model_validator(mode="after")
    def _unique(self) -> Suite:
        seen: set[str] = set()
        for task in self.tasks:
            if task.id in seen:
                raise ValueError(f"task id {task.id!r} is used twice")
            seen.add(task.id)
        names = [t.name for t in self.tools if isinstance(t, MockTool)]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"tool {twice[0]!r} is defined twice")
        return self

    def fingerprint(self, task: SuiteTask) -> str:
        """A short hash of what ``task``'s run depends on: its question and tools, and the
        suite's tools and folders. A stored run whose fingerprint differs is stale; a changed
        answer or expected calls only changes the score, so it does not count."""
        parts = [task.question, [t if isinstance(t, str) else t.model_dump(mode="json")
                                 for t in task.tools] if task.tools is not None else None,
                 [t.model_dump(mode="json") for t in self.tools], str(self.docs),
                 str(self.files)]
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:12]

    def tags(self) -> list[str]:
        """Every tag, in first-seen order."""
        return list(dict.fromkeys(tag for task in self.tasks for tag in task.tags))


def load_suite(path: str | Path) -> Suite:
    """Read and check a suite file; relative ``docs``/``files`` are resolved against it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SuiteError(f"cannot read suite {path}: {exc.strerror or exc}") from None
    data = _parse(path, text)
    try:
        suite = Suite.model_validate(data)
    except ValidationError as exc:
        raise SuiteError(f"{path}: {_explain(exc, data)}") from None
    for field in ("docs", "files"):
        folder = getattr(suite, field)
        if folder is not None:
            folder = folder if folder.is_absolute() else (path.parent / folder).resolve()
            if not folder.is_dir():
                raise SuiteError(f"{path}: {field}: folder {folder} does not exist")
            setattr(suite, field, folder)
    return suite


def _parse(path: Path, text: str) -> dict[str, Any]:
    if path.suffix == ".jsonl":
        return _parse_jsonl(path, text)
    if path.suffix not in (".yaml", ".yml", ".json"):
        raise SuiteError(f"{path}: a suite is .yaml, .yml, .json or .jsonl")
    import yaml  # JSON is YAML too

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SuiteError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SuiteError(f"{path}: a suite is a mapping with a 'tasks' list")
    return data


def _parse_jsonl(path: Path, text: str) -> dict[str, Any]:
    header: dict[str, Any] = {}
    tasks = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SuiteError(f"{path}:{number}: not valid JSON: {exc.msg}") from None
        if not isinstance(item, dict):
            raise SuiteError(f"{path}:{number}: each line is a JSON object")
        if "suite" in item and not tasks and not header:
            header = item["suite"]
            if not isinstance(header, dict) or "tasks" in header:
                raise SuiteError(f"{path}:{number}: 'suite' holds the suite's fields, "
                                 "without 'tasks'")
        else:
            tasks.append(item)
    return {**header, "tasks": tasks}


def _explain(exc: ValidationError, data: dict[str, Any]) -> str:
    """The first error, as ``task 3 (id 'calc-2'): calls[0].name: Field required``."""
    error = exc.errors()[0]
    loc = list(error["loc"])
    where = ""
    if len(loc) >= 2 and loc[0] == "tasks" and isinstance(loc[1], int):
        index = loc[1]
        raw = data.get("tasks", [])[index] if index < len(data.get("tasks", [])) else {}
        ident = raw.get("id") if isinstance(raw, dict) else None
        where = f"task {index + 1}" + (f" (id {ident!r})" if ident else "")
        loc = loc[2:]
    # pydantic names the union member it tried; that is noise to a suite author
    parts = [p for p in loc if not (isinstance(p, str) and (p in _TAGS or "[" in p))]
    field = ""
    for part in parts:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    message = error["msg"].removeprefix("Value error, ")
    return ": ".join(p for p in (where, field, message) if p)
