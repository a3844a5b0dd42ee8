"""Straight-line Python from a traced program: the forward pass, then the chain rule, unrolled.

The source is built from gradwalk's op records and integer indices only. Names in it are
made from slot numbers (`v12` is slot 12's value, `g12` its gradient); every function and number
the code needs (a user op's function, a constant) is passed in the namespace under a numbered
name, never as text. Labels, names and other user text never reach the source.

The replay performs the same float operations in the same order as eager evaluation followed
by `backward()`, so its results are the same bit for bit.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable
from typing import Any

from autograd.compiled.trace import Operand, Program, Step


class Namespace:
    """The objects generated code refers to, each under a numbered name."""

    def __init__(self) -> None:
        # numpy imports lazily through the caller's builtins, so the code gets the usual ones.
        self.globals: dict[str, object] = {"__builtins__": builtins}
        self._names: dict[int, str] = {}
        self.constants: list[float] = []
        self._constant_names: dict[tuple[type, float], str] = {}

    def ref(self, obj: object) -> str:
        """The name under which code reaches obj (a function, an op record)."""
        name = self._names.get(id(obj))
        if name is None:
            name = self._names[id(obj)] = f"r{len(self._names)}"
            self.globals[name] = obj
        return name

    def constant(self, x: float) -> str:
        """The local name of a constant operand (bound once per call from the tuple `C`)."""
        key = (type(x), x) if x == x else (type(x), "nan")  # nan ≠ nan, but one name will do
        name = self._constant_names.get(key)  # type: ignore[arg-type]
        if name is None:
            name = self._constant_names[key] = f"c{len(self.constants)}"  # type: ignore[index]
            self.constants.append(x)
        return name


def value_name(a: Operand, ns: Namespace) -> str:
    """The expression for an operand: its slot's variable, or its constant's name."""
    return f"v{a}" if type(a) is int else ns.constant(a)


def grad_users(program: Program) -> list[bool]:
    """For each slot, whether any receiver's gradient flows through it (else its grad is not needed)."""
    needed = [False] * program.n_slots
    for r in program.receivers:
        needed[r] = True
    first = program.first_step
    for k, step in enumerate(program.steps):
        if any(type(a) is int and needed[a] for a in step.args):
            needed[first + k] = True
    return needed


def python_source(program: Program, rules: Any, *, backward: bool) -> tuple[str, Namespace]:
    """The source of `replay(S, G)` (or `replay(S)` without backward) and its namespace.

    S holds the numbers of the argument and leaf slots; G the current grads of the receivers.
    It returns the output, and with backward also the receivers' new grads.
    """
    ns = Namespace()
    body: list[str] = []
    first = program.first_step
    if first:
        body.append(_unpack([f"v{s}" for s in range(first)], "S"))
    ns.globals.update(rules.words)
    for k, step in enumerate(program.steps):
        body.extend(rules.forward(step, [value_name(a, ns) for a in step.args], ns, f"v{first + k}"))
    out = value_name(program.output, ns)
    if not backward:
        body.append(f"return {out}")
        return _function("replay(S)", body, ns), ns
    receivers = program.receivers
    if receivers:
        body.append(_unpack([f"g{r}" for r in receivers], "G"))
    needed = grad_users(program)
    has_grad = set(receivers)
    output = program.output
    if type(output) is int and needed[output]:  # seed: ∂out/∂out = 1
        if output in has_grad:
            body.append(f"g{output} = g{output} + 1.0")
        else:
            body.append(f"g{output} = 1.0")
            has_grad.add(output)
    for n in program.backward:
        if needed[n]:
            body.extend(_chain_rule(program.steps[n - first], n, needed, has_grad, rules, ns))
    grads = ", ".join(f"g{r}" for r in receivers)
    body.append(f"return {out}, ({grads}{',' if len(receivers) == 1 else ''})")
    return _function("replay(S, G)", body, ns), ns


def _chain_rule(
    step: Step, n: int, needed: list[bool], has_grad: set[int], rules: Any, ns: Namespace
) -> list[str]:
    """Node n's share of the chain rule: g_parent += ∂n/∂parent · g_n for each parent that needs it.

    As backward() does, the node is skipped when its grad is 0 and its local grads are finite
    (it would add only zeros), but not when a local grad is inf or nan (0 · inf is nan).
    """
    args = [value_name(a, ns) for a in step.args]
    lines = list(rules.prepare(step, args, n, ns))
    parts = []
    for i, a in enumerate(step.args):
        if type(a) is int and needed[a]:
            parts.append((a, rules.local(step, i, args, f"v{n}", ns)))
    checks = []
    for k, (a, local) in enumerate(parts):
        if type(local) is float:
            continue
        if not _NAME.fullmatch(local):  # computed once, for the check and the contribution
            lines.append(f"d{n}_{k} = {local}")
            local = f"d{n}_{k}"
            parts[k] = (a, local)
        checks.append(local)
    inside, first_time = [], []
    for a, local in parts:
        contribution = times(local, f"g{n}", ns)
        if a in has_grad:
            inside.append(f"g{a} = g{a} + {contribution}")
        else:
            inside.append(f"g{a} = {contribution}")
            has_grad.add(a)
            first_time.append(a)
    condition = f"g{n} != 0.0"
    unique = list(dict.fromkeys(checks))
    if len(unique) == 1:
        condition += f" or {unique[0]} - {unique[0]} != 0.0"
    elif 1 < len(unique) <= _CHUNK:
        condition += f" or (s{n} := {' + '.join(unique)}) - s{n} != 0.0"
    elif unique:
        condition += f" or {ns.ref(_not_all_finite)}(({', '.join(unique)},))"
    lines.append(f"if {condition}:")
    lines.extend(f"    {line}" for line in inside)
    if first_time:
        lines.append("else:")
        lines.extend(f"    g{a} = 0.0" for a in first_time)
    return lines


_NAME = re.compile(r"\(?[A-Za-z_][A-Za-z0-9_]*\)?")
_CHUNK = 64


def _not_all_finite(xs: tuple[float, ...]) -> bool:
    s = sum(xs)
    return s - s != 0.0


def times(local: str | float, g: str, ns: Namespace) -> str:
    """local · g as eager computes it: 1.0·g is g and −1.0·g is −g, bit for bit."""
    if type(local) is float:
        if local == 1.0:
            return g
        if local == -1.0:
            return f"(-{g})"
        return f"{ns.constant(local)} * {g}"
    return f"{local} * {g}"


def _unpack(names: list[str], source: str) -> str:
    return f"({', '.join(names)},) = {source}"


def _function(signature: str, body: list[str], ns: Namespace) -> str:
    constants = [_unpack([f"c{j}" for j in range(len(ns.constants))], "C")] if ns.constants else []
    ns.globals["C"] = tuple(ns.constants)
    return "\n    ".join([f"def {signature}:", *constants, *body]) + "\n"


def compile_source(source: str, ns: Namespace, what: str) -> Callable[..., object]:
    """The function defined by generated source (ours: built from op records and slot numbers)."""
    code = compile(source, f"<autograd.compile: {what}>", "exec")
    exec(code, ns.globals)  # the source holds no user text; see the module docstring
    return ns.globals["replay"]  # type: ignore[return-value]


def generate(program: Program, rules: Any, *, backward: bool) -> Callable[..., object]:
    """The replay function of program (see python_source)."""
    source, ns = python_source(program, rules, backward=backward)
    return compile_source(source, ns, "forward and backward" if backward else "forward")


__all__ = ["Namespace", "Step", "compile_source", "generate", "grad_users", "python_source", "value_name"]
