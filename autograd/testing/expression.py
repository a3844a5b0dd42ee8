"""`Expression`: a small straight-line program over gradwalk ops, callable on Values or floats.

An expression is a list of steps, each applying one op to earlier results, inputs or constants.
Its text is the formula it computes (`tanh(x0 * x1) + log(x2)`), and `ExpressionBuilder` only
adds a step when the op is smooth and bounded at the expression's inputs (see domains.py).
"""

from __future__ import annotations

import math
import numbers
import operator
import reprlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from autograd import ops
from autograd.functions import FUNCTIONS, dot, sum_
from autograd.op import ATOM, OPERATORS, Op
from autograd.testing.domains import (
    GRAD_BOUND,
    VALUE_BOUND,
    Domain,
    DomainSpec,
    Predicate,
    as_domains,
    margin,
)
from autograd.value import Value

_ATOM = ATOM


@dataclass(frozen=True)
class OpSpec:
    """What the strategies know of an op: how to apply it, and where it is safe.

    `arity` is None for sum and dot, which take any number of operands (dot: xs then ys).
    """

    name: str
    op: Op
    arity: int | None
    apply: Callable[..., Value]
    domains: tuple[Domain, ...]
    where: Predicate | None = None

    def write(self, args: Sequence[tuple[str, int]]) -> tuple[str, int]:
        """The text of this op applied to args, each given as (text, precedence)."""
        return self.op.write(args)

    def domain(self, i: int) -> Domain:
        return self.domains[min(i, len(self.domains) - 1)]


#: How a user writes each infix op, so the strategies go through the same operators (`x * 2.0`).
_SPELLING: dict[str, Callable[..., Value]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
    "%": operator.mod,
    "neg": operator.neg,
    "abs": abs,
}


def _builtin_specs() -> dict[str, OpSpec]:
    """Every op of the table, with its record's domains, applied through the spelling a user writes."""
    specs = {}
    for op in ops.TABLE:
        if op is ops.SUM:
            apply: Callable[..., Value] = lambda *xs: sum_(xs)
        elif op is ops.DOT:
            apply = lambda *xy: dot(xy[: len(xy) // 2], xy[len(xy) // 2 :])
        else:
            apply = _SPELLING.get(op.symbol if op.symbol in OPERATORS else op.name) or FUNCTIONS[op.name]
        specs[op.name] = OpSpec(op.name, op, op.arity, apply, op.domains, op.where)
    return specs


BUILTIN_SPECS: dict[str, OpSpec] = _builtin_specs()
_BY_SYMBOL = {spec.op.symbol: name for name, spec in BUILTIN_SPECS.items()}


def spec_for(op: object, domain: DomainSpec = None) -> OpSpec:
    """The OpSpec of a built-in op (by name or object) or of a user op (with its domain)."""
    if isinstance(op, str):
        op = _BY_SYMBOL.get(op, op)  # "*" for "mul", as a user writes it
        if op not in BUILTIN_SPECS:
            raise ValueError(f"no built-in op named {op!r}; the built-ins are {', '.join(BUILTIN_SPECS)}")
        spec = BUILTIN_SPECS[op]
    elif isinstance(op, Op) and any(s.op is op for s in BUILTIN_SPECS.values()):
        spec = next(s for s in BUILTIN_SPECS.values() if s.op is op)
    elif isinstance(op, Op):
        domains, where = as_domains(op.name, op.arity, domain)
        return OpSpec(op.name, op, op.arity, op, domains, where)
    else:
        raise TypeError(
            f"expected an op made by autograd.op(...) or a built-in op name, got {type(op).__name__} "
            f"{reprlib.repr(op)}"
        )
    if domain is None:
        return spec
    domains, where = as_domains(spec.name, spec.arity, domain)
    return OpSpec(spec.name, spec.op, spec.arity, spec.apply, domains, where)


class Const(NamedTuple):
    """A number operand written into the formula, e.g. the 2.0 of `x0 * 2.0`."""

    value: float


Arg = int | Const  # an int refers to an earlier node: an input (0 … n_inputs − 1) or a step


@dataclass(frozen=True)
class Step:
    spec: OpSpec
    args: tuple[Arg, ...]


class Expression:
    """A formula over inputs x0, x1, …: call it on Values to get a Value, or on floats for a float.

    `inputs` is the point it was drawn at, where every op is smooth, so that
    `gradcheck(expression, expression.inputs)` tests the ops' derivatives.
    """

    def __init__(self, inputs: Sequence[float], steps: Sequence[Step]) -> None:
        self.inputs: tuple[float, ...] = tuple(inputs)
        self.n_inputs = len(self.inputs)
        self._steps = tuple(steps)
        self.formula: str = self._write()

    @property
    def op_names(self) -> tuple[str, ...]:
        """The ops of the formula, in the order they are evaluated."""
        return tuple(step.spec.name for step in self._steps)

    @property
    def n_ops(self) -> int:
        return len(self._steps)

    def __call__(self, *args: Value | float) -> Value | float:
        """The formula at args: a Value (recording the graph) if any arg is a Value, else a float."""
        if len(args) != self.n_inputs:
            raise TypeError(f"expression {self.formula!r} takes {self.n_inputs} argument(s), got {len(args)}")
        on_floats = not any(isinstance(a, Value) for a in args)
        nodes: list[Value | float] = [float(a) if on_floats else a for a in args]  # type: ignore[arg-type]
        for step in self._steps:
            operands = [nodes[a] if type(a) is int else a.value for a in step.args]
            if on_floats:
                nodes.append(_number(step.spec.op.forward(*operands), step.spec, "forward"))
            else:
                nodes.append(step.spec.apply(*operands))
        return nodes[-1]

    def __str__(self) -> str:
        return self.formula

    def __repr__(self) -> str:
        point = ", ".join(f"x{i}={x!r}" for i, x in enumerate(self.inputs))
        return f"{self.formula}  at {point}"

    def _write(self) -> str:
        texts = [(f"x{i}", _ATOM) for i in range(self.n_inputs)]
        for step in self._steps:
            texts.append(
                step.spec.write([texts[a] if type(a) is int else (repr(a.value), _ATOM) for a in step.args])
            )
        return texts[-1][0]


class ExpressionBuilder:
    """Grows an Expression one step at a time, refusing steps that are unsafe at the inputs.

    For every node it tracks the value at the inputs and its sensitivity Σ_k |∂node/∂x_k|
    (an upper bound from the chain rule on absolute values), which sets the margin kept
    from kinks and keeps gradients bounded.
    """

    def __init__(self, inputs: Sequence[float]) -> None:
        self.inputs = [float(x) for x in inputs]
        self.values = list(self.inputs)
        self.sensitivities = [1.0] * len(self.inputs)
        self.steps: list[Step] = []

    @property
    def size(self) -> int:
        """The number of nodes so far: inputs and steps."""
        return len(self.values)

    def try_apply(self, spec: OpSpec, args: Sequence[Arg]) -> bool:
        """Append spec(*args) and return True if it is safe at the inputs; else change nothing."""
        if not any(type(a) is int for a in args):
            return False  # a constant: nothing to differentiate
        xs = [self.values[a] if type(a) is int else a.value for a in args]
        ss = [self.sensitivities[a] if type(a) is int else 0.0 for a in args]
        for i, (x, s) in enumerate(zip(xs, ss)):
            if not spec.domain(i).admits(x, margin(s)):
                return False
        if spec.where is not None and not spec.where(*xs):
            return False
        try:
            out = _number(spec.op.forward(*xs), spec, "forward")
            grads = [
                _number(g, spec, f"derivative {i}") if s else 0.0
                for i, (g, s) in enumerate(zip(spec.op.grads(xs, out), ss))
            ]
        except (ArithmeticError, ValueError):  # outside the op's domain, e.g. an overflow
            return False
        sensitivity = sum(abs(g) * s for g, s in zip(grads, ss) if s)
        if not (abs(out) <= VALUE_BOUND and sensitivity <= GRAD_BOUND and math.isfinite(sensitivity)):
            return False
        self.values.append(out)
        self.sensitivities.append(sensitivity)
        self.steps.append(Step(spec, tuple(args)))
        return True

    def build(self) -> Expression:
        """The expression whose result is the last node, keeping only the steps it depends on."""
        n = len(self.inputs)
        needed = {self.size - 1}
        for index in range(self.size - 1, n - 1, -1):
            if index in needed:
                needed.update(a for a in self.steps[index - n].args if type(a) is int)
        renumber = {i: i for i in range(n)}
        kept = []
        for index in range(n, self.size):
            if index in needed:
                step = self.steps[index - n]
                renumber[index] = n + len(kept)
                kept.append(Step(step.spec, tuple(renumber[a] if type(a) is int else a for a in step.args)))
        return Expression(self.inputs, kept)  # with no step, the last input itself


def _number(x: object, spec: OpSpec, what: str) -> float:
    """A user op's result as a float, or TypeError naming the op (as the engine does)."""
    if isinstance(x, Value):
        return x.data
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(
            f"op {spec.name!r}: {what} returned {type(x).__name__} {reprlib.repr(x)}, not a number"
        )
    return float(x)
