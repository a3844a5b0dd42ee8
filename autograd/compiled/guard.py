"""The data-dependence guard: while f is traced, its Python code may not look at the numbers.

A trace records the ops f applies, not the Python decisions f takes, so a replay would silently
repeat the traced call's decisions on new data. While a trace runs, reading `.data`, comparing
Values, `bool()` and `float()` (which `math.exp(v)` calls) therefore raise `TracingError`, naming
the file and line, when they come from code outside the engine. The engine's own reads (an op
reading its operands) pass.

The checks are installed on the Value class only while some trace runs, and they consult a
ContextVar, so other threads and contexts keep the ordinary behaviour; the eager hot path has no
check at all. A `no_grad` region inside f would freeze a result computed from data that changes
between calls, so the engine reading a Value's data with recording off raises too, unless the
Value is a constant made during the trace.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import FrameType

from autograd.grad_mode import is_recording
from autograd.value import Value


class TracingError(RuntimeError):
    """f's Python code depends on the numbers, so its trace cannot be replayed."""


class TraceState:
    """What one running trace knows: the function (for messages) and the Values it made."""

    __slots__ = ("made", "constants", "where")

    def __init__(self, where: str) -> None:
        #: id → Value of every node the engine made during the trace (kept alive so ids stay unique).
        self.made: dict[int, Value] = {}
        #: ids of leaves made during the trace from numbers: `Value(2.0)`, or no_grad results of them.
        self.constants: set[int] = set()
        #: "f (file.py:12)", for messages.
        self.where = where


_state: ContextVar[TraceState | None] = ContextVar("gradwalk_trace", default=None)

#: Modules whose reads are not f's decisions: the engine. Tools above it (functional returns
#: floats from Values, testing, drawing) count as user code.
_NOT_ENGINE = ("autograd.functional", "autograd.testing", "autograd.draw", "autograd.stepper")


def _is_engine(frame: FrameType) -> bool:
    """Whether frame runs engine code: a module of autograd below the tools, or code the engine
    generated from its op table (methods and rules, named `<gradwalk …>`)."""
    module = frame.f_globals.get("__name__")
    if module is None:
        return frame.f_code.co_filename.startswith("<gradwalk ")
    return (module == "autograd" or module.startswith("autograd.")) and not module.startswith(_NOT_ENGINE)


def _caller() -> tuple[bool, str, object]:
    """Who used the Value, as (is it the engine, "file:line" of the user's code, the code object).

    The user's line is the innermost one outside the engine: where f called the op, say.
    """
    frame = sys._getframe(2)  # the caller of the guard that calls this
    engine = _is_engine(frame)
    user = frame
    while user.f_back is not None and _is_engine(user):
        user = user.f_back
    return engine, f"{user.f_code.co_filename}:{user.f_lineno}", frame.f_code


_ADVICE = {
    "data": (
        "Write the computation with Value ops (an op whose rule has the branch, such as relu or "
        "abs, or your own autograd.op), or compute it outside the compiled function and pass it in."
    ),
    "branch": (
        "Python control flow that depends on the numbers cannot be replayed: put the branch inside "
        "an op's rule (relu, abs, or your own autograd.op), or run this function without autograd.compile."
    ),
    "write": "Change parameters outside the compiled function (an optimiser's step after the call).",
    "no_grad": (
        "A no_grad or detached result is a constant of the trace, but this one comes from numbers "
        "that change between calls: compute it outside the compiled function and pass it in."
    ),
}


def _refuse(state: TraceState, what: str, advice: str, where: str) -> TracingError:
    return TracingError(
        f"{where}: {what} while autograd.compile traces {state.where}; a replay would not see new "
        f"numbers there. {_ADVICE[advice]}"
    )


# -- the checks installed on Value while a trace runs ----------------------------------------------

_ORIGINAL_DATA = Value.__dict__["data"]  # the slot's descriptor
_get_data, _set_data = _ORIGINAL_DATA.__get__, _ORIGINAL_DATA.__set__
_INIT_CODE = Value.__init__.__code__
_DETACH_CODE = Value.detach.__code__  # makes a leaf from the data, as no_grad does


def _guarded_get(self: Value) -> float:
    state = _state.get()
    if state is not None:
        engine, where, code = _caller()
        if id(self) in state.constants:
            pass
        elif not engine:
            raise _refuse(state, "reading a Value's .data", "data", where)
        elif code is _DETACH_CODE:
            raise _refuse(state, "detaching a Value", "no_grad", where)
        elif not is_recording():
            raise _refuse(state, "an op under no_grad reading a Value", "no_grad", where)
    return _get_data(self, Value)


def _guarded_set(self: Value, x: float) -> None:
    state = _state.get()
    if state is not None:
        frame = sys._getframe(1)
        if frame.f_code is _INIT_CODE:  # Value(2.0) inside f: a number written in the code
            state.constants.add(id(self))
            state.made[id(self)] = self
        elif _is_engine(frame):  # a node made by an op
            state.made[id(self)] = self
            if not is_recording():  # the no_grad read above passed, so it is made of constants
                state.constants.add(id(self))
        else:
            where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
            raise _refuse(state, "assigning a Value's .data", "write", where)
    _set_data(self, x)


def _refusing(
    name: str, what: str, advice: str, engine_result: Callable[..., object]
) -> Callable[..., object]:
    """A replacement for Value.<name> that refuses f's calls and lets the engine's through."""

    def method(self: Value, *args: object) -> object:
        state = _state.get()
        if state is not None:
            engine, where, _ = _caller()
            if not engine:
                raise _refuse(state, what, advice, where)
        return engine_result(self, *args)

    method.__name__ = name
    return method


def _replacements() -> dict[str, object]:
    """Each guarded attribute of Value and what the engine gets from it."""
    guarded: dict[str, object] = {"data": property(_guarded_get, _guarded_set)}
    refused = {
        "__lt__": "comparing Values (<)",
        "__le__": "comparing Values (<=)",
        "__gt__": "comparing Values (>)",
        "__ge__": "comparing Values (>=)",
        "__eq__": "comparing Values (==, or `in`)",
        "__ne__": "comparing Values (!=)",
        "__bool__": "branching on a Value (if, while, and, or, not)",
        "__float__": "turning a Value into a float (float(), math functions)",
        "__int__": "turning a Value into an int",
        "__round__": "rounding a Value",
        "item": "reading a Value's number (.item())",
    }
    for name, what in refused.items():
        ordinary = getattr(Value, name, _true)
        advice = "branch" if name.startswith(("__l", "__g", "__e", "__n", "__b")) else "data"
        guarded[name] = _refusing(name, what, advice, ordinary)
    return guarded


def _true(self: Value) -> bool:
    return True


_GUARDED = _replacements()
_lock = threading.Lock()
_active = 0  # how many traces run, in any thread
_saved: dict[str, object] = {}


def _install() -> None:
    global _active
    with _lock:
        if _active == 0:
            for name, replacement in _GUARDED.items():
                _saved[name] = Value.__dict__.get(name, _MISSING)
                setattr(Value, name, replacement)
        _active += 1


def _uninstall() -> None:
    global _active
    with _lock:
        _active -= 1
        if _active == 0:
            for name, original in _saved.items():
                if original is _MISSING:
                    delattr(Value, name)
                else:
                    setattr(Value, name, original)
            _saved.clear()


_MISSING = object()


@contextmanager
def tracing(where: str) -> Iterator[TraceState]:
    """Run the body as a trace: f's looks at the numbers raise TracingError."""
    state = TraceState(where)
    _install()
    token = _state.set(state)
    try:
        yield state
    finally:
        _state.reset(token)
        _uninstall()


def is_tracing() -> bool:
    """True inside a trace in this context."""
    return _state.get() is not None
