"""The answer turn's helpers that read text: which tools an answer names."""

from toolweave.agents.answer import names_a_tool, tools_named


def test_a_tool_is_named_only_as_a_whole_word():
    names = ["get_weather", "weather", "convert"]
    assert tools_named("I would call get_weather(city='Oslo').", names) == ["get_weather"]
    assert tools_named("The weather is mild; converted to C.", names) == ["weather"]
    assert not names_a_tool("reweather, get_weathers, convertible", names)


def test_names_with_other_characters_are_matched_as_whole_words_too():
    names = ["stock-price", "uber.ride"]
    assert tools_named("call stock-price for NOVA", names) == ["stock-price"]
    assert tools_named("uber.ride is the tool", names) == ["uber.ride"]
    assert tools_named("xstock-price or uber.rides", names) == []
