"""`Stepper`: the backward pass as a list of steps you can take, undo and explain one at a time.

Step 0 (the seed) sets ∂L/∂L = 1 on the root L. Each later step takes one node n, in
topological order, whose gradient is then complete, and passes it to its parents by the chain
rule: `parent.grad += ∂n/∂parent · n.grad`. The steps change the real `.grad` of the nodes.

Every step's numbers are worked out when the Stepper is made, with the same float operations in
the same order as `backward()`, so the last step leaves exactly the grads `backward()` would, and
undoing a step writes back the exact floats it overwrote.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple, overload

from autograd.graph import topological_order
from autograd.value import Value


class Contribution(NamedTuple):
    """One term of the chain rule: `parent.grad += local_grad · node.grad`, from `before` to `after`."""

    parent: Value
    local_grad: float  # ∂node/∂parent, as recorded by the forward pass
    amount: float  # local_grad · node.grad
    before: float  # parent.grad before this contribution
    after: float  # parent.grad after it: before + amount


class Step:
    """One step of the backward pass: `node` passes its complete gradient to its parents.

    The seed step (index 0) has no contributions: it sets the root's grad to 1 (adds 1 when the
    root is a leaf, whose grad accumulates).
    """

    __slots__ = ("_names", "_writes", "contributions", "grad", "index", "node")

    def __init__(
        self,
        index: int,
        node: Value,
        grad: float,
        contributions: tuple[Contribution, ...],
        writes: tuple[tuple[Value, float, float], ...],
        names: _Names,
    ) -> None:
        self.index = index
        self.node = node
        #: ∂L/∂node once this step is done (complete: every consumer of node has passed its share).
        self.grad = grad
        self.contributions = contributions
        self._writes = writes  # (node, grad before, grad after), in the order they happen
        self._names = names

    @property
    def is_seed(self) -> bool:
        """True for step 0, which sets ∂L/∂L = 1."""
        return self.index == 0

    def explain(self) -> str:
        """The chain rule with this step's numbers, one line per contribution."""
        names = self._names
        root = names[names.root]
        if self.is_seed:
            _, before, after = self._writes[0]
            text = f"∂{root}/∂{root} = 1"
            if not _same(after, 1.0):  # a leaf root: its grad accumulates, as in backward()
                text += f"  ({root}.grad: {number(before)} → {number(after)})"
            return text
        n = names[self.node]
        lines = []
        for c in self.contributions:
            p = names[c.parent]
            lines.append(
                f"∂{root}/∂{p} += ∂{root}/∂{n} · ∂{n}/∂{p} = "
                f"{number(self.grad)} × {number(c.local_grad)} = {number(c.amount)}"
                f"  ({p}.grad: {number(c.before)} → {number(c.after)})"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        kind = "seed" if self.is_seed else f"{len(self.contributions)} contribution(s)"
        return f"<Step {self.index}: {self._names[self.node]}, {kind}>"


class Stepper(Sequence[Step]):
    """The backward pass of `root` as explicit steps: `next()`, `prev()`, `goto(i)`, `reset()`.

    Making a Stepper does what `backward()` does first: interior grads are set to 0, and leaf
    grads keep their current values, to which the steps add (so zero them first for fresh
    gradients). `index` is the last step taken, -1 before the seed. After the last step every
    `.grad` equals exactly what `root.backward()` gives from the same starting state.
    Indexing and iterating give the `Step` records without taking them. `params` (Values, or a
    model with `.parameters()`) is passed to `autograd.draw` for the player's pictures.
    """

    def __init__(self, root: Value, *, params: object = None) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"Stepper: expected a Value, got {type(root).__name__}")
        order = topological_order(root)
        self._names = _Names(order)
        for node in order:
            if node.is_leaf and type(node.grad) is Value:
                raise TypeError(
                    f"Stepper: leaf {self._names[node]} holds a Value grad (left by "
                    "backward(create_graph=True)); set its .grad = 0.0 first"
                )
        self.root = root
        #: Passed to `draw` for the player's pictures: Values (or a model) to show as parameters.
        self.params = params
        self.nodes: tuple[Value, ...] = tuple(order)
        for node in order:
            if not node.is_leaf:
                node.grad = 0.0
        self._steps = _plan(order, {node: node.grad for node in order}, self._names)
        self._index = -1

    # -- the sequence of steps -------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._steps)

    @overload
    def __getitem__(self, i: int) -> Step: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Step]: ...
    def __getitem__(self, i: int | slice) -> Step | Sequence[Step]:
        return self._steps[i]

    def __iter__(self) -> Iterator[Step]:
        return iter(self._steps)

    @property
    def index(self) -> int:
        """The last step taken: -1 before the seed, len(self) - 1 when backward is complete."""
        return self._index

    @property
    def current(self) -> Step | None:
        """The last step taken, or None before the seed."""
        return self._steps[self._index] if self._index >= 0 else None

    def name(self, node: Value) -> str:
        """The name explanations use for node: its label, else a stable name such as `tanh#3`."""
        return self._names[node]

    # -- moving through the steps: each changes the real grads -----------------------------------

    def next(self) -> Step:
        """Take the next step and return it; IndexError after the last one."""
        if self._index + 1 >= len(self._steps):
            raise IndexError(f"Stepper.next: already at the last step ({self._index} of {len(self) - 1})")
        step = self._steps[self._index + 1]
        if not step.is_seed:
            _check_unchanged(step.node, step.grad, step, self._names)
        for node, before, after in step._writes:
            _check_unchanged(node, before, step, self._names)
            node.grad = after
        self._index += 1
        return step

    def prev(self) -> Step | None:
        """Undo the last step, restoring the exact grads it overwrote; return the new current step."""
        if self._index < 0:
            raise IndexError("Stepper.prev: no step has been taken (index is -1)")
        step = self._steps[self._index]
        for node, before, after in reversed(step._writes):
            _check_unchanged(node, after, step, self._names)
            node.grad = before
        self._index -= 1
        return self.current

    def goto(self, i: int) -> Step | None:
        """Take or undo steps until `index == i` (-1 … len-1; negative i < -1 count from the end)."""
        if not isinstance(i, int):
            raise TypeError(f"Stepper.goto: expected an int, got {type(i).__name__}")
        if i < -1:
            i += len(self._steps)
        if not -1 <= i < len(self._steps):
            raise IndexError(f"Stepper.goto: step {i} out of range -1 … {len(self._steps) - 1}")
        while self._index < i:
            self.next()
        while self._index > i:
            self.prev()
        return self.current

    def reset(self) -> None:
        """Undo every step: interior grads 0, leaf grads as they were when the Stepper was made."""
        self.goto(-1)

    def run(self) -> None:
        """Take all remaining steps: the same grads as `root.backward()`."""
        self.goto(len(self._steps) - 1)

    # -- display ---------------------------------------------------------------------------------

    def _repr_html_(self) -> str:
        from autograd.stepper.player import player_html

        return player_html(self)

    def save_html(self, path: str | Path) -> Path:
        """Write the player as one self-contained HTML page (no network needed) and return its path."""
        from autograd.stepper.player import player_page

        path = Path(path)
        path.write_text(player_page(self), encoding="utf-8")
        return path

    def __repr__(self) -> str:
        return f"<Stepper of {self._names[self.root]}: step {self._index} of {len(self) - 1}>"


# -- working out the steps -------------------------------------------------------------------------


def _plan(order: list[Value], start: dict[Value, float], names: _Names) -> tuple[Step, ...]:
    """Every step's numbers, with backward()'s float operations in backward()'s order."""
    grads = dict(start)
    root = order[0]
    before = grads[root]
    # backward() sets an interior root's grad to the seed, and adds the seed to a leaf root's grad.
    grads[root] = before + 1.0 if root.is_leaf else 1.0
    steps = [Step(0, root, grads[root], (), ((root, before, grads[root]),), names)]
    for node in order:
        if node.is_leaf:
            continue
        g = grads[node]
        contributions = []
        for parent, local in zip(node.parents, node.local_grads, strict=True):
            before = grads[parent]
            amount = local * g
            after = before + amount
            grads[parent] = after
            contributions.append(Contribution(parent, local, amount, before, after))
        writes = tuple((c.parent, c.before, c.after) for c in contributions)
        steps.append(Step(len(steps), node, g, tuple(contributions), writes, names))
    return tuple(steps)


def _check_unchanged(node: Value, expected: float, step: Step, names: _Names) -> None:
    """Refuse to step when a grad was changed behind the Stepper's back (e.g. by backward())."""
    if not _same(node.grad, expected):
        raise RuntimeError(
            f"Stepper, step {step.index}: {names[node]}.grad is {node.grad!r}, expected {expected!r}; "
            "it was changed outside the Stepper (backward() or zero_grad?). Make a new Stepper."
        )


def _same(a: object, b: object) -> bool:
    """Equal floats, with nan equal to itself."""
    return a == b or (a != a and b != b)  # x != x only for nan


class _Names:
    """Display names: a node's label, made unique with `#k` when shared; otherwise `op#k` or `vk`,
    where k is the node's position in topological order (the same k as the drawing's `vk` ids)."""

    __slots__ = ("_by_node", "root")

    def __init__(self, order: list[Value]) -> None:
        self.root = order[0]
        counts = Counter(node.label for node in order if node.label)
        by_node = {}
        for k, node in enumerate(order):
            if node.label:
                # A newline or other control character in a label would break the explanation's lines.
                label = node.label if node.label.isprintable() else repr(node.label)[1:-1]
                if not _PLAIN_NAME.fullmatch(label):  # `∂o/∂(x1*w1 + b)`, not `∂o/∂x1*w1 + b`
                    label = f"({label})"
                by_node[node] = label if counts[node.label] == 1 else f"{label}#{k}"
            elif k == 0 and "L" not in counts:
                by_node[node] = "L"
            elif node.creator is not None:
                by_node[node] = f"{node.creator.name}#{k}"
            else:
                by_node[node] = f"v{k}"
        self._by_node = by_node

    def __getitem__(self, node: Value) -> str:
        return self._by_node[node]


#: A label that reads as one name in a formula; any other label is put in parentheses.
_PLAIN_NAME = re.compile(r"[\w.']+")

#: Names for the ops written as symbols, so that an unlabelled `a * b` is called `mul#k`.
_OP_WORDS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}


def number(x: float) -> str:
    """x for an explanation: up to 6 significant digits, a `.0` on whole numbers, a real minus sign."""
    text = f"{x:.6g}"
    if text.lstrip("-").isdigit():
        text += ".0"
    return text.replace("-", "−")
