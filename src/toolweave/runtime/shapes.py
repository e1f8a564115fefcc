"""A value's kind by the examples the tools document.

Tools often show the shape of what a parameter takes: "the vessel's name, e.g. "MV Heishlei"",
"the port's name, e.g. "Port Skemnein"", "the company's name, e.g. "Nova Dynamics"". Names of
one kind share a word at one end ("MV …", "Port …", "… Pharma", "… Cellar"), and a small model
asked "MV Remheloux belongs to a port; which sea zone is that port in?" looks the vessel up as
a port. So a value that shares its first or last word with the example of some parameters is
offered to those, and not to parameters whose example shows another shape; a parameter with no
example, or a value that shares an end with no example, is left as it was.

Identifiers and names do not mix either, nor files and folders (`fits_form`): a parameter
whose example is an id ("CNS-17213") or that is called one (``booking_ref``, "the shipment's
id") takes no name of several words without a digit; a name's parameter takes no id
("CNS-53007"), nor, when its example is a name ("Cyrkrish Depot"), any value with a digit;
a folder's parameter (``dir_name``) takes no file name ("notes.md").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

# e.g. "MV Heishlei" / e.g., 'Port Skemnein'
_EXAMPLE = re.compile(r"""\be\.g\.,?\s*["'“‘]([^"'”’\n]{2,60})["'”’]""")
_ID_EXAMPLE = re.compile(r"[A-Za-z]{1,6}[-_ ]?\d+")
_NAME_EXAMPLE = re.compile(r"[A-Z][\w'’.-]*(?: [\w'’.-]+)*")
_ID_NAME = re.compile(r"(?:^|_)(?:id|ids|ref|no|number|code|identifier)$", re.IGNORECASE)
_ID_ABOUT = re.compile(r"\b(?:id|identifier|reference number)\b", re.IGNORECASE)
_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")
# a measured amount: a number and its unit ("109 m²", "6926.24 USD", "13 days", "21 °C")
_QUANTITY = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?\s*(?:[^\W\d_]{1,10}|[°%$€£¥][A-Za-z]?)[²³]?")
_ID_VALUE = re.compile(r"[A-Za-z]{1,6}-\d+")
_NAME_PARAM = re.compile(r"(?:^|_)(?:name|title)$", re.IGNORECASE)
_NAME_ABOUT = re.compile(r"\bname\b", re.IGNORECASE)
# a file's name has an extension ("notes.md", "Annual_Report_2023.docx"); a folder's none
_FILE_NAME = re.compile(r"[\w .-]*\w\.[A-Za-z][A-Za-z0-9]{0,4}")
_DIRECTORY_PARAM = re.compile(r"(?:^|_)(?:dir|dirs|directory|folder)(?:_|$)", re.IGNORECASE)
_PARTS = re.compile(r"[\s-]+")
# Words at the end of a name that say nothing of its kind ("A Thexcyx Romance": "a")
_NOT_KIND_WORDS = frozenset("a an the of and de la le van von".split())


@lru_cache(maxsize=4096)
def example_of(about: str) -> str | None:
    """The example value a parameter's description gives (``e.g. "MV Heishlei"``), if any."""
    found = _EXAMPLE.search(about)
    return found.group(1).strip() if found else None


@lru_cache(maxsize=8192)
def name_ends(value: str) -> frozenset[tuple[int, str]]:
    """The first and last words of a name of two words or more, casefolded and marked by end
    (0: first, 1: last); hyphens part words too ("Dyskick-Book", an id's "SHP-" prefix).
    None for a single word or a number; only words of letters count."""
    words = _PARTS.split(value.strip())
    if len(words) < 2:
        return frozenset()
    ends = {(0, words[0].casefold()), (1, words[-1].casefold())}
    return frozenset((end, w) for end, w in ends if w not in _NOT_KIND_WORDS and w.isalpha())


@lru_cache(maxsize=256)
def _examples(params: tuple[tuple[str, str], ...]) -> tuple[tuple[tuple[str, str],
                                                                 frozenset[tuple[int, str]]], ...]:
    """Each parameter (name, description) whose example is a name of two words or more,
    with the ends of that example."""
    out = []
    for param in params:
        example = example_of(param[1])
        if example is not None and (ends := name_ends(example)):
            out.append((param, ends))
    return tuple(out)


@dataclass(frozen=True)
class Shapes:
    """A turn's shaped values: ``fits``, for each value that shares an end with some
    parameters' examples, those parameters (name, description); ``shown``, the names of the
    parameters that show an example."""

    fits: Mapping[str, frozenset[tuple[str, str]]]
    shown: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.fits)

    def allows(self, value: str, name: str, about: str) -> bool:
        """Whether ``value`` may go to the parameter ``name`` described as ``about``: it has
        no shape, or the parameter is one its shape fits; a parameter that shows no example
        is of the kind of those of its name that do ("the city's name" of one tool, "the
        city's name, e.g. "Brennholm"" of another), and free when none does."""
        fits = self.fits.get(value)
        if fits is None or (name, about) in fits:
            return True
        if example_of(about) is not None:
            return False
        return name not in self.shown or any(n == name for n, _ in fits)


NO_SHAPES = Shapes({}, frozenset())


def shaped_values(values: Iterable[str], params: Sequence[tuple[str, str]]) -> Shapes:
    """The `Shapes` of ``values`` over ``params`` (name, description): each value that
    shares an end with some of the params' examples may go to those (and to the parameters
    that show none, but for those named as one that does). A value with no such end goes
    anywhere it did."""
    examples = _examples(tuple(params))
    if len(examples) < 2:
        return NO_SHAPES  # no other shape to tell a value from
    return Shapes(_shaped(tuple(values), examples), _shown(tuple(params)))


@lru_cache(maxsize=256)
def _shown(params: tuple[tuple[str, str], ...]) -> frozenset[str]:
    """The names of ``params`` whose description gives an example."""
    return frozenset(name for name, about in params if example_of(about) is not None)


@lru_cache(maxsize=512)
def _shaped(values: tuple[str, ...],
            examples: tuple[tuple[tuple[str, str], frozenset[tuple[int, str]]], ...]
            ) -> dict[str, frozenset[tuple[str, str]]]:
    out = {}
    for value in values:
        ends = name_ends(value)
        if not ends:
            continue
        fits = frozenset(param for param, example in examples if ends & example)
        if fits and len(fits) < len(examples):
            out[value] = fits
    return out


def is_quantity(text: str) -> bool:
    """Whether ``text`` is one measured amount: a number and its unit ("109 m²", "13 days")."""
    return bool(_QUANTITY.fullmatch(text.strip()))


def fits_form(value: str, name: str, about: str) -> bool:
    """Whether ``value`` has the form the parameter ``name`` (described as ``about``) takes:
    no name of several words without a digit, nor a measured amount, for an identifier; no
    identifier ("CNS-53007"), number or measured amount ("109 m²") for a name; nothing with a
    digit for a parameter whose example is a name; and no file name ("notes.md") for a
    directory's."""
    if _DIRECTORY_PARAM.search(name) and _FILE_NAME.fullmatch(value):
        return False  # "Annual_Report_2023.docx" is a file: no directory's name
    example = example_of(about)
    has_digit = any(c.isdigit() for c in value)
    if has_digit and (_ID_VALUE.fullmatch(value) or _NUMBER.fullmatch(value)
                      or is_quantity(value)) and (
            _NAME_PARAM.search(name) or _NAME_ABOUT.search(about)):
        return False  # "CNS-53007", "3", "109 m²" are no estate's name
    if example is not None and not _ID_EXAMPLE.fullmatch(example):
        return not (has_digit and _NAME_EXAMPLE.fullmatch(example)
                    and not any(c.isdigit() for c in example))
    if example is not None or _ID_NAME.search(name) or _ID_ABOUT.search(about):
        return (has_digit and not is_quantity(value)) or " " not in value.strip()
    return True
