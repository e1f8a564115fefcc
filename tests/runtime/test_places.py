"""Places a question names as where to work, and the tool that moves into one."""

from __future__ import annotations

import pytest

from toolweave.runtime.places import move_tool, named_places
from toolweave.types import ToolSpec


@pytest.mark.parametrize(("question", "places"), [
    ("I should have a document called 'FinalReport.txt' in the 'Documentation' folder.",
     ["Documentation"]),
    ("Pop on over to the 'Documents' directory and craft a new file dubbed 'summary.txt'",
     ["Documents"]),
    ("In documents directory, there's a file that piques my curiosity.", ["documents"]),
    ("Please cd into project folder and read the report.", ["project"]),
    ("Directly open the academic_venture folder and make a directory.", ["academic_venture"]),
    ("Go to workspace directory and move 'log.txt' into a new directory 'archive'.",
     ["workspace"]),
    # where to work, not the destination ("to the 'Archives' directory")
    ("Copy 'a.txt' to the 'Archives' directory inside the 'Documentation' folder.",
     ["Documentation"]),
    ("Look inside the directory named 'reports' for the log.", ["reports"]),
])
def test_a_place_to_work_in_is_named_by_its_kind_word_and_what_comes_before(question, places):
    assert named_places(question) == places


@pytest.mark.parametrize("question", [
    "Move 'final.pdf' to the 'temp' directory.",                 # a destination
    "Transfer a duplicate of 'a.txt' over to the archives folder.",  # a destination, too
    "Copy the images into a 'backup_tests' folder.",
    "Find every file named 'test.txt' in the current directory.",   # a description
    "Create it in a new directory, please.",
    "Which folder holds the report?",                                # no place named
    "What is the weather in Paris?",
])
def test_destinations_and_descriptions_are_no_places_to_work_in(question):
    assert named_places(question) == []


def _spec(name: str, description: str, **params: dict) -> ToolSpec:
    return ToolSpec(name=name, description=description,
                    parameters={"type": "object", "properties": params,
                                "required": list(params)})


CD = _spec("cd", "Change the current working directory to the specified folder.",
           folder={"type": "string", "description": "The folder of the directory to change to."})
MKDIR = _spec("mkdir", "Create a new directory in the current directory.",
              dir_name={"type": "string", "description": "The name of the new directory."})
RMDIR = _spec("rmdir", "Remove a folder.",
              folder={"type": "string", "description": "The folder to remove."})


def test_the_move_is_the_stateful_tool_of_one_place_parameter_that_changes_to_it():
    names = ["cd", "mkdir", "rmdir"]
    assert move_tool([MKDIR, CD, RMDIR], names) == ("cd", "folder")
    # a tool that only looks like it (not stateful) moves nothing that later calls see
    assert move_tool([MKDIR, CD], ["mkdir"]) is None
    # a folder parameter alone is no move ("remove a folder"); two moves are ambiguous
    assert move_tool([RMDIR], names) is None
    other = CD.model_copy(update={"name": "chdir"})
    assert move_tool([CD, other], ["cd", "chdir"]) is None
