"""Tracing: run f once on stand-in Values and keep its graph as a straight-line program.

The program is what any replay needs: the ops in an order that evaluates each after its
operands, and the order in which `backward()` walks them. Every value has a slot, a plain int:

- slots 0 … n_args − 1: the call's traced items (Values and floats), read afresh on each call;
- then the leaves f reached through its closure (parameters), whose `.data` is read on each call;
- then one slot per op node.

Leaves that f made from numbers (`Value(2.0)`), and results of `no_grad` regions made of those,
are constants of the program, as the numbers in `x * 2.0` are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from autograd.compiled.arguments import flatten, number, rebuild
from autograd.compiled.guard import TracingError, tracing
from autograd.grad_mode import enable_grad
from autograd.graph import interior_order, topological_order
from autograd.value import Value

#: An operand of a step: a slot (int) or a constant (float).
Operand = int | float


class Step(NamedTuple):
    """One op applied to operands in the order the op takes them."""

    op: object  # the op record
    args: tuple[Operand, ...]


class Program:
    """A traced graph as slots and steps (see the module docstring)."""

    __slots__ = ("n_args", "leaves", "steps", "output", "backward", "receivers", "arg_values", "_leaf_ids")

    def __init__(
        self,
        n_args: int,
        leaves: tuple[Value, ...],
        steps: tuple[Step, ...],
        output: Operand,
        backward: tuple[int, ...],
        receivers: tuple[int, ...],
        arg_values: tuple[int, ...],
    ) -> None:
        self.n_args = n_args
        #: The closed-over leaves, for slots n_args … n_args + len(leaves) − 1.
        self.leaves = leaves
        #: The op nodes, for the slots after the leaves, each after its operands.
        self.steps = steps
        #: f's result: a slot, or a number when it does not depend on any input or leaf.
        self.output = output
        #: Step slots in the order backward() applies the chain rule to them, root first.
        self.backward = backward
        #: The slots whose gradients are wanted: Value arguments and leaves that the output reaches.
        self.receivers = receivers
        #: The argument slots whose item was a Value in the traced call.
        self.arg_values = arg_values
        self._leaf_ids = {id(leaf): i for i, leaf in enumerate(leaves)}

    @property
    def first_step(self) -> int:
        return self.n_args + len(self.leaves)

    @property
    def n_slots(self) -> int:
        return self.first_step + len(self.steps)

    def aliasing(self, items: Sequence[object]) -> tuple[int, ...] | None:
        """For a call whose Value arguments are the same object twice, or one of the leaves: the
        slot each argument slot stands for. None when every argument is its own (the usual case)."""
        seen: dict[int, int] = {}
        merged = None
        for slot in self.arg_values:
            key = id(items[slot])
            target = seen.get(key)
            if target is None:
                leaf = self._leaf_ids.get(key)
                target = slot if leaf is None else self.n_args + leaf
                seen[key] = target
            if target != slot:
                if merged is None:
                    merged = list(range(self.n_args))
                merged[slot] = target
        return None if merged is None else tuple(merged)

    def merged(self, aliases: tuple[int, ...]) -> Program:
        """The program in which each argument slot reads and receives through aliases[slot]:
        the graph of the eager call, where an object used twice is one leaf."""
        mapping = {slot: target for slot, target in enumerate(aliases) if target != slot}

        def to(a: Operand) -> Operand:
            return mapping.get(a, a) if type(a) is int else a

        steps = tuple(Step(s.op, tuple(to(a) for a in s.args)) for s in self.steps)
        receivers = tuple(dict.fromkeys(to(r) for r in self.receivers))
        return Program(
            self.n_args, self.leaves, steps, to(self.output), self.backward, receivers, self.arg_values
        )

    def __repr__(self) -> str:
        return (
            f"<Program: {self.n_args} argument slot(s), {len(self.leaves)} leaves, {len(self.steps)} steps>"
        )


# -- reading a node: the one place that knows how the engine records an op -----------------------


def op_and_operands(node: Value) -> tuple[object, tuple[object, ...]]:
    """The op record that made node and its operands (Values and floats) in written order."""
    return node.creator, node.operands


# -- tracing --------------------------------------------------------------------------------------


def describe(f: Callable[..., object]) -> str:
    """f's name and where it is defined, for messages."""
    code = getattr(f, "__code__", None)
    name = getattr(f, "__qualname__", None) or type(f).__name__
    return f"{name} ({code.co_filename}:{code.co_firstlineno})" if code is not None else name


def trace(f: Callable[..., object], args: Sequence[object], *, numbers_traced: bool = False) -> Program:
    """Run f(*args) once on stand-in Values, under the data-dependence guard, and keep its graph."""
    flat = flatten(args, numbers_traced=numbers_traced)
    stand_ins = [Value(number(item)) for item in flat.items]
    with enable_grad(), tracing(describe(f)) as state:
        out = f(*rebuild(args, stand_ins, numbers_traced=numbers_traced))
    return _program(out, stand_ins, [type(i) is Value for i in flat.items], state.made, state.constants, f)


def _program(
    out: object,
    stand_ins: list[Value],
    is_value: list[bool],
    made: dict[int, Value],
    constants: set[int],
    f: Callable[..., object],
) -> Program:
    n_args = len(stand_ins)
    if type(out) is not Value:
        if isinstance(out, bool) or not isinstance(out, (int, float)):
            raise TypeError(
                f"autograd.compile: {describe(f)} returned {type(out).__name__}; it must return one "
                "Value (a scalar, such as a loss) or a number"
            )
        return Program(n_args, (), (), float(out), (), (), ())
    order = topological_order(out)  # root first, as backward() walks it
    slots: dict[int, int] = {id(v): i for i, v in enumerate(stand_ins)}
    folded: dict[int, float] = {}  # constants made during the trace
    leaves: list[Value] = []
    interior: list[Value] = []
    evaluation = list(reversed(order))  # each node after its operands
    if made:  # in the order f made them, so a replay fails (log of -1, say) where eager would
        rank = {key: i for i, key in enumerate(made)}
        evaluation.sort(key=lambda node: rank.get(id(node), -1))
    for node in evaluation:
        key = id(node)
        if not node.is_leaf:
            if made and key not in made:
                op, _ = op_and_operands(node)
                raise TracingError(
                    f"autograd.compile: {describe(f)} uses a Value computed before the call (made by "
                    f"op {getattr(op, 'name', op)!r}), whose graph a replay cannot recompute; compute it "
                    "inside the function, or pass it in as an argument (detached with .detach())"
                )
            interior.append(node)
        elif key in slots:
            continue
        elif key in constants:
            folded[key] = node.data
        else:
            leaves.append(node)
    leaves = _in_order_of_use(leaves, interior)
    for leaf in leaves:
        slots[id(leaf)] = len(slots)
    first_step = n_args + len(leaves)
    for k, node in enumerate(interior):
        slots[id(node)] = first_step + k

    def operand(x: object) -> Operand:
        if type(x) is Value:
            key = id(x)
            return folded[key] if key in folded else slots[key]
        return float(x)  # type: ignore[arg-type]

    steps = []
    for node in interior:
        op, operands = op_and_operands(node)
        steps.append(Step(op, tuple(operand(x) for x in operands)))
    output = operand(out)
    reached = {slots[id(node)] for node in order if id(node) in slots}
    receivers = tuple(
        [s for s in range(n_args) if is_value[s] and s in reached] + list(range(n_args, first_step))
    )
    backward = tuple(slots[id(node)] for node in interior_order(out))  # as backward() walks
    arg_values = tuple(s for s in range(n_args) if is_value[s])
    return Program(n_args, tuple(leaves), tuple(steps), output, backward, receivers, arg_values)


def _in_order_of_use(leaves: list[Value], interior: list[Value]) -> list[Value]:
    """The leaves in the order the ops first use them, so a neuron's weights get consecutive slots
    (and the numpy replay reads them as one slice)."""
    wanted = {id(leaf) for leaf in leaves}
    ordered: dict[int, Value] = {}
    for node in interior:
        for parent in node.parents:
            key = id(parent)
            if key in wanted and key not in ordered:
                ordered[key] = parent
    for leaf in leaves:  # the output itself, when it is a leaf
        ordered.setdefault(id(leaf), leaf)
    return list(ordered.values())
