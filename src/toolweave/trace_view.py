"""Rich renderings of runs: a live step-by-step view while an agent works, and a trace's summary.

Used by the CLI only (entry-point layer); strategies know nothing about terminals.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from toolweave.types import Step, Trace

MAX_SHOWN = 400


def _short(text: str, limit: int = MAX_SHOWN) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + f" … [{len(text) - limit} more chars]"


def print_step(console: Console, step: Step) -> None:
    """One step: thought, calls, observations and the model's timings."""
    c = step.completion
    timing = ""
    if c is not None:
        u, t = c.usage, c.timings
        timing = (f"[dim]{t.total_s:.2f}s, {u.prompt_tokens} prompt tok "
                  f"({u.prompt_tokens_evaluated} evaluated), {u.completion_tokens} generated[/]")
    console.print(f"[bold cyan]step {step.index}[/] [magenta]{step.kind}[/] {timing}")
    if step.error:
        console.print(f"  [red]unreadable turn:[/] {escape(_short(step.error))}")
    if step.thought and step.kind != "answer":
        console.print(f"  [italic]thought:[/] {escape(_short(step.thought))}")
    implied_from = len(step.calls) - step.implied_calls
    for n, (call, obs) in enumerate(zip(step.calls, step.observations)):
        args = json.dumps(call.arguments, ensure_ascii=False)
        took = f"{obs.ended_at - obs.started_at:.2f}s" if obs.started_at else "not run"
        by = " [dim](made by the runtime)[/]" if n >= implied_from else ""
        console.print(f"  [green]→ {escape(call.name)}[/]({escape(_short(args, 200))}) "
                      f"[dim]{took}[/]{by}")
        style = "" if obs.ok else "[red]"
        console.print(f"    {style}{escape(_short(obs.content))}")


def print_result(console: Console, trace: Trace) -> None:
    """The answer (or why there is none) and totals."""
    took = (trace.ended_at - trace.started_at) if trace.ended_at else 0.0
    tokens = sum(s.completion.usage.completion_tokens for s in trace.steps if s.completion)
    if trace.answer is not None:
        console.print(f"\n[bold]answer:[/] {escape(trace.answer)}")
    else:
        console.print(f"\n[bold yellow]no answer[/]: stopped by {trace.stop_reason or 'a crash'}")
    console.print(f"[dim]{len(trace.steps)} steps, {tokens} generated tokens, {took:.1f}s, "
                  f"stop: {trace.stop_reason or '-'}[/]")
    print_in_flight(console, trace)


def print_in_flight(console: Console, trace: Trace) -> None:
    """The calls a run left in flight (a crash, a timeout), and what its last resume did
    with them: run again (idempotent tools) or reported as of unknown outcome."""
    if trace.meta.get("in_flight"):
        console.print("[bold yellow]in flight when the run stopped:[/] "
                      + _calls(trace.meta["in_flight"]))
    resumes = trace.meta.get("resumes") or [{}]
    if resumes[-1].get("rerun"):
        console.print("[dim]resumed: run again (idempotent): "
                      + _calls(resumes[-1]["rerun"]) + "[/]")
    if resumes[-1].get("outcome_unknown"):
        console.print("[bold yellow]resumed: outcome unknown, not repeated:[/] "
                      + _calls(resumes[-1]["outcome_unknown"]))


def _calls(calls: list[dict[str, Any]]) -> str:
    return ", ".join(f"{escape(c['name'])}({escape(_short(json.dumps(c['arguments'])))})"
                     for c in calls)


class LiveView:
    """A recorder listener that prints each step as soon as it is recorded."""

    def __init__(self, console: Console):
        self.console = console

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "start":
            t = event["trace"]
            self.console.print(f"[bold]{escape(t['question'])}[/]  [dim]{t['strategy']} · "
                               f"{escape(t['model'])} · {t['meta'].get('format', '')}[/]")
        elif kind == "resume":
            self.console.print(f"[bold]resuming the run[/]  [dim]{event['replayed_steps']} "
                               "finished steps replayed from its trace[/]")
        elif kind == "step":
            print_step(self.console, Step.model_validate(event["step"]))
        elif kind == "meta" and "retrieved" in event["meta"]:
            self.console.print(f"[dim]retrieved tools: {event['meta']['retrieved']}[/]")


def print_trace(console: Console, trace: Trace) -> None:
    """A whole trace: header, every step, result."""
    LiveView(console)({"event": "start", "trace": trace.model_dump(mode="json")})
    for step in trace.steps:
        print_step(console, step)
    print_result(console, trace)


def tools_table(specs) -> Table:
    table = Table("tool", "kind", "parameters", "description")
    for spec in specs:
        params = ", ".join(spec.parameters.get("properties", {})) if spec.kind == "function" \
            else "input"
        table.add_row(spec.name, spec.kind, params, _short(spec.description, 90))
    return table
