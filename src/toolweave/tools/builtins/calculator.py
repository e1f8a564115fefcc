"""A calculator tool that evaluates arithmetic safely by walking the expression's AST.

Small models get arithmetic wrong; a calculator they cannot abuse fixes that. Nothing is ever
passed to ``eval``: only numbers, arithmetic operators, a whitelist of math functions and
constants are understood, and anything else is refused with a message saying what is allowed.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from toolweave.tools.tool import tool

MAX_EXPRESSION_CHARS = 500
MAX_EXPONENT = 10_000
MAX_RESULT_BITS = 14_000  # ~4,200 decimal digits, under CPython's int→str limit of 4,300

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.BitXor: operator.pow,  # models (and people) write 2^10 meaning a power
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos, ast.USub: operator.neg,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs, "round": round, "min": min, "max": max,
    "sqrt": math.sqrt, "cbrt": math.cbrt, "exp": math.exp, "log": math.log,
    "log10": math.log10, "log2": math.log2, "sin": math.sin, "cos": math.cos,
    "tan": math.tan, "asin": math.asin, "acos": math.acos, "atan": math.atan,
    "atan2": math.atan2, "hypot": math.hypot, "floor": math.floor, "ceil": math.ceil,
    "degrees": math.degrees, "radians": math.radians,
}
_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf}
_ALLOWED = ("numbers, + - * / // % ** (or ^), parentheses, the functions "
            + ", ".join(_FUNCTIONS) + " and the constants " + ", ".join(_CONSTANTS))


def evaluate(expression: str) -> int | float:
    """The value of an arithmetic expression; ValueError/ZeroDivisionError say what is wrong."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ValueError(f"expression is longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, RecursionError):
        raise ValueError(f"not a valid arithmetic expression: {expression!r}") from None
    return _eval(tree.body)


def _eval(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        if _BINARY[type(node.op)] is operator.pow:
            _check_power(left, right)
        return _checked(_BINARY[type(node.op)](left, right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in _FUNCTIONS and not node.keywords:
        args = [_eval(a) for a in node.args]
        try:
            value = _FUNCTIONS[node.func.id](*args)
        except ValueError:  # math's "math domain error", e.g. sqrt(-1) or log(0)
            shown = ", ".join(format_number(a) for a in args)
            raise ValueError(f"{node.func.id}({shown}) is undefined") from None
        return _checked(value)
    raise ValueError(f"unsupported: {_describe(node)}; the calculator understands {_ALLOWED}")


def _check_power(base: Any, exponent: Any) -> None:
    if abs(exponent) > MAX_EXPONENT:
        raise ValueError(f"exponent {exponent:g} is too large (limit {MAX_EXPONENT:,})")
    # Estimate the size of an integer power before computing it: 99**9999 alone is fine,
    # (10**4000)**9999 would take minutes and gigabytes.
    both_int = isinstance(base, int) and isinstance(exponent, int)
    if both_int and abs(base) > 1 and base.bit_length() * exponent > MAX_RESULT_BITS + 64:
        raise ValueError("result is too large (over ~4,200 digits)")


def _checked(value: Any) -> Any:
    if isinstance(value, complex):
        raise ValueError("the result is a complex number, which the calculator does not support")
    if isinstance(value, int) and value.bit_length() > MAX_RESULT_BITS:
        raise ValueError("result is too large (over ~4,200 digits)")
    return value


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return f"the function {node.func.id!r}"
    if isinstance(node, ast.Name):
        return f"the name {node.id!r}"
    if isinstance(node, ast.Constant):
        return f"the value {node.value!r}"
    return f"{type(node).__name__} expressions"


def format_number(value: float) -> str:
    """Integers exactly; floats to 12 significant digits, without a trailing ``.0``."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".12g")
    return str(value)


@tool
def calculator(expression: str) -> str:
    """Compute the value of an arithmetic expression made of numbers from the conversation.

    Args:
        expression: the arithmetic to compute, with + - * / ** and parentheses, and the
            functions sqrt, log, exp, sin, cos, tan, abs, round, min, max, floor, ceil.
    """
    try:
        return format_number(evaluate(expression))
    except OverflowError:
        raise ValueError("result is too large to represent") from None
    except ZeroDivisionError:
        raise ZeroDivisionError(f"division by zero in {expression!r}") from None
    except TypeError as exc:  # wrong number of arguments to a function, e.g. sqrt(1, 2)
        raise ValueError(f"bad function call in {expression!r}: {exc}") from None
