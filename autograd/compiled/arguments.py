"""A compiled step's arguments: which are traced inputs, which are static, and the cache key.

Values and floats, and sequences of them, are traced: a replay reads them afresh on each call.
Everything else that may pick a different graph (int, bool, str, None) is static: its value is
part of the cache key, as are the number of arguments, the lengths of sequences and which Value
arguments are the same object.
"""

from __future__ import annotations

import numbers
import reprlib
from collections.abc import Sequence
from itertools import chain, repeat

from autograd.value import Value

#: A traced argument's place in the key: a Value (whose grad is filled) or a number.
VALUE, NUMBER = "Value", "float"

#: Static values: part of the key, passed to f as they are.
_STATIC = (int, bool, str, type(None))


class Flat:
    """The traced items of a call, in order, and the key of its structure."""

    __slots__ = ("items", "key")

    def __init__(self, items: list[object], key: tuple[object, ...]) -> None:
        #: Each traced item: a Value or a float.
        self.items = items
        #: Hashable: the same key means the same graph (given the same closed-over leaves).
        self.key = key


def flatten(args: Sequence[object], *, numbers_traced: bool = False) -> Flat:
    """The traced items of args and the key of their structure.

    With `numbers_traced` (for `map`'s rows) ints count as floats, so a row of labels is data.
    """
    items: list[object] = []
    key = tuple(_key(a, items, numbers_traced, (i,)) for i, a in enumerate(args))
    return Flat(items, key)


def _key(x: object, items: list[object], numbers_traced: bool, where: tuple[int, ...]) -> object:
    """x's part of the key, appending its traced items (an iterative walk is not needed: nesting
    depth is that of the caller's own literals)."""
    t = type(x)
    if t is float:
        items.append(x)
        return NUMBER
    if t is Value:
        items.append(x)
        return VALUE
    if t is list or t is tuple:
        uniform = _uniform_key(x, items, numbers_traced)  # type: ignore[arg-type]
        if uniform is not None:
            return (t.__name__, uniform)
        return (t.__name__, tuple(_key(e, items, numbers_traced, (*where, j)) for j, e in enumerate(x)))
    if t in _STATIC:
        if numbers_traced and t is int:
            items.append(float(x))  # type: ignore[arg-type]
            return NUMBER
        return (t.__name__, x)
    if isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral):  # numpy's float64, say
        items.append(float(x))  # type: ignore[arg-type]
        return NUMBER
    if isinstance(x, numbers.Integral) and not isinstance(x, bool):
        if numbers_traced:
            items.append(float(x))  # type: ignore[arg-type]
            return NUMBER
        return ("int", int(x))  # type: ignore[call-overload]
    raise TypeError(
        f"autograd.compile: argument {_place(where)} is {t.__name__} {reprlib.repr(x)}; a compiled "
        "function takes Values and floats (traced), int, bool, str or None (static), and lists or "
        "tuples of these; reach anything else (a model, say) through the function's closure"
    )


def _uniform_key(x: list | tuple, items: list[object], numbers_traced: bool) -> tuple | None:
    """The key of a sequence of floats, of ints, or of lists (or tuples) of floats, the usual
    arguments (the rows of X, the labels), made without a call per element: the same key as the
    element by element walk gives. None for any other sequence."""
    kinds = set(map(type, x))
    if len(kinds) != 1:
        return None
    kind = kinds.pop()
    if kind is float:
        items.extend(x)
        return (NUMBER,) * len(x)
    if kind is int:
        if numbers_traced:
            items.extend(map(float, x))
            return (NUMBER,) * len(x)
        return tuple(zip(repeat("int"), x))
    if kind is list or kind is tuple:
        flat = list(chain.from_iterable(x))
        if set(map(type, flat)) != {float}:
            return None
        items.extend(flat)
        name = kind.__name__
        return tuple([(name, (NUMBER,) * n) for n in map(len, x)])
    return None


def _place(where: tuple[int, ...]) -> str:
    return str(where[0]) + "".join(f"[{j}]" for j in where[1:])


def rebuild(args: Sequence[object], stand_ins: list[Value], *, numbers_traced: bool = False) -> tuple:
    """args with each traced item replaced, in order, by its stand-in Value (static ones kept)."""
    it = iter(stand_ins)

    def build(x: object) -> object:
        t = type(x)
        if t is float or t is Value:
            return next(it)
        if t is list or t is tuple:
            return t(build(e) for e in x)  # type: ignore[operator]
        if t is int and numbers_traced:
            return next(it)
        if t in _STATIC:
            return x
        if isinstance(x, numbers.Real) and (numbers_traced or not isinstance(x, numbers.Integral)):
            return next(it)
        return x

    return tuple(build(a) for a in args)


def number(item: object) -> float:
    """A traced item's current number: a Value's data, or the float itself."""
    return item.data if type(item) is Value else item  # type: ignore[attr-defined,return-value]


def row(columns: Sequence[Sequence[object]], i: int) -> tuple[object, ...]:
    """Row i as plain Python objects (a numpy row or number becomes a list or a float)."""
    return tuple(_plain(column[i]) for column in columns)


def _plain(x: object) -> object:
    tolist = getattr(x, "tolist", None)
    return tolist() if tolist is not None and type(x).__module__ == "numpy" else x
