"""The `toolweave` command line: argument parsing and printing, nothing else.

Heavy modules (llama_cpp, the agents) are imported inside the commands so `toolweave --help`
stays fast.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from toolweave.errors import ToolweaveError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="toolweave: a small language model, a loop, and tools.")
console = Console()
err_console = Console(stderr=True)

ModelOpt = Annotated[str, typer.Option("--model", "-m", help="default | tiny | file.gguf | distilled/NAME | "
                                       "hf:owner/repo/file.gguf | http://host:port/v1#name")]


def _fail(exc: Exception) -> None:
    err_console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(code=1)


@app.command()
def generate(
    prompt: Annotated[str, typer.Argument(help="The user message.")],
    model: ModelOpt = "default",
    json_schema: Annotated[Optional[Path], typer.Option(help="JSON Schema file the answer must follow.")] = None,  # noqa: E501
    regex: Annotated[Optional[str], typer.Option(help="Regex the whole answer must match.")] = None,
    grammar: Annotated[Optional[Path], typer.Option(help="GBNF grammar file for the answer.")] = None,
    system: Annotated[Optional[str], typer.Option(help="An optional system message.")] = None,
    max_tokens: Annotated[int, typer.Option(help="Upper bound on generated tokens.")] = 256,
    temperature: Annotated[float, typer.Option(help="0 = greedy.")] = 0.0,
    stats: Annotated[bool, typer.Option(help="Print token counts and speed after the answer.")] = True,
) -> None:
    """Stream one answer from a model, optionally constrained by a schema, regex or grammar."""
    from toolweave.types import Constraint, Message

    chosen = [c for c in (json_schema, regex, grammar) if c is not None]
    if len(chosen) > 1:
        _fail(ValueError("give at most one of --json-schema, --regex, --grammar"))
    try:
        constraint = None
        if json_schema is not None:
            constraint = Constraint.json_schema(json.loads(json_schema.read_text()))
        elif regex is not None:
            constraint = Constraint.regex(regex)
        elif grammar is not None:
            constraint = Constraint.grammar(grammar.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        _fail(exc)
    messages = ([Message(role="system", content=system)] if system else []) + [
        Message(role="user", content=prompt)]
    try:
        completion = asyncio.run(_stream(model, messages, constraint, max_tokens, temperature))
    except ToolweaveError as exc:
        _fail(exc)
    if stats:
        u, t = completion.usage, completion.timings
        err_console.print(
            f"[dim]{completion.model}: {u.prompt_tokens} prompt tokens "
            f"({u.prompt_tokens_evaluated} evaluated), {u.completion_tokens} generated, "
            f"first token {t.time_to_first_token_s:.2f}s, {t.tokens_per_s:.1f} tok/s[/]"
        )


async def _stream(spec, messages, constraint, max_tokens, temperature):
    from toolweave.models import load_model

    model = await asyncio.to_thread(load_model, spec)
    completion = None
    async for delta in model.stream(messages, constraint=constraint, max_tokens=max_tokens,
                                    temperature=temperature):
        if delta.text:
            console.print(delta.text, end="", markup=False, highlight=False)
        if delta.completion is not None:
            completion = delta.completion
    console.print()
    return completion


@app.command()
def models() -> None:
    """List the embedded models and whether they are installed."""
    from rich.table import Table

    from toolweave.models.embedded import EMBEDDED

    table = Table("spec", "model", "installed")
    for name, model in EMBEDDED.items():
        try:
            model.path()
            ok = "[green]yes[/]"
        except ToolweaveError as exc:
            ok = f"[red]no[/]: {exc}"
        table.add_row(name, model.title, ok)
    console.print(table)


ToolsOpt = Annotated[Optional[list[str]], typer.Option(
    "--tools", help="Python tools as module:attr (a tool, a function, a list or a registry).")]
McpOpt = Annotated[Optional[list[str]], typer.Option(
    "--mcp", help='An MCP server: "command args" (stdio) or http://host:port/mcp.')]
DocsOpt = Annotated[Optional[Path], typer.Option(
    help="Folder of .md/.txt files for the built-in search_docs tool.")]


PythonOpt = Annotated[bool, typer.Option(
    help="Enable the python tool, which runs code in a bubblewrap sandbox (no network, no view "
         "of your other files, processes or environment); refused where bubblewrap cannot run.")]
PythonUnsandboxedOpt = Annotated[bool, typer.Option(
    help="Enable the python tool WITHOUT a sandbox: the code it runs can read your files and "
         "secrets and use the network. Only for code you would run yourself.")]


def _registry(tools: list[str] | None, docs: Path | None, builtins: bool, python: bool,
              python_unsandboxed: bool = False):
    from toolweave.tools.builtins import builtin_tools
    from toolweave.tools.registry import ToolRegistry, load_tools

    if builtins and python and not python_unsandboxed:
        _check_sandbox()
    registry = builtin_tools(docs_dir=docs, enable_python=python,
                             python_unsandboxed=python_unsandboxed) if builtins else ToolRegistry()
    for spec in tools or []:
        registry.include(load_tools(spec))
    return registry


def _check_sandbox() -> None:
    """Fail before the run, not at the model's first python call, where the sandbox cannot
    start."""
    from toolweave.tools.builtins.sandbox import Sandbox
    from toolweave.tools.errors import SandboxUnavailableError

    problem = Sandbox().problem()
    if problem is not None:
        raise SandboxUnavailableError(problem)


def terminal_confirm(interactive: bool | None = None):
    """The confirmation hook of a terminal run: asks the user before each call to a tool that
    requires confirmation; None (so such calls are refused) when stdin is not a terminal."""
    if not (sys.stdin.isatty() if interactive is None else interactive):
        return None

    async def confirm(call) -> bool:
        args = json.dumps(call.arguments, ensure_ascii=False)
        question = f"[bold yellow]Run {escape(call.name)}({escape(args)})?[/] [y/N] "
        try:
            reply = await asyncio.to_thread(console.input, question)
        except (EOFError, KeyboardInterrupt):
            return False
        return reply.strip().lower() in ("y", "yes")

    return confirm


@app.command()
def run(
    question: Annotated[str | None, typer.Argument(help="The question to answer (none with --resume).")] = None,  # noqa: E501
    model: ModelOpt = "default",
    tools: ToolsOpt = None,
    mcp: McpOpt = None,
    docs: DocsOpt = None,
    builtins: Annotated[bool, typer.Option(help="Include calculator (and search_docs with --docs).")] = True,  # noqa: E501
    python: PythonOpt = False,
    python_unsandboxed: PythonUnsandboxedOpt = False,
    strategy: Annotated[str, typer.Option(help="react | preact | dag | auto")] = "react",
    reasoning: Annotated[str, typer.Option("--effort", help="minimal | low | medium | high | auto")] = "auto",  # noqa: E501
    verbosity: Annotated[Optional[str], typer.Option(help="low | medium | high: how long the final answer is.")] = None,  # noqa: E501
    route_model: Annotated[bool, typer.Option(help="With --strategy auto: one model turn picks the strategy and effort (else a heuristic).")] = False,  # noqa: E501
    format: Annotated[str, typer.Option("--format", help="hermes | openai | glm-xml | plaintext")] = "hermes",  # noqa: E501
    max_steps: Annotated[int, typer.Option(help="Most model turns.")] = 8,
    max_seconds: Annotated[float, typer.Option(help="Wall-clock budget.")] = 300.0,
    constrained: Annotated[bool, typer.Option(help="Decode turns under the format's grammar.")] = True,  # noqa: E501
    tool_choice: Annotated[str, typer.Option(help="auto | first (the first turn must call a tool)")] = "auto",  # noqa: E501
    grounded: Annotated[bool, typer.Option(help="String arguments only from the question and the results (free-text parameters stay free).")] = True,  # noqa: E501
    catalog: Annotated[Optional[Path], typer.Option(help="A tool catalog directory (toolweave tools index): give each question only its top-k tools.")] = None,  # noqa: E501
    top_k: Annotated[int, typer.Option(help="How many retrieved tools with --catalog.")] = 5,
    trace: Annotated[Optional[Path], typer.Option(help="Write the trace here (JSONL, live).")] = None,  # noqa: E501
    session: Annotated[Optional[Path], typer.Option(help="A session file: the question continues that conversation (created if missing).")] = None,  # noqa: E501
    as_json: Annotated[bool, typer.Option("--json", help="Print the trace as JSON only.")] = False,
    allow: Annotated[Optional[list[str]], typer.Option("--allow", help="Allow only this tool (repeat for more): the run sees no other, and a call to another is refused.")] = None,  # noqa: E501
    max_calls_per_turn: Annotated[int, typer.Option(help="Most calls one turn may run; the rest are refused.")] = 8,  # noqa: E501
    resume: Annotated[Path | None, typer.Option(help="Continue the killed (or timed-out) run of this trace file, appending to it: its finished tool calls are not run again; a call left in flight runs again only if its tool is idempotent, else it is reported as of unknown outcome. Give the run's tools (and model); its settings (strategy, format, budgets) are the trace's.")] = None,  # noqa: E501
) -> None:
    """Answer a question with a model and tools, showing each step live (or, with --resume,
    continue a run that was killed). A tool that requires confirmation asks on the
    terminal before each call (refused when not interactive)."""
    from toolweave.agents.settings import RunSettings
    from toolweave.runtime.replay import RunFinished
    from toolweave.trace_view import LiveView, print_result

    if (question is None) == (resume is None):
        _fail(ValueError("give a question, or --resume TRACE to continue a run (not both)"))
    if resume is not None and (trace is not None or session is not None):
        _fail(ValueError("--resume appends to the trace it continues: leave out --trace and "
                         "--session"))
    try:
        settings = RunSettings(
            strategy=strategy, format=format, tool_choice=tool_choice, reasoning=reasoning,
            constrained=constrained, grounded=grounded, max_steps=max_steps,
            max_seconds=max_seconds, top_k=top_k, verbosity=verbosity,
            route_with_model=route_model, allowed_tools=tuple(allow) if allow else None,
            max_calls_per_turn=max_calls_per_turn)
        registry = _registry(tools, docs, builtins, python, python_unsandboxed)
        listeners = [] if as_json else [LiveView(console)]
        if resume is not None:
            result = asyncio.run(_resume_agent(resume, model, registry, mcp or [], settings,
                                               listeners))
        else:
            result = asyncio.run(_run_agent(question, model, registry, mcp or [], settings,
                                            catalog, trace, listeners, session))
    except RunFinished as done:
        # nothing went wrong: there is just nothing left to do
        err_console.print(f"[bold]{escape(str(done))}[/]")
        result = done.trace
    except (ToolweaveError, ValueError, ImportError) as exc:
        _fail(exc)
    if as_json:
        print(result.model_dump_json(indent=2))
    else:
        print_result(console, result)


async def _run_agent(question, model, registry, mcp, settings, catalog, trace_path, listeners,
                     session=None):
    from toolweave.agents import Agent
    from toolweave.tools.mcp import connect_mcp

    async with connect_mcp(mcp) as mcp_tools:  # servers live exactly as long as the run
        registry.include(mcp_tools)
        agent = Agent(model, registry, settings, catalog=catalog, confirm=terminal_confirm())
        if session is not None:
            return await agent.session(session).aask(question, trace_path=trace_path,
                                                      listeners=listeners)
        return await agent.arun(question, trace_path=trace_path, listeners=listeners)


async def _resume_agent(path, model, registry, mcp, settings, listeners):
    from toolweave.agents import Agent
    from toolweave.tools.mcp import connect_mcp

    async with connect_mcp(mcp) as mcp_tools:
        registry.include(mcp_tools)
        agent = Agent(model, registry, settings, confirm=terminal_confirm())
        return await agent.aresume(path, listeners=listeners)


@app.command()
def chat(
    model: ModelOpt = "default",
    tools: ToolsOpt = None,
    mcp: McpOpt = None,
    docs: DocsOpt = None,
    builtins: Annotated[bool, typer.Option(help="Include calculator (and search_docs with --docs).")] = True,  # noqa: E501
    strategy: Annotated[str, typer.Option(help="react | preact | dag | auto")] = "react",
    format: Annotated[str, typer.Option("--format", help="hermes | openai | glm-xml | plaintext")] = "hermes",  # noqa: E501
    max_steps: Annotated[int, typer.Option(help="Most model turns per question.")] = 8,
    session: Annotated[Optional[Path], typer.Option(help="Keep the conversation in this file (continued if it exists).")] = None,  # noqa: E501
) -> None:
    """A conversation in the terminal: each question sees the earlier ones; steps shown live.
    An empty line, "exit" or Ctrl-D ends it."""
    from toolweave.agents.settings import RunSettings
    from toolweave.trace_view import LiveView, print_result

    try:
        settings = RunSettings(strategy=strategy, format=format, max_steps=max_steps)
        registry = _registry(tools, docs, builtins, False)
        asyncio.run(_chat(model, registry, mcp or [], settings, session,
                          lambda trace: print_result(console, trace), LiveView(console)))
    except (ToolweaveError, ValueError, ImportError) as exc:
        _fail(exc)


async def _chat(model, registry, mcp, settings, session, show, view):
    from toolweave.agents import Agent
    from toolweave.tools.mcp import connect_mcp

    async with connect_mcp(mcp) as mcp_tools:
        registry.include(mcp_tools)
        conversation = Agent(model, registry, settings,
                             confirm=terminal_confirm()).session(session)
        if conversation.turns:
            console.print(f"[dim]continuing: {len(conversation.turns)} earlier turns[/]")
        while True:
            try:
                question = (await asyncio.to_thread(console.input, "[bold]you>[/] ")).strip()
            except (EOFError, KeyboardInterrupt):
                break
            if question in ("", "exit", "quit"):
                break
            show(await conversation.aask(question, listeners=[view]))


trace_app = typer.Typer(help="Read traces.", no_args_is_help=True)
app.add_typer(trace_app, name="trace")


@trace_app.command("show")
def trace_show(
    path: Annotated[Path, typer.Argument(help="A trace JSONL file.")],
    timeline: Annotated[Optional[Path], typer.Option(help="Also draw a Gantt chart PNG here.")] = None,  # noqa: E501
) -> None:
    """Print a recorded run step by step (and optionally draw its timeline)."""
    from toolweave.trace_view import print_trace
    from toolweave.types import Trace

    try:
        loaded = Trace.load(path)
    except (OSError, ValueError) as exc:
        _fail(exc)
    print_trace(console, loaded)
    if timeline is not None:
        from toolweave.timeline import draw_timeline

        bars = draw_timeline(loaded, timeline)
        console.print(f"timeline: {timeline} ({len(bars)} bars)")


tools_app = typer.Typer(help="Inspect tools.", no_args_is_help=True)
app.add_typer(tools_app, name="tools")


@tools_app.command("list")
def tools_list(tools: ToolsOpt = None, mcp: McpOpt = None, docs: DocsOpt = None,
               builtins: bool = True, python: PythonOpt = False,
               python_unsandboxed: PythonUnsandboxedOpt = False) -> None:
    """List the tools a run would get, with their parameters."""
    from toolweave.trace_view import tools_table

    async def collect():
        from toolweave.tools.mcp import connect_mcp

        registry = _registry(tools, docs, builtins, python, python_unsandboxed)
        async with connect_mcp(mcp or []) as mcp_tools:
            registry.include(mcp_tools)
            return registry.specs()

    try:
        console.print(tools_table(asyncio.run(collect())))
    except (ToolweaveError, ValueError, ImportError) as exc:
        _fail(exc)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",  # noqa: E501
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8420,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="The default agent's model spec (replaces the config's 'default' model).")] = None,  # noqa: E501
    config: Annotated[Optional[Path], typer.Option(help="A serve config file (YAML or JSON): models, tool sets, agents, keys, limits.")] = None,  # noqa: E501
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
) -> None:
    """Serve agents over HTTP: the run API, OpenAI-compatible chat, and a trace viewer at /."""
    try:
        from toolweave.serve import create_app, load_config

        settings = load_config(config, model=model)
        import uvicorn
    except (ToolweaveError, ImportError) as exc:
        if isinstance(exc, ImportError):
            exc = ImportError(f"{exc} (install the server: pip install 'toolweave[serve]')")
        _fail(exc)
    err_console.print(f"[dim]runs kept in {settings.database_path()}; "
                      f"viewer at http://{host}:{port}/[/]")
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)


def _attach_subcommands() -> None:
    """The sub-commands, one module each (typer only; heavy imports stay inside commands)."""
    from toolweave.cli.bfcl import eval_app
    from toolweave.cli.distill import distill_app
    from toolweave.cli.suite import suite_command
    from toolweave.cli.tools import augment_command, index_command, search_command

    eval_app.command("suite")(suite_command)
    app.add_typer(eval_app, name="eval")
    app.add_typer(distill_app, name="distill")
    tools_app.command("index")(index_command)
    tools_app.command("search")(search_command)
    tools_app.command("augment")(augment_command)


_attach_subcommands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
