"""ReAct's levers for small models, with the `Scripted` model: fan-out completion and the
calculation turn before the answer to a question about a quantity."""

from __future__ import annotations

import json
import re

from toolweave.agents import Agent
from toolweave.agents.answer import ANSWER_GRAMMAR
from toolweave.agents.calculation import expression_pattern, needs_calculation
from toolweave.models import Scripted
from toolweave.tools import tool
from toolweave.types import Observation

PRICES = {"Harbor Mug": 9.75, "Zephyr Lamp": 34.99, "Vesta Heater": 129.0}


def call(tool_name: str, **arguments) -> str:
    return f'<tool_call>\n{json.dumps({"name": tool_name, "arguments": arguments})}\n</tool_call>'


@tool
def get_price(product: str) -> str:
    """The price of one unit of a product, in USD."""
    if product not in PRICES:
        raise ValueError(f"unknown product {product!r}")
    return f"{PRICES[product]:.2f} USD"


async def test_a_call_about_one_list_item_is_made_for_every_item():
    model = Scripted([call("get_price", product="Zephyr Lamp"), "The Vesta Heater."])
    trace = await Agent(model, [get_price]).arun(
        "Which is the most expensive: Zephyr Lamp, Harbor Mug or Vesta Heater?")
    step = trace.steps[0]
    assert [c.arguments["product"] for c in step.calls] == \
        ["Zephyr Lamp", "Harbor Mug", "Vesta Heater"]
    assert [o.content for o in step.observations] == ["34.99 USD", "9.75 USD", "129.00 USD"]
    assert step.implied_calls == 2  # the model wrote one of the three
    # every item's price is in: the next step is the calculation, then the answer; the
    # runtime writes the extreme over every item's price (no model turn for it)
    assert [s.kind for s in trace.steps] == ["act", "think", "answer"]
    assert trace.steps[1].thought == "max(34.99, 9.75, 129.00) = 129 (for Vesta Heater)"
    assert len(model.calls) == 2 and "9.75 USD" in model.calls[1][-1].content


async def test_a_fan_out_of_records_goes_on_to_the_next_call():
    @tool
    def get_employee(name: str) -> str:
        """An employee's record."""
        return json.dumps({"name": name, "office": {"Ann": "Oslo", "Bo": "Rome"}[name]})

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city: temperature in °C."""
        return {"Oslo": "3 °C", "Rome": "21 °C"}[city]

    model = Scripted([call("get_employee", name="Ann"), call("get_weather", city="Oslo"),
                      call("get_weather", city="Oslo"), "Bo's."])
    trace = await Agent(model, [get_employee, get_weather]).arun(
        "Whose office city is warmer, Ann's or Bo's?")
    # records are no numbers to compare: the model is asked again, and the weather fans out
    assert [c.arguments["name"] for c in trace.steps[0].calls] == ["Ann", "Bo"]
    assert [c.arguments["city"] for c in trace.steps[1].calls] == ["Oslo", "Rome"]
    assert trace.answer == "Bo's."


async def test_a_quantity_is_calculated_before_the_answer():
    model = Scripted([call("get_price", product="Harbor Mug"), "It costs 9.75 USD.",
                      "8 * 9.75", "8 mugs cost 78 USD."])
    trace = await Agent(model, [get_price]).arun("How much do 8 units of the Harbor Mug cost?")
    assert (trace.answer, trace.stop_reason) == ("8 mugs cost 78 USD.", "answer")
    calculation = next(s for s in trace.steps if s.thought.startswith("8 * 9.75"))
    assert calculation.thought == "8 * 9.75 = 78"
    # the calculation's grammar allows the run's numbers only; the answer turn reads its value
    assert model.kwargs[2]["constraint"].kind == "regex"
    assert "calculation: 8 * 9.75 = 78" in model.calls[3][-1].content


TRAINS = {"The Shurthex Sleeper": 15, "The Laethlaem Coaster": 6, "The Praeshurk Arrow": 3}


@tool
def trains_of_station(station: str) -> str:
    """List the trains that stop at a station."""
    return json.dumps(list(TRAINS))


@tool
def carriages_of_train(service: str) -> str:
    """Returns a train's number of carriages."""
    return f"{TRAINS[service]} carriages"


@tool
def length_of_line(line: str) -> str:
    """Returns a railway line's length in km."""
    return "335 km"


async def test_a_total_over_every_member_of_a_listed_result_is_summed_by_the_runtime():
    # the 0.5B model, asked for the expression, wrote "335 * 15" over these results
    model = Scripted([call("trains_of_station", station="Thiathgum Central"),
                      call("carriages_of_train", service="The Shurthex Sleeper"),
                      call("length_of_line", line="Hethprurk Line"),
                      "The total is 15.", "24 carriages."])
    trace = await Agent(model, [trains_of_station, carriages_of_train, length_of_line]).arun(
        "What is the total number of carriages of all the trains in Thiathgum Central?")
    assert [c.arguments["service"] for c in trace.steps[1].calls] == list(TRAINS)
    summed = trace.steps[-2]
    assert summed.thought == "15 + 6 + 3 = 24" and summed.completion is None
    # no calculation turn; the answer begins with the total
    assert len(model.calls) == 5 and "calculation: 15 + 6 + 3 = 24" in model.calls[4][-1].content
    assert model.kwargs[4]["constraint"].value.startswith('root ::= "24"')


async def test_an_average_over_the_questions_list_is_the_mean_of_its_results():
    model = Scripted([call("get_price", product="Zephyr Lamp"), "57.91 USD."])
    trace = await Agent(model, [get_price]).arun(
        "What is the average price of the Zephyr Lamp, Harbor Mug and Vesta Heater?")
    # the fan-out is done: the runtime takes the mean, with no calculation turn
    assert trace.steps[-2].thought == "(34.99 + 9.75 + 129.00) / 3 = 57.9133333333"
    assert trace.steps[-2].completion is None and len(model.calls) == 2
    # the answer begins with the mean as a person writes it
    assert model.kwargs[1]["constraint"].value.startswith('root ::= "57.91"')
    # asked in another currency than the results give, the model writes the expression
    model = Scripted([call("get_price", product="Zephyr Lamp"), "(34.99 + 9.75) / 2", "A."])
    await Agent(model, [get_price]).arun(
        "What is the average price in EUR of the Zephyr Lamp, Harbor Mug and Vesta Heater?")
    assert len(model.calls) == 3 and model.kwargs[1]["constraint"].kind == "regex"


def test_an_amount_asked_leads_the_answer_but_not_an_item_or_a_yes_or_no():
    from toolweave.agents.leads import asks_amount

    assert asks_amount("Multiply the purchase cost of Thulthil-Station by 7.")
    assert asks_amount("By how much does A's grade exceed B's?")
    assert not asks_amount("Which is cheaper, A or B?")
    assert not asks_amount("Is A warmer than B? Answer yes or no.")


PASTRIES = {"Tromstosh Tart": ("Vyshnei Oven", 5.62), "Premneth Roll": ("Suklyrk Oven", 11.64)}
OVENS = {"Vyshnei Oven": 179, "Suklyrk Oven": 166}


@tool
def find_pastry(item_name: str) -> str:
    """Look up one pastry; returns its dough and its oven."""
    return json.dumps({"name": item_name, "dough": "puff", "oven": PASTRIES[item_name][0]})


@tool
def unit_price_for_pastry(item_name: str) -> str:
    """Get the unit price of one pastry (EUR)."""
    return f"{PASTRIES[item_name][1]:.2f} EUR"


@tool
def temperature_for_oven(oven: str) -> str:
    """Get the baking temperature of one oven (°C)."""
    return f"{OVENS[oven]} °C"


async def test_an_extreme_compares_what_the_question_measures_and_names_whose_it_is():
    # the 0.5B model took max of the unit prices here, and named the pastry of the cheaper
    model = Scripted([call("find_pastry", item_name="Tromstosh Tart"),
                      call("unit_price_for_pastry", item_name="Tromstosh Tart"),
                      call("temperature_for_oven", oven="Vyshnei Oven"),
                      "Done.", "Tromstosh Tart."])
    trace = await Agent(model, [find_pastry, unit_price_for_pastry, temperature_for_oven]).arun(
        "Whose oven has the higher baking temperature, Tromstosh Tart's or Premneth Roll's?")
    assert [c.arguments["oven"] for c in trace.steps[2].calls] == list(OVENS)
    # the extreme is taken over the ovens' temperatures, not the pastries' unit prices; the
    # oven picked is Vyshnei's, and whose it is, the pastry's record says
    assert trace.steps[-2].thought == "max(179, 166) = 179 (for Vyshnei Oven)"
    assert model.kwargs[4]["constraint"].value.startswith('root ::= "Tromstosh Tart"')


async def test_an_expression_that_does_not_evaluate_is_left_out_of_the_answer():
    model = Scripted([call("get_price", product="Harbor Mug"), "It costs 9.75 USD.",
                      "8 * (9.75", "8 mugs cost 78 USD."])
    trace = await Agent(model, [get_price]).arun("How much do 8 units of the Harbor Mug cost?")
    assert trace.answer == "8 mugs cost 78 USD."
    assert any(s.error and "calculation failed" in s.error for s in trace.steps)
    assert "calculation" not in model.calls[3][-1].content


async def test_a_question_not_about_a_quantity_keeps_the_models_answer():
    model = Scripted([call("get_price", product="Harbor Mug"), "The Harbor Mug is 9.75 USD."])
    trace = await Agent(model, [get_price]).arun("What is the price of the Harbor Mug?")
    assert trace.answer == "The Harbor Mug is 9.75 USD."
    assert len(model.calls) == 2


def test_which_questions_about_extremes_take_min_or_max():
    assert needs_calculation("How much do 8 mugs cost?")
    assert needs_calculation("Which of these is the cheapest: A or B?")
    assert not needs_calculation("Which timezone is Galdera in?")


def test_an_amount_that_one_result_gives_is_not_calculated():
    def result(tool_name: str, content: str) -> Observation:
        return Observation(call_id=tool_name, tool=tool_name, ok=True, content=content)

    question = "How many units of the product in order A-7 are still in stock?"
    order = result("get_order", '{"order_id": "A-7", "product": "Lamp", "quantity": 4}')
    stock = result("get_stock", "40 units in stock")
    assert not needs_calculation(question, [order, stock])  # 40 is the answer, not 40 * 4
    price = "How much does a hotel night in Oslo cost in US dollars?"
    night, rate = result("get_hotel", "120 NOK per night"), result("get_rate", "0.1 USD")
    assert needs_calculation(price, [night, rate])
    # two results of one tool are no price and rate: the model looked further than it needed
    assert not needs_calculation(price, [night, result("get_hotel", "44 KVD per night")])
    # a number or a combining word of the question's own always asks for one
    assert needs_calculation("How much do 8 units of the Lamp cost?", [night])
    assert needs_calculation("How far is the trip from A to B and back?", [night])
    assert expression_pattern("Which is the cheapest: A or B?", ("1", "2")).startswith("^min")
    assert expression_pattern("Whose city is warmer, A's or B's?", ("1", "2")).startswith("^max")
    assert expression_pattern("How much warmer is A than B?", ("1", "2")).startswith("^((min")


def test_an_average_is_written_as_the_sum_over_how_many_were_summed():
    # asked for a mean, a small model wrote "30 + 23 + 33 = 86" and answered the sum
    question = "What is the average crew size of MV A, MV B and MV C?"
    pattern = expression_pattern(question, ("30", "23", "33"), results=3)
    assert re.match(pattern, "(30 + 23 + 33) / 3") and re.match(pattern, "(30+23)/2")
    for wrong in ("30 + 23 + 33", "(30 + 23 + 33) / 2", "(30 + 23) / 3", "86 / 3"):
        assert not re.match(pattern, wrong), wrong
    # a mean beside another operation keeps the general arithmetic
    rate = "What is the average nightly rate of A and B times 3 nights?"
    assert re.match(expression_pattern(rate, ("30", "23", "3"), results=2), "(30 + 23) / 2 * 3")
    # a single result's own average ("the average depth of X") is no mean to take
    assert re.match(expression_pattern("What's the average depth of X?", ("46",), results=1),
                    "46")


def test_one_stated_operation_over_two_amounts_takes_two_different_numbers():
    from toolweave.agents.calculation import single_operation

    question = "What is the quantity of order BO-91373 times the unit price of its pastry?"
    pattern = expression_pattern(question, ("47", "5.62"), results=3)
    assert re.match(pattern, "47 * 5.62") and re.match(pattern, "5.62*47")
    # the 0.5B model wrote "5.62 + 5.62" here
    for wrong in ("5.62 + 5.62", "5.62 * 5.62", "47", "47 * 5.62 * 2"):
        assert not re.match(pattern, wrong), wrong
    assert single_operation("By how much does the grade of A exceed that of B?") == "-"
    # a count of times, a total, a measure "per" something, or two operations: no pair
    for other in ("How many times did Ann visit Oslo?", "What is the total cost of A and B?",
                  "Multiply the royalty per sale of X by 4.", "What is A plus B times 3?"):
        assert single_operation(other) is None, other


async def test_a_misspelt_value_is_corrected_with_the_errors_suggestion():
    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        if city != "Lunetta":
            raise ValueError(f"unknown city {city!r}; did you mean 'Lunetta'?")
        return "21 °C"

    model = Scripted([call("get_weather", city="Lunnetta"), "It is 21 °C in Lunetta."])
    trace = await Agent(model, [get_weather]).arun("What is the weather in Lunnetta?")
    step = trace.steps[0]
    assert [c.arguments["city"] for c in step.calls] == ["Lunnetta", "Lunetta"]
    assert [o.ok for o in step.observations] == [False, True]
    assert trace.answer == "It is 21 °C in Lunetta."


async def test_a_fanout_is_followed_down_a_chain_and_a_corrected_repeat_ends_the_run():
    @tool
    def lookup_ticker(company: str) -> str:
        """The ticker of a company."""
        return {"Nova Dynamics": "NOVD", "Meridian Freight": "MRDF"}[company]

    @tool
    def get_stock_price(ticker: str) -> str:
        """A ticker's share price."""
        return {"NOVD": "142.35 USD", "MRDF": "35.20 USD"}[ticker]

    model = Scripted([call("lookup_ticker", company="Nova Dynamics"),
                      call("get_stock_price", ticker="NOVD"),
                      call("get_stock_price", ticker="NOVD"),  # a repeat: the answer turn next
                      "142.35 - 35.20", "It is 107.15 USD higher."])
    trace = await Agent(model, [lookup_ticker, get_stock_price]).arun(
        "How much higher is the share price of Nova Dynamics than that of Meridian Freight?")
    assert [(c.name, c.arguments) for c in trace.steps[1].calls] == \
        [("get_stock_price", {"ticker": "NOVD"}), ("get_stock_price", {"ticker": "MRDF"})]
    assert trace.answer == "It is 107.15 USD higher."
    assert any(s.thought == "142.35 - 35.20 = 107.15" for s in trace.steps)


async def test_a_chain_begun_at_its_end_resumes_there_once_a_result_fits():
    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        if city != "Oslo":
            raise ValueError(f"unknown city {city!r}")
        return "sunny"

    @tool
    def get_employee(name: str) -> str:
        """An employee's record."""
        return json.dumps({"name": name, "manager": "Bob", "office_city": "Oslo"})

    model = Scripted([call("get_weather", city="Alice"), call("get_employee", name="Alice"),
                      call("get_weather", city="Oslo"), "It is sunny in Oslo."])
    trace = await Agent(model, [get_weather, get_employee]).arun(
        "What is the weather where Alice works?")
    assert trace.answer == "It is sunny in Oslo."
    resumed = model.kwargs[2]["constraint"].value
    # only the tool the chain began with, its city one the results gave, not the rejected name
    assert "get_employee" not in resumed and '\\"Oslo\\"' in resumed
    assert '\\"Alice\\"' not in resumed.split("city ::=")[1].split("\n")[0]


async def test_after_failures_the_tools_an_error_names_are_offered_then_the_chain_resumes():
    @tool
    def get_stock_price(ticker: str) -> str:
        """A ticker's share price."""
        raise ValueError(f"{ticker!r} is a company name; get its ticker with lookup_ticker")

    @tool
    def lookup_ticker(company: str) -> str:
        """The ticker of a company."""
        return "NOVD"

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return "sunny"

    @tool
    def get_share_price_history(ticker: str) -> str:
        """A ticker's share price over the last year."""
        return "up"

    model = Scripted([call("get_stock_price", ticker="Nova Dynamics"),
                      call("lookup_ticker", company="Nova Dynamics"), "NOVD."])
    await Agent(model, [get_stock_price, lookup_ticker, get_weather,
                        get_share_price_history]).arun("What is the share price of Nova Dynamics?")
    offered = model.kwargs[1]["constraint"].value
    assert "lookup_ticker" in offered and "get_stock_price" not in offered
    # the tool the error names is the hint: not others that fit the question's words
    assert "get_share_price_history" not in offered
    # the ticker is in: the chain resumes at the tool whose error named lookup_ticker
    resumed = model.kwargs[2]["constraint"].value
    assert "get_stock_price" in resumed and "lookup_ticker" not in resumed


async def test_an_extreme_names_the_call_it_came_from():
    model = Scripted([call("get_price", product="Zephyr Lamp"), "The Vesta Heater."])
    await Agent(model, [get_price]).arun(
        "Which is the most expensive: Zephyr Lamp, Harbor Mug or Vesta Heater?")
    assert "calculation: max(34.99, 9.75, 129.00) = 129 (for Vesta Heater)" in \
        model.calls[1][-1].content
    # the answer begins with the item the question asked to pick
    assert model.kwargs[1]["constraint"].value.startswith('root ::= "Vesta Heater" ')


@tool
def get_employee(name: str) -> str:
    """An employee's record."""
    managers = {"Ann": "Bob", "Bob": "Cy", "Cy": None}
    return json.dumps({"name": name, "department": {"Ann": "Quality", "Bob": "Research",
                                                    "Cy": "Executive"}[name],
                       "manager": managers[name]})


async def test_the_answer_turn_shows_the_results_that_only_led_to_others_apart():
    model = Scripted([call("get_employee", name="Ann"), call("get_employee", name="Bob"),
                      call("get_employee", name="Cy"), call("get_employee", name="Cy"),
                      "Cy works in Executive."])
    await Agent(model, [get_employee]).arun(
        "Which department does the manager of Ann's manager work in?")
    prompt = model.calls[-1][-1].content
    on_the_way, answering = prompt.split("Results that answer the question:")
    assert "Looked up on the way:" in on_the_way
    assert 'get_employee({"name": "Ann"})' in on_the_way
    assert 'get_employee({"name": "Bob"})' in on_the_way
    assert 'get_employee({"name": "Cy"})' in answering and '"Quality"' not in answering


async def test_a_turn_offered_one_tool_to_make_progress_offers_no_call_made_before():
    @tool
    def get_currency(country: str) -> str:
        """The currency of a country."""
        return {"Norvenia": "NVM", "Korvath": "KVD"}[country]

    @tool
    def get_rate(from_currency: str, to_currency: str) -> str:
        """The exchange rate between two currency codes."""
        if from_currency not in ("NVM", "KVD") or to_currency not in ("NVM", "KVD"):
            bad = to_currency if from_currency in ("NVM", "KVD") else from_currency
            raise ValueError(f"{bad!r} is a country; get its code with get_currency")
        return "2.5"

    model = Scripted([call("get_rate", from_currency="Norvenia", to_currency="Korvath"),
                      call("get_currency", country="Norvenia"),
                      call("get_rate", from_currency="NVM", to_currency="Korvath"),
                      call("get_currency", country="Korvath"), "2.5", "2.5 KVD."])
    await Agent(model, [get_currency, get_rate]).arun(
        "How many units of the currency of Korvath does one unit of Norvenia's currency buy?")
    # after the second failure the error's tool is offered again, but not with Norvenia
    offered = model.kwargs[3]["constraint"].value
    assert "get_currency" in offered and "get_rate" not in offered
    assert '\\"Korvath\\"' in offered and '\\"Norvenia\\"' not in offered


async def test_numbers_of_another_measure_send_the_run_to_the_tool_that_measures_it():
    @tool
    def get_weather(city: str) -> str:
        """The current weather in a city: temperature in °C."""
        return {"Rome": "21 °C", "Lima": "18 °C", "Oslo": "3 °C"}[city]

    @tool
    def get_distance(from_city: str, to_city: str) -> str:
        """The distance between two cities, in km."""
        return {"Rome": "2010 km", "Lima": "10800 km"}[to_city]

    model = Scripted([call("get_weather", city="Rome"),
                      call("get_distance", from_city="Oslo", to_city="Rome"),
                      "Rome is closer."])
    trace = await Agent(model, [get_weather, get_distance]).arun(
        "Which is closer to Oslo: Rome or Lima?")
    # the temperatures of both are in, but "closer" is a distance: only that tool is offered
    offered = model.kwargs[1]["constraint"].value
    assert "get_distance" in offered and "get_weather" not in offered
    assert [c.arguments["to_city"] for c in trace.steps[1].calls] == ["Rome", "Lima"]
    # the extreme is taken over the distances only, and the answer begins with its item
    assert trace.steps[-2].thought == "min(2010, 10800) = 2010 (for Rome)"
    assert "(for Rome)" in model.calls[2][-1].content


async def test_a_rejected_name_sends_the_run_to_the_tools_about_what_the_question_asks_of_it():
    @tool
    def get_flight_price(origin: str, destination: str) -> str:
        """The price of a one-way flight between two cities."""
        raise ValueError(f"unknown city {origin!r}; known: Galdera, Istrana")

    @tool
    def get_distance(from_city: str, to_city: str) -> str:
        """The distance in km between two cities."""
        return "120 km"

    @tool
    def get_employee(name: str) -> str:
        """An employee's directory entry: department, manager and office city."""
        return '{"name": "Leila Haddad", "office": "Galdera"}'

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return "sunny"

    model = Scripted([call("get_flight_price", origin="Leila Haddad", destination="Istrana"),
                      call("get_employee", name="Leila Haddad"), "Galdera."])
    await Agent(model, [get_flight_price, get_distance, get_employee, get_weather]).arun(
        "How much is a flight from Leila Haddad's office city to Istrana?")
    offered = model.kwargs[1]["constraint"].value
    # the question asks Leila Haddad's office city: the tool whose docs speak of office
    # cities, not another one about cities that fits the question's words
    assert "get_employee" in offered
    assert "get_distance" not in offered and "get_flight_price" not in offered


async def test_names_that_possess_the_same_thing_are_looked_up_together():
    @tool
    def get_currency(country: str) -> str:
        """The currency of a country."""
        return {"Norvenia": "NVM", "Korvath": "KVD"}[country]

    @tool
    def get_rate(from_currency: str, to_currency: str) -> str:
        """The exchange rate between two currency codes."""
        return "2.5"

    model = Scripted([call("get_currency", country="Norvenia"),
                      call("get_rate", from_currency="NVM", to_currency="KVD"), "2.5 KVD."])
    trace = await Agent(model, [get_currency, get_rate]).arun(
        "How many units of Korvath's currency does one unit of Norvenia's currency buy?")
    first = trace.steps[0]
    # the currency is asked of both countries: the runtime asks it of Korvath too
    assert [c.arguments for c in first.calls] == [{"country": "Norvenia"},
                                                  {"country": "Korvath"}]
    assert first.implied_calls == 1 and [o.content for o in first.observations] == ["NVM", "KVD"]


async def test_two_failed_turns_after_a_result_end_the_lookups():
    @tool
    def get_rate(from_currency: str, to_currency: str) -> str:
        """The exchange rate between two currency codes."""
        if from_currency != "VLC":
            raise ValueError(f"unknown currency code {from_currency!r}")
        return "1 VLC = 0.25 USD"

    @tool
    def get_stock(product: str) -> str:
        """Units of a product in stock."""
        raise ValueError(f"unknown product {product!r}")

    model = Scripted([call("get_rate", from_currency="VLC", to_currency="USD"),
                      call("get_stock", product="VLC"), call("get_stock", product="USD"),
                      "The rate is 0.25 USD.", "never read"])
    trace = await Agent(model, [get_rate, get_stock]).arun("What is the VLC to USD rate?")
    assert [s.kind for s in trace.steps] == ["act", "act", "act", "answer"]
    assert trace.answer == "The rate is 0.25 USD." and trace.stop_reason == "answer"
    # the fourth model call was the answer turn (its grammar offers no call), not a turn
    # that could try yet another tool
    assert model.kwargs[3]["constraint"].value == ANSWER_GRAMMAR


async def test_failed_turns_whose_error_points_the_way_on_do_not_end_the_lookups():
    @tool
    def get_employee(name: str) -> str:
        """An employee's directory entry: office city."""
        return '{"name": "Kenji Aramaki", "office": "Galdera"}'

    @tool
    def get_currency(country: str) -> str:
        """The currency of a country."""
        raise ValueError(f"{country!r} is a city, not a country; get its country with "
                         "get_country")

    @tool
    def get_country(city: str) -> str:
        """The country a city is in."""
        return "Korvath"

    model = Scripted([call("get_employee", name="Kenji Aramaki"),
                      call("get_currency", country="Kenji Aramaki"),
                      call("get_currency", country="Galdera"),
                      call("get_country", city="Galdera"), "Korvath."])
    trace = await Agent(model, [get_employee, get_currency, get_country]).arun(
        "Which country is Kenji Aramaki's office in?")
    # two failures in a row after a result, but the last error names get_country: go on
    assert [c.name for s in trace.steps for c in s.calls][-1] == "get_country"
    assert trace.answer == "Korvath."


@tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    if city != "Oslo":
        raise ValueError(f"unknown city {city!r}; known: Oslo")
    return "3 °C, snow"


@tool
def get_stock_price(ticker: str) -> str:
    """The share price of a stock ticker."""
    raise ValueError(f"unknown ticker {ticker!r}; known: NOVD")


async def test_a_question_the_tools_are_not_about_is_answered_unaided_after_two_rejections():
    model = Scripted([call("get_weather", city="Monday"),
                      call("get_stock_price", ticker="day of the week"),
                      "Tuesday.", "never read"])
    trace = await Agent(model, [get_weather, get_stock_price]).arun(
        "Which day of the week comes after Monday?")
    assert [s.kind for s in trace.steps] == ["act", "act", "answer"]
    assert (trace.answer, trace.stop_reason) == ("Tuesday.", "answer")
    # the answer turn offered no tool and shows no result: the question alone
    assert model.kwargs[2]["constraint"].value == ANSWER_GRAMMAR
    assert model.calls[2][-1].content == "Which day of the week comes after Monday?"


async def test_rejected_values_of_a_question_about_the_tools_keep_the_lookups_going():
    # "weather" is what get_weather is about: the question asks the tools, and a third turn
    # is the model's
    model = Scripted([call("get_weather", city="Monday"),
                      call("get_stock_price", ticker="Monday"),
                      call("get_weather", city="Oslo"), "Snow, 3 °C."])
    trace = await Agent(model, [get_weather, get_stock_price]).arun(
        "What will the weather be like on Monday in Oslo?")
    assert [c.arguments for s in trace.steps for c in s.calls][-1] == {"city": "Oslo"}
    assert trace.answer == "Snow, 3 °C." and trace.stop_reason == "answer"


async def test_a_rejected_proper_name_keeps_the_lookups_going():
    # "Cobalt Headphones" is no city and no ticker, but a name another tool may know: the
    # question is about the tools' world although it has none of their words
    model = Scripted([call("get_weather", city="Cobalt Headphones"),
                      call("get_stock_price", ticker="Cobalt Headphones"),
                      "I could not find it.", "never read"])
    trace = await Agent(model, [get_weather, get_stock_price]).arun(
        "How much more expensive is the Cobalt Headphones than the Harbor Mug?")
    # the third turn was the model's own (a turn that may call tools), not the answer turn
    assert model.kwargs[2]["constraint"].value != ANSWER_GRAMMAR
    assert trace.answer == "I could not find it."


async def test_one_rejected_turn_is_not_enough_to_answer_unaided():
    # the first rejection may be the wrong tool for a name another tool knows
    model = Scripted([call("get_stock_price", ticker="Oslo"), call("get_weather", city="Oslo"),
                      "3 °C."])
    trace = await Agent(model, [get_weather, get_stock_price]).arun("How cold is Oslo?")
    assert [o.ok for s in trace.steps for o in s.observations] == [False, True]
    assert trace.answer == "3 °C."


async def test_a_question_about_its_own_text_is_worked_out_and_answered_without_tools():
    model = Scripted(["2 words."])
    trace = await Agent(model, [get_price]).arun(
        "How many words are in the name 'Harbor Mug'?")
    assert trace.answer == "2 words." and trace.stop_reason == "answer"
    assert not any(s.calls for s in trace.steps) and len(model.calls) == 1
    assert not model.kwargs[0].get("tools")  # the answer turn offers none
    # the answer turn reads what the runtime worked out, and must begin with it
    assert "words in 'Harbor Mug': 2" in model.calls[0][-1].content
    assert model.kwargs[0]["constraint"].value.startswith('root ::= "2"')
    # a lookup that mentions words is still a lookup
    model = Scripted([call("get_price", product="Harbor Mug"), "9.75 USD."])
    trace = await Agent(model, [get_price]).arun("Find the price of the Harbor Mug.")
    assert trace.steps[0].calls[0].name == "get_price"


def test_the_runtime_works_out_counts_orders_and_reversals_of_the_questions_text():
    from toolweave.agents.own_text import worked_out

    assert worked_out("How many words are in the name 'The Premtrish Letters'?").lead == "3"
    assert worked_out("How many letters are in 'Oslo'?").lead == "4"
    assert worked_out("Which comes first in alphabetical order: Liamseith Pharma or "
                      "Ciackdros Pharma?").lead == "Ciackdros Pharma"
    assert worked_out("Which comes last alphabetically: Bree, Azura or Cole?").lead == "Cole"
    assert worked_out("Spell the word 'cat' backwards.").lead == "tac"
    assert worked_out("What is the plural of 'mouse'?") is None


def test_a_measure_named_before_its_combining_word_is_no_mean_either():
    from toolweave.agents.calculation import without_reported_measures
    from toolweave.types import ToolSpec

    spec = ToolSpec(name="grade_average", description="Returns a student's grade average.",
                    parameters={"type": "object", "properties": {}})
    question = "By how much does the grade average of student A exceed that of student B?"
    plain = without_reported_measures(question, [spec])
    assert plain == "By how much does the grade of student A exceed that of student B?"
    # a difference, not the mean of the two
    assert re.match(expression_pattern(plain, ("90.27", "57.82"), results=2), "90.27 - 57.82")
    assert not re.match(expression_pattern(question, ("90.27", "57.82"), results=2),
                        "90.27 - 57.82")
    # "the average" is no measure of its own; an average no tool reports stays one
    assert without_reported_measures("What is the average depth of A and B?", [spec]) == \
        "What is the average depth of A and B?"


async def test_a_measure_a_tool_reports_is_no_operation_over_the_results():
    @tool
    def get_shipment(shipment: str) -> str:
        """Look up a shipment: its sea zone and number of containers."""
        return json.dumps({"shipment_id": shipment, "sea_zone": "Biasnouth Reach",
                           "containers": 64})

    @tool
    def get_depth(sea_zone: str) -> str:
        """Get the average depth of one sea zone (m)."""
        return "822 m"

    question = "What is the average depth of the sea zone of shipment SHP-1?"
    assert needs_calculation(question)  # by its words alone, an average
    model = Scripted([call("get_shipment", shipment="SHP-1"),
                      call("get_depth", sea_zone="Biasnouth Reach"), "822 m."])
    trace = await Agent(model, [get_shipment, get_depth]).arun(question)
    # the depth is the answer: no calculation turn averages it with the containers
    assert trace.answer == "822 m." and [s.kind for s in trace.steps] == ["act", "act", "answer"]
    assert "calculation" not in model.calls[2][-1].content


async def test_the_runtime_writes_no_extreme_over_numbers_of_another_measure():
    @tool
    def get_weather(city: str) -> str:
        """The current weather in a city: temperature in °C."""
        return {"Rome": "21 °C", "Lima": "18 °C"}[city]

    @tool
    def get_distance(from_city: str, to_city: str) -> str:
        """The distance between two cities, in km."""
        return "10500 km"

    model = Scripted([call("get_weather", city="Rome"),
                      call("get_distance", from_city="Rome", to_city="Lima"),
                      "min(21, 18)", "Lima is closer."])
    trace = await Agent(model, [get_weather, get_distance]).arun(
        "Which is closer to Oslo: Rome or Lima?")
    # the distances were never asked pairwise from Oslo: the temperatures are all there is,
    # and which of them to compare is the model's expression, not the runtime's
    assert len(model.calls) == 4 and trace.steps[-2].thought.startswith("min(21, 18) = 18")


async def test_a_comparison_by_distance_is_measured_from_the_question_s_anchor():
    @tool
    def get_weather(city: str) -> str:
        """The current weather in a city: temperature in °C."""
        return {"Oslo": "3 °C", "Rome": "21 °C", "Lima": "18 °C"}[city]

    @tool
    def get_distance(from_city: str, to_city: str) -> str:
        """The distance between two cities, in km."""
        return {("Oslo", "Rome"): "2010 km", ("Oslo", "Lima"): "10800 km"}.get(
            (from_city, to_city), "10500 km")

    model = Scripted([call("get_weather", city="Oslo"), call("get_weather", city="Rome"),
                      "Rome."])
    trace = await Agent(model, [get_weather, get_distance]).arun(
        "Which is closer to Oslo: Rome or Lima?")
    # Oslo went to a city before: the runtime writes the distance from it to the first item
    # (a small model measured Rome to Lima), and the fan-out adds the other
    distances = [c.arguments for s in trace.steps for c in s.calls if c.name == "get_distance"]
    assert distances == [{"from_city": "Oslo", "to_city": "Rome"},
                         {"from_city": "Oslo", "to_city": "Lima"}]
    assert trace.steps[-2].thought == "min(2010, 10800) = 2010 (for Rome)"
    assert len(model.calls) == 3  # the distance turn was no model turn


async def test_a_choice_asked_as_does_a_or_b_picks_the_extreme():
    # "1515 - 2417 = -902", then "Nurfurk Basin has the larger catchment area": the question
    # picks one of two, though it opens like a yes-or-no one
    model = Scripted([call("get_price", product="Zephyr Lamp"), "The Vesta Heater."])
    trace = await Agent(model, [get_price]).arun(
        "Does the Zephyr Lamp or the Vesta Heater have the higher price?")
    assert trace.steps[-2].thought == "max(34.99, 129.00) = 129 (for Vesta Heater)"
    assert model.kwargs[-1]["constraint"].value.startswith('root ::= "Vesta Heater"')
