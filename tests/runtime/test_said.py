"""Calls held to what the question says: invented optional arguments and repeated calls go."""

from toolweave.runtime.said import Question, calls_asked, said_arguments
from toolweave.types import ToolCall, ToolSpec

MOVIES = ToolSpec(name="get_movies", description="Movies playing in a city.", parameters={
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "cinema_hall": {"type": "string"},
        "language": {"type": "string", "enum": ["Hindi", "English", "All"]},
        "max_results": {"type": "integer", "default": 10},
        "subtitles": {"type": "boolean"},
        "min_rating": {"type": "number"},
    },
    "required": ["city"],
})


def call(name: str, **arguments) -> ToolCall:
    return ToolCall(name=name, arguments=arguments)


def test_an_invented_optional_argument_is_left_out_and_a_said_one_kept():
    question = "What movies are playing in Mumbai with a rating of at least 7.5?"
    [kept] = calls_asked([call("get_movies", city="Mumbai", cinema_hall="PVR Logix",
                               min_rating=7.5, max_results=10, language="Hindi",
                               subtitles=True)], [MOVIES], question)
    # the hall nobody named goes; the said rating, the default, the enum and the flag stay
    assert kept.arguments == {"city": "Mumbai", "min_rating": 7.5, "max_results": 10,
                              "language": "Hindi", "subtitles": True}


def test_a_required_argument_stays_whatever_it_holds():
    [kept] = calls_asked([call("get_movies", city="Pune")], [MOVIES], "Movies tonight?")
    assert kept.arguments == {"city": "Pune"}


def test_a_repeated_call_stands_only_when_it_differs_in_something_said():
    question = "What is playing in Mumbai and in Delhi?"
    calls = [call("get_movies", city="Mumbai"), call("get_movies", city="Delhi"),
             call("get_movies", city="Mumbai", cinema_hall="Inox Megaplex"),  # nobody
             call("get_movies", city="Delhi")]  # asked for this twice
    kept = calls_asked(calls, [MOVIES], question)
    assert [c.arguments for c in kept] == [{"city": "Mumbai"}, {"city": "Delhi"}]


def test_calls_of_different_tools_and_unknown_tools_pass():
    other = ToolSpec(name="get_time", description="", parameters={
        "type": "object", "properties": {"zone": {"type": "string"}}})
    calls = [call("get_movies", city="Mumbai"), call("get_time", zone="Asia/Kolkata"),
             call("nope", anything="x")]
    kept = calls_asked(calls, [MOVIES, other], "Movies in Mumbai, and the time there?")
    assert [c.name for c in kept] == ["get_movies", "get_time", "nope"]
    assert kept[1].arguments == {}  # the zone was never said


def test_codes_and_required_values_are_not_judged_against_the_words():
    """A code stands for a name said in full, and a repeated call may differ in a required
    value the question names another way (Google's ticker)."""
    stock = ToolSpec(name="quote", description="", parameters={
        "type": "object", "required": ["symbol"],
        "properties": {"symbol": {"type": "string"}, "exchange": {"type": "string"}}})
    question = "Closing prices of Apple Inc. and Google LLC on the New York exchange"
    kept = calls_asked([call("quote", symbol="AAPL", exchange="NYSE"),
                        call("quote", symbol="GOOGL", exchange="NYSE")], [stock], question)
    assert [c.arguments for c in kept] == [{"symbol": "AAPL", "exchange": "NYSE"},
                                           {"symbol": "GOOGL", "exchange": "NYSE"}]


def test_an_object_argument_is_judged_field_by_field():
    spec = ToolSpec(name="set_ac", description="", parameters={
        "type": "object", "required": ["body"],
        "properties": {"body": {"type": "object", "properties": {
            "mode": {"type": "string", "enum": ["COOL", "DRY"]},
            "target": {"type": "integer"},
            "start_in_hours": {"type": "integer", "default": 0}}}}})
    [kept] = calls_asked([call("set_ac", body={"mode": "COOL", "target": 22,
                                               "start_in_hours": 3})],
                         [spec], "에어컨을 22도로 설정해 주세요")
    assert kept.arguments == {"body": {"mode": "COOL", "target": 22}}


def test_numbers_are_read_in_any_script_with_separators_and_percentages():
    q = Question("un crédito de 1,000,000 pesos con un enganche del 20%, 目标温度22度")
    assert q.says(1000000) and q.says(20) and q.says(0.2) and q.says(22)
    assert not q.says(21) and not q.says(True) and not q.says(None)


def test_words_are_matched_whole_in_latin_text_and_as_substrings_in_other_scripts():
    assert Question("Remove the 'todo random' item").says("todo random")
    assert not Question("Start the engine").says("art")
    assert Question("我想知道上海目前的天气").says("上海")
    assert not Question("What is the weather?").says("the")  # a function word says nothing


def test_said_arguments_keeps_parameters_the_schema_does_not_know():
    assert said_arguments({"properties": {}}, {"extra": "x"}, Question("q")) == {"extra": "x"}


WEATHER = ToolSpec(name="forecast", description="", parameters={
    "type": "object", "required": ["location"],
    "properties": {
        "location": {"type": "string"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "fahrenheit"},
        "mode": {"type": "string", "enum": ["POWER_ON", "POWER_OFF"], "default": "POWER_OFF"},
        "include_wind": {"type": "boolean", "default": False},
        "detail": {"type": "string", "enum": ["short", "long"]},
        "separator": {"type": "string", "default": ""},
    }})


def test_an_option_nobody_asked_for_falls_back_to_the_declared_default():
    [kept] = calls_asked([call("forecast", location="Boston, MA", unit="celsius",
                               include_wind=True, detail="long")],
                         [WEATHER], "What's the weather in Boston, MA?")
    # unit and wind were never asked for; "detail" has no default, so it is the model's pick
    assert kept.arguments == {"location": "Boston, MA", "detail": "long"}


def test_an_option_the_question_names_stays():
    [kept] = calls_asked([call("forecast", location="Oslo", unit="celsius", include_wind=True,
                               mode="POWER_ON", separator=" ")],
                         [WEATHER], "Is the heater turned on? Oslo weather in Celsius, with wind")
    assert kept.arguments == {"location": "Oslo", "unit": "celsius", "include_wind": True,
                              "mode": "POWER_ON", "separator": " "}


def test_numbers_fall_back_only_to_a_declared_default_and_codes_are_the_models_choice():
    spec = ToolSpec(name="speak", description="", parameters={
        "type": "object", "required": ["text"],
        "properties": {
            "text": {"type": "string"},
            "speed": {"type": "number", "default": 1.0},
            "voice_id": {"type": "integer"},
            "language": {"type": "string", "enum": ["en-US", "es-ES"], "default": "en-US"}}})
    [kept] = calls_asked([call("speak", text="hola", speed=1.5, voice_id=7, language="es-ES")],
                         [spec], "Say 'hola' in Spanish")
    # speed 1.5 was never asked for; the voice id and the locale code are not judged
    assert kept.arguments == {"text": "hola", "voice_id": 7, "language": "es-ES"}


def test_what_counts_as_said_for_options_and_free_text():
    spec = ToolSpec(name="order", description="", parameters={
        "type": "object", "required": ["item"],
        "properties": {
            "item": {"type": "string"},
            "sweetness_level": {"type": "string", "enum": ["none", "low", "high"],
                                "default": "low"},
            "units": {"type": "string", "enum": ["metric", "imperial"], "default": "metric",
                      "description": "Can be 'metric' for Celsius, 'imperial' for Fahrenheit."},
            "portion_unit": {"type": "string", "enum": ["grams", "pieces"], "default": "grams"},
            "mission": {"type": "string"}}})
    [kept] = calls_asked([call("order", item="tea", sweetness_level="none", units="imperial",
                               portion_unit="pieces", mission="Mission 1")], [spec],
                         "A tea with no sweetness, one piece, temperature in Fahrenheit, "
                         "for any of the missions")
    # the setting is spoken of (sweetness), the description glosses imperial as Fahrenheit,
    # "piece" says pieces; but a value made of the parameter's own name says nothing
    assert kept.arguments == {"item": "tea", "sweetness_level": "none", "units": "imperial",
                              "portion_unit": "pieces"}


def test_a_question_in_another_script_is_not_held_against_english_words():
    [kept] = calls_asked([call("forecast", location="Shanghai, China", unit="celsius")],
                         [WEATHER], "我想知道上海目前的天气状况，顺便使用摄氏度来显示温度。")
    assert kept.arguments == {"location": "Shanghai, China", "unit": "celsius"}
