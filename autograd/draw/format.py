"""Text for the picture: compact numbers, and user text made safe for a Graphviz HTML label."""

from __future__ import annotations

import math
import unicodedata

#: Unicode categories shown as escapes, not as themselves: control, surrogate and format
#: characters and line/paragraph separators are invalid in XML or change how text reads.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cs", "Cf", "Zl", "Zp"})

#: Characters with a meaning in a Graphviz HTML label: XML markup, and the backslash, which
#: Graphviz reads as an escape (\N is the node's name) even after entities are decoded.
_HTML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "\\": "\\\\"}


#: A constant is written out exactly when that takes at most this many significant digits.
EXACT_DIGITS = 12


def number(x: float, digits: int = 4) -> str:
    """x to `digits` significant digits, as short as possible: 0.1235, 1.5e-7, -3, inf."""
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return _short_exponent(f"{x:.{digits}g}")


def constant(x: float, digits: int = 4) -> str:
    """A constant operand as written (1.0001, 0.1, 2.5e-8) when that is at most EXACT_DIGITS
    significant digits, else to `digits` digits and "…" (1/3 → 0.3333…): never a rounded
    number that looks exact, so `z * 1.0001` is not drawn as `z * 1`."""
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    for precision in range(digits, EXACT_DIGITS + 1):
        text = f"{x:.{precision}g}"
        if float(text) == x:
            return _short_exponent(text)
    return _short_exponent(f"{x:.{digits}g}") + "…"


def _short_exponent(text: str) -> str:
    """1.5e-07 → 1.5e-7."""
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def display_text(text: str, limit: int = 40) -> str:
    """text as it should read in the picture: invisible characters as escapes, at most limit chars."""
    shown = "".join(_visible(c) for c in text)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return shown


def html(text: str) -> str:
    """Plain text escaped for a Graphviz HTML-like label, so it is always shown as text."""
    return "".join(_HTML_ESCAPES.get(c, c) for c in text)


def label_html(text: str, limit: int = 40) -> str:
    """User text (a label, an op name) shown as text in an HTML-like label."""
    return html(display_text(text, limit))


def _visible(c: str) -> str:
    if unicodedata.category(c) in _ESCAPED_CATEGORIES or c in "\ufffe\uffff":
        if c.isascii():
            return repr(c)[1:-1]
        return f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"
    return c
