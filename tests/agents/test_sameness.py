"""Sameness: "are A and B in the same imprint?" answered by comparing the values found."""

from __future__ import annotations

import json

from toolweave.agents import Agent
from toolweave.agents.sameness import asks_same, sameness
from toolweave.models import Scripted
from toolweave.tools import tool
from toolweave.types import Observation, ToolCall

ALBUMS = {"Wiafox Bloom": "Polei Fopuwiaberg", "Seishor Nights": "Stospis Peiduson",
          "Kelp Hours": "Doxzir Sirtriberg"}
IMPRINTS = {"Polei Fopuwiaberg": "Fuxwus Records", "Stospis Peiduson": "Fuxwus Records",
            "Doxzir Sirtriberg": "Lanthor Sound"}


@tool
def album_record(album_title: str) -> str:
    """Look up one album; returns its style and its artist."""
    return json.dumps({"name": album_title, "style": "metal", "artist": ALBUMS[album_title]})


@tool
def artist_record(artist_name: str) -> str:
    """Look up one artist; returns the imprint they are signed to."""
    return json.dumps({"name": artist_name, "imprint": IMPRINTS[artist_name]})


def call(name: str, **arguments) -> str:
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": arguments})}\n</tool_call>'


def made(name: str, arguments: dict, content: str) -> tuple[ToolCall, Observation]:
    return (ToolCall(name=name, arguments=arguments),
            Observation(call_id="x", tool=name, ok=True, content=content))


def test_a_yes_or_no_question_about_a_shared_kind_is_read():
    assert asks_same("Are the artists of A and B in the same imprint? Answer yes or no.") == \
        ("imprint", True)
    assert asks_same("Do Ann and Bo work in different departments?") == ("department", False)
    assert asks_same("Which imprint is the same as Bo's?") is None  # no yes or no
    assert asks_same("Is Ann's office in Oslo?") is None


def test_the_values_of_the_kind_are_compared():
    question = "Are the artists of Wiafox Bloom and Seishor Nights in the same imprint?"
    results = [made("album_record", {"album_title": a}, album_record(a)) for a in
               ("Wiafox Bloom", "Seishor Nights")]
    # the albums name no imprint: nothing to compare yet
    assert sameness(question, results, {}) is None
    results += [made("artist_record", {"artist_name": n}, artist_record(n))
                for n in ("Polei Fopuwiaberg", "Stospis Peiduson")]
    worked = sameness(question, results, {})
    assert worked.lead == "Yes"
    assert worked.line == ("imprint of Polei Fopuwiaberg: Fuxwus Records; imprint of Stospis "
                           "Peiduson: Fuxwus Records (the same)")
    other = results[:2] + [made("artist_record", {"artist_name": "Doxzir Sirtriberg"},
                                artist_record("Doxzir Sirtriberg")), results[3]]
    assert sameness(question, other, {}).lead == "No"
    assert sameness(question.replace("the same imprint", "different imprints"),
                    other, {}).lead == "Yes"


async def test_the_answer_turn_begins_with_the_comparison():
    # the 0.5B model answered "No." with both imprints "Fuxwus Records" in its results
    model = Scripted([call("album_record", album_title="Wiafox Bloom"),
                      call("artist_record", artist_name="Polei Fopuwiaberg"), "No.",
                      "Yes, both are signed to Fuxwus Records."])
    trace = await Agent(model, [album_record, artist_record]).arun(
        "Are the artists of Wiafox Bloom and Seishor Nights in the same imprint? "
        "Answer yes or no.")
    # the album lookup fans out to both albums, the artist lookup down the chain
    assert [len(s.calls) for s in trace.steps[:2]] == [2, 2]
    assert trace.answer == "Yes, both are signed to Fuxwus Records."
    assert model.kwargs[3]["constraint"].value.startswith('root ::= "Yes"')
    assert "comparison: imprint of Polei Fopuwiaberg: Fuxwus Records" in \
        model.calls[3][-1].content
