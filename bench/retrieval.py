"""Tool-retrieval benchmark on BFCL's function docs (from the ``bfcl-eval`` wheel).

The catalog pools every function doc of every BFCL category (deduplicated by name +
description; a name reused with another description becomes ``name#2``). Each task with exactly
one ground-truth function gives a query (its first user message) with a known answer: the very
doc that task was given. Reports recall@1/5/10 and MRR@10 (and "R@5 name": any variant of the
right function name in the top 5, since BFCL reuses names with reworded descriptions) for BM25, dense, hybrid (RRF) and,
with ``--augment MODEL``, hybrid over a catalog augmented with synthetic queries.

    .venv/bin/python bench/retrieval.py [--cache DIR] [--augment tiny --augment-limit 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
    ranks, latencies, named = [], [], []
    for _, question, want in tasks:
        start = time.perf_counter()
        hits = catalog.search(question, k=10, mode=mode)
        latencies.append((time.perf_counter() - start) * 1000)
        names = [h.tool.name for h in hits]
        ranks.append(names.index(want) + 1 if want in names else None)
        named.append(_base(want) in {_base(n) for n in names[:5]})
    n = len(tasks)
    return {
        "R@1": sum(r == 1 for r in ranks) / n,
        "R@5": sum(r is not None and r <= 5 for r in ranks) / n,
        "R@10": sum(r is not None for r in ranks) / n,
        "MRR@10": sum(1 / r for r in ranks if r) / n,
        "R@5 name": sum(named) / n,
        "p50 ms": statistics.median(latencies),
        "p95 ms": sorted(latencies)[int(0.95 * (n - 1))],
    }


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
    parser.add_argument("--augment", metavar="MODEL", help="also run hybrid + augmentation")
    parser.add_argument("--augment-limit", type=int, default=50, metavar="N",
                        help="augment the ground-truth tools of the first N tasks")
    parser.add_argument("-n", type=int, default=5, help="synthetic queries per tool")
    parser.add_argument("--limit", type=int, help="only the first N tasks (smoke runs)")
    args = parser.parse_args()
    cache = args.cache if str(args.cache) else None

    specs, tasks = load_bfcl()
    tasks = tasks[:args.limit] if args.limit else tasks
    catalog, build_s, how = build_catalog(specs, cache)
    console.print(f"{len(specs)} tools, {len(tasks)} queries; index {how} in {build_s:.1f}s; "
                  f"{catalog.dense_status}")
    bm25_start = time.perf_counter()
    ToolCatalog(specs, embedder=None).build()
    bm25_build_s = time.perf_counter() - bm25_start

    rows = {mode: evaluate(catalog, tasks, mode) for mode in ("bm25", "dense", "hybrid")}
    if args.augment:
        rows.update(run_augmented(catalog, tasks, args))
    print_table(rows, len(specs), len(tasks), build_s, bm25_build_s)


def run_augmented(catalog: ToolCatalog, tasks, args) -> dict[str, dict[str, float]]:
    from toolweave.models import load_model
    from toolweave.retrieval.augment import augment_async

    subset = tasks[:args.augment_limit]
    targets = list(dict.fromkeys(want for _, _, want in subset))
    before = evaluate(catalog, subset, "hybrid")
    model = load_model(args.augment)
    start = time.perf_counter()
    done = asyncio.run(augment_async(catalog, model, args.n, names=targets))
    console.print(f"augmented {done}/{len(targets)} tools with {args.augment} in "
                  f"{time.perf_counter() - start:.0f}s")
    catalog.build()
    return {f"hybrid, {len(subset)} augmented tasks": before,
            f"hybrid+aug, {len(subset)} augmented tasks": evaluate(catalog, subset, "hybrid"),
            "hybrid+aug, all": evaluate(catalog, tasks, "hybrid")}


def print_table(rows, n_tools, n_tasks, build_s, bm25_build_s) -> None:
    table = Table(title=f"BFCL tool retrieval: {n_tools} tools, {n_tasks} queries "
                        f"(index build {build_s:.1f}s, BM25 alone {bm25_build_s:.2f}s)")
    table.add_column("retriever")
    columns = ("R@1", "R@5", "R@10", "MRR@10", "R@5 name", "p50 ms", "p95 ms")
    for column in columns:
        table.add_column(column, justify="right")
    for name, metrics in rows.items():
        table.add_row(name, *(f"{metrics[c]:.3f}" if "ms" not in c else f"{metrics[c]:.2f}"
                              for c in columns))
    console.print(table)


if __name__ == "__main__":
    main()
