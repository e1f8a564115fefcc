"""A tiny offline stock market for the demo: company → ticker → share price.

    PYTHONPATH=examples/tools toolweave run --tools market:TOOLS "What is the share price of Nova Dynamics?"

A question about a company's share price needs two tools in a chain: the ticker first, then
its price. The companies are invented, so the model cannot answer from memory.
"""

from __future__ import annotations

from toolweave import tool

TICKERS = {"Nova Dynamics": "NOVD", "Halcyon Foods": "HLCF", "Meridian Freight": "MRDF"}
PRICES = {"NOVD": "142.35 USD", "HLCF": "87.40 USD", "MRDF": "35.20 USD"}


def _find(table: dict[str, str], key: str, what: str) -> str:
    for name, value in table.items():
        if name.casefold() == key.strip().casefold():
            return value
    raise ValueError(f"unknown {what} {key!r}; known: {', '.join(table)}")


@tool
def lookup_ticker(company: str) -> str:
    """The stock ticker symbol of a company.

    Args:
        company: the company's name.
    """
    return _find(TICKERS, company, "company")


@tool
def get_stock_price(symbol: str) -> str:
    """The latest share price of a stock.

    Args:
        symbol: the stock's ticker symbol.
    """
    return _find(PRICES, symbol, "ticker symbol")


TOOLS = [lookup_ticker, get_stock_price]
