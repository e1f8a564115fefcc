"""Backend benchmark: toolweave's LlamaCpp against raw llama-cpp-python, and the cost of constraints.

    python bench/backends.py [--models tiny,default] [--max-tokens 64] [--repeats 1]

Prints one table: decode tokens/s and time to first token for raw llama-cpp-python
(`create_chat_completion`, streaming), for `LlamaCpp`, and for `LlamaCpp` under a JSON Schema and
a regex constraint, with the ratios the targets are stated in (LlamaCpp/raw >= 0.95; constrained
decoding costs <= 10 %).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from rich.console import Console
from rich.table import Table

from toolweave.models.embedded import EMBEDDED
from toolweave.models.llama_cpp import LlamaCpp
from toolweave.types import Constraint, Message

PROMPTS = [
    "Describe a fictional employee record: name, age, department and a short bio.",
    "Write the details of a book: title, author, year, genre and a one-line summary.",
    "Give a product listing for a coffee grinder with price and features.",
    "Describe the weather in a made-up city: temperature, wind and a forecast note.",
]
SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "details": {"type": "array", "items": {"type": "string"}},
        "score": {"type": "integer"},
        "notes": {"type": "string"},
    },
    "required": ["title", "details", "score", "notes"],
}
REGEX = r"[A-Za-z ,.'0-9-]{20,400}"


def raw_run(llm, prompt: str, max_tokens: int) -> tuple[float, float, int]:
    """Decode tokens/s, time to first token and token count for raw llama-cpp-python."""
    llm.reset()  # like toolweave's first call on a new prompt: no cached prefix
    start = time.perf_counter()
    first, n = None, 0
    for chunk in llm.create_chat_completion([{"role": "user", "content": prompt}],
                                            max_tokens=max_tokens, temperature=0.0, stream=True):
        if chunk["choices"][0]["delta"].get("content"):
            first = first or time.perf_counter()
            n += 1
    end = time.perf_counter()
    return (n - 1) / (end - first) if n > 1 else 0.0, (first or end) - start, n


async def ours_run(model: LlamaCpp, prompt: str, max_tokens: int, constraint=None):
    model.llama.reset()
    c = await model.complete([Message(role="user", content=prompt)], max_tokens=max_tokens,
                             constraint=constraint)
    return c.timings.tokens_per_s, c.timings.time_to_first_token_s, c.usage.completion_tokens


def bench_model(name: str, max_tokens: int, repeats: int) -> dict[str, tuple[float, float]]:
    from llama_cpp import Llama

    spec = EMBEDDED[name]
    ours = LlamaCpp(spec.path(), n_ctx=2048, name=name)
    raw = Llama(model_path=str(spec.path()), n_ctx=2048, n_threads=ours.n_threads,
                n_threads_batch=ours.n_threads, verbose=False)
    rows: dict[str, list[tuple[float, float]]] = {k: [] for k in ("raw", "ours", "json", "regex")}
    variants = {
        "raw": lambda p: raw_run(raw, p, max_tokens),
        "ours": lambda p: asyncio.run(ours_run(ours, p, max_tokens)),
        "json": lambda p: asyncio.run(ours_run(ours, p, max_tokens,
                                               Constraint.json_schema(SCHEMA))),
        "regex": lambda p: asyncio.run(ours_run(ours, p, max_tokens, Constraint.regex(REGEX))),
    }
    for _ in range(repeats):
        # one variant at a time, with a pause between: raw runs on the main thread and toolweave
        # on its model thread, and llama.cpp's OpenMP workers of one keep spinning for a moment
        # after a call, which would slow the other if they alternated token by token
        for name, run in variants.items():
            time.sleep(0.5)
            for prompt in PROMPTS:
                rows[name].append(run(prompt)[:2])
    return {k: (statistics.median(t for t, _ in v), statistics.median(f for _, f in v))
            for k, v in rows.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="tiny,default")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    table = Table(title="LlamaCpp vs raw llama-cpp-python (median over prompts; decode tok/s)")
    for col in ("model", "raw tok/s", "toolweave tok/s", "ratio (>=0.95)", "raw TTFT s",
                "toolweave TTFT s", "json tok/s", "json cost (<=10%)", "regex tok/s",
                "regex cost"):
        table.add_column(col, justify="right")
    for name in args.models.split(","):
        r = bench_model(name.strip(), args.max_tokens, args.repeats)
        base = r["ours"][0]
        table.add_row(
            name, f"{r['raw'][0]:.1f}", f"{base:.1f}", f"{base / r['raw'][0]:.2f}x",
            f"{r['raw'][1]:.3f}", f"{r['ours'][1]:.3f}", f"{r['json'][0]:.1f}",
            f"{1 - r['json'][0] / base:+.0%}", f"{r['regex'][0]:.1f}",
            f"{1 - r['regex'][0] / base:+.0%}",
        )
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
