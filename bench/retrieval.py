"""Tool-retrieval benchmark on BFCL's function docs (from the ``bfcl-eval`` wheel).

The catalog pools every function doc of every BFCL category (deduplicated by name +
description; a name reused with another description becomes ``name#2``). Each task with exactly
one ground-truth function gives a query (its first user message) with a known answer.

A hit is the ground-truth function *name* in the top k (any ``name#n`` variant counts): BFCL
reuses one function name with reworded descriptions across tasks (``get_current_weather`` has
30), and a real catalog holds one tool per name, so which rewording is retrieved does not matter
to the agent. "exact R@5" counts only the very doc the task was given, for comparison.
Reports recall@1/5/10 and MRR@10 for BM25, dense, hybrid (RRF) and hybrid + augmentation
(synthetic queries from ``--augmented FILE``, written by ``--augment MODEL --write-augmented
FILE``; only a subset of tools is augmented, so that row is reported on the subset's tasks),
median and p95 query latency, index build time, the time to load a saved 10,000-tool catalog,
and an estimate of the ambiguity ceiling.

    .venv/bin/python bench/retrieval.py [--cache DIR] [--augmented FILE]
    .venv/bin/python bench/retrieval.py --augment default --every 50 --write-augmented FILE
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from toolweave.retrieval.catalog import ToolCatalog
from toolweave.retrieval.sources import spec_from_definition

console = Console()


def data_dir() -> Path:
    import bfcl_eval

    return Path(bfcl_eval.__file__).parent / "data"


def _lines(path: Path):
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            continue  # e.g. format_sensitivity.json is one pretty-printed object, not tasks


def load_bfcl() -> tuple[list, list[tuple[str, str, str]]]:
    """(catalog specs, [(task id, question, catalog name of its one ground-truth tool)])."""
    data = data_dir()
    names: dict[tuple[str, str], str] = {}  # (name, description) -> catalog name
    specs, taken = [], set()

    def intern(fn: dict, where: str) -> str:
        key = (fn["name"], fn.get("description", ""))
        if key not in names:
            name, n = fn["name"], 1
            while name in taken:
                n += 1
                name = f"{fn['name']}#{n}"
            taken.add(name)
            names[key] = name
            specs.append(spec_from_definition({**fn, "name": name}, where))
        return names[key]

    tasks = []
    for path in sorted(data.glob("BFCL_v4_*.json")) + sorted(data.glob("multi_turn_func_doc/*")):
        answers = {}
        truth = data / "possible_answer" / path.name
        if truth.exists():
            answers = {a["id"]: a["ground_truth"] for a in _lines(truth)}
        for task in _lines(path):
            if "function" not in task and "name" in task:  # multi_turn_func_doc: bare docs
                intern(task, str(path))
                continue
            functions = {}
            for fn in task.get("function") or []:
                functions[fn["name"]] = intern(fn, f"{path.name} {task['id']}")
            gt = answers.get(task.get("id"))
            if not (isinstance(gt, list) and len(gt) == 1 and isinstance(gt[0], dict)):
                continue
            (gt_name,) = gt[0].keys()
            turns = task["question"][0]
            question = next((m["content"] for m in turns if m["role"] == "user"), "")
            if gt_name in functions and question:
                tasks.append((task["id"], question, functions[gt_name]))
    return specs, tasks


def evaluate(catalog: ToolCatalog, tasks, mode: str) -> dict[str, float]:
    """Name-level recall/MRR (see the module doc), exact-doc R@5 and latency percentiles."""
    ranks, latencies, exact = [], [], []
    for _, question, want in tasks:
        start = time.perf_counter()
        hits = catalog.search(question, k=10, mode=mode)
        latencies.append((time.perf_counter() - start) * 1000)
        names = [h.tool.name for h in hits]
        bases = [_base(n) for n in names]
        ranks.append(bases.index(_base(want)) + 1 if _base(want) in bases else None)
        exact.append(want in names[:5])
    n = len(tasks)
    return {
        "R@1": sum(r == 1 for r in ranks) / n,
        "R@5": sum(r is not None and r <= 5 for r in ranks) / n,
        "R@10": sum(r is not None for r in ranks) / n,
        "MRR@10": sum(1 / r for r in ranks if r) / n,
        "exact R@5": sum(exact) / n,
        "p50 ms": statistics.median(latencies),
        "p95 ms": sorted(latencies)[math.ceil(0.95 * n) - 1],  # nearest rank
    }


def ceiling(catalog: ToolCatalog, tasks) -> list[str]:
    """Counts of tasks that no retriever can be sure to get right, with why."""
    import numpy as np

    lines = []
    bases = [_base(s.name) for s in catalog.specs()]
    variants = {b: bases.count(b) for b in set(bases)}
    lines.append(f"{sum(variants[_base(w)] > 1 for _, _, w in tasks)} tasks' function name has "
                 "several reworded docs in the catalog (only 'exact R@5' is hurt by that)")
    asked: dict[str, set[str]] = {}
    for _, q, w in tasks:
        asked.setdefault(q.strip().lower(), set()).add(_base(w))
    lines.append(f"{sum(len(asked[q.strip().lower()]) > 1 for _, q, _ in tasks)} tasks ask the "
                 "very same question as a task whose answer is another function name")
    lines.append(f"{sum(not q.isascii() for _, q, _ in tasks)} tasks are not (only) ASCII text, "
                 "mostly non-English (MiniLM and the BM25 tokenizer are English-only)")
    matrix = catalog._matrix
    if matrix is not None and len(matrix) == len(bases):  # one row per tool: no augmentation
        index = {n: i for i, n in enumerate(catalog._order)}
        base_arr = np.asarray(bases)
        for threshold in (0.95, 0.9):
            twins = {}
            for _, _, w in tasks:
                if w not in twins:
                    sims = matrix @ matrix[index[w]]
                    twins[w] = len(set(base_arr[(sims >= threshold) & (base_arr != _base(w))]))
            one = sum(twins[w] >= 1 for _, _, w in tasks)
            five = sum(twins[w] >= 5 for _, _, w in tasks)
            lines.append(f"{one} tasks' tool doc has a doc of another name at cosine >= "
                         f"{threshold} (R@1 is a coin toss there); {five} have 5 or more "
                         "(R@5 too)")
    return lines


def _base(name: str) -> str:
    """The BFCL function name of a catalog entry (``get_weather#3`` -> ``get_weather``)."""
    return name.split("#")[0]


def build_catalog(specs, cache: Path | None) -> tuple[ToolCatalog, float, str]:
    if cache and (cache / "manifest.json").exists():
        start = time.perf_counter()
        catalog = ToolCatalog.load(str(cache))
        changed = catalog.add(specs)
        catalog.build()
        took = time.perf_counter() - start
        how = f"loaded from {cache} ({changed} changed, {catalog.embed_calls} texts embedded)"
        return catalog, took, how
    start = time.perf_counter()
    catalog = ToolCatalog(specs)
    catalog.build()
    took = time.perf_counter() - start
    if cache:
        catalog.save(str(cache))
    return catalog, took, f"built ({catalog.embed_calls} texts embedded)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/toolweave-bench-bfcl"),
                        help="catalog directory to reuse between runs ('' to disable)")
    parser.add_argument("--augmented", type=Path, metavar="FILE",
                        help="JSON {tool name: [synthetic queries]}: adds hybrid+aug rows")
    parser.add_argument("--augment", metavar="MODEL",
                        help="write synthetic queries with MODEL (see --every) and stop")
    parser.add_argument("--every", type=int, default=50, metavar="N",
                        help="--augment covers the ground-truth tools of every Nth task")
    parser.add_argument("--write-augmented", type=Path, metavar="FILE",
                        default=Path("bench/results/retrieval-augmented.json"))
    parser.add_argument("-n", type=int, default=5, help="synthetic queries per tool")
    parser.add_argument("--limit", type=int, help="only the first N tasks (smoke runs)")
    args = parser.parse_args()
    cache = args.cache if str(args.cache) else None

    specs, tasks = load_bfcl()
    tasks = tasks[:args.limit] if args.limit else tasks
    if args.augment:
        write_augmented(specs, tasks[::args.every], args)
        return
    catalog, build_s, how = build_catalog(specs, cache)
    console.print(f"{len(specs)} tools, {len(tasks)} queries; index {how} in {build_s:.1f}s; "
                  f"{catalog.dense_status}")
    bm25_start = time.perf_counter()
    ToolCatalog(specs, embedder=None).build()
    bm25_build_s = time.perf_counter() - bm25_start

    rows = {mode: evaluate(catalog, tasks, mode) for mode in ("bm25", "dense", "hybrid")}
    for line in ceiling(catalog, tasks):
        console.print(f"ceiling: {line}")
    if args.augmented:
        rows.update(augmented_rows(catalog, tasks, args.augmented))
    print_table(rows, len(specs), len(tasks), build_s, bm25_build_s)
    console.print(f"load a saved 10,000-tool catalog: {load_10k_s(specs):.2f}s "
                  "(median of 3; specs, BM25 index and 384-dim vectors)")


class _RandomVectors:
    """Unit vectors of the MiniLM width: loading time does not depend on what they hold."""

    name, dim = "random-384", 384

    def embed(self, texts):
        import numpy as np

        vectors = np.random.default_rng(len(texts)).standard_normal((len(texts), self.dim))
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def load_10k_s(specs) -> float:
    """Median seconds to load a saved catalog of 10,000 tools (BFCL's docs, renamed copies)."""
    import tempfile

    many = [s.model_copy(update={"name": f"{s.name}@{i // len(specs)}"})
            for i, s in ((i, specs[i % len(specs)]) for i in range(10_000))]
    with tempfile.TemporaryDirectory() as tmp:
        ToolCatalog(many, embedder=_RandomVectors()).save(tmp)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            ToolCatalog.load(tmp, embedder=_RandomVectors())
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def write_augmented(specs, subset, args) -> None:
    """Synthetic queries for the ground-truth tools of ``subset``, written from the tool docs
    alone (the bench questions are never shown to the model), saved as JSON after every tool
    so that an interrupted run keeps what it wrote and a rerun resumes."""
    from toolweave.models import load_model
    from toolweave.retrieval.augment import augment_async

    targets = list(dict.fromkeys(want for _, _, want in subset))
    out = args.write_augmented
    data = json.loads(out.read_text()) if out.exists() else {}
    queries = data.get("queries", {})
    catalog = ToolCatalog(specs, embedder=None)  # augmenting needs no index
    model = load_model(args.augment)
    start = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    for name in targets:
        if name in queries:
            continue
        if asyncio.run(augment_async(catalog, model, args.n, names=[name], progress=False)):
            queries[name] = catalog.queries[name]
            out.write_text(json.dumps({"model": args.augment, "every": args.every,
                                       "queries": queries}, indent=1))
        console.print(f"{len(queries)}/{len(targets)} tools, {time.perf_counter() - start:.0f}s")
    console.print(f"{len(queries)}/{len(targets)} tools augmented with {args.augment} -> {out}")


def augmented_rows(catalog: ToolCatalog, tasks, path: Path) -> dict[str, dict[str, float]]:
    """Hybrid with and without the synthetic queries of ``path``, on the tasks whose tool has
    them (the subset that was augmented), and hybrid+aug on every task."""
    data = json.loads(path.read_text())
    queries = {n: q for n, q in data.get("queries", data).items() if n in catalog}
    subset = [t for t in tasks if t[2] in queries]
    before = evaluate(catalog, subset, "hybrid")
    for name, qs in queries.items():
        catalog.set_queries(name, qs)
    start = time.perf_counter()
    catalog.build()
    console.print(f"augmentation: {len(queries)} tools, "
                  f"{sum(map(len, queries.values()))} queries from {data.get('model', '?')}; "
                  f"{len(subset)} tasks use those tools; re-index {time.perf_counter() - start:.1f}s")
    return {f"hybrid, {len(subset)} aug. tasks": before,
            f"hybrid+aug, {len(subset)} aug. tasks": evaluate(catalog, subset, "hybrid"),
            "hybrid+aug, all tasks": evaluate(catalog, tasks, "hybrid")}


def print_table(rows, n_tools, n_tasks, build_s, bm25_build_s) -> None:
    table = Table(title=f"BFCL tool retrieval: {n_tools} tools, {n_tasks} queries "
                        f"(index build {build_s:.1f}s, BM25 alone {bm25_build_s:.2f}s)")
    table.add_column("retriever")
    columns = ("R@1", "R@5", "R@10", "MRR@10", "exact R@5", "p50 ms", "p95 ms")
    for column in columns:
        table.add_column(column, justify="right")
    for name, metrics in rows.items():
        table.add_row(name, *(f"{metrics[c]:.3f}" if "ms" not in c else f"{metrics[c]:.2f}"
                              for c in columns))
    console.print(table)


if __name__ == "__main__":
    main()
