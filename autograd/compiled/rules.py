"""How an op record reads as Python: its forward and each local derivative as expressions.

Every expression is built from the op record itself, so an op added to the table compiles with
no further work: its functions are reached through the namespace, by numbered names.
"""

from __future__ import annotations

import reprlib

from autograd.compiled.codegen import Namespace
from autograd.compiled.trace import Step
from autograd.value import Value


def checked(x: object, op: object, what: int) -> float:
    """A user op's result as a float, or TypeError naming the op (as the engine checks it).

    `what` is -1 for the forward, else the index of the derivative.
    """
    if type(x) is float:
        return x  # type: ignore[return-value]
    if type(x) is Value:
        return x.data  # type: ignore[attr-defined]
    if type(x) is not bool and isinstance(x, (int, float)):
        return float(x)
    part = "forward" if what < 0 else f"derivative {what}"
    name = getattr(op, "name", op)
    raise TypeError(f"op {name!r}: {part} returned {type(x).__name__} {reprlib.repr(x)}, not a number")


def _is_variadic(op: object) -> bool:
    return hasattr(op, "grads")


class CallRules:
    """Each op through its record's functions, called from the generated code."""

    @staticmethod
    def forward(step: Step, args: list[str], ns: Namespace) -> str:
        op = step.op
        if _is_variadic(op):
            return f"{ns.ref(op.forward)}([{', '.join(args)}])"  # type: ignore[attr-defined]
        call = f"{ns.ref(op.forward)}({', '.join(args)})"  # type: ignore[attr-defined]
        if op.checked:  # type: ignore[attr-defined]
            return f"{ns.ref(checked)}({call}, {ns.ref(op)}, -1)"
        return call

    @staticmethod
    def prepare(step: Step, args: list[str], n: int, ns: Namespace) -> list[str]:
        """Lines to run once before a node's contributions (a variadic op's grads, all at once)."""
        if _is_variadic(step.op):
            return [f"t{n} = {ns.ref(step.op.grads)}([{', '.join(args)}])"]  # type: ignore[attr-defined]
        return []

    @staticmethod
    def contribution(step: Step, i: int, args: list[str], ans: str, g: str, ns: Namespace) -> str:
        """∂node/∂operand_i · g, as eager backward() computes it."""
        op = step.op
        if _is_variadic(op):
            return f"t{ans[1:]}[{i}] * {g}"
        constant = op.constants[i]  # type: ignore[attr-defined]
        if constant is not None:
            if constant == 1.0:
                return g  # 1.0 * g is g, bit for bit
            if constant == -1.0:
                return f"-{g}"
            return f"{ns.constant(constant)} * {g}"
        call = f"{ns.ref(op.derivatives[i])}({', '.join(args)})"  # type: ignore[attr-defined]
        if op.checked:  # type: ignore[attr-defined]
            call = f"{ns.ref(checked)}({call}, {ns.ref(op)}, {i})"
        return f"{call} * {g}"
