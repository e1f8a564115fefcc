"""Fuzz every parser that reads model or server output (issue 18).

    .venv/bin/python bench/fuzz.py [--inputs 100000] [--seed 0] [--targets hermes,dag-plan]
                                   [--slow-s 2] [--failures runs/fuzz-failures.jsonl]

The parsers and their contracts are in ``bench/fuzz_targets.py``: the four tool-call formats
(hermes, openai, glm-xml, plaintext; each unbound and bound to a tool set, on whole and cut-off
turns), the DAG plan parser (whole and streamed, validation, reference substitution), the
Pre-Act plan parser, the tool-argument checks, and the OpenAI-compatible SSE stream decoding.
Each gets ``--inputs`` texts from a seeded mutation generator over the string literals of the
format, plan and tool tests (real model turns and the malformed ones they already cover):
inserted markup and control tokens, lone surrogates, invalid UTF-8 decoded with
surrogateescape, nesting up to 50,000 deep, repetition, splices, cuts; streams also get chunk
fields replaced by values of other types.

A failure is an exception other than the parser's documented error, a result that breaks the
contract (an internal parser error it swallowed, output a trace cannot write), or one input
taking more than ``--slow-s`` seconds of CPU (CPU time, not wall time: on a shared machine
the wall clock also counts other people's work). Prints a table (parser, inputs tried,
exceptions, distinct failure kinds, seconds, slowest input); failing inputs go to
``--failures``; the exit status is 1 when anything failed. CPU-heavy: run it with
``nice -n 10``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))  # bench/ is not a package
from fuzz_targets import TARGETS, Target, check, inputs  # noqa: E402

DEFAULT_INPUTS = 100_000
EXAMPLES_PER_KIND = 3


def failure_kind(exc: BaseException) -> str:
    """Type and the innermost toolweave line it came from: one kind per distinct bug."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "toolweave" in f.filename]
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{where}: {str(exc)[:80]}"


class Result:
    """What fuzzing one target found."""

    def __init__(self, target: Target):
        self.target = target
        self.tried = 0
        self.exceptions = 0
        self.slow = 0
        self.kinds: Counter[str] = Counter()
        self.examples: list[dict[str, str]] = []
        self.seconds = 0.0
        self.slowest_s = 0.0

    @property
    def failures(self) -> int:
        return self.exceptions + self.slow

    def record(self, kind: str, text: str) -> None:
        if self.kinds[kind] < EXAMPLES_PER_KIND:
            self.examples.append({"target": self.target.name, "kind": kind, "input": text})
        self.kinds[kind] += 1


def fuzz(target: Target, count: int, seed: int, slow_s: float, advance) -> Result:
    """Run ``count`` generated inputs through ``target``."""
    result = Result(target)
    generate = inputs(target, random.Random(f"{seed}:{target.name}"))
    started = time.perf_counter()
    for i in range(count):
        text = generate()
        t0 = time.process_time()
        exc = check(target, text)
        took = time.process_time() - t0
        result.tried += 1
        result.slowest_s = max(result.slowest_s, took)
        if exc is not None:
            result.exceptions += 1
            result.record(failure_kind(exc), text)
        elif took > slow_s:
            result.slow += 1
            result.record(f"slow: over {slow_s:g} CPU s ({len(text):,} chars)", text)
        if i % 250 == 249 or i == count - 1:
            advance(i % 250 + 1)
    result.seconds = time.perf_counter() - started
    return result


def table(results: list[Result], count: int) -> Table:
    out = Table(title=f"Fuzzing the parsers of model output ({count:,} inputs each)")
    for column in ("parser", "inputs tried", "exceptions", "slow inputs",
                   "distinct failure kinds", "seconds", "slowest input (CPU ms)"):
        out.add_column(column, justify="left" if column == "parser" else "right")
    for r in results:
        out.add_row(r.target.name, f"{r.tried:,}", str(r.exceptions), str(r.slow),
                    str(len(r.kinds)), f"{r.seconds:.1f}", f"{r.slowest_s * 1000:.0f}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=DEFAULT_INPUTS,
                        help="inputs per parser (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--targets", default="",
                        help="comma-separated parsers (default: all): "
                        + ", ".join(t.name for t in TARGETS))
    parser.add_argument("--slow-s", type=float, default=2.0,
                        help="one input taking more CPU seconds than this is a failure")
    parser.add_argument("--failures", type=Path, default=Path("runs/fuzz-failures.jsonl"),
                        help="where failing inputs are written (only when there are some)")
    args = parser.parse_args(argv)
    wanted = [n for n in args.targets.split(",") if n]
    unknown = set(wanted) - {t.name for t in TARGETS}
    if unknown or args.inputs < 1:
        parser.error(f"unknown parsers {sorted(unknown)}" if unknown else "--inputs must be >= 1")
    targets = [t for t in TARGETS if not wanted or t.name in wanted]

    console = Console(width=max(Console().width, 110))
    results = []
    with Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        for target in targets:
            task = progress.add_task(target.name, total=args.inputs)
            results.append(fuzz(target, args.inputs, args.seed, args.slow_s,
                                lambda n, task=task: progress.advance(task, n)))
    console.print(table(results, args.inputs))

    failed = [r for r in results if r.failures]
    if not failed:
        console.print(f"[green]0 failures over {sum(r.tried for r in results):,} inputs[/]")
        return 0
    for r in failed:
        for kind, n in r.kinds.most_common():
            console.print(f"[red]{r.target.name}[/]: {n} × {kind}", markup=True, highlight=False)
    args.failures.parent.mkdir(parents=True, exist_ok=True)
    with args.failures.open("w", encoding="utf-8") as out:
        for r in failed:
            for example in r.examples:
                out.write(json.dumps(example) + "\n")  # ASCII escapes: surrogates survive
    console.print(f"failing inputs written to {args.failures}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
