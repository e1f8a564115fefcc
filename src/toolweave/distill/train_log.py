"""What a training run shows and keeps: a rich progress bar, ``train_log.jsonl`` (one line per
logged step) and ``loss.png``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def make_callback(log_path: Path, *, progress: bool, console=None):
    """A transformers `TrainerCallback` that appends each logged step to ``log_path`` and, when
    ``progress``, draws a rich progress bar with the current loss. Built here (not at import) so
    that importing toolweave never imports transformers."""
    from transformers import TrainerCallback

    class TrainLog(TrainerCallback):
        def __init__(self):
            self.records: list[dict[str, Any]] = []
            self.bar = None
            self.task = None
            self.start = time.perf_counter()

        def on_train_begin(self, args, state, control, **kwargs):
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log_path.write_text("")
            self.start = time.perf_counter()
            if progress:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                    TimeRemainingColumn,
                )

                self.bar = Progress(TextColumn("[bold]training[/]"), BarColumn(),
                                    MofNCompleteColumn(), TextColumn("{task.description}"),
                                    TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                                    transient=False)
                self.bar.start()
                self.task = self.bar.add_task("", total=state.max_steps)

        def on_step_end(self, args, state, control, **kwargs):
            if self.bar is not None:
                self.bar.update(self.task, completed=state.global_step)

        def on_log(self, args, state, control, logs=None, **kwargs):
            logs = logs or {}
            if "loss" not in logs:
                return  # the end-of-training summary, not a step
            record = {"step": state.global_step, "epoch": round(state.epoch or 0.0, 4),
                      "loss": logs["loss"], "learning_rate": logs.get("learning_rate"),
                      "grad_norm": logs.get("grad_norm"),
                      "token_accuracy": logs.get("mean_token_accuracy"),
                      "seconds": round(time.perf_counter() - self.start, 3)}
            self.records.append(record)
            with open(log_path, "a") as f:
                f.write(json.dumps(record) + "\n")
            if self.bar is not None:
                self.bar.update(self.task, description=f"loss {record['loss']:.4f}")

        def on_train_end(self, args, state, control, **kwargs):
            if self.bar is not None:
                self.bar.update(self.task, completed=state.global_step)
                self.bar.stop()
                self.bar = None

    return TrainLog()


def draw_loss(records: list[dict[str, Any]], path: Path, title: str = "training loss") -> Path:
    """Training loss per step as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    steps = [r["step"] for r in records]
    ax.plot(steps, [r["loss"] for r in records], marker="o" if len(steps) < 40 else None,
            markersize=3, linewidth=1.5)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (completion tokens)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
