"""Behaviour of the built-in tools: calculator, search_docs, read_file, python."""

import asyncio
import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolweave.tools.builtins import (
    DocsIndex,
    builtin_tools,
    calculator,
    make_python,
    make_read_file,
    make_search_docs,
)
from toolweave.tools.builtins.calculator import evaluate
from toolweave.tools.builtins.sandbox import Sandbox
from toolweave.tools.builtins.search_docs import split_passages
from toolweave.types import ToolCall

DOCS = Path(__file__).resolve().parents[2] / "examples" / "docs"


async def run(t, **arguments):
    return await t.invoke(ToolCall(name=t.name, arguments=arguments))


# --- calculator -------------------------------------------------------------------------------

@pytest.mark.parametrize("expression, expected", [
    ("3 * 365", "1095"),
    ("(1 + 2) * -3", "-9"),
    ("7 // 2 + 7 % 2", "4"),
    ("10 / 4", "2.5"),
    ("2 ** 10", "1024"),
    ("2 ^ 10", "1024"),
    ("-2 ** 2", "-4"),
    ("0.1 + 0.2", "0.3"),
    ("sqrt(16) + abs(-2)", "6"),
    ("round(pi, 3)", "3.142"),
    ("max(1, 5, 3) - min(4, 2)", "3"),
    ("log(e)", "1"),
    ("log(8, 2)", "3"),
    ("sin(0) + cos(0)", "1"),
    ("10 ** 100", str(10 ** 100)),
])
async def test_calculator_results(expression, expected):
    obs = await run(calculator, expression=expression)
    assert obs.ok, obs.content
    assert obs.content == expected


@pytest.mark.parametrize("expression, message", [
    ("__import__('os')", "unsupported: the function '__import__'"),
    ("().__class__", "unsupported"),
    ("calculator.__globals__", "unsupported"),
    ("open('/etc/passwd').read()", "unsupported"),
    ("[x for x in range(10)]", "unsupported"),
    ("lambda: 1", "unsupported"),
    ("x", "unsupported: the name 'x'"),
    ("'a' * 3", "unsupported: the value 'a'"),
    ("True + 1", "unsupported"),
    ("sqrt(x=4)", "unsupported"),
    ("2 ** 100000", "exponent 100000 is too large"),
    ("9 ** 9999 ** 2", "too large"),
    ("(10 ** 4000) ** 9999", "too large"),
    ("10 ** 5000", "too large"),
    ("2.5 ** 9999", "too large"),
    ("exp(1000)", "too large"),
    ("sqrt(-1)", "sqrt(-1) is undefined"),
    ("log(0)", "log(0) is undefined"),
    ("(-8) ** 0.5", "complex"),
    ("sqrt(1, 2)", "bad function call"),
    ("1 +", "not a valid arithmetic expression"),
    ("1" * 600, "longer than 500"),
])
async def test_calculator_refusals(expression, message):
    obs = await run(calculator, expression=expression)
    assert not obs.ok and obs.error == "ValueError"
    assert message in obs.content


async def test_calculator_division_by_zero():
    for expression in ("1 / 0", "5 // (2 - 2)", "3 % 0"):
        obs = await run(calculator, expression=expression)
        assert not obs.ok and obs.error == "ZeroDivisionError"
        assert "division by zero" in obs.content


@given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6))
def test_calculator_agrees_with_python_on_integers(a, b):
    assert evaluate(f"{a} + {b} * 3 - ({a})") == a + b * 3 - a
    if b:
        assert evaluate(f"{a} // {b}") == a // b
        assert math.isclose(evaluate(f"{a} / {b}"), a / b)


# --- search_docs ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def docs_index():
    return DocsIndex(DOCS)


@pytest.mark.parametrize("query, file", [
    ("How long is the warranty on the Acme Widget Pro?", "warranty.md"),
    ("factory reset", "troubleshooting.md"),
    ("error E7 channel switches off", "troubleshooting.md"),
    ("how much does the Widget Mini cost", "pricing.md"),
    ("Acme Cloud subscription per year", "pricing.md"),
    ("battery backup hours", "specifications.md"),
    ("what is in the box", "overview.md"),
])
def test_search_finds_the_right_file(docs_index, query, file):
    hits = docs_index.search(query, k=3)
    assert hits and hits[0].passage.file == file
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_search_respects_k_and_reports_no_match(docs_index):
    assert len(docs_index.search("widget", k=2)) == 2
    assert docs_index.search("zyxxy qwop", k=3) == []
    assert docs_index.search("the of and", k=3) == []


def test_index_is_built_once(docs_index):
    passages = docs_index.passages
    docs_index.search("warranty")
    assert docs_index.passages is passages
    assert all(len(p.text) <= 800 for p in passages)


async def test_search_docs_tool_answers_with_file_names():
    search_docs = make_search_docs(DOCS)
    assert search_docs.name == "search_docs"
    obs = await run(search_docs, query="warranty Widget Pro", k=1)
    assert obs.ok
    assert obs.content.startswith("[1] warranty.md § Warranty periods")
    assert "Acme Widget Pro: 3 years" in obs.content and "[2]" not in obs.content
    none = await run(search_docs, query="zyxxy")
    assert none.ok and "No passages match" in none.content
    bad_k = await run(search_docs, query="x", k=50)
    assert not bad_k.ok and "`k`" in bad_k.content


def test_search_docs_needs_an_existing_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        make_search_docs(tmp_path / "nope")


_word = st.text(alphabet="abcdefghij", min_size=1, max_size=12)
_block = st.one_of(
    st.tuples(st.just("heading"), _word),
    st.tuples(st.just("text"), st.lists(_word, min_size=1, max_size=60).map(" ".join)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_block, min_size=1, max_size=12), st.integers(20, 200))
def test_passages_fit_and_lose_no_text(blocks, max_chars):
    text = "\n\n".join(f"# {b}" if kind == "heading" else b for kind, b in blocks)
    passages = split_passages(text, "f.md", max_chars)
    assert all(0 < len(p.text) <= max_chars for p in passages)
    body = "".join(b for kind, b in blocks if kind == "text")
    assert re.sub(r"\s", "", "".join(p.text for p in passages)) == re.sub(r"\s", "", body)


# --- read_file --------------------------------------------------------------------------------

@pytest.fixture
def root(tmp_path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("alpha")
    (root / "sub" / "b.md").write_text("# beta")
    (tmp_path / "secret.txt").write_text("top secret")
    (root / "escape").symlink_to(tmp_path / "secret.txt")
    (root / "escape_dir").symlink_to(tmp_path)
    (root / "alias.txt").symlink_to(root / "a.txt")
    return root


@pytest.fixture
def read_file(root):
    return make_read_file(root, max_bytes=1000)


async def test_read_file_reads_inside_root(read_file):
    assert (await run(read_file, path="a.txt")).content == "alpha"
    assert (await run(read_file, path="sub/b.md")).content == "# beta"
    assert (await run(read_file, path="sub/../a.txt")).content == "alpha"
    assert (await run(read_file, path="alias.txt")).content == "alpha"


@pytest.mark.parametrize("path", [
    "../secret.txt", "sub/../../secret.txt", "escape", "escape_dir/secret.txt",
    "/etc/passwd", "~/../../etc/passwd",
])
async def test_read_file_refuses_escapes(read_file, path):
    obs = await run(read_file, path=path)
    assert not obs.ok and obs.error == "PermissionError"
    assert "outside the folder" in obs.content
    assert "top secret" not in obs.content


async def test_read_file_absolute_path_to_outside_file(read_file, root):
    obs = await run(read_file, path=str(root.parent / "secret.txt"))
    assert not obs.ok and "outside" in obs.content


async def test_read_file_missing_file_lists_the_folder(read_file):
    obs = await run(read_file, path="sub/c.md")
    assert not obs.ok and obs.error == "FileNotFoundError"
    assert "b.md" in obs.content


async def test_read_file_on_a_folder_lists_it(read_file):
    obs = await run(read_file, path=".")
    assert obs.ok and "a.txt" in obs.content and "sub/" in obs.content


async def test_read_file_caps_size_and_refuses_binary(read_file, root):
    (root / "big.txt").write_text("y" * 5000)
    (root / "blob.bin").write_bytes(b"\x00\x01\x02" * 10)
    big = await run(read_file, path="big.txt")
    assert big.ok and big.content.startswith("y" * 1000)
    assert big.content.endswith("[file cut at 1,000 of 5,000 bytes]")
    blob = await run(read_file, path="blob.bin")
    assert not blob.ok and "binary" in blob.content


# --- python -----------------------------------------------------------------------------------
# Each runs sandboxed (skipped, saying why, where bubblewrap cannot run) and unsandboxed;
# escape attempts are in test_python_sandbox.py.

SANDBOX_PROBLEM = Sandbox().problem()


@pytest.fixture(params=[
    pytest.param(False, id="sandboxed", marks=pytest.mark.skipif(
        SANDBOX_PROBLEM is not None, reason=f"no sandbox here: {SANDBOX_PROBLEM}")),
    pytest.param(True, id="unsandboxed"),
])
def unsandboxed(request):
    return request.param


async def test_python_runs_code(unsandboxed):
    python = make_python(unsandboxed=unsandboxed, timeout_s=5)
    obs = await run(python, code="import sys\nprint(sum(range(10)))\nprint('err', file=sys.stderr)")
    assert obs.ok and obs.content == "45\nerr\n"
    quiet = await run(python, code="x = 1")
    assert quiet.ok and "printed nothing" in quiet.content


async def test_python_error_exit_returns_the_traceback(unsandboxed):
    obs = await run(make_python(unsandboxed=unsandboxed, timeout_s=5), code="print('before')\n1/0")
    assert not obs.ok and obs.error == "PythonExecError"
    assert obs.content.startswith("PythonExecError: exit code 1\nbefore")
    assert "ZeroDivisionError" in obs.content


async def test_python_infinite_loop_times_out(unsandboxed):
    obs = await run(make_python(unsandboxed=unsandboxed, timeout_s=1), code="while True:\n    pass")
    assert not obs.ok and obs.error == "TimeoutError"
    assert "longer than 1 s" in obs.content
    assert obs.ended_at - obs.started_at < 5


async def test_python_memory_hog_fails_cleanly(unsandboxed):
    obs = await run(make_python(unsandboxed=unsandboxed, timeout_s=5, memory_mb=128),
                    code="blocks = []\nwhile True:\n    blocks.append(bytearray(10**7))")
    assert not obs.ok and obs.error == "PythonExecError"
    assert "MemoryError" in obs.content


async def test_python_output_flood_is_capped(unsandboxed):
    obs = await run(make_python(unsandboxed=unsandboxed, timeout_s=5, max_output_chars=1000),
                    code="print('z' * 10**7)")
    assert obs.ok and obs.truncated_chars > 0 and len(obs.content) < 1100


async def test_python_is_killed_when_cancelled(unsandboxed):
    python = make_python(unsandboxed=unsandboxed, timeout_s=30)
    task = asyncio.create_task(run(python, code="import time\ntime.sleep(30)"))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# --- builtin_tools ----------------------------------------------------------------------------

def test_builtin_tools_composition(tmp_path):
    assert builtin_tools().names() == ["calculator"]
    full = builtin_tools(docs_dir=DOCS, files_root=tmp_path, enable_python=True)
    assert full.names() == ["search_docs", "read_file", "calculator", "python"]
    assert "python" not in builtin_tools(docs_dir=DOCS, files_root=tmp_path)


async def test_demo_question_needs_search_then_calculator():
    tools = builtin_tools(docs_dir=DOCS)
    found = await tools.invoke(ToolCall(name="search_docs",
                                        arguments={"query": "warranty Acme Widget Pro"}))
    years = int(re.search(r"Widget Pro: (\d+) years", found.content).group(1))
    days = await tools.invoke(ToolCall(name="calculator",
                                       arguments={"expression": f"{years} * 365"}))
    assert days.content == "1095"
