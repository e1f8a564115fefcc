"""Generate ``bench/agent_suite.yaml``: the agent benchmark's questions, answers computed from
the world's data (`agent_world_data`), deterministic from a seed.

    .venv/bin/python bench/agent_suite_gen.py            # rewrite the suite
    .venv/bin/python bench/agent_suite_gen.py --check    # exit 1 if the file is not up to date

Seven shapes, ten questions each, one shape tag per task: ``single`` (one lookup), ``fanout``
(2-8 independent lookups whose answer needs them all), ``chain`` (2-4 calls, each needing the
last one's result), ``diamond`` (independent branches joined by a final call or comparison),
``arithmetic`` (lookups, then the calculator), ``notool`` (answered without tools) and
``recovery`` (the natural first call fails with a "did you mean" error to act on). Each task's
ideal run is kept here as stages of calls (`Planned.stages`); ``min_calls`` in the suite is
its length. Tasks are interleaved by shape, so ``--limit 14`` runs two of each.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # agent_world_data, run from anywhere

import yaml
from agent_world_data import (
    CITIES,
    COMPANIES,
    COUNTRIES,
    EMPLOYEES,
    ORDERS,
    PRODUCTS,
    distance_km,
    exchange_rate,
    fare_usd,
)

from toolweave.distill.worlds.asker import either, listed
from toolweave.distill.worlds.names import suggestion
from toolweave.distill.worlds.planned import SHAPES, Call, Planned, calc, money_answers

SEED = 20260611
PATH = Path(__file__).resolve().parent / "agent_suite.yaml"


def _c(tool_name: str, /, **arguments: Any) -> Call:
    return tool_name, arguments


def _pick(r: random.Random, table: dict, k: int | None = None) -> Any:
    return r.choice(list(table)) if k is None else r.sample(list(table), k)


def _managed(levels: int) -> list[str]:
    """People with a chain of ``levels`` managers above them."""
    out = []
    for person in EMPLOYEES:
        boss, ok = person, True
        for _ in range(levels):
            boss = EMPLOYEES[boss][1]
            if boss is None:
                ok = False
                break
        if ok:
            out.append(person)
    return out


# -- single: one lookup -----------------------------------------------------------------------

def single(r: random.Random) -> list[Planned]:
    city, city2, company = _pick(r, CITIES), _pick(r, CITIES), _pick(r, COMPANIES)
    ticker = COMPANIES[_pick(r, COMPANIES)][0]
    product, product2 = _pick(r, PRODUCTS, 2)
    person, order = _pick(r, EMPLOYEES), _pick(r, ORDERS)
    a, b = _pick(r, CITIES, 2)
    temp = CITIES[city][2]
    return [
        Planned(shape="single", question=f"What is the temperature in {city} right now?",
                answers=[str(temp)], stages=[[_c("get_weather", city=city)]]),
        # either half of the tool's answer ("14 °C, cloudy") describes the weather
        Planned(shape="single", question=f"What is the weather like in {city2} at the moment?",
                answers=[CITIES[city2][3], str(CITIES[city2][2])],
                stages=[[_c("get_weather", city=city2)]]),
        Planned(shape="single", question=f"Which timezone is {a} in?",
                answers=[f"UTC+{CITIES[a][1]}"], stages=[[_c("get_timezone", city=a)]]),
        Planned(shape="single", question=f"What is the stock ticker of {company}?",
                answers=[COMPANIES[company][0]], stages=[[_c("lookup_ticker", company=company)]]),
        Planned(shape="single", question=f"What is the current share price of {ticker}?",
                answers=[next(f"{p:.2f}" for t, p in COMPANIES.values() if t == ticker)],
                stages=[[_c("get_stock_price", ticker=ticker)]]),
        Planned(shape="single", question=f"What is the price of the {product}?",
                answers=[f"{PRODUCTS[product][0]:.2f}"],
                stages=[[_c("get_product_price", product=product)]]),
        Planned(shape="single", question=f"How many units of the {product2} are in stock?",
                answers=[str(PRODUCTS[product2][1])],
                stages=[[_c("get_product_stock", product=product2)]]),
        Planned(shape="single", question=f"Which department does {person} work in?",
                answers=[EMPLOYEES[person][0]], stages=[[_c("get_employee", name=person)]]),
        Planned(shape="single", question=f"What is the status of order {order}?",
                answers=[ORDERS[order][2]], stages=[[_c("get_order", order_id=order)]]),
        Planned(shape="single", question=f"How far is it from {a} to {b}?",
                answers=[str(distance_km(a, b))],
                stages=[[_c("get_distance", from_city=a, to_city=b)]]),
    ]


# -- fanout: independent lookups, one answer that needs them all ------------------------------

def fanout(r: random.Random) -> list[Planned]:
    out = []
    cities = _pick(r, CITIES, 3)
    warmest = max(cities, key=lambda c: CITIES[c][2])
    out.append(Planned(shape="fanout", question=f"Which is warmest right now: {either(cities)}?",
                       answers=[warmest], stages=[[_c("get_weather", city=c) for c in cities]]))
    while True:
        orders = sorted(_pick(r, ORDERS, 6))
        n = sum(ORDERS[o][2] == "delivered" for o in orders)
        if 1 <= n <= 5:
            break
    out.append(Planned(shape="fanout",
                       question=f"How many of the orders {listed(orders)} have been delivered?",
                       answers=[str(n)], stages=[[_c("get_order", order_id=o) for o in orders]]))
    products = _pick(r, PRODUCTS, 4)
    cheapest = min(products, key=lambda p: PRODUCTS[p][0])
    out.append(Planned(shape="fanout",
                       question=f"Which is the cheapest of these products: {listed(products)}?",
                       answers=[cheapest],
                       stages=[[_c("get_product_price", product=p) for p in products]]))
    while True:
        eight = _pick(r, CITIES, 8)
        country = _pick(r, COUNTRIES)
        n = sum(CITIES[c][0] == country for c in eight)
        if 2 <= n <= 5:
            break
    out.append(Planned(shape="fanout",
                       question=f"How many of these cities are in {country}: {listed(eight)}?",
                       answers=[str(n)], stages=[[_c("get_country", city=c) for c in eight]]))
    while True:
        people = _pick(r, EMPLOYEES, 3)
        departments = [EMPLOYEES[p][0] for p in people]
        unique = [d for d in departments if departments.count(d) == 1]
        if unique:
            break
    department = r.choice(unique)
    who = people[departments.index(department)]
    out.append(Planned(shape="fanout",
                       question=f"Which of {either(people)} works in the {department} "
                                "department?", answers=[who],
                       stages=[[_c("get_employee", name=p) for p in people]]))
    while True:
        ref, x, y = _pick(r, CITIES, 3)
        if distance_km(ref, x) != distance_km(ref, y):
            break
    closer = min((x, y), key=lambda c: distance_km(ref, c))
    out.append(Planned(shape="fanout", question=f"Which is closer to {ref}: {x} or {y}?",
                       answers=[closer], stages=[[_c("get_distance", from_city=ref, to_city=x),
                                                  _c("get_distance", from_city=ref, to_city=y)]]))
    while True:
        origin, x, y = _pick(r, CITIES, 3)
        if fare_usd(origin, x) != fare_usd(origin, y):
            break
    cheaper = min((x, y), key=lambda c: fare_usd(origin, c))
    out.append(Planned(shape="fanout",
                       question=f"Flying one way from {origin}, which is cheaper: a flight to "
                                f"{x} or a flight to {y}?", answers=[cheaper],
                       stages=[[_c("get_flight_price", origin=origin, destination=x),
                                _c("get_flight_price", origin=origin, destination=y)]]))
    product, company = _pick(r, PRODUCTS), _pick(r, COMPANIES)
    ticker, share = COMPANIES[company]
    dearer = product if PRODUCTS[product][0] > share else ticker
    out.append(Planned(shape="fanout",
                       question=f"Which costs more: one {product} or one share of {ticker}?",
                       answers=[dearer], stages=[[_c("get_product_price", product=product),
                                                  _c("get_stock_price", ticker=ticker)]]))
    while True:
        four = _pick(r, PRODUCTS, 4)
        n = sum(PRODUCTS[p][1] < 20 for p in four)
        if 1 <= n <= 3:
            break
    out.append(Planned(shape="fanout",
                       question=f"How many of these products have fewer than 20 units in "
                                f"stock: {listed(four)}?", answers=[str(n)],
                       stages=[[_c("get_product_stock", product=p) for p in four]]))
    tickers = [COMPANIES[c][0] for c in _pick(r, COMPANIES, 3)]
    top = max(tickers, key=lambda t: next(p for tt, p in COMPANIES.values() if tt == t))
    out.append(Planned(shape="fanout",
                       question=f"Which of the stocks {listed(tickers)} has the highest share "
                                "price?", answers=[top],
                       stages=[[_c("get_stock_price", ticker=t) for t in tickers]]))
    return out


# -- chain: each call needs the previous result -----------------------------------------------

def chain(r: random.Random) -> list[Planned]:
    out = []
    company = _pick(r, COMPANIES)
    ticker, price = COMPANIES[company]
    out.append(Planned(shape="chain", question=f"What is the share price of {company}?",
                       answers=[f"{price:.2f}"], stages=[[_c("lookup_ticker", company=company)],
                                                         [_c("get_stock_price", ticker=ticker)]]))
    person = _pick(r, EMPLOYEES)
    office = EMPLOYEES[person][2]
    out.append(Planned(shape="chain",
                       question=f"What is the temperature right now in the city where {person} "
                                "works?", answers=[str(CITIES[office][2])],
                       stages=[[_c("get_employee", name=person)],
                               [_c("get_weather", city=office)]]))
    person = r.choice(_managed(1))
    boss = EMPLOYEES[person][1]
    boss_office = EMPLOYEES[boss][2]
    out.append(Planned(shape="chain",
                       question=f"In which timezone is the office of {person}'s manager?",
                       answers=[f"UTC+{CITIES[boss_office][1]}"],
                       stages=[[_c("get_employee", name=person)], [_c("get_employee", name=boss)],
                               [_c("get_timezone", city=boss_office)]]))
    city = _pick(r, CITIES)
    country = CITIES[city][0]
    code, name, _ = COUNTRIES[country]
    out.append(Planned(shape="chain", question=f"What currency is used in {city}?",
                       answers=[code, name],
                       stages=[[_c("get_country", city=city)],
                               [_c("get_currency", country=country)]]))
    order = _pick(r, ORDERS)
    product = ORDERS[order][0]
    out.append(Planned(shape="chain",
                       question=f"What is the unit price of the product in order {order}?",
                       answers=[f"{PRODUCTS[product][0]:.2f}"],
                       stages=[[_c("get_order", order_id=order)],
                               [_c("get_product_price", product=product)]]))
    order = r.choice([o for o in ORDERS if ORDERS[o][0] != product])
    product = ORDERS[order][0]
    out.append(Planned(shape="chain",
                       question=f"How many units of the product ordered in {order} are still in "
                                "stock?", answers=[str(PRODUCTS[product][1])],
                       stages=[[_c("get_order", order_id=order)],
                               [_c("get_product_stock", product=product)]]))
    person = _pick(r, EMPLOYEES)
    office = EMPLOYEES[person][2]
    country = CITIES[office][0]
    code, name, _ = COUNTRIES[country]
    out.append(Planned(shape="chain",
                       question=f"Which currency is used in the city where {person}'s office "
                                "is?", answers=[code, name],
                       stages=[[_c("get_employee", name=person)], [_c("get_country", city=office)],
                               [_c("get_currency", country=country)]]))
    person = r.choice(_managed(2))
    boss = EMPLOYEES[person][1]
    top = EMPLOYEES[boss][1]
    out.append(Planned(shape="chain",
                       question=f"Which department does the manager of {person}'s manager work "
                                "in?", answers=[EMPLOYEES[top][0]],
                       stages=[[_c("get_employee", name=person)], [_c("get_employee", name=boss)],
                               [_c("get_employee", name=top)]]))
    person = r.choice([p for p in _managed(2) if p != person] or _managed(2))
    boss = EMPLOYEES[person][1]
    top = EMPLOYEES[boss][1]
    top_office = EMPLOYEES[top][2]
    out.append(Planned(shape="chain",
                       question=f"How much does a hotel night cost in the city where the manager "
                                f"of {person}'s manager works?",
                       answers=[str(CITIES[top_office][4])],
                       stages=[[_c("get_employee", name=person)], [_c("get_employee", name=boss)],
                               [_c("get_employee", name=top)],
                               [_c("get_hotel_price", city=top_office)]]))
    city = r.choice([c for c in CITIES if c != city])
    country = CITIES[city][0]
    code = COUNTRIES[country][0]
    out.append(Planned(shape="chain",
                       question=f"How many US dollars does one unit of the currency used in "
                                f"{city} buy?", answers=[f"{exchange_rate(code, 'USD'):g}"],
                       stages=[[_c("get_country", city=city)],
                               [_c("get_currency", country=country)],
                               [_c("get_exchange_rate", from_currency=code, to_currency="USD")]]))
    return out


# -- diamond: independent branches joined by a final call or comparison -----------------------

def diamond(r: random.Random) -> list[Planned]:
    out = []
    a, b = sorted(_pick(r, COMPANIES, 2), key=lambda c: -COMPANIES[c][1])
    (ta, pa), (tb, pb) = COMPANIES[a], COMPANIES[b]
    call, result = calc(f"{pa:.2f} - {pb:.2f}")
    out.append(Planned(shape="diamond",
                       question=f"How much higher is the share price of {a} than that of {b}?",
                       answers=money_answers(result),
                       stages=[[_c("lookup_ticker", company=a), _c("lookup_ticker", company=b)],
                               [_c("get_stock_price", ticker=ta), _c("get_stock_price", ticker=tb)],
                               [call]]))

    def two_offices() -> tuple[str, str, str, str]:
        while True:
            x, y = _pick(r, EMPLOYEES, 2)
            if EMPLOYEES[x][2] != EMPLOYEES[y][2]:
                return x, y, EMPLOYEES[x][2], EMPLOYEES[y][2]

    x, y, ox, oy = two_offices()
    out.append(Planned(shape="diamond", question=f"How far apart are the offices of {x} and {y}?",
                       answers=[str(distance_km(ox, oy))],
                       stages=[[_c("get_employee", name=x), _c("get_employee", name=y)],
                               [_c("get_distance", from_city=ox, to_city=oy)]]))
    x, y, ox, oy = two_offices()
    out.append(Planned(shape="diamond",
                       question=f"How much is a one-way flight from {x}'s office city to "
                                f"{y}'s office city?", answers=[str(fare_usd(ox, oy))],
                       stages=[[_c("get_employee", name=x), _c("get_employee", name=y)],
                               [_c("get_flight_price", origin=ox, destination=oy)]]))
    warm, cold = sorted(_pick(r, CITIES, 2), key=lambda c: -CITIES[c][2])
    call, result = calc(f"{CITIES[warm][2]} - {CITIES[cold][2]}")
    out.append(Planned(shape="diamond",
                       question=f"How many degrees warmer is it in {warm} than in {cold} right "
                                "now?", answers=[result],
                       stages=[[_c("get_weather", city=warm), _c("get_weather", city=cold)],
                               [call]]))
    dear, cheap = sorted(_pick(r, PRODUCTS, 2), key=lambda p: -PRODUCTS[p][0])
    call, result = calc(f"{PRODUCTS[dear][0]:.2f} - {PRODUCTS[cheap][0]:.2f}")
    out.append(Planned(shape="diamond",
                       question=f"How much more expensive is the {dear} than the {cheap}?",
                       answers=money_answers(result),
                       stages=[[_c("get_product_price", product=dear),
                                _c("get_product_price", product=cheap)], [call]]))
    ca, cb = _pick(r, COUNTRIES, 2)
    code_a, code_b = COUNTRIES[ca][0], COUNTRIES[cb][0]
    out.append(Planned(shape="diamond",
                       question=f"How many units of {cb}'s currency does one unit of {ca}'s "
                                "currency buy?", answers=[f"{exchange_rate(code_a, code_b):g}"],
                       stages=[[_c("get_currency", country=ca), _c("get_currency", country=cb)],
                               [_c("get_exchange_rate", from_currency=code_a,
                                   to_currency=code_b)]]))
    city = _pick(r, CITIES)
    country, night = CITIES[city][0], CITIES[city][4]
    code = COUNTRIES[country][0]
    rate = exchange_rate(code, "USD")
    call, result = calc(f"{night} * {rate:g}")
    out.append(Planned(shape="diamond",
                       question=f"How much does a hotel night in {city} cost in US dollars?",
                       answers=money_answers(result),
                       stages=[[_c("get_hotel_price", city=city), _c("get_country", city=city)],
                               [_c("get_currency", country=country)],
                               [_c("get_exchange_rate", from_currency=code, to_currency="USD")],
                               [call]]))
    pa, pb = _pick(r, PRODUCTS, 2)
    call, result = calc(f"{PRODUCTS[pa][1]} + {PRODUCTS[pb][1]}")
    out.append(Planned(shape="diamond",
                       question=f"How many units of the {pa} and the {pb} are in stock "
                                "altogether?", answers=[result],
                       stages=[[_c("get_product_stock", product=pa),
                                _c("get_product_stock", product=pb)], [call]]))
    while True:
        person = _pick(r, EMPLOYEES)
        office = EMPLOYEES[person][2]
        x, y = _pick(r, CITIES, 2)
        if office not in (x, y) and distance_km(office, x) != distance_km(office, y):
            break
    closer = min((x, y), key=lambda c: distance_km(office, c))
    out.append(Planned(shape="diamond",
                       question=f"Which is closer to {person}'s office: {x} or {y}?",
                       answers=[closer],
                       stages=[[_c("get_employee", name=person)],
                               [_c("get_distance", from_city=office, to_city=x),
                                _c("get_distance", from_city=office, to_city=y)]]))
    x, y, ox, oy = two_offices()
    warmer = x if CITIES[ox][2] > CITIES[oy][2] else y
    out.append(Planned(shape="diamond",
                       question=f"Whose office city is warmer right now, {x}'s or {y}'s?",
                       answers=[warmer],
                       stages=[[_c("get_employee", name=x), _c("get_employee", name=y)],
                               [_c("get_weather", city=ox), _c("get_weather", city=oy)]]))
    return out


# -- arithmetic: lookups, then the calculator -------------------------------------------------

def arithmetic(r: random.Random) -> list[Planned]:
    out = []

    def add(question: str, lookups: list[list[Call]], expression: str, money: bool) -> None:
        call, result = calc(expression)
        answers = money_answers(result) if money else [result]
        out.append(Planned(shape="arithmetic", question=question, answers=answers,
                           stages=[*lookups, [call]]))

    product, n = _pick(r, PRODUCTS), r.randint(2, 9)
    add(f"How much do {n} units of the {product} cost?",
        [[_c("get_product_price", product=product)]], f"{n} * {PRODUCTS[product][0]:.2f}", True)
    a, b = _pick(r, PRODUCTS, 2)
    add(f"What do one {a} and one {b} cost together?",
        [[_c("get_product_price", product=a), _c("get_product_price", product=b)]],
        f"{PRODUCTS[a][0]:.2f} + {PRODUCTS[b][0]:.2f}", True)
    ticker, price = COMPANIES[_pick(r, COMPANIES)]
    n = r.randint(3, 40)
    add(f"How much do {n} shares of {ticker} cost?", [[_c("get_stock_price", ticker=ticker)]],
        f"{n} * {price:.2f}", True)
    city, n = _pick(r, CITIES), r.randint(2, 7)
    add(f"How much do {n} hotel nights in {city} cost, in the local currency?",
        [[_c("get_hotel_price", city=city)]], f"{n} * {CITIES[city][4]}", False)
    x, y = _pick(r, CITIES, 2)
    add(f"What does a round trip between {x} and {y} cost, paying the one-way fare each way?",
        [[_c("get_flight_price", origin=x, destination=y)]], f"2 * {fare_usd(x, y)}", False)
    order = _pick(r, ORDERS)
    product, quantity, _ = ORDERS[order]
    add(f"What is the total price of order {order}?", [[_c("get_order", order_id=order)],
                                                       [_c("get_product_price", product=product)]],
        f"{quantity} * {PRODUCTS[product][0]:.2f}", True)
    country = _pick(r, COUNTRIES)
    code = COUNTRIES[country][0]
    amount = r.choice([120, 250, 400, 750, 1000, 1800])
    rate = exchange_rate(code, "USD")
    add(f"How many US dollars is {amount} {code}?",
        [[_c("get_exchange_rate", from_currency=code, to_currency="USD")]],
        f"{amount} * {rate:g}", True)
    four = _pick(r, CITIES, 4)
    add(f"What is the average temperature right now across {listed(four)}?",
        [[_c("get_weather", city=c) for c in four]],
        f"({' + '.join(str(CITIES[c][2]) for c in four)}) / 4", False)
    product = _pick(r, PRODUCTS)
    price, units = PRODUCTS[product]
    add(f"What is the total value of the {product} units in stock, at the catalogue price?",
        [[_c("get_product_price", product=product), _c("get_product_stock", product=product)]],
        f"{price:.2f} * {units}", True)
    x, y = _pick(r, CITIES, 2)
    add(f"How many kilometres is the trip from {x} to {y} and back?",
        [[_c("get_distance", from_city=x, to_city=y)]], f"2 * {distance_km(x, y)}", False)
    return out


# -- notool: answered directly ----------------------------------------------------------------

NO_TOOL = [
    ("Reply with just the word OK.", ["OK"]),
    ("What is the opposite of 'cold'?", ["hot"]),
    ("Spell the word 'cat' backwards.", ["tac"]),
    ("What colour do you get when you mix blue and yellow paint?", ["green"]),
    ("What is the plural of 'mouse'?", ["mice"]),
    ("Which day of the week comes after Monday?", ["Tuesday"]),
    ("Translate the Spanish word 'gato' into English.", ["cat"]),
    ("What is the past tense of 'run'?", ["ran"]),
    ("How many legs does a spider have?", ["8", "eight"]),
    ("Say hello in French, in one word.", ["bonjour", "salut"]),
    ("What is the last letter of the English alphabet?", ["z"]),
    ("Which is the largest planet in the solar system?", ["Jupiter"]),
]


def notool(r: random.Random) -> list[Planned]:
    return [Planned(shape="notool", question=q, answers=a) for q, a in r.sample(NO_TOOL, 10)]


# -- recovery: the natural first call fails and says how to fix it ----------------------------

def typo(r: random.Random, name: str, names: list[str]) -> str:
    """A misspelling of one word of ``name`` that is no name itself and whose closest name is
    ``name`` (so the tool's "did you mean" points back at it)."""
    words = name.split()
    for _ in range(200):
        i = r.choice([k for k, w in enumerate(words) if len(w) >= 5])
        w = words[i]
        j = r.randint(1, len(w) - 2)
        kind = r.choice(["drop", "double", "swap"])
        new = (w[:j] + w[j + 1:] if kind == "drop" else w[:j] + w[j] + w[j:] if kind == "double"
               else w[:j] + w[j + 1] + w[j] + w[j + 2:])
        candidate = " ".join([*words[:i], new, *words[i + 1:]])
        if candidate.casefold() not in {n.casefold() for n in names} \
                and suggestion(candidate, names) == name:
            return candidate
    raise RuntimeError(f"no usable misspelling of {name!r}")


def recovery(r: random.Random) -> list[Planned]:
    out = []
    cities, products = list(CITIES), list(PRODUCTS)
    a, b = _pick(r, CITIES, 2)
    bad = typo(r, a, cities)
    out.append(Planned(shape="recovery", question=f"What is the temperature in {bad} right now?",
                       answers=[str(CITIES[a][2])], stages=[[_c("get_weather", city=bad)],
                                                            [_c("get_weather", city=a)]]))
    bad = typo(r, b, cities)
    out.append(Planned(shape="recovery", question=f"Which timezone is {bad} in?",
                       answers=[f"UTC+{CITIES[b][1]}"],
                       stages=[[_c("get_timezone", city=bad)], [_c("get_timezone", city=b)]]))
    p, q = _pick(r, PRODUCTS, 2)
    bad = typo(r, p, products)
    out.append(Planned(shape="recovery", question=f"What is the price of the {bad}?",
                       answers=[f"{PRODUCTS[p][0]:.2f}"],
                       stages=[[_c("get_product_price", product=bad)],
                               [_c("get_product_price", product=p)]]))
    bad = typo(r, q, products)
    out.append(Planned(shape="recovery", question=f"How many units of the {bad} are in stock?",
                       answers=[str(PRODUCTS[q][1])],
                       stages=[[_c("get_product_stock", product=bad)],
                               [_c("get_product_stock", product=q)]]))
    person = _pick(r, EMPLOYEES)
    bad = typo(r, person, list(EMPLOYEES))
    out.append(Planned(shape="recovery", question=f"Which department does {bad} work in?",
                       answers=[EMPLOYEES[person][0]], stages=[[_c("get_employee", name=bad)],
                                                               [_c("get_employee", name=person)]]))
    company = _pick(r, COMPANIES)
    bad = typo(r, company, list(COMPANIES))
    ticker, price = COMPANIES[company]
    out.append(Planned(shape="recovery", question=f"What is the share price of {bad}?",
                       answers=[f"{price:.2f}"],
                       stages=[[_c("lookup_ticker", company=bad)],
                               [_c("lookup_ticker", company=company)],
                               [_c("get_stock_price", ticker=ticker)]]))
    first, second = _pick(r, ORDERS, 2)
    digits = first.removeprefix("ORD-")
    out.append(Planned(shape="recovery", question=f"What is the status of order number {digits}?",
                       answers=[ORDERS[first][2]], stages=[[_c("get_order", order_id=digits)],
                                                           [_c("get_order", order_id=first)]]))
    sales = "SO-" + second.removeprefix("ORD-")
    out.append(Planned(shape="recovery", question=f"Which product is in order {sales}?",
                       answers=[ORDERS[second][0]],
                       stages=[[_c("get_order", order_id=sales)],
                               [_c("get_order", order_id=second)]]))
    origin, dest = _pick(r, CITIES, 2)
    bad = typo(r, dest, cities)
    out.append(Planned(shape="recovery",
                       question=f"How much is a one-way flight from {origin} to {bad}?",
                       answers=[str(fare_usd(origin, dest))],
                       stages=[[_c("get_flight_price", origin=origin, destination=bad)],
                               [_c("get_flight_price", origin=origin, destination=dest)]]))
    country = _pick(r, COUNTRIES)
    bad = typo(r, country, list(COUNTRIES))
    code, name, _ = COUNTRIES[country]
    out.append(Planned(shape="recovery", question=f"Which currency is used in {bad}?",
                       answers=[code, name],
                       stages=[[_c("get_currency", country=bad)],
                               [_c("get_currency", country=country)]]))
    return out


BUILDERS: dict[str, Callable[[random.Random], list[Planned]]] = {
    "single": single, "fanout": fanout, "chain": chain, "diamond": diamond,
    "arithmetic": arithmetic, "notool": notool, "recovery": recovery}


def planned_tasks(seed: int = SEED) -> list[Planned]:
    """Every task with its ideal run, interleaved by shape (single-01, fanout-01, …)."""
    r = random.Random(seed)
    by_shape = {shape: BUILDERS[shape](r) for shape in SHAPES}
    out = []
    for i in range(max(len(tasks) for tasks in by_shape.values())):
        for shape in SHAPES:
            if i < len(by_shape[shape]):
                task = by_shape[shape][i]
                task.id = f"{shape}-{i + 1:02d}"
                out.append(task)
    questions = [t.question for t in out]
    assert len(set(questions)) == len(questions), "two tasks ask the same question"
    return out


HEADER = """\
# The agent benchmark (bench/agent.py, `make bench-agent`): multi-step questions over the
# offline world of bench/agent_world.py. GENERATED by bench/agent_suite_gen.py: edit that and
# regenerate (.venv/bin/python bench/agent_suite_gen.py), do not edit this file.
# The tools are imported as `agent_world:TOOLS`, so bench/ must be on the Python path:
#   PYTHONPATH=bench toolweave eval suite bench/agent_suite.yaml --model oracle
"""


def render(tasks: list[Planned]) -> str:
    """The suite file's text."""
    doc = {
        "name": "agent",
        "description": "Multi-step tool use over an invented offline world (14 tools plus the "
                       "calculator): one shape tag per task (" + ", ".join(SHAPES) + ").",
        "tools": [{"python": "agent_world:TOOLS"}],
        "tasks": [{"id": t.id, "question": t.question,
                   "answer": t.answers[0] if len(t.answers) == 1 else t.answers,
                   "min_calls": t.min_calls, "tags": [t.shape]} for t in tasks],
    }
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    return HEADER + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=PATH)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the file differs from what would be generated")
    args = parser.parse_args(argv)
    text = render(planned_tasks(args.seed))
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'out of date'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}: {text.count('- id:')} tasks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
