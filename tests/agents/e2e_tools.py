"""Deterministic offline tools for end-to-end agent tests with real models."""

from __future__ import annotations

from typing import Literal

from toolweave.tools import tool

CAPITALS = {"france": "Paris", "japan": "Tokyo", "kenya": "Nairobi", "peru": "Lima",
            "canada": "Ottawa", "italy": "Rome", "egypt": "Cairo", "norway": "Oslo"}
WEATHER = {"paris": 18, "tokyo": 22, "nairobi": 25, "lima": 19, "ottawa": 7, "rome": 21,
           "cairo": 30, "oslo": 4}


@tool
def get_capital(country: str) -> str:
    """Return the capital city of a country.

    Args:
        country: the country's name in English.
    """
    return CAPITALS.get(country.strip().lower(), f"unknown country {country!r}")


@tool
def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
    """Return today's temperature in a city.

    Args:
        city: the city's name.
        unit: celsius or fahrenheit.
    """
    c = WEATHER.get(city.strip().lower())
    if c is None:
        return f"no weather data for {city!r}"
    return f"{c} °C" if unit == "celsius" else f"{c * 9 / 5 + 32:.0f} °F"


@tool
def convert_currency(amount: float, currency_from: str, currency_to: str) -> str:
    """Convert an amount of money between currencies at a fixed rate.

    Args:
        amount: how much money.
        currency_from: three-letter code of the currency to convert from, e.g. USD.
        currency_to: three-letter code of the currency to convert to, e.g. EUR.
    """
    rates = {"USD": 1.0, "EUR": 0.9, "GBP": 0.8, "JPY": 150.0}
    a, b = currency_from.upper(), currency_to.upper()
    if a not in rates or b not in rates:
        return f"unknown currency {a if a not in rates else b}"
    return f"{amount / rates[a] * rates[b]:.2f} {b}"


TOOLS = [get_capital, get_weather, convert_currency]
