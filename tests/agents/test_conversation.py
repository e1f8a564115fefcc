"""Conversations: history across questions, a session's own stateful tools, the session file,
and the trim policy — with the `Scripted` model."""

from __future__ import annotations

import json

import pytest

from toolweave.agents import Agent
from toolweave.agents.conversation import (
    TRIMMED_RESULT,
    Conversation,
    SessionFileError,
    read_session,
)
from toolweave.models import Scripted
from toolweave.tools.stateful import tools_from_object


class Notebook:
    """A stateful tool set: notes that live as long as the object."""

    def __init__(self):
        self.notes: list[str] = []

    def add_note(self, text: str) -> str:
        """Add a note.

        Args:
            text: What to write down.
        """
        self.notes.append(text)
        return f"note {len(self.notes)} added"

    def list_notes(self) -> str:
        """Every note, one per line."""
        return "\n".join(self.notes) or "no notes"

    def _secret(self) -> str:
        return "private"


def call(tool_name: str, **arguments) -> str:
    return f'<tool_call>\n{json.dumps({"name": tool_name, "arguments": arguments})}\n</tool_call>'


def test_the_public_methods_of_an_object_are_its_tools_bound_to_its_state():
    book = Notebook()
    tools = tools_from_object(book)
    assert sorted(tools.names()) == ["add_note", "list_notes"]
    spec = tools.get("add_note").spec
    assert spec.parameters["required"] == ["text"] and spec.description == "Add a note."
    tools.get("add_note")("milk")
    assert book.notes == ["milk"]
    with pytest.raises(ValueError, match="no public method"):
        tools_from_object(book, include=["add_note", "erase"])


async def test_a_second_question_sees_the_first_turn_and_the_state_it_left(tmp_path):
    book = Notebook()
    model = Scripted([call("add_note", text="milk"), "Noted: milk.",
                      call("list_notes"), "You wrote milk."])
    chat = Agent(model).session(tmp_path / "chat.jsonl", tools=tools_from_object(book))
    first = await chat.aask("Remember to buy milk.")
    second = await chat.aask("What did I ask you to remember?")
    assert (first.answer, second.answer) == ("Noted: milk.", "You wrote milk.")
    assert book.notes == ["milk"]
    assert [o.content for o in second.steps[0].observations] == ["milk"]
    # the second question's first prompt: system, the whole first turn, then the question
    sent = model.calls[2]
    assert sent[0].role == "system"
    assert [m.content for m in sent[1:]] == [
        "Remember to buy milk.", call("add_note", text="milk").strip(),
        "<tool_response>\nnote 1 added\n</tool_response>", "Noted: milk.",
        "What did I ask you to remember?"]
    # the traces name their conversation and link to each other
    link = second.meta["conversation"]
    assert link == {"id": chat.id, "turn": 1, "previous": first.id}
    assert first.meta["conversation"]["previous"] is None


async def test_a_session_file_reloads_every_finished_turn(tmp_path):
    path = tmp_path / "chat.jsonl"
    model = Scripted([call("add_note", text="milk"), "Noted.", "Yes: milk."])
    chat = Agent(model).session(path, tools=tools_from_object(Notebook()))
    await chat.aask("Remember milk.")
    # a session killed while writing its second turn: the torn line is skipped on reload
    with path.open("a") as f:
        f.write('{"turn": {"question": "half wri')
    again = Agent(model).session(path, tools=tools_from_object(Notebook()))
    assert again.id == chat.id
    assert [t.question for t in again.turns] == ["Remember milk."]
    assert again.turns[0].steps[0].calls[0].arguments == {"text": "milk"}
    trace = await again.aask("Did I say milk?")
    assert trace.answer == "Yes: milk."
    assert "Remember milk." in [m.content for m in model.calls[-1]]


def test_a_session_file_of_another_version_or_damaged_is_a_clear_error(tmp_path):
    old = tmp_path / "old.jsonl"
    old.write_text('{"session": 0, "id": "x"}\n')
    with pytest.raises(SessionFileError, match="version 1"):
        read_session(old)
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text('{"session": 1, "id": "x"}\nnot json\n{"turn": {"question": "q"}}\n')
    with pytest.raises(SessionFileError, match="line 2"):
        Conversation(Agent(Scripted([])), damaged)


async def test_history_is_trimmed_oldest_results_first_then_oldest_turns():
    book = Notebook()
    long_note = "x" * 300
    book.notes.append(long_note)
    model = Scripted([call("list_notes"), "One note.", call("list_notes"), "Still one.",
                      "Fine."])
    chat = Agent(model).session(tools=tools_from_object(book), max_history_chars=10_000)
    await chat.aask("List my notes.")
    await chat.aask("List them again.")
    # room for everything: nothing trimmed
    assert chat.history()[1] == {}
    # room for less than both results: the oldest turn's result goes first
    full = sum(len(m.content) for m in chat.history()[0])
    chat.max_history_chars = full - 200
    messages, trimmed = chat.history()
    assert trimmed == {"results": 1}
    assert TRIMMED_RESULT in messages[2].content and long_note not in messages[2].content
    assert long_note in messages[-2].content
    assert "list_notes" in messages[1].content  # the call that made a result stays
    # room for one short turn: every result cut, then the oldest turn left out whole
    chat.max_history_chars = 250
    messages, trimmed = chat.history()
    assert trimmed == {"results": 2, "turns": 1}
    assert messages[0].content == "List them again."
    trace = await chat.aask("Thanks.")
    assert trace.meta["trimmed"] == trimmed
    # the system prompt and the new question are always sent
    assert model.calls[-1][0].role == "system" and model.calls[-1][-1].content == "Thanks."
    chat.max_history_chars = 0
    assert chat.history() == ([], {"results": 2, "turns": 3})


async def test_every_strategy_runs_inside_a_session():
    for strategy, replies in [
        ("react", ["Hello.", "Again."]),
        ("preact", ['{"plan": []}', "Hello.", '{"plan": []}', "Again."]),
    ]:
        model = Scripted(replies)
        chat = Agent(model, strategy=strategy).session(tools=tools_from_object(Notebook()))
        await chat.aask("Hi.")
        trace = await chat.aask("Hi again.")
        assert trace.answer is not None, strategy
        assert "Hi." in [m.content for m in model.calls[-1]], strategy


async def test_a_turns_calls_to_a_stateful_tool_run_in_the_order_written():
    import asyncio

    class Path:
        def __init__(self):
            self.parts: list[str] = []

        async def enter(self, folder: str, wait: float) -> str:
            """Go into a folder.

            Args:
                folder: The folder.
                wait: Seconds the service takes.
            """
            await asyncio.sleep(wait)
            self.parts.append(folder)
            return "/".join(self.parts)

    path = Path()
    model = Scripted([call("enter", folder="a", wait=0.2) + call("enter", folder="b", wait=0.0),
                      "In a/b."])
    trace = await Agent(model, tools_from_object(path)).arun("Go into a, then b.")
    # run side by side, "b" (no wait) would land first
    assert path.parts == ["a", "b"]
    assert [o.content for o in trace.steps[0].observations] == ["a", "a/b"]


async def test_a_stateful_call_asked_again_after_the_state_changed_runs_again():
    from toolweave.runtime.executor import run_calls
    from toolweave.runtime.repeats import RepeatGuard
    from toolweave.types import ToolCall

    class Folder:
        def __init__(self):
            self.files: list[str] = []

        def ls(self) -> str:
            """The files."""
            return " ".join(self.files) or "(empty)"

        def touch(self, name: str) -> str:
            """Make a file.

            Args:
                name: The file's name.
            """
            self.files.append(name)
            return "ok"

    tools, guard = tools_from_object(Folder()), RepeatGuard()
    ls, touch = ToolCall(name="ls"), ToolCall(name="touch", arguments={"name": "a.txt"})
    seen = []
    for calls in ([ls], [ls], [touch], [ls], [ls]):
        seen += [o.content for o in await run_calls(tools, calls, guard)]
    # "ls" again with nothing changed is a repeat, answered from memory; after "touch" it
    # reads a new state and runs; then it is a repeat again
    assert seen[0] == "(empty)" and seen[1].startswith("You already called ls")
    assert seen[2:4] == ["ok", "a.txt"] and seen[4].startswith("You already called ls")
    assert guard.seen['ls{}'].content == "a.txt"  # the latest result is the one remembered
    # a third "ls" is a repeat however the state changed: no "ls", "touch", "ls"… loop
    more = [ToolCall(name="touch", arguments={"name": "b.txt"}), ls]
    assert [o.content for o in await run_calls(tools, more[:1], guard)] == ["ok"]
    assert (await run_calls(tools, more[1:], guard))[0].error == "repeated_call"


async def test_a_turn_whose_stateful_calls_all_failed_ends_with_their_report():
    class Files:
        def __init__(self):
            self.names = ["a.txt"]

        def mv(self, source: str, destination: str) -> dict:
            """Move a file.

            Args:
                source: The file.
                destination: Where to.
            """
            if source not in self.names:
                return {"error": f"mv: cannot move '{source}': No such file or directory"}
            return {"result": "moved"}

        def touch(self, name: str) -> str:
            """Make a file.

            Args:
                name: The file's name.
            """
            self.names.append(name)
            return "ok"

    files = Files()
    model = Scripted([call("mv", source="b.txt", destination="tmp"),
                      "No such file: b.txt was not moved.",
                      call("touch", name="tmp directory")])  # what it would try next
    trace = await Agent(model, tools_from_object(files)).arun("Move b.txt to tmp.")
    assert trace.steps[0].observations[0].error == "reported_error"
    # the run ended there, its answer the failed call's report: no model turn to retell it,
    # and nothing the model guessed next changed the files
    assert [s.kind for s in trace.steps] == ["act"] and len(model.kwargs) == 1
    assert files.names == ["a.txt"] and trace.stop_reason == "stuck"
    assert trace.answer.startswith("- mv(source='b.txt', destination='tmp') failed:")
    assert "No such file or directory" in trace.answer


class Shell:
    """Folders with files, and a current folder that later calls act in."""

    def __init__(self):
        self.tree = {"": ["docs"], "docs": ["a.txt"]}
        self.here = ""

    def cd(self, folder: str) -> str:
        """Change the current directory to a folder.

        Args:
            folder: The folder to change to.
        """
        if folder not in self.tree.get(self.here, []):
            raise FileNotFoundError(f"cd: '{folder}': No such file or directory")
        self.here = folder
        return f"now in {folder}"

    def cat(self, file_name: str) -> str:
        """Show a file of the current directory.

        Args:
            file_name: The file's name.
        """
        if file_name not in self.tree.get(self.here, []):
            raise FileNotFoundError(f"cat: {file_name}: No such file or directory")
        return f"contents of {file_name}"


async def test_the_runtime_moves_into_the_place_the_question_names_before_the_model_acts():
    shell = Shell()
    model = Scripted([call("cat", file_name="a.txt"), call("cat", file_name="a.txt")])
    chat = Agent(model, tools_from_object(shell)).session()
    trace = await chat.aask("Show me 'a.txt' in the 'docs' folder.")
    # the move is the runtime's (no model turn); the model's cat then reads the folder
    assert [[c.name for c in s.calls] for s in trace.steps] == [["cd"], ["cat"], ["cat"]]
    assert trace.steps[0].completion is None and trace.steps[0].implied_calls == 1
    assert shell.here == "docs" and trace.steps[1].observations[0].ok
    # the turn after the move offers no move (a small model copies the one it was shown)
    first, second = (model.kwargs[i]["constraint"].value for i in (0, 1))
    assert '\\"cd\\"' not in first and '\\"cat\\"' in first and '\\"cd\\"' in second
    # a request that only acted is answered by its calls' report, with no answer turn
    assert len(model.kwargs) == 2 and trace.stop_reason == "answer"
    assert "cat(file_name='a.txt') -> contents of a.txt" in trace.answer
    # asked again about the same folder, the move fails (there already): the model is not
    # shown it, and acts where it is
    model.replies += [call("cat", file_name="a.txt"), "Here it is."]
    again = await chat.aask("Show 'a.txt' in the 'docs' folder once more.")
    assert not again.steps[0].observations[0].ok and again.steps[1].calls[0].name == "cat"
    assert "No such file" not in " ".join(m.content for m in model.calls[-2])


async def test_the_place_just_entered_is_not_offered_as_the_next_calls_argument():
    # "go to the docs folder and show a.txt": once in docs, "docs" names no file there (a
    # small model moved or read the folder it had just entered)
    shell = Shell()
    model = Scripted([call("cat", file_name="a.txt"), "Done."])
    trace = await Agent(model, tools_from_object(shell)).arun(
        "Go to the 'docs' folder and show me 'a.txt'.")
    assert shell.here == "docs" and trace.steps[1].observations[0].ok
    after_move = model.kwargs[0]["constraint"].value
    assert '\\"a.txt\\"' in after_move and '\\"docs\\"' not in after_move
