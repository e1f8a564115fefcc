"""`toolweave distill build`: keep the teacher's good trajectories, split by tool, write SFT rows.

A trajectory is kept only when the official BFCL checker marks its calls correct, the turn
parsed cleanly, it was not cut off by its token cap, it repeats no call, and it is not over-long.
Every drop is counted by reason in ``dataset.json``.

The split is **by tool**: tasks that share a tool are joined into one group (union-find), and
whole groups go to train or test by a hash of their tools, so no test task uses a tool the
student saw in training. Test tasks are listed whether or not the teacher got them right (the
teacher's accuracy on them is part of the report).

Rows are TRL's conversational prompt-completion format (SFTTrainer computes the loss on the
completion only), plus metadata: the prompt is exactly what `toolweave eval bfcl` sends with
the style's instructions (`prompting.py`), the completion is the turn in the hermes format.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from toolweave.distill.prompting import STYLES, Style, prompting
from toolweave.eval.bfcl.data import BfclTask, load_tasks
from toolweave.eval.bfcl.predict import Prediction, PredictionStore, score, task_messages
from toolweave.formats import get_format
from toolweave.formats.hermes import HermesFormat

TargetStyle = Literal["rationale", "action", "mixed"]
FORMAT = "hermes"


@dataclass(frozen=True)
class FilterRules:
    """What makes a trajectory worth learning from."""

    max_completion_tokens: int = 200  # over-long steps teach rambling
    max_rationale_chars: int = 300


@dataclass
class Verdict:
    """Whether one trajectory is kept, and the first reason it was not."""

    keep: bool
    reason: str = ""


def judge(task: BfclTask, prediction: Prediction, rules: FilterRules = FilterRules()) -> Verdict:
    """Keep ``prediction`` only if it is right by the official checker and clean."""
    if prediction.error is not None:
        return Verdict(False, "model_error")
    if prediction.parse_errors:
        return Verdict(False, "parse_error")
    if prediction.finish_reason == "length":
        return Verdict(False, "truncated")
    if not prediction.output:
        return Verdict(False, "no_call")
    calls = [json.dumps(c, sort_keys=True, default=str) for c in prediction.output]
    if len(set(calls)) != len(calls):
        return Verdict(False, "repeated_call")
    if prediction.completion_tokens > rules.max_completion_tokens:
        return Verdict(False, "too_long")
    if len(rationale_and_calls(task, prediction)[0]) > rules.max_rationale_chars:
        return Verdict(False, "too_long")
    if not score(task, prediction).valid:
        return Verdict(False, "wrong")
    return Verdict(True)


def rationale_and_calls(task: BfclTask, prediction: Prediction) -> tuple[str, str]:
    """The teacher's rationale and its calls re-rendered canonically (one per block)."""
    fmt = get_format(FORMAT, task.tools)
    assert isinstance(fmt, HermesFormat)
    turn = fmt.parse(prediction.text)
    return turn.text.strip(), "\n".join(fmt.render_call(c) for c in turn.calls)


def split_by_tool(tasks: Sequence[BfclTask], test_fraction: float,
                  seed: int = 0) -> tuple[list[BfclTask], list[BfclTask]]:
    """Train and test tasks such that no tool appears in both (groups of tasks that share a
    tool stay together; a group goes to test when the hash of its tools falls under
    ``test_fraction``)."""
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction}")
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for task in tasks:
        names = tool_names(task)
        root = find(names[0])  # registers a task's only tool too
        for other in names[1:]:
            parent[find(other)] = root
    groups: dict[str, list[str]] = {}
    for name in parent:
        groups.setdefault(find(name), []).append(name)
    test_roots = {root for root, names in groups.items()
                  if unit_hash(seed, sorted(names)) < test_fraction}
    train = [t for t in tasks if find(tool_names(t)[0]) not in test_roots]
    test = [t for t in tasks if find(tool_names(t)[0]) in test_roots]
    return train, test


def tool_names(task: BfclTask) -> list[str]:
    """BFCL's names of the functions a task offers (a task with none is its own group)."""
    return [f["name"] for f in task.functions] or [f"<none:{task.id}>"]


def unit_hash(seed: int, names: Sequence[str]) -> float:
    """A number in [0, 1) fixed by ``seed`` and ``names``: a seeded coin."""
    digest = hashlib.sha256(f"{seed}:{'|'.join(names)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def sft_row(task: BfclTask, prediction: Prediction, style: Style) -> dict:
    """One TRL prompt-completion row: the style's prompt, the teacher's turn as the target."""
    rationale, calls = rationale_and_calls(task, prediction)
    target = f"{rationale}\n{calls}" if style == "rationale" and rationale else calls
    messages = task_messages(task, FORMAT, prompting(style).instructions)
    return {"prompt": [{"role": m.role, "content": m.content} for m in messages],
            "completion": [{"role": "assistant", "content": target}],
            "task_id": task.id, "category": task.category, "tools": tool_names(task),
            "style": style}


@dataclass
class BuildSummary:
    """What `build_dataset` wrote (also saved as ``dataset.json``)."""

    style: str
    collected: int
    kept: int
    dropped: dict[str, int]
    train_tasks: list[str]
    test_tasks: list[str]
    train_rows: int
    test_rows: int
    train_tools: int
    test_tools: int
    sources: list[str] = field(default_factory=list)


def build_dataset(sources: Iterable[str | Path], out_dir: str | Path,
                  style: TargetStyle = "mixed", test_fraction: float = 0.2, seed: int = 0,
                  rules: FilterRules = FilterRules(),
                  rationale_share: float = 0.5) -> BuildSummary:
    """Filter the trajectories in the `collect` folders ``sources`` and write ``train.jsonl``,
    ``test.jsonl`` (action style: the inference prompt) and ``dataset.json``.

    ``mixed`` gives each training task one row: with the rationale target for a seeded
    ``rationale_share`` of them, action only for the rest (each row's prompt asks for its
    style, so the student learns both and is asked for the action at inference)."""
    if style not in (*STYLES, "mixed"):
        raise ValueError(f"unknown style {style!r}; expected rationale, action or mixed")
    sources = [Path(s) for s in sources]
    predictions: dict[str, Prediction] = {}
    for source in sources:
        store = PredictionStore(source / "predictions.jsonl")
        if not store.path.exists():
            raise FileNotFoundError(f"{store.path} not found: run `toolweave distill collect` "
                                    "into that folder first")
        predictions.update(store.load())
    tasks = _tasks_for(predictions.values())
    verdicts = {t.id: judge(t, predictions[t.id], rules) for t in tasks}
    train, test = split_by_tool(tasks, test_fraction, seed)
    train_rows = [sft_row(t, predictions[t.id], _style_of(t, style, rationale_share, seed))
                  for t in train if verdicts[t.id].keep]
    test_rows = [sft_row(t, predictions[t.id], "action") for t in test if verdicts[t.id].keep]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _write_jsonl(out / "train.jsonl", train_rows)
    _write_jsonl(out / "test.jsonl", test_rows)
    summary = BuildSummary(
        style=style, collected=len(tasks), kept=sum(v.keep for v in verdicts.values()),
        dropped=dict(Counter(v.reason for v in verdicts.values() if not v.keep)),
        train_tasks=[t.id for t in train], test_tasks=[t.id for t in test],
        train_rows=len(train_rows), test_rows=len(test_rows),
        train_tools=len({n for t in train for n in tool_names(t)}),
        test_tools=len({n for t in test for n in tool_names(t)}),
        sources=[str(s) for s in sources])
    (out / "dataset.json").write_text(json.dumps(summary.__dict__, indent=2) + "\n",
                                      encoding="utf-8")
    return summary


def _style_of(task: BfclTask, style: TargetStyle, rationale_share: float, seed: int) -> Style:
    if style != "mixed":
        return style
    return "rationale" if unit_hash(seed, [task.id]) < rationale_share else "action"


def _tasks_for(predictions: Iterable[Prediction]) -> list[BfclTask]:
    """The BFCL tasks behind ``predictions``, in BFCL's order."""
    wanted: dict[str, set[str]] = {}
    for p in predictions:
        wanted.setdefault(p.category, set()).add(p.id)
    return [t for category, ids in wanted.items() for t in load_tasks(category) if t.id in ids]


def _write_jsonl(path: Path, rows: Sequence[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
