"""Places a question names as where the work happens, and the tool that moves there.

A stateful tool set often has a current place that later calls act in: a file system's working
folder, a shell's directory. A request says where to work ("in the 'Documentation' folder",
"pop over to the Documents directory", "cd into project folder"), and a small model skips the
move: every call after it fails "No such file or directory". Read off the question, the place
is typed by the kind word next to it (folder, directory) and by the preposition or verb before
it: "in", "within", "inside", "go to", "open" name where to work, while "to the 'temp' folder"
or "into a new directory" name a destination, which is not entered.

The move is the one call of a stateful tool that takes just the place (`move_tool`): its only
parameter is named by a place word, and its docs say it changes where the tool set is
("the folder of the directory to change to").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from toolweave.runtime.derived import derived
from toolweave.tools.registry import ToolRegistry
from toolweave.types import ToolSpec

# The kind words a place is named by, each with the words that name the same kind.
PLACE_KINDS = {
    "folder": ("folder", "directory", "dir"),
    "directory": ("directory", "folder", "dir"),
    "dir": ("dir", "directory", "folder"),
}
# Words before a kind word that describe a place rather than name it ("the current folder").
_NOT_NAMES = frozenset("""a an the this that these those my our your their its his her same
current present working new existing parent home root any every each another other given
specified target local whole entire one some which""".split())
# What comes before a place where the work happens: a preposition of being in it, or a verb of
# going to it. "to" / "into" alone name a destination ("move it to the 'temp' folder").
_IN = r"(?:in|within|inside|at)"
_GO = (r"(?:go|goes|going|head|navigate|cd|switch|pop(?:\s+on)?|get|step|change)"
       r"(?:\s+(?:on|over|back|right|directly|straight))*\s+(?:to|into|in|inside|within)")
_OPEN = r"(?:open|enter|access)"
_LEAD = rf"\b(?:{_GO}|{_OPEN}|{_IN})"
_DET = r"(?:\s+(?:the|our|my|your|this|that|a))?"
_QUOTED = r"['\"‘“`]([^'\"’”`\n]{1,60})['\"’”`]"
_BARE = r"([\w./-]+)"
_KIND = r"(?:folder|directory|dir)\b"
_SPELL = r"(?:\s+(?:named|called|titled|labeled|labelled))?"
_PLACE = re.compile(
    rf"{_LEAD}{_DET}\s+(?:{_QUOTED}\s+{_KIND}|{_BARE}\s+{_KIND}|{_KIND}{_SPELL}\s+{_QUOTED})",
    re.IGNORECASE)
# The docs of a tool that moves: it changes / switches / goes to the place
_MOVES = re.compile(r"\b(?:change|changes|switch|switches|go|goes|navigate|navigates|enter)"
                    r"\b[^.]{0,40}\b(?:to|into|in)\b", re.IGNORECASE)


def named_places(question: str) -> list[str]:
    """The places ``question`` names as where to work, in the order named: a quoted or one-word
    name next to a place kind word, after "in", "within", "inside", "open" or a verb of going
    ("go to", "pop over to", "cd into"). Destinations ("copy it to the 'temp' folder") and
    descriptions ("in the current directory") are not places to work in."""
    out: list[str] = []
    for match in _PLACE.finditer(question):
        name = next(g for g in match.groups() if g is not None).strip()
        if name.casefold() in _NOT_NAMES or not name.strip("./-"):
            continue
        if name not in out:
            out.append(name)
    return out


def move_tool(specs: Iterable[ToolSpec], stateful: Iterable[str]) -> tuple[str, str] | None:
    """The stateful tool that moves into a place, and its parameter: one string parameter named
    by a place word ("folder"), in a tool whose docs say it changes to it. None when the tool
    set has no such tool, or more than one (then which place means which is unclear)."""
    stateful = set(stateful)
    found = []
    for spec in specs:
        props = spec.parameters.get("properties", {})
        if spec.name not in stateful or len(props) != 1:
            continue
        (name, schema), = props.items()
        if schema.get("type") != "string" or name.casefold() not in PLACE_KINDS:
            continue
        docs = f"{schema.get('description', '')} {spec.description}"
        if _MOVES.search(docs):
            found.append((spec.name, name))
    return found[0] if len(found) == 1 else None


def tools_move(tools: ToolRegistry) -> tuple[str, str] | None:
    """`move_tool` of a tool set, found once per version of it."""
    return derived(tools, "move_tool", lambda: move_tool(
        tools.specs(), [n for n in tools.names() if tools.stateful(n)]))


def place_move(tools: ToolRegistry, question: str) -> str | None:
    """The tool that moves into the places ``question`` names (`named_places`), if it names
    any and ``tools`` has one."""
    move = tools_move(tools)
    return move[0] if move is not None and named_places(question) else None
