"""Validation of the SFT rows `distill train` consumes (TRL conversational prompt-completion)."""

from __future__ import annotations

import json

import pytest

from toolweave.distill.train_data import check_row, load_rows, train_file
from toolweave.errors import TrainingDataError

PROMPT = [{"role": "system", "content": "tools..."}, {"role": "user", "content": "Weather?"}]
COMPLETION = [{"role": "assistant", "content": "<tool_call>\n{}\n</tool_call>"}]


def test_a_good_row_keeps_only_prompt_and_completion():
    row = {"prompt": PROMPT, "completion": COMPLETION, "task_id": "t1", "tools": ["f"],
           "style": "action", "category": "simple_python"}
    # `tools` must not reach TRL: it would hand the names to the chat template as tool schemas
    assert check_row(row) == {"prompt": PROMPT, "completion": COMPLETION}


@pytest.mark.parametrize("row, message", [
    ([], "must be a JSON object"),
    ({"completion": COMPLETION}, "missing 'prompt'"),
    ({"prompt": PROMPT}, "missing 'completion'"),
    ({"prompt": [], "completion": COMPLETION}, "non-empty list"),
    ({"prompt": "hi", "completion": COMPLETION}, "non-empty list"),
    ({"prompt": [{"role": "robot", "content": "x"}], "completion": COMPLETION}, "unknown role"),
    ({"prompt": [{"role": "user", "content": 3}], "completion": COMPLETION}, "must be a string"),
    ({"prompt": PROMPT + COMPLETION, "completion": COMPLETION}, "must not end with an assistant"),
    ({"prompt": PROMPT, "completion": [{"role": "user", "content": "x"}]}, "only assistant"),
    ({"prompt": PROMPT, "completion": [{"role": "assistant", "content": "  "}]}, "is empty"),
])
def test_bad_rows_say_what_is_wrong(row, message):
    with pytest.raises(TrainingDataError, match=message):
        check_row(row)


def test_load_rows_names_the_file_and_line(tmp_path):
    path = tmp_path / "train.jsonl"
    good = json.dumps({"prompt": PROMPT, "completion": COMPLETION})
    path.write_text(good + "\n\n" + "{not json\n")
    with pytest.raises(TrainingDataError, match=r"train\.jsonl:3: not JSON"):
        load_rows(path)
    path.write_text(good + "\n" + json.dumps({"prompt": PROMPT}) + "\n")
    with pytest.raises(TrainingDataError, match=r"train\.jsonl:2: missing 'completion'"):
        load_rows(path)
    path.write_text("\n")
    with pytest.raises(TrainingDataError, match="no training rows"):
        load_rows(path)


def test_train_file_takes_a_dataset_folder_or_a_file(tmp_path):
    (tmp_path / "train.jsonl").write_text("")
    assert train_file(tmp_path) == tmp_path / "train.jsonl"
    assert train_file(tmp_path / "train.jsonl") == tmp_path / "train.jsonl"
    with pytest.raises(TrainingDataError, match="no training data"):
        train_file(tmp_path / "nowhere")


def test_the_cli_and_model_specs_do_not_import_torch():
    import subprocess
    import sys

    code = ("import sys, toolweave.cli, toolweave.models.spec, toolweave.cli.distill; "
            "print([m for m in ('torch', 'transformers', 'trl', 'peft') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "[]"
