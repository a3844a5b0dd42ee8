"""`Stepper`: a training step as a list of steps you can take, undo and explain one at a time.

The backward pass is always there: step `seed` sets grad(L) = ∂L/∂L = 1 on the root L, and each
`backward` step takes one node n, in topological order, whose gradient is then complete, and
passes it to its parents: `grad(p) += grad(n) · ∂n/∂p`. With `forward=True` the forward pass
comes first, one `forward` step per node in evaluation order (`n = x1·w1 + b = … = 0.88`), and
with `lr=` or `optimizer=` an `update` step per parameter follows (`w ← w − lr · grad(w)`).
`Stepper.train` plays several training iterations in a row, each with its own graph.

The steps change the real `.grad` (and, in updates, `.data`) of the nodes. Their numbers come
from running the real thing once when the Stepper is made: the backward steps from the same
chain-rule generator `backward()` runs, the updates from `p.data - lr * p.grad` or the
optimiser's own `step()`. Every write is recorded, the starting state put back, and stepping
replays the recorded floats: the last step leaves exactly the state the real run left, bit for
bit, and undoing a step writes back the exact floats it overwrote.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple, overload

from autograd.backprop import LOCK, backward_steps
from autograd.graph import topological_order
from autograd.value import Value

#: What a step does: compute a node's value, seed the root's grad, pass a node's grad on to its
#: parents, zero the parameters' grads (at the start of a training iteration), update a parameter.
KINDS = ("forward", "seed", "backward", "zero_grad", "update")


class Contribution(NamedTuple):
    """One term of the chain rule: `grad(parent) += grad(node) · local_grad`, from `before` to `after`."""

    parent: Value
    local_grad: float  # ∂node/∂parent, as recorded by the forward pass
    amount: float  # local_grad · grad(node)
    before: float  # parent.grad before this contribution
    after: float  # parent.grad after it: before + amount


class Write(NamedTuple):
    """One change a step makes: `node.<attr>` goes from `before` to `after` (attr is 'grad' or 'data')."""

    node: Value
    attr: str
    before: float
    after: float


class Step:
    """One step: see `kind` (one of `KINDS`) for what it does, `explain()` for the arithmetic.

    - `node`: the node computed (forward), seeded (seed), passing its gradient (backward) or
      updated (update); None for zero_grad.
    - `grad`: for seed and backward, grad(node) once this step is done, which is complete.
    - `value`: for forward, the node's value; for update, the parameter's new value.
    - `contributions`: for backward, one `Contribution` per parent, in the order of `node.parents`.
    - `writes`: every change the step makes, in order (`Write` records).
    - `iteration`: which training iteration (0 unless made by `Stepper.train`).
    """

    __slots__ = (
        "_names",
        "_detail",
        "contributions",
        "grad",
        "index",
        "iteration",
        "kind",
        "node",
        "note",
        "value",
        "writes",
    )

    def __init__(
        self,
        kind: str,
        index: int,
        node: Value | None,
        names: _Names,
        *,
        iteration: int = 0,
        grad: float | None = None,
        value: float | None = None,
        contributions: tuple[Contribution, ...] = (),
        writes: tuple[Write, ...] = (),
        detail: object = None,
    ) -> None:
        self.kind = kind
        self.index = index
        self.node = node
        self.iteration = iteration
        self.grad = grad
        self.value = value
        self.contributions = contributions
        self.writes = writes
        #: A remark added below the arithmetic (leftover grads, say).
        self.note = ""
        self._names = names
        self._detail = detail  # what explain() needs beyond the above, per kind

    @property
    def is_seed(self) -> bool:
        """True for the seed step, which sets grad(L) = ∂L/∂L = 1."""
        return self.kind == "seed"

    def explain(self) -> str:
        """The step as arithmetic with its numbers, one line per change."""
        text = _EXPLAIN[self.kind](self)
        return f"{text}\n{self.note}" if self.note else text

    def __repr__(self) -> str:
        what = self._names[self.node] if self.node is not None else "parameters"
        return f"<Step {self.index}: {self.kind} {what}>"


class Stepper(Sequence[Step]):
    """A training step of `root` as explicit steps: `next()`, `prev()`, `goto(i)`, `reset()`, `run()`.

    - Backward always: the seed, then one step per node that has parents, root first.
    - `forward=True`: first one step per such node in evaluation order, showing its value.
    - `lr=` (a number) or `optimizer=` (anything with `.step()` that changes `p.data` from
      `p.grad`, such as `nn.optim.SGD`): then one update step per parameter. The optimiser's
      `step()` runs once while the Stepper is made, advancing its state (momentum, Adam's moments)
      as training would; the parameters are then put back, and the update steps replay it.
    - `params`: the parameters (Values, or a model with `.parameters()`), for the updates
      (`optimizer.params` when not given) and for the player's pictures, where a model's neurons
      are drawn folded into boxes (`Stepper(loss, params=model)`).

    Making a Stepper does what `backward()` does first: interior grads are set to 0, and leaf
    grads keep their current values, to which the steps add. When a leaf grad is not 0 the first
    step says so (zero them first for fresh gradients); `leftover` lists them. `index` is the
    last step taken, -1 before the first. After the last backward step every `.grad` equals
    exactly what `root.backward()` gives from the same starting state. Indexing and iterating
    give the `Step` records without taking them.
    """

    def __init__(
        self,
        root: Value,
        *,
        params: object = None,
        forward: bool = False,
        lr: float | None = None,
        optimizer: object = None,
    ) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"Stepper: expected a Value, got {type(root).__name__}")
        update = _updater(params, lr, optimizer, "Stepper")
        order = topological_order(root)
        _refuse_value_grads(order, "Stepper")
        for node in order:
            if not node.is_leaf:
                node.grad = 0.0
        self._setup(params, update, forward)
        #: (leaf, grad) for each leaf whose grad was not 0 when the Stepper was made.
        self.leftover: tuple[tuple[Value, float], ...] = tuple(
            (node, node.grad) for node in order if node.is_leaf and node.grad != 0.0
        )
        names = _Names(order)
        steps: list[Step] = []
        try:
            _plan_iteration(root, order, names, 0, forward, update, steps)
        finally:
            _undo(steps)
        if self.leftover and steps:
            steps[0].note = _leftover_note(self.leftover, names)
        self._finish(steps, [(root, order, names)])

    @classmethod
    def train(
        cls,
        loss: Callable[[], Value],
        *,
        params: object = None,
        lr: float | None = None,
        optimizer: object = None,
        iterations: int = 3,
        forward: bool = True,
    ) -> Stepper:
        """Several training iterations in a row: each zeroes the parameters' grads, calls `loss()`
        to build a new graph from the current parameters (the forward pass), runs backward on it,
        and updates every parameter by `lr=` or `optimizer=`. `losses` holds each iteration's loss.

        `loss()` runs `iterations` times while the Stepper is made, and the updates with it; the
        parameters are then put back as they were, and the steps replay the whole run exactly.
        """
        if not callable(loss):
            raise TypeError(f"Stepper.train: expected a function making the loss, got {type(loss).__name__}")
        if type(iterations) is not int or iterations < 1:
            raise ValueError(f"Stepper.train(iterations={iterations!r}): expected a positive int")
        update = _updater(params, lr, optimizer, "Stepper.train")
        if update is None:
            raise ValueError("Stepper.train needs lr=… or optimizer=… to update the parameters")
        self = cls.__new__(cls)
        self._setup(params, update, forward)
        self.leftover = ()
        steps: list[Step] = []
        graphs: list[tuple[Value, list[Value], _Names]] = []
        try:
            for it in range(iterations):
                zero = _zero_grads(update.params, it, steps)
                root = loss()
                if not isinstance(root, Value):
                    raise TypeError(f"Stepper.train: loss() returned {type(root).__name__}, not a Value")
                order = topological_order(root)
                _refuse_value_grads(order, "Stepper.train")
                names = _Names(order)
                zero._names = names  # the graph is built after its zero_grad step
                graphs.append((root, order, names))
                _plan_iteration(root, order, names, it, forward, update, steps)
        finally:
            _undo(steps)
        self._finish(steps, graphs)
        return self

    def _setup(self, params: object, update: _Update | None, forward: bool) -> None:
        #: Passed to `draw` for the player's pictures: Values (or a model) to show as parameters.
        self.params = params
        self.forward = forward
        self.lr = update.lr if update is not None else None
        self.optimizer = update.optimizer if update is not None else None

    def _finish(self, steps: list[Step], graphs: list[tuple[Value, list[Value], _Names]]) -> None:
        self._steps = tuple(steps)
        self._graphs = graphs
        self.root = graphs[0][0]
        self.nodes: tuple[Value, ...] = tuple(graphs[0][1])
        #: The root of each iteration's graph (one unless made by `Stepper.train`).
        self.roots: tuple[Value, ...] = tuple(root for root, _, _ in graphs)
        #: Each iteration's loss: the value of its root.
        self.losses: tuple[float, ...] = tuple(root.data for root in self.roots)
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
        """The last step taken: -1 before the first, len(self) - 1 when all are taken."""
        return self._index

    @property
    def current(self) -> Step | None:
        """The last step taken, or None before the first."""
        return self._steps[self._index] if self._index >= 0 else None

    def name(self, node: Value) -> str:
        """The name explanations and the player use for node: its label, else a stable name such
        as `tanh#3` (k is the node's position in topological order, root 0)."""
        for _, _, names in self._graphs:
            if node in names:
                return names[node]
        raise ValueError(f"Stepper.name: {node!r} is not in the Stepper's graph")

    # -- moving through the steps: each changes the real grads (and data, in updates) ------------

    def next(self) -> Step:
        """Take the next step and return it; IndexError after the last one."""
        if self._index + 1 >= len(self._steps):
            raise IndexError(f"Stepper.next: already at the last step ({self._index} of {len(self) - 1})")
        step = self._steps[self._index + 1]
        if step.kind == "backward":
            _check_unchanged(step.node, "grad", step.grad, step)  # type: ignore[arg-type]
        for w in step.writes:
            _check_unchanged(w.node, w.attr, w.before, step)
            setattr(w.node, w.attr, w.after)
        self._index += 1
        return step

    def prev(self) -> Step | None:
        """Undo the last step, restoring the exact floats it overwrote; return the new current step."""
        if self._index < 0:
            raise IndexError("Stepper.prev: no step has been taken (index is -1)")
        step = self._steps[self._index]
        for w in reversed(step.writes):
            _check_unchanged(w.node, w.attr, w.after, step)
            setattr(w.node, w.attr, w.before)
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
        """Undo every step: back to the state the Stepper was made in."""
        self.goto(-1)

    def run(self) -> None:
        """Take all remaining steps: the grads of `root.backward()` (and the updated parameters)."""
        self.goto(len(self._steps) - 1)

    # -- display ---------------------------------------------------------------------------------

    def _ipython_display_(self) -> None:
        """Two outputs: a PNG of step 0, which every notebook viewer shows, trusted or not; then
        the interactive player, invisible until its script runs, when it hides the PNG."""
        from IPython.display import display

        from autograd.stepper.player import notebook_outputs

        for data, metadata in notebook_outputs(self):
            display(data, metadata=metadata, raw=True)

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        """One bundle for front ends without IPython: the player, a static picture inside it."""
        from autograd.stepper.player import mimebundle

        return mimebundle(self)

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
        return f"<Stepper of {self.name(self.root)}: step {self._index} of {len(self) - 1}>"


# -- the chain rule, shared with backward() ----------------------------------------------------------


# -- working out the steps by running them ---------------------------------------------------------


class _Update(NamedTuple):
    params: tuple[Value, ...]
    lr: float | None
    optimizer: object


def _updater(params: object, lr: object, optimizer: object, who: str) -> _Update | None:
    """How parameters are updated, checked: by `lr` or by `optimizer`, or not at all (None)."""
    if lr is not None and optimizer is not None:
        raise ValueError(f"{who}: pass lr=… or optimizer=…, not both")
    if lr is None and optimizer is None:
        return None
    if lr is not None:
        if type(lr) not in (int, float) or not math.isfinite(lr):
            raise TypeError(f"{who}(lr={lr!r}): expected a finite real number")
        if params is None:
            raise ValueError(f"{who}(lr=…) needs params=… (the Values, or a model, to update)")
        return _Update(_param_list(params, who), float(lr), None)
    if not callable(getattr(optimizer, "step", None)):
        got = type(optimizer).__name__
        raise TypeError(f"{who}(optimizer=…): expected an object with a step() method, got {got}")
    held = getattr(optimizer, "params", None)
    if params is None and held is None:
        raise ValueError(f"{who}(optimizer=…) needs params=…: the optimiser has no .params")
    # Every Value the optimiser may change is recorded, so that undoing puts each one back.
    together = [p for p in (params, held) if p is not None]
    return _Update(_param_list(together, who), None, optimizer)


def _param_list(params: object, who: str) -> tuple[Value, ...]:
    """The parameter Values in params, in order, each once: Values, models, iterables of either."""
    found: dict[Value, None] = {}
    stack = [params]
    while stack:
        item = stack.pop()
        if isinstance(item, Value):
            found[item] = None
        elif callable(getattr(item, "parameters", None)):
            stack.extend(reversed(list(item.parameters())))
        elif isinstance(item, Iterable) and not isinstance(item, (str, bytes)):
            stack.extend(reversed(list(item)))
        else:
            got = type(item).__name__
            raise TypeError(f"{who}(params=…): expected Values or modules with .parameters(), got {got}")
    if not found:
        raise ValueError(f"{who}(params=…): no parameters given")
    return tuple(found)


def _refuse_value_grads(order: list[Value], who: str) -> None:
    for node in order:
        if node.is_leaf and type(node.grad) is Value:
            label = node.label or "(unlabelled)"
            raise TypeError(
                f"{who}: leaf {label} holds a Value grad (left by backward(create_graph=True)); "
                "set its .grad = 0.0 first"
            )


def _plan_iteration(
    root: Value,
    order: list[Value],
    names: _Names,
    it: int,
    forward: bool,
    update: _Update | None,
    steps: list[Step],
) -> None:
    """Append one iteration's steps, taking each for real (the caller undoes them all)."""
    if forward:
        for node in reversed(order):
            if not node.is_leaf:
                inputs = tuple(x.data if isinstance(x, Value) else x for x in node.operands)
                step = Step("forward", len(steps), node, names, iteration=it, value=node.data, detail=inputs)
                steps.append(step)
    with LOCK:  # no backward() of another thread in between
        _plan_backward(root, order, names, it, steps)
    if update is not None:
        _plan_update(update, names, it, steps)


def _plan_backward(root: Value, order: list[Value], names: _Names, it: int, steps: list[Step]) -> None:
    """The seed and backward steps, read off the chain-rule generator as it runs on the real grads."""
    start = [node.grad for node in order]
    walk = backward_steps(root, 1.0)
    node = next(walk, None)  # the generator has reset the interior grads and seeded the root
    changed = [(n, was) for n, was in zip(order, start, strict=True) if not _bits(n.grad, was)]
    seed = tuple(Write(n, "grad", was, n.grad) for n, was in changed)
    steps.append(Step("seed", len(steps), root, names, iteration=it, grad=root.grad, writes=seed))
    while node is not None:
        g = node.grad
        parents, local_grads = node.parents, node.local_grads
        before = {parent: parent.grad for parent in parents}
        following = next(walk, None)  # resumed: the chain rule for node's parents has been applied
        running = dict(before)
        contributions = []
        for parent, local in zip(parents, local_grads, strict=True):
            amount = local * g
            was = running[parent]
            running[parent] = was + amount
            contributions.append(Contribution(parent, local, amount, was, running[parent]))
        # The recorded after of each parent is what the generator left, not a recomputation.
        last = {c.parent: k for k, c in enumerate(contributions)}
        for parent, k in last.items():
            contributions[k] = contributions[k]._replace(after=parent.grad)
        writes = tuple(Write(parent, "grad", before[parent], parent.grad) for parent in before)
        steps.append(
            Step(
                "backward",
                len(steps),
                node,
                names,
                iteration=it,
                grad=g,
                contributions=tuple(contributions),
                writes=writes,
            )
        )
        node = following


def _plan_update(update: _Update, names: _Names, it: int, steps: list[Step]) -> None:
    """One update step per parameter: p.data - lr * p.grad, or what the optimiser's step() wrote."""
    params = update.params
    grads = [p.grad for p in params]
    before = [p.data for p in params]
    if update.optimizer is None:
        lr = update.lr
        for p in params:
            p.data = p.data - lr * p.grad  # type: ignore[operator]
    else:
        update.optimizer.step()  # type: ignore[attr-defined]
    for p, was, g in zip(params, before, grads, strict=True):
        after = p.data
        if type(after) is not float:
            got = type(after).__name__
            raise TypeError(f"update of {names.get(p)}: the optimiser set .data to {got}, not a float")
        steps.append(
            Step(
                "update",
                len(steps),
                p,
                names,
                iteration=it,
                value=after,
                writes=(Write(p, "data", was, after),),
                detail=(g, update.lr, update.optimizer),
            )
        )


def _zero_grads(params: tuple[Value, ...], it: int, steps: list[Step]) -> Step:
    """The step that sets every parameter's grad to 0 at the start of an iteration."""
    writes = tuple(Write(p, "grad", p.grad, 0.0) for p in params if not _bits(p.grad, 0.0))
    for w in writes:
        w.node.grad = 0.0
    step = Step("zero_grad", len(steps), None, _Names([]), iteration=it, writes=writes, detail=len(params))
    steps.append(step)
    return step


def _undo(steps: list[Step]) -> None:
    """Put back the state from before the steps were taken for real."""
    for step in reversed(steps):
        for w in reversed(step.writes):
            setattr(w.node, w.attr, w.before)


def _check_unchanged(node: Value, attr: str, expected: float, step: Step) -> None:
    """Refuse to step when a grad or value was changed behind the Stepper's back (e.g. by backward())."""
    got = getattr(node, attr)
    if not _same(got, expected):
        raise RuntimeError(
            f"Stepper, step {step.index}: {step._names.get(node)}.{attr} is {got!r}, expected {expected!r}; "
            "it was changed outside the Stepper (backward() or zero_grad?). Make a new Stepper."
        )


def _same(a: object, b: object) -> bool:
    """Equal floats, with nan equal to itself."""
    return a == b or (a != a and b != b)  # x != x only for nan


def _bits(a: object, b: object) -> bool:
    """The same float, bit for bit as far as a reader can tell: signed zeros differ, nans agree."""
    if type(a) is float and type(b) is float:
        return _same(a, b) and math.copysign(1.0, a) == math.copysign(1.0, b)
    return a is b


def _leftover_note(leftover: tuple[tuple[Value, float], ...], names: _Names) -> str:
    shown = ", ".join(f"grad({names[node]}) = {number(g)}" for node, g in leftover[:4])
    more = f" and {len(leftover) - 4} more" if len(leftover) > 4 else ""
    return (
        f"note: leaf grads were not 0 when this Stepper was made ({shown}{more}); the backward steps "
        "add to them, as backward() does. Zero them first (p.grad = 0.0, or zero_grad()) for fresh gradients."
    )


# -- explanations ----------------------------------------------------------------------------------


def _explain_forward(step: Step) -> str:
    names = step._names
    node = step.node
    assert node is not None
    args = node.operands
    values: tuple[float, ...] = step._detail  # type: ignore[assignment]
    symbolic = _formula(node.op, [names[a] if isinstance(a, Value) else number(a) for a in args], args)
    numeric = _formula(node.op, [number(v) for v in values], args)
    text = f"{names[node]} = {symbolic}"
    if numeric != symbolic:
        text += f" = {numeric}"
    return f"{text} = {number(step.value)}"  # type: ignore[arg-type]


def _explain_seed(step: Step) -> str:
    names = step._names
    r = names[step.node]  # type: ignore[index]
    root_write = next(w for w in step.writes if w.node is step.node) if step.writes else None
    if step.node.is_leaf:  # type: ignore[union-attr]
        before = root_write.before if root_write else step.grad
        return f"grad({r}) += ∂{r}/∂{r} = 1  ({number(before)} → {number(step.grad)})"  # type: ignore[arg-type]
    return f"grad({r}) = ∂{r}/∂{r} = 1"


def _explain_backward(step: Step) -> str:
    names = step._names
    n = names[step.node]  # type: ignore[index]
    lines = []
    for c in step.contributions:
        p = names[c.parent]
        lines.append(
            f"grad({p}) += grad({n}) · ∂{n}/∂{p} = "
            f"{number(step.grad)} × {number(c.local_grad)} = {number(c.amount)}"  # type: ignore[arg-type]
            f"  ({number(c.before)} → {number(c.after)})"
        )
    return "\n".join(lines)


def _explain_zero_grad(step: Step) -> str:
    n = step._detail
    text = f"zero_grad: grad(p) = 0 for each of the {n} parameters"
    if step.writes:
        changed = ", ".join(f"{step._names.get(w.node)}: {number(w.before)} → 0" for w in step.writes[:3])
        more = f", and {len(step.writes) - 3} more" if len(step.writes) > 3 else ""
        text += f"  ({changed}{more})"
    return text


def _explain_update(step: Step) -> str:
    p = step._names.get(step.node)  # type: ignore[arg-type]
    g, lr, optimizer = step._detail  # type: ignore[misc]
    (w,) = step.writes
    if optimizer is not None:
        lr = getattr(optimizer, "lr", None)
        by = f"  by {type(optimizer).__name__}.step()"
        if type(lr) not in (int, float) or w.before - lr * g != w.after:
            return f"{p} ← {number(w.before)} + ({number(w.after - w.before)}) = {number(w.after)}{by}"
    else:
        by = ""
    numbers = f"{number(w.before)} − {number(lr)} × {number(g)}"
    return f"{p} ← {p} − lr · grad({p}) = {numbers} = {number(w.after)}{by}"


_EXPLAIN: dict[str, Callable[[Step], str]] = {
    "forward": _explain_forward,
    "seed": _explain_seed,
    "backward": _explain_backward,
    "zero_grad": _explain_zero_grad,
    "update": _explain_update,
}

#: How each op reads in a formula: infix symbols, and the symbols' display forms.
_INFIX = {"+": " + ", "-": " − ", "*": "·", "/": " / ", "**": "**"}


def _formula(op: str, shown: list[str], args: tuple[object, ...]) -> str:
    """The op applied to the shown operands, as written: `a·b`, `a + b + c`, `x1·w1 + b`, `tanh(n)`."""
    if op not in _INFIX and op not in ("neg", "sum", "dot"):
        return f"{op}({', '.join(shown)})"
    shown = [f"({s})" if s.startswith("−") else s for s in shown]  # `2.0·(−3.0)`, not `2.0·−3.0`
    if op in _INFIX and len(shown) == 2:
        return _INFIX[op].join(shown)
    if op == "neg" and len(shown) == 1:
        return f"−{shown[0]}"
    if op == "sum":
        return " + ".join(shown)
    if op == "dot":
        half = len(shown) // 2
        terms = []
        for i in range(half):
            x, y = args[i], args[half + i]
            # A weight of exactly 1 (the bias's) reads better left out.
            if not isinstance(y, Value) and y == 1.0:
                terms.append(shown[i])
            elif not isinstance(x, Value) and x == 1.0:
                terms.append(shown[half + i])
            else:
                terms.append(f"{shown[i]}·{shown[half + i]}")
        if len(shown) % 2:
            terms.append(shown[-1])
        return " + ".join(terms)
    return f"{op}({', '.join(shown)})"


class _Names:
    """Display names: a node's label, made unique with `#k` when shared; otherwise `op#k` or `vk`,
    where k is the node's position in topological order (the same k as the drawing's `vk` ids)."""

    __slots__ = ("_by_node", "root")

    def __init__(self, order: list[Value]) -> None:
        self.root = order[0] if order else None
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

    def __contains__(self, node: object) -> bool:
        return node in self._by_node

    def get(self, node: Value) -> str:
        """node's name, or its label (or 'a parameter') when it is not in this graph."""
        return self._by_node.get(node) or node.label or "a parameter"

    def items(self) -> Iterable[tuple[Value, str]]:
        return self._by_node.items()


#: A label that reads as one name in a formula; any other label is put in parentheses.
_PLAIN_NAME = re.compile(r"[\w.']+")


def number(x: float) -> str:
    """x for an explanation: up to 6 significant digits, a `.0` on whole numbers, a real minus
    sign, and never a negative zero (−0.0 == 0.0, and a reader should not have to wonder)."""
    if x == 0.0:
        x = 0.0
    text = f"{x:.6g}"
    if text.lstrip("-").isdigit():
        text += ".0"
    return text.replace("-", "−")
