"""The data of the agent benchmark's offline world (see `agent_world` for its tools).

Every name is invented (cities, countries, currencies, companies, products, people, orders), so a
model cannot answer from memory: it has to call the tools. The values are chosen so that the
benchmark's arithmetic stays exact: prices have two decimals, every temperature is different (a
"warmest" question has one answer), and each currency is worth a multiple of 0.05 USD, so a
whole-number amount converts to at most two decimals.
"""

from __future__ import annotations

import math

# country: (currency code, currency name, value of one unit in USD)
COUNTRIES: dict[str, tuple[str, str, float]] = {
    "Valdoria": ("VLC", "Valdorian crown", 0.25),
    "Norvenia": ("NVM", "Norvenian mark", 1.25),
    "Castellane": ("CSL", "Castellan lira", 0.5),
    "Korvath": ("KVD", "Korvathi dinar", 2.5),
    "Lindqvar": ("LQT", "Lindqvari thaler", 0.75),
}
USD_NAME = "US dollar"

# city: (country, UTC offset in hours, temperature °C, sky, hotel night in local currency,
#        x km, y km) - the coordinates place the cities on a plane, for distances and fares
CITIES: dict[str, tuple[str, int, int, str, int, int, int]] = {
    "Brennholm": ("Valdoria", 1, 14, "cloudy", 480, 0, 0),
    "Calvera": ("Castellane", 2, 27, "sunny", 190, 820, -310),
    "Dunmere": ("Norvenia", 1, 9, "light rain", 88, 150, 420),
    "Esterlund": ("Valdoria", 1, 11, "fog", 360, -230, 180),
    "Farrowgate": ("Norvenia", 1, 6, "snow showers", 72, 310, 760),
    "Galdera": ("Korvath", 3, 31, "clear skies", 44, 1640, -220),
    "Halvik": ("Lindqvar", 4, 3, "snow", 140, 2100, 900),
    "Istrana": ("Castellane", 2, 24, "partly cloudy", 230, 1010, -560),
    "Jorvale": ("Korvath", 3, 29, "windy", 38, 1880, -40),
    "Kelmarsh": ("Lindqvar", 4, 7, "overcast", 120, 2350, 640),
    "Lunetta": ("Castellane", 2, 21, "thunderstorms", 170, 700, -720),
    "Marrowby": ("Valdoria", 1, 16, "drizzle", 400, -90, -260),
}

# company: (ticker, share price in USD)
COMPANIES: dict[str, tuple[str, float]] = {
    "Nova Dynamics": ("NOVD", 142.35),
    "Orvane Systems": ("ORVS", 58.10),
    "Kestrel Biotech": ("KSTB", 23.75),
    "Halcyon Foods": ("HLCF", 87.40),
    "Brightwater Energy": ("BWTR", 64.95),
    "Quillon Robotics": ("QLRB", 211.60),
    "Meridian Freight": ("MRDF", 35.20),
    "Solenne Textiles": ("SLNT", 12.85),
    "Pellucid Labs": ("PLCD", 176.05),
    "Tarragon Mining": ("TRGM", 49.30),
}
TICKERS: dict[str, tuple[str, float]] = {t: (c, p) for c, (t, p) in COMPANIES.items()}

# product: (price in USD, units in stock) - every price and every stock level differs
PRODUCTS: dict[str, tuple[float, int]] = {
    "Zephyr Lamp": (34.99, 12),
    "Orbit Kettle": (48.50, 5),
    "Lumen Desk": (219.00, 3),
    "Tundra Backpack": (79.95, 25),
    "Nimbus Pillow": (24.99, 40),
    "Quill Pen Set": (15.49, 63),
    "Harbor Mug": (9.75, 120),
    "Vesta Heater": (129.00, 7),
    "Cobalt Headphones": (89.90, 18),
    "Marlin Umbrella": (19.99, 34),
    "Aster Chair": (149.50, 9),
    "Fjord Blanket": (39.95, 27),
}

# person: (department, manager or None, office city)
EMPLOYEES: dict[str, tuple[str, str | None, str]] = {
    "Ingrid Solberg": ("Executive", None, "Brennholm"),
    "Tomas Hallberg": ("Logistics", "Ingrid Solberg", "Dunmere"),
    "Renata Vasquez": ("Research", "Ingrid Solberg", "Calvera"),
    "Kenji Aramaki": ("Finance", "Ingrid Solberg", "Galdera"),
    "Alice Moreau": ("Logistics", "Tomas Hallberg", "Farrowgate"),
    "Piotr Nowicki": ("Procurement", "Tomas Hallberg", "Esterlund"),
    "Leila Haddad": ("Research", "Renata Vasquez", "Istrana"),
    "Oskar Lindgren": ("Quality", "Renata Vasquez", "Halvik"),
    "Mira Castell": ("Design", "Renata Vasquez", "Lunetta"),
    "Sanna Virtanen": ("Finance", "Kenji Aramaki", "Jorvale"),
    "Felix Brandt": ("Sales", "Kenji Aramaki", "Kelmarsh"),
    "Clara Ostrova": ("Legal", "Kenji Aramaki", "Galdera"),
    "Noor Rahimi": ("Sales", "Felix Brandt", "Marrowby"),
    "Jonas Ekberg": ("Logistics", "Alice Moreau", "Brennholm"),
}

# order id: (product, quantity, status)
ORDERS: dict[str, tuple[str, int, str]] = {
    "ORD-10231": ("Zephyr Lamp", 2, "delivered"),
    "ORD-10232": ("Harbor Mug", 6, "shipped"),
    "ORD-10233": ("Vesta Heater", 1, "processing"),
    "ORD-10234": ("Nimbus Pillow", 4, "delivered"),
    "ORD-10235": ("Cobalt Headphones", 1, "cancelled"),
    "ORD-10236": ("Quill Pen Set", 3, "shipped"),
    "ORD-10237": ("Aster Chair", 2, "delivered"),
    "ORD-10238": ("Tundra Backpack", 1, "shipped"),
    "ORD-10239": ("Fjord Blanket", 2, "processing"),
    "ORD-10240": ("Marlin Umbrella", 5, "delivered"),
    "ORD-10241": ("Lumen Desk", 1, "shipped"),
    "ORD-10242": ("Orbit Kettle", 3, "delivered"),
}


def distance_km(a: str, b: str) -> int:
    """Straight-line distance between two cities, in whole km."""
    (*_, xa, ya), (*_, xb, yb) = CITIES[a], CITIES[b]
    return round(math.hypot(xa - xb, ya - yb))


def fare_usd(origin: str, destination: str) -> int:
    """One-way economy fare: a base price plus a rate per km (the same both ways)."""
    return 49 + round(distance_km(origin, destination) * 0.11)


def exchange_rate(source: str, target: str) -> float:
    """Units of ``target`` currency one unit of ``source`` buys, to 4 decimals."""
    value = {code: usd for code, _, usd in COUNTRIES.values()} | {"USD": 1.0}
    return round(value[source] / value[target], 4)
