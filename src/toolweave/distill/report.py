"""`toolweave distill report`: student before, student after, teacher, on the held-out tools.

Every model is scored by the official BFCL checker on the test split of a `build` folder (tasks
whose tools no training row used). The students are asked for the action only (the inference
prompt of mixed-rationale SFT); the teacher is re-run the same way (``teacher_spec``) and/or
read from its `collect` folder, where it was asked for a rationale first (its accuracy is then
the one its training targets had, and its latency includes the rationale it wrote).
Writes ``report.md`` and ``accuracy.png``; each model's run folder resumes like `eval bfcl`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.console import Console

from toolweave.distill.prompting import prompting
from toolweave.eval.bfcl.data import load_tasks
from toolweave.eval.bfcl.predict import Prediction, PredictionStore, Score, score
from toolweave.eval.bfcl.single_turn import run_bfcl
from toolweave.eval.report import write_report
from toolweave.models.base import ChatModel


@dataclass
class ModelRow:
    """Accuracy and cost per call of one model on the test split."""

    category: str  # the row's label (the report helpers' group name)
    spec: str
    tasks: int
    correct: int
    wall_s: float
    completion_tokens: int
    parse_failures: int

    columns: ClassVar[tuple[tuple[str, str], ...]] = (
        ("model", "left"), ("spec", "left"), ("tasks", "right"), ("correct", "right"),
        ("accuracy", "right"), ("s/call", "right"), ("tokens/call", "right"),
        ("unparsed", "right"))

    @property
    def accuracy(self) -> float:
        return self.correct / self.tasks if self.tasks else 0.0

    def cells(self) -> list[str]:
        n = max(self.tasks, 1)
        return [self.category, self.spec, str(self.tasks), str(self.correct),
                f"{100 * self.accuracy:.1f}%", f"{self.wall_s / n:.2f}",
                f"{self.completion_tokens / n:.0f}", str(self.parse_failures)]

    @classmethod
    def of(cls, label: str, spec: str, predictions: Sequence[Prediction],
           scores: Sequence[Score]) -> ModelRow:
        return cls(label, spec, len(scores), sum(s.valid for s in scores),
                   sum(p.wall_s for p in predictions),
                   sum(p.completion_tokens for p in predictions),
                   sum(bool(p.parse_errors or p.error) for p in predictions))


def test_split(data_dir: str | Path) -> tuple[list[str], list[str]]:
    """The held-out task ids of a `build` folder and their categories."""
    manifest = Path(data_dir) / "dataset.json"
    if not manifest.exists():
        raise FileNotFoundError(f"{manifest} not found: run `toolweave distill build` first")
    summary = json.loads(manifest.read_text(encoding="utf-8"))
    ids = list(summary["test_tasks"])
    if not ids:
        raise ValueError(f"{data_dir} has an empty test split: build with a larger "
                         "--test-fraction or collect more tasks")
    categories = list(dict.fromkeys(i.rsplit("_", 1)[0] for i in ids))
    return ids, categories


def report(data_dir: str | Path, out_dir: str | Path, *, student: str | ChatModel,
           distilled: str | ChatModel, teacher_dir: str | Path | None = None,
           teacher_spec: str | ChatModel | None = None,
           console: Console | None = None, show_progress: bool = True) -> list[ModelRow]:
    """Score base student, distilled student and teacher on the test split; write the report."""
    if teacher_dir is None and teacher_spec is None:
        raise ValueError("give the teacher as a collect folder, a model spec, or both")
    console = console or Console()
    ids, categories = test_split(data_dir)
    out = Path(out_dir)
    action = prompting("action")
    rows = []
    runs = [("student before", student), ("student after", distilled)]
    if teacher_spec is not None:
        runs.append(("teacher (action only)", teacher_spec))
    for label, spec in runs:
        spec_name = spec if isinstance(spec, str) else spec.name
        result = run_bfcl(spec, categories, fmt="hermes", constrained=True,
                          out_dir=out / label.replace(" ", "-"), prompting=action,
                          task_ids=ids, console=console, show_progress=show_progress)
        rows.append(ModelRow.of(label, spec_name, result.predictions, result.scores))
    if teacher_dir is not None:
        rows.append(_collected_teacher(Path(teacher_dir), ids, categories))
    notes = [(f"- {len(ids)} test tasks on tools no training row used ({', '.join(categories)}),"
             " scored by the official `bfcl-eval` AST checker"),
             ("- students asked for the action only, decoded under the hermes grammar"
             " (a call is required)"),
             *(["- teacher (action only): re-run the same way as the students"]
               if teacher_spec is not None else []),
             *([(f"- teacher (rationale): its collected trajectories ({teacher_dir}), asked for a"
                " one-line rationale first (the training targets' source)")]
               if teacher_dir is not None else [])]
    write_report(out, rows, "Distillation — held-out tools", notes, console)
    return rows


def _collected_teacher(folder: Path, ids: Sequence[str], categories: Sequence[str]) -> ModelRow:
    found = PredictionStore(folder / "predictions.jsonl").load()
    wanted = set(ids)
    tasks = {t.id: t for c in categories for t in load_tasks(c) if t.id in wanted}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValueError(f"{folder} has no teacher prediction for {len(missing)} test tasks "
                         f"(e.g. {missing[0]}): finish `distill collect` first")
    predictions = [found[i] for i in ids]
    scores = [score(tasks[i], found[i]) for i in ids]
    config = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    return ModelRow.of("teacher (rationale)", str(config.get("model", "?")), predictions,
                       scores)
