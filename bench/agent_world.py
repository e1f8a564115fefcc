"""The agent benchmark's offline world: 14 typed tools over invented data (`agent_world_data`).

Each tool is ``async`` and sleeps a deterministic latency (0.1-0.6 s, a function of the tool
and its arguments) to stand in for a real service, then answers with a short string or a JSON
object. Names match case-insensitively; an unknown name raises a ValueError that says what
is wrong and how to fix it ("unknown city 'Brenholm'; did you mean 'Brennholm'?"), which is
what the benchmark's recovery questions rely on.

A suite names the tools as ``python: agent_world:TOOLS``, so this folder must be importable:
``bench/agent.py`` puts it on ``sys.path``; for ``toolweave eval suite`` run with
``PYTHONPATH=bench``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import zlib
from typing import Any

from agent_world_data import (
    CITIES,
    COMPANIES,
    COUNTRIES,
    EMPLOYEES,
    ORDERS,
    PRODUCTS,
    TICKERS,
    USD_NAME,
    distance_km,
    exchange_rate,
    fare_usd,
)

from toolweave.distill.worlds.names import fold as _fold
from toolweave.distill.worlds.names import resolve, unknown
from toolweave.tools import tool

# Multiplies every simulated latency: tests set it to 0; AGENT_WORLD_LATENCY=0 does the same
# for a quick check of the harness from the command line.
LATENCY_SCALE = float(os.environ.get("AGENT_WORLD_LATENCY", "1"))


def latency(tool_name: str, arguments: dict[str, Any]) -> float:
    """Seconds a call takes: 0.1-0.6 in steps of 0.05, the same for the same call every run
    (crc32, unlike ``hash``, does not change between processes)."""
    key = f"{tool_name}:{json.dumps(arguments, sort_keys=True)}"
    return 0.1 + 0.05 * (zlib.crc32(key.encode()) % 11)


async def _service(tool_name: str, **arguments: Any) -> None:
    await asyncio.sleep(latency(tool_name, arguments) * LATENCY_SCALE)


def _city(value: str) -> str:
    if _fold(value) in {_fold(c) for c in COUNTRIES}:
        raise ValueError(f"{value!r} is a country, not a city; known cities: {', '.join(CITIES)}")
    return resolve("city", value, CITIES)


def _two_cities(a: str, b: str) -> tuple[str, str]:
    a, b = _city(a), _city(b)
    if a == b:
        raise ValueError(f"both cities are {a!r}; give two different cities")
    return a, b


@tool
async def get_weather(city: str) -> str:
    """The current weather in a city: temperature in °C and sky conditions.

    Args:
        city: the city's name, e.g. "Brennholm".
    """
    await _service("get_weather", city=city)
    _, _, temp, sky, *_ = CITIES[_city(city)]
    return f"{temp} °C, {sky}"


@tool
async def get_timezone(city: str) -> str:
    """The timezone of a city, as an offset from UTC.

    Args:
        city: the city's name.
    """
    await _service("get_timezone", city=city)
    return f"UTC+{CITIES[_city(city)][1]}"


@tool
async def get_country(city: str) -> str:
    """The country a city is in.

    Args:
        city: the city's name.
    """
    await _service("get_country", city=city)
    return CITIES[_city(city)][0]


@tool
async def get_currency(country: str) -> str:
    """The currency of a country: its code and name.

    Args:
        country: the country's name (not a city: get a city's country with get_country).
    """
    await _service("get_currency", country=country)
    if _fold(country) in {_fold(c) for c in CITIES}:
        raise ValueError(f"{country!r} is a city, not a country; get its country with "
                         "get_country first")
    code, name, _ = COUNTRIES[resolve("country", country, COUNTRIES)]
    return f"{code} ({name})"


def _currency(value: str) -> str:
    codes = {code: name for code, name, _ in COUNTRIES.values()} | {"USD": USD_NAME}
    by_name = {_fold(name): code for code, name in codes.items()}
    if _fold(value) in by_name:  # "Valdorian crown" is as good as "VLC"
        return by_name[_fold(value)]
    if _fold(value) in {_fold(c) for c in COUNTRIES}:
        raise ValueError(f"{value!r} is a country, not a currency; get its currency code "
                         "with get_currency")
    return resolve("currency code", value.strip().upper(), codes)


@tool
async def get_exchange_rate(from_currency: str, to_currency: str) -> str:
    """How many units of one currency one unit of another buys.

    Args:
        from_currency: the currency to convert from: a code such as "VLC" or "USD".
        to_currency: the currency to convert to: a code such as "USD".
    """
    await _service("get_exchange_rate", from_currency=from_currency, to_currency=to_currency)
    source, target = _currency(from_currency), _currency(to_currency)
    return f"1 {source} = {exchange_rate(source, target):g} {target}"


@tool
async def lookup_ticker(company: str) -> str:
    """The stock ticker symbol of a listed company.

    Args:
        company: the company's name, e.g. "Nova Dynamics".
    """
    await _service("lookup_ticker", company=company)
    if company.strip().upper() in TICKERS:
        raise ValueError(f"{company!r} is already a ticker (of "
                         f"{TICKERS[company.strip().upper()][0]}); get its price with "
                         "get_stock_price")
    return COMPANIES[resolve("company", company, COMPANIES)][0]


@tool
async def get_stock_price(ticker: str) -> str:
    """The current share price of a stock, in USD.

    Args:
        ticker: the stock's ticker symbol, e.g. "NOVD" (find it with lookup_ticker).
    """
    await _service("get_stock_price", ticker=ticker)
    if _fold(ticker) in {_fold(c) for c in COMPANIES}:
        raise ValueError(f"{ticker!r} is a company name, not a ticker; get its ticker with "
                         "lookup_ticker first")
    symbol = resolve("ticker", ticker.strip().upper(), TICKERS)
    return f"{TICKERS[symbol][1]:.2f} USD"


@tool
async def get_product_price(product: str) -> str:
    """The price of one unit of a product in the shop's catalogue, in USD.

    Args:
        product: the product's name, e.g. "Zephyr Lamp".
    """
    await _service("get_product_price", product=product)
    return f"{PRODUCTS[resolve('product', product, PRODUCTS)][0]:.2f} USD"


@tool
async def get_product_stock(product: str) -> str:
    """How many units of a product are in stock.

    Args:
        product: the product's name.
    """
    await _service("get_product_stock", product=product)
    return f"{PRODUCTS[resolve('product', product, PRODUCTS)][1]} units in stock"


@tool
async def get_employee(name: str) -> dict[str, Any]:
    """An employee's directory entry: department, manager and office city.

    Args:
        name: the employee's full name, e.g. "Alice Moreau".
    """
    await _service("get_employee", name=name)
    person = resolve("employee", name, EMPLOYEES)
    department, manager, office = EMPLOYEES[person]
    return {"name": person, "department": department, "manager": manager, "office": office}


@tool
async def get_order(order_id: str) -> dict[str, Any]:
    """An order's product, quantity and delivery status.

    Args:
        order_id: the order's id.
    """
    await _service("get_order", order_id=order_id)
    key = order_id.strip().upper()
    if key not in ORDERS:
        digits = "".join(re.findall(r"\d", key))
        if f"ORD-{digits}" in ORDERS:  # "10234", "#10234", "SO-10234": the number is right
            raise ValueError(f"unknown order id {order_id!r}: order ids start with 'ORD-'; "
                             f"did you mean 'ORD-{digits}'?")
        raise unknown("order id", order_id, ORDERS)
    product, quantity, status = ORDERS[key]
    return {"order_id": key, "product": product, "quantity": quantity, "status": status}


@tool
async def get_flight_price(origin: str, destination: str) -> str:
    """The one-way economy fare of a flight between two cities, in USD.

    Args:
        origin: the city the flight leaves from.
        destination: the city the flight goes to.
    """
    await _service("get_flight_price", origin=origin, destination=destination)
    a, b = _two_cities(origin, destination)
    return f"{fare_usd(a, b)} USD one way"


@tool
async def get_distance(from_city: str, to_city: str) -> str:
    """The straight-line distance between two cities, in km.

    Args:
        from_city: one city.
        to_city: the other city.
    """
    await _service("get_distance", from_city=from_city, to_city=to_city)
    return f"{distance_km(*_two_cities(from_city, to_city))} km"


@tool
async def get_hotel_price(city: str) -> str:
    """The price of one night in a standard hotel room in a city, in the local currency.

    Args:
        city: the city's name.
    """
    await _service("get_hotel_price", city=city)
    country, _, _, _, night, *_ = CITIES[_city(city)]
    return f"{night} {COUNTRIES[country][0]} per night"


TOOLS = [get_weather, get_timezone, get_country, get_currency, get_exchange_rate, lookup_ticker,
         get_stock_price, get_product_price, get_product_stock, get_employee, get_order,
         get_flight_price, get_distance, get_hotel_price]
