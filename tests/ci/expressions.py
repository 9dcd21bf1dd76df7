"""GitHub Actions expressions (``${{ ... }}``), evaluated the way the runner does, for the subset
our own workflow and action files use.

Contexts are plain dicts (``inputs``, ``steps``, ``github``, ``env``, ``matrix``, ...); literals,
``==``/``!=`` (strings compared case-insensitively, mixed types as numbers), ``!``, ``&&``/``||``
(which return an operand, not a boolean), parentheses, property and index access, and the
functions below. Anything else is an ``ExpressionError``: a file that starts using more syntax
fails its test instead of being evaluated wrongly.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<op>==|!=|&&|\|\||[!().,\[\]])|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)
_INTERPOLATION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
STATUS_FUNCTIONS = ("always", "success", "failure", "cancelled")


class ExpressionError(ValueError):
    """An expression outside the supported subset, or malformed."""


@dataclass
class Status:
    """What the status functions see: whether an earlier step of the job failed."""

    failed: bool = False


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.lastgroup is None:
            raise ExpressionError(f"cannot read {text[pos:]!r} in {text!r}")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()
    return tokens


def truthy(value: Any) -> bool:
    """The runner's truthiness: false, 0, NaN, '' and null are false."""
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "")


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip()) if value.strip() else 0.0
        except ValueError:
            return math.nan
    return math.nan


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if type(left) is type(right) and not isinstance(left, str | int | float | bool):
        return left is right or left == right
    return _number(left) == _number(right)


def to_string(value: Any) -> str:
    """How a value is interpolated into a string (null is empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _format(template: Any, *args: Any) -> str:
    text = to_string(template)
    for index, arg in enumerate(args):
        text = text.replace("{" + str(index) + "}", to_string(arg))
    return text


def _contains(haystack: Any, needle: Any) -> bool:
    if isinstance(haystack, list):
        return any(_equal(item, needle) for item in haystack)
    return to_string(needle).casefold() in to_string(haystack).casefold()


class _Parser:
    def __init__(self, text: str, contexts: dict[str, Any], status: Status) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0
        self.contexts = contexts
        self.status = status
        self.functions: dict[str, Callable[..., Any]] = {
            "always": lambda: True,
            "success": lambda: not self.status.failed,
            "failure": lambda: self.status.failed,
            "cancelled": lambda: False,
            "format": _format,
            "fromJSON": lambda text: json.loads(to_string(text)),
            "toJSON": lambda value: json.dumps(value, indent=2),
            "contains": _contains,
            "startsWith": lambda s, p: to_string(s).casefold().startswith(to_string(p).casefold()),
            "endsWith": lambda s, p: to_string(s).casefold().endswith(to_string(p).casefold()),
        }

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ExpressionError(f"expected {value or 'more'} in {self.text!r}")
        self.pos += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()} in {self.text!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.compare()
            value = right if truthy(value) else value
        return value

    def compare(self) -> Any:
        value = self.unary()
        while self.peek() in (("op", "=="), ("op", "!=")):
            op = self.take()[1]
            right = self.unary()
            value = _equal(value, right) if op == "==" else not _equal(value, right)
        return value

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        return self.postfix(self.primary())

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "number":
            return float(text)
        if (kind, text) == ("op", "("):
            value = self.or_()
            self.take(")")
            return value
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r} in {self.text!r}")
        if text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text]
        if self.peek() == ("op", "("):
            return self.call(text)
        if text not in self.contexts:
            raise ExpressionError(f"unknown context {text!r} in {self.text!r}")
        return self.contexts[text]

    def call(self, name: str) -> Any:
        if name not in self.functions:
            raise ExpressionError(f"unsupported function {name}() in {self.text!r}")
        self.take("(")
        args: list[Any] = []
        while self.peek() != ("op", ")"):
            args.append(self.or_())
            if self.peek() == ("op", ","):
                self.take()
        self.take(")")
        return self.functions[name](*args)

    def postfix(self, value: Any) -> Any:
        while self.peek() in (("op", "."), ("op", "[")):
            if self.take()[1] == ".":
                value = _member(value, self.take()[1])
            else:
                key = self.or_()
                self.take("]")
                value = _member(value, key)
        return value


def _member(value: Any, key: Any) -> Any:
    # A missing property is null, as on the runner (not an error).
    if isinstance(value, dict):
        wanted = to_string(key).casefold()
        return next((v for k, v in value.items() if k.casefold() == wanted), None)
    if isinstance(value, list) and isinstance(key, float) and key.is_integer():
        return value[int(key)] if 0 <= key < len(value) else None
    return None


def evaluate(expression: str, contexts: dict[str, Any], status: Status | None = None) -> Any:
    """The value of one expression (without the ``${{ }}``)."""
    return _Parser(expression, contexts, status or Status()).parse()


def interpolate(text: str, contexts: dict[str, Any]) -> str:
    """``text`` with every ``${{ expr }}`` replaced by its value as a string."""
    return _INTERPOLATION.sub(lambda m: to_string(evaluate(m.group(1), contexts)), text)


def condition(text: str | bool | None, contexts: dict[str, Any], status: Status) -> bool:
    """Whether a step with ``if: text`` runs: without a status function the runner reads it as
    ``success() && (text)``; a missing ``if`` is ``success()``."""
    if text is None:
        return not status.failed
    if isinstance(text, bool):
        return text and not status.failed
    inner = text.strip()
    match = _INTERPOLATION.fullmatch(inner)
    if match:
        inner = match.group(1).strip()
    if not any(re.search(rf"\b{name}\s*\(", inner) for name in STATUS_FUNCTIONS):
        inner = f"success() && ({inner})"
    return truthy(evaluate(inner, contexts, status))
