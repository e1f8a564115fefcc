"""`RunSettings`: one typed set of run options for the API, the CLI and eval suite."""

import pytest

from toolweave import Agent, RunSettings, Scripted


def test_settings_and_keywords_merge_and_keywords_win():
    base = RunSettings(strategy="dag", max_steps=12, tool_choice="first")
    agent = Agent(Scripted(["x"]), [], base, max_steps=3)
    assert agent.settings == RunSettings(strategy="dag", max_steps=3, tool_choice="first")
    assert (agent.strategy_name, agent.budget["max_steps"], agent.tool_choice) == \
        ("dag", 3, "first")
    assert base.max_steps == 12  # the caller's settings are not changed


@pytest.mark.parametrize("options, field", [
    ({"strategy": "fast"}, "strategy"), ({"format": "yaml"}, "format"),
    ({"tool_choice": "always"}, "tool_choice"), ({"reasoning": "extreme"}, "reasoning"),
    ({"max_steps": 0}, "max_steps"), ({"bogus": 1}, "bogus")])
def test_a_bad_option_is_a_value_error_that_names_it(options, field):
    with pytest.raises(ValueError, match=field):
        Agent(Scripted([]), [], **options)
