"""The numpy replay: a traced program evaluated for all rows of a batch at once.

Each value of the program is either *batched* (it depends on the row: an array with one entry
per row) or *shared* (it depends only on leaves and constants: one number for all rows).
Nodes that do the same thing to the rows of one block are evaluated together:

- the neurons of a layer, `dot(w_j, x, b_j)` over the same inputs x, become one matrix product
  W @ X + b, whose result is a block (one row per neuron, one column per batch row);
- an op applied to every row of a block (the layer's relu) becomes one numpy operation on it.

Everything else is one numpy operation per node. The chain rule runs in reverse, a block's
gradient being a matrix too. A shared node's gradient is summed over the rows as soon as it
leaves the batched part (the chain rule is linear), and a leaf's gradient is the sum, or the
mean, over the rows, added to its `.grad`. Floats differ from a row-by-row replay only in the
order of summation. Ops whose rule has no numpy form (user ops) are evaluated row by row.
"""

from __future__ import annotations

import ast
import functools
import re
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd.compiled.arguments import flatten, row
from autograd.compiled.codegen import Namespace, compile_source, grad_users, times
from autograd.compiled.rules import (
    FLOAT_WORDS,
    TOTAL_WORDS,
    checked,
    constant_of,
    names,
    template,
    variadic_form,
)
from autograd.compiled.trace import Operand, Program, Step

if TYPE_CHECKING:
    from autograd.compiled import Replay


# -- the ops on arrays ----------------------------------------------------------------------------


def variadic_kind(op: object) -> str | None:
    """'dot' or 'sum' for the table's variadic ops, 'other' for another variadic op, None otherwise."""
    if getattr(op, "arity", 0) is not None:
        return None
    return {"dot": "dot", "total": "sum"}.get(variadic_form(op, FLOAT_WORDS) or "", "other")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x), never overflowing (as autograd/floats.py's sigmoid)."""
    z = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))


def _relu(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """max(0, x), nan staying nan; it may keep -0.0 where floats' relu gives 0.0, an equal number."""
    return np.maximum(x, 0.0, out=out)


def _step(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """1 for x > 0, else 0 (0 for nan, as floats' step), as floats: the comparison, cast."""
    if out is None:
        return np.greater(x, 0.0).astype(np.float64)
    return np.greater(x, 0.0, out=out)


def _dpow_dx(x: np.ndarray, y: np.ndarray, ans: np.ndarray) -> np.ndarray:
    """y·ans/x, with the engine's values at x = 0 (see autograd/floats.py)."""
    at_zero = np.where(y == 0.0, 0.0, np.where(y >= 1.0, y * np.power(x, y - 1.0), np.inf))
    return np.where(x == 0.0, at_zero, y * ans / np.where(x == 0.0, 1.0, x))


def _logpos(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0.0, np.log(np.where(x > 0.0, x, 1.0)), np.where(x == 0.0, 0.0, np.nan))


#: Words that name numpy's function of the same name.
_SAME_NAME = (
    "exp", "log", "tanh", "sin", "cos", "sqrt", "tan", "sinh", "cosh", "log1p", "expm1", "log2", "log10",
    "exp2", "hypot",
)  # fmt: skip

#: What the words of the table's math mean on arrays. A domain edge gives numpy's inf or nan
#: where the float word raises; the replay then redoes the batch row by row (see run_batch), so
#: such a row fails as eager evaluation does. An op using a word missing here is run row by row.
ARRAY_WORDS: dict[str, object] = {
    **{w: getattr(np, w) for w in _SAME_NAME},
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "asinh": np.arcsinh, "acosh": np.arccosh,
    "atanh": np.arctanh, "atan2": np.arctan2, "abs": np.abs, "pow": np.power, "floor": np.floor,
    "sign": np.sign, "div": np.true_divide, "sigmoid": _sigmoid, "relu": _relu, "step": _step,
    "dpow_dx": _dpow_dx, "logpos": _logpos, "LN2": FLOAT_WORDS["LN2"], "LN10": FLOAT_WORDS["LN10"],
}  # fmt: skip


#: The words whose array function can write its result into a given array (`out=`).
OUT_WORDS = frozenset(w for w, f in ARRAY_WORDS.items() if isinstance(f, np.ufunc) or f in (_relu, _step))

#: numpy's functions of the operators, which take `out=` too.
_OPERATOR_UFUNCS = {
    ast.Add: "np.add", ast.Sub: "np.subtract", ast.Mult: "np.multiply", ast.Div: "np.true_divide",
}  # fmt: skip


def into(expression: str, out: str) -> list[str] | None:
    """Statements that compute an array expression into the array `out`, each op writing there
    (`(step(B1)) * G4` is `step(B1, out=Q[3])`, then `np.multiply(Q[3], G4, out=Q[3])`): the same
    floats, with no temporary array. None when the expression's outermost part is no such op.

    Only elementwise ops write where their own operand is (in place is exact for them); a matrix
    product writes into `out` only as the outermost op."""
    lines: list[str] = []

    def written(node: ast.expr, outermost: bool) -> str | None:
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATOR_UFUNCS:
            function, operands = _OPERATOR_UFUNCS[type(node.op)], [node.left, node.right]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult) and outermost:
            return f"np.matmul({ast.unparse(node.left)}, {ast.unparse(node.right)}, out={out})"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            function, operands = "np.negative", [node.operand]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in OUT_WORDS
            and not node.keywords
        ):
            function, operands = node.func.id, list(node.args)
        else:
            return None
        texts = []
        for operand in operands:
            inner = None if out in texts else written(operand, False)
            if inner is not None:
                lines.append(inner)
                texts.append(out)
            else:
                texts.append(ast.unparse(operand))
        return f"{function}({', '.join(texts)}, out={out})"

    last = written(ast.parse(expression, mode="eval").body, True)
    return None if last is None else [*lines, last]


class Buffers:
    """The arrays a batch function writes its blocks into, made once per number of rows and kept
    (per thread) for the next call: arrays of a few hundred KB would otherwise go back to the
    system when freed and be faulted in again on every call."""

    def __init__(self, rows: list[int]) -> None:
        self.rows = rows
        self._local = threading.local()

    def __call__(self, n: int) -> list[np.ndarray]:
        pools = getattr(self._local, "pools", None)
        if pools is None:
            pools = self._local.pools = {}
        arrays = pools.get(n)
        if arrays is None:
            if len(pools) >= 2:  # a batch's chunks have at most two sizes
                pools.pop(next(iter(pools)))
            arrays = pools[n] = [np.empty((r, n)) for r in self.rows]
        return arrays


def _elementwise(fn: Callable[..., object], op: object, what: int) -> Callable[..., object]:
    """fn of floats applied to every entry of its array arguments (numbers broadcast)."""

    def one(*xs: float) -> float:
        return checked(fn(*xs), op, what)

    ufunc = np.frompyfunc(one, op.arity, 1)  # type: ignore[attr-defined]

    def apply(*args: object) -> object:
        out = ufunc(*args)
        return out.astype(np.float64) if isinstance(out, np.ndarray) else float(out)

    return apply


class ArrayRules:
    """Each fixed-arity op on arrays: a built-in's math text in ARRAY_WORDS, or else its record's
    float functions entry by entry (user ops: correct for any op, not fast)."""

    @staticmethod
    def forward(step: Step, args: list[str], ns: Namespace) -> str:
        op = step.op
        params = names(op.arity)  # type: ignore[attr-defined]
        math = getattr(op, "math", None)
        if math is not None:
            text = template(math[0], params, _ARRAY_KEYS)
            if text is not None:
                return f"({text.format(**dict(zip(params, args)))})"
        return f"{ns.ref(_elementwise(op.forward, op, -1))}({', '.join(args)})"  # type: ignore[attr-defined]

    @staticmethod
    def derivative(step: Step, i: int, args: list[str], ans: str, ns: Namespace) -> str | float:
        """∂node/∂operand_i as an expression, or the number when it is constant."""
        op = step.op
        params = (*names(op.arity), "ans")  # type: ignore[attr-defined]
        math = getattr(op, "math", None)
        if math is not None:
            c = constant_of(math[1][i])
            if c is not None:
                return c
            text = template(math[1][i], params, _ARRAY_KEYS)
            if text is not None:
                return f"({text.format(**dict(zip(params, [*args, ans])))})"
            d = functools.partial(_one_derivative, op, i)
            return f"{ns.ref(_elementwise(d, op, i))}({', '.join(args)})"
        d = op.derivatives[i]  # type: ignore[attr-defined]
        if not callable(d):
            return float(d)
        return f"{ns.ref(_elementwise(d, op, i))}({', '.join(args)})"


def _one_derivative(op: object, i: int, *xs: float) -> object:
    return op.grads(xs, op.forward(*xs))[i]  # type: ignore[attr-defined]


_ARRAY_KEYS = frozenset(ARRAY_WORDS)
ARRAY_RULES: Any = ArrayRules


# -- the plan: which nodes are evaluated together -----------------------------------------------


class Block:
    """Nodes evaluated together: row j of the block is the value of slot members[j]."""

    __slots__ = ("index", "members", "kind", "step", "operands", "weights", "start", "inputs")

    def __init__(self, index: int, members: list[int], kind: str) -> None:
        self.index = index
        self.members = members
        self.kind = kind  # "dot" (a layer's matrix product) or "map" (one op on rows of blocks)
        self.step: Step | None = None  # map: the op applied (the first member's step)
        #: map: per operand position, ("rows", block) for row j of a block, ("same", operand) else.
        self.operands: list[tuple[str, object]] = []
        self.weights: list[list[int]] = []  # dot: the leaf index of each weight, per member
        self.start: list[int] | None = None  # dot: the leaf index of each member's start, if any
        self.inputs: tuple[int, ...] = ()  # dot: the input slots shared by the members


class Plan:
    def __init__(self, program: Program) -> None:
        self.program = program
        first = program.first_step
        self.first = first
        batched = [True] * program.n_args + [False] * len(program.leaves)
        for step in program.steps:
            batched.append(any(type(a) is int and batched[a] for a in step.args))
        self.batched = batched
        self.blocks: list[Block] = []
        self.block_of: dict[int, tuple[Block, int]] = {}  # slot → (block, row)
        self._group_dots()
        while self._group_maps():
            pass

    def step(self, slot: int) -> Step:
        return self.program.steps[slot - self.first]

    def is_leaf(self, a: Operand) -> bool:
        return type(a) is int and self.program.n_args <= a < self.first

    def leaf_index(self, a: int) -> int:
        return a - self.program.n_args

    def _group_dots(self) -> None:
        """Neurons: batched dots of leaf weights with the same inputs, and a leaf start or none."""
        groups: dict[tuple[object, ...], list[int]] = {}
        for k, step in enumerate(self.program.steps):
            slot = self.first + k
            if not self.batched[slot] or variadic_kind(step.op) != "dot":
                continue
            n = len(step.args) // 2
            xs, ys, rest = step.args[:n], step.args[n : 2 * n], step.args[2 * n :]
            if not all(self.is_leaf(a) for a in xs) or not all(
                type(a) is int and self.batched[a] for a in ys
            ):
                continue
            if rest and not self.is_leaf(rest[0]):
                continue
            groups.setdefault((ys, bool(rest)), []).append(slot)
        for (ys, has_start), members in groups.items():
            block = self._new_block(members, "dot")
            block.inputs = ys  # type: ignore[assignment]
            n = len(ys)  # type: ignore[arg-type]
            block.weights = [[self.leaf_index(a) for a in self.step(m).args[:n]] for m in members]  # type: ignore[misc]
            if has_start:
                block.start = [self.leaf_index(self.step(m).args[2 * n]) for m in members]  # type: ignore[arg-type]

    def _group_maps(self) -> bool:
        """Fixed-arity ops applied alike to every row of a block; True when a block was made."""
        candidates: dict[tuple[object, ...], dict[int, int]] = {}
        for k, step in enumerate(self.program.steps):
            slot = self.first + k
            if slot in self.block_of or not self.batched[slot] or variadic_kind(step.op) is not None:
                continue
            signature: list[object] = [id(step.op)]
            row = None
            for a in step.args:
                place = self.block_of.get(a) if type(a) is int else None
                if place is None:
                    signature.append(("same", a))
                elif row is None or row == place[1]:
                    row = place[1]
                    signature.append(("rows", place[0].index))
                else:
                    row = -1
            if row is None or row < 0:
                continue
            members = candidates.setdefault(tuple(signature), {})
            if row not in members:
                members[row] = slot
        made = False
        for signature, members in candidates.items():
            source = self.blocks[next(s[1] for s in signature[1:] if s[0] == "rows")]  # type: ignore[index]
            if sorted(members) != list(range(len(source.members))):
                continue
            block = self._new_block([members[j] for j in range(len(source.members))], "map")
            block.step = self.step(block.members[0])
            block.operands = [(kind, self.blocks[x] if kind == "rows" else x) for kind, x in signature[1:]]  # type: ignore[misc]
            made = True
        return made

    def _new_block(self, members: list[int], kind: str) -> Block:
        block = Block(len(self.blocks), members, kind)
        self.blocks.append(block)
        for j, m in enumerate(members):
            self.block_of[m] = (block, j)
        return block


# -- code generation ------------------------------------------------------------------------------


def _index(ns: Namespace, indices: Sequence[int] | Sequence[Sequence[int]]) -> str:
    """A subscript of the leaf vector P: a slice when the indices are consecutive, else an array."""
    flat = np.asarray(indices, dtype=np.intp)
    if flat.ndim == 1 and len(flat) and np.array_equal(flat, np.arange(flat[0], flat[0] + len(flat))):
        return f"{int(flat[0])}:{int(flat[0]) + len(flat)}"
    return ns.ref(flat)


def _unique(indices: Sequence[int] | Sequence[Sequence[int]]) -> bool:
    flat = np.asarray(indices).ravel()
    return len(np.unique(flat)) == len(flat)


class Writer:
    """Writes the numpy replay of a plan: `replay(A, P, N)` → (Σ over rows of the output, PG)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.program = plan.program
        self.ns = Namespace()
        self.ns.globals["np"] = np
        self.ns.globals.update(ARRAY_WORDS)
        self.lines: list[str] = []
        self.defined: set[int] = set()  # slots with a variable v{slot}
        self.stacks: dict[tuple[int, ...], str] = {}
        self.needed = grad_users(self.program)
        self.has_grad: set[int] = set()  # slots with a variable g{slot}
        #: blocks with a gradient matrix G{b}: True when the array is the block's own (not shared)
        self.block_grads: dict[int, bool] = {}
        self.units: list[object] = []  # forward order: blocks and single slots
        self.buffers: list[int] = []  # the rows of each array Q[k] that a block is written into

    def buffered(self, target: str, rows: int, expression: str) -> None:
        """target = expression, written into an array of its own kept between calls when it can be."""
        lines = into(expression, f"Q[{len(self.buffers)}]")
        if lines is None:
            self.emit(f"{target} = {expression}")
            return
        self.buffers.append(rows)
        lines[-1] = f"{target} = {lines[-1]}"
        for line in lines:
            self.emit(line)

    def emit(self, line: str) -> None:
        self.lines.append(line)

    def value(self, a: Operand) -> str:
        """The expression of an operand, making a row variable of a block member on first use."""
        if type(a) is not int:
            return self.ns.constant(a)
        if a not in self.defined:
            block, j = self.plan.block_of[a]
            self.emit(f"v{a} = B{block.index}[{j}]")
            self.defined.add(a)
        return f"v{a}"

    def stack(self, slots: tuple[int, ...]) -> str:
        """The matrix whose row i is slot i's array (a block when the slots are one, in order)."""
        place = self.plan.block_of.get(slots[0])
        if place is not None and place[1] == 0 and list(slots) == place[0].members:
            return f"B{place[0].index}"
        n_args = self.program.n_args
        if slots[-1] < n_args and list(slots) == list(range(slots[0], slots[0] + len(slots))):
            return f"A[{slots[0]}:{slots[-1] + 1}]"  # consecutive inputs: rows of A already
        name = self.stacks.get(slots)
        if name is None:
            name = self.stacks[slots] = f"M{len(self.stacks)}"
            self.emit(f"{name} = np.stack(({', '.join(self.value(a) for a in slots)},))")
        return name

    # -- forward --------------------------------------------------------------------------------

    def forward(self) -> None:
        program, plan = self.program, self.plan
        n_args = program.n_args
        for s in range(n_args):
            self.emit(f"v{s} = A[{s}]")
            self.defined.add(s)
        self.defined.update(range(n_args, program.first_step))  # the leaves used one by one: see source()
        done: set[int] = set()
        for k, step in enumerate(program.steps):
            slot = plan.first + k
            place = plan.block_of.get(slot)
            if place is not None:
                block = place[0]
                if block.index not in done:
                    done.add(block.index)
                    self.forward_block(block)
                    self.units.append(block)
                    if _may_raise(block.step):
                        self.emit(f"if not np.isfinite(B{block.index}).all(): return None")
                continue
            self.forward_single(slot, step)
            self.units.append(slot)
            if _may_raise(step):
                self.emit(f"if not np.isfinite(v{slot}).all(): return None")

    def forward_block(self, block: Block) -> None:
        b = block.index
        if block.kind == "dot":
            self.emit(f"W{b} = P[{self.ns.ref(np.asarray(block.weights, dtype=np.intp))}]")
            X = self.stack(block.inputs)
            self.buffered(f"B{b}", len(block.members), f"W{b} @ {X}")
            if block.start is not None:  # added in place: the same sums as W @ X + b
                self.emit(f"B{b} += P[{_index(self.ns, block.start)}][:, None]")
            return
        args = [f"B{x.index}" if kind == "rows" else self.broadcast(x) for kind, x in block.operands]  # type: ignore[union-attr]
        self.buffered(f"B{b}", len(block.members), ARRAY_RULES.forward(block.step, args, self.ns))

    def broadcast(self, a: Operand) -> str:
        """An operand shared by the rows of a block: a row vector broadcasts over the block's rows."""
        return self.value(a)

    def forward_single(self, slot: int, step: Step) -> None:
        kind = variadic_kind(step.op)
        args = step.args
        if kind is None:
            expr = ARRAY_RULES.forward(step, [self.value(a) for a in args], self.ns)
        elif kind == "sum":
            expr = " + ".join(self.value(a) for a in args) if args else "0.0"
        elif kind == "dot":
            expr = self.dot_forward(args)
        else:
            expr = f"{self.ns.ref(_rows_variadic(step.op))}(N, {', '.join(self.value(a) for a in args)})"
        self.emit(f"v{slot} = {expr}")
        self.defined.add(slot)

    def side(self, operands: Sequence[Operand]) -> tuple[str, str]:
        """One side of a dot as ("leaves", P[…]), ("rows", matrix) or ("terms", "")."""
        plan = self.plan
        if operands and all(plan.is_leaf(a) for a in operands):
            return "leaves", f"P[{_index(self.ns, [plan.leaf_index(a) for a in operands])}]"  # type: ignore[arg-type]
        if operands and all(type(a) is int and plan.batched[a] for a in operands):
            return "rows", self.stack(tuple(operands))  # type: ignore[arg-type]
        return "terms", ""

    def dot_forward(self, args: tuple[Operand, ...]) -> str:
        n = len(args) // 2
        xs, ys, rest = args[:n], args[n : 2 * n], args[2 * n :]
        (kx, x), (ky, y) = self.side(xs), self.side(ys)
        if kx == "leaves" and ky in ("leaves", "rows"):
            expr = f"({x} @ {y})"
        elif kx == "rows" and ky == "leaves":
            expr = f"({y} @ {x})"
        elif kx == "rows" and ky == "rows":
            expr = f"({x} * {y}).sum(axis=0)"
        else:
            expr = " + ".join(f"{self.value(a)} * {self.value(b)}" for a, b in zip(xs, ys)) or "0.0"
        return f"{expr} + {self.value(rest[0])}" if rest else expr

    # -- backward ---------------------------------------------------------------------------------

    def grad_of(self, slot: int) -> str:
        place = self.plan.block_of.get(slot)
        if place is not None:
            return f"G{place[0].index}[{place[1]}]"
        return f"g{slot}"

    def add(self, a: Operand, contribution: str, from_batched: bool) -> None:
        """Add a contribution (an array when from_batched) to operand a's gradient."""
        if type(a) is not int or not self.needed[a]:
            return
        plan = self.plan
        if not plan.batched[a] and from_batched:
            contribution = f"np.sum({contribution})"
        if plan.is_leaf(a):
            self.emit(f"PG[{plan.leaf_index(a)}] += {contribution}")
            return
        place = plan.block_of.get(a)
        if place is not None:
            self.block_row_add(place[0], place[1], contribution)
        elif a in self.has_grad:
            self.emit(f"g{a} = g{a} + {contribution}")
        else:
            self.emit(f"g{a} = {contribution}")
            self.has_grad.add(a)

    def block_add(self, block: Block, contribution: str) -> None:
        """G_block += contribution (a matrix); the first one is assigned, maybe sharing an array,
        so later ones make a new array rather than add in place."""
        G = f"G{block.index}"
        if block.index in self.block_grads:
            self.emit(f"{G} = {G} + {contribution}")
            self.block_grads[block.index] = True
        else:
            self.buffered(G, len(block.members), contribution)
            self.block_grads[block.index] = False

    def block_row_add(self, block: Block, row: int, contribution: str) -> None:
        """G_block[row] += contribution, in an array of the block's own."""
        G = f"G{block.index}"
        owned = self.block_grads.get(block.index)
        if owned is None:
            self.emit(f"{G} = np.zeros(B{block.index}.shape)")
        elif not owned:
            self.emit(f"{G} = {G}.copy()")
        self.block_grads[block.index] = True
        self.emit(f"{G}[{row}] += {contribution}")

    def backward(self) -> None:
        program = self.program
        out = program.output
        if type(out) is not int or not self.needed[out]:
            return
        place = self.plan.block_of.get(out)
        if place is not None and len(place[0].members) == 1:
            self.block_add(place[0], "np.ones((1, N))")
        else:
            self.add(out, "np.ones(N)" if self.plan.batched[out] else "1.0", False)
        for unit in reversed(self.units):
            if isinstance(unit, Block):
                if unit.index in self.block_grads:
                    self.backward_block(unit)
            elif self.needed[unit] and unit in self.has_grad:
                self.backward_single(unit)

    def local(self, step: Step, i: int, args: list[str], ans: str) -> str | float:
        return ARRAY_RULES.derivative(step, i, args, ans, self.ns)

    def backward_single(self, slot: int) -> None:
        step = self.plan.step(slot)
        g = f"g{slot}"
        batched = self.plan.batched[slot]
        kind = variadic_kind(step.op)
        args = step.args
        if kind == "sum":
            for a in args:
                self.add(a, g, batched)
            return
        if kind == "dot":
            self.dot_backward(args, g, batched)
            return
        if kind == "other":
            raise NotImplementedError(f"map: no batched backward for the variadic op {step.op!r}")
        values = [self.value(a) for a in args]
        for i, a in enumerate(args):
            if type(a) is int and self.needed[a]:
                self.add(a, times(self.local(step, i, values, f"v{slot}"), g, self.ns), batched)

    def dot_backward(self, args: tuple[Operand, ...], g: str, batched: bool) -> None:
        n = len(args) // 2
        xs, ys, rest = args[:n], args[n : 2 * n], args[2 * n :]
        sides = {"x": (xs, self.side(xs)), "y": (ys, self.side(ys))}
        for this, other in (("x", "y"), ("y", "x")):
            operands, (kind, _) = sides[this]
            partners, (other_kind, other_matrix) = sides[other]
            if not any(type(a) is int and self.needed[a] for a in operands):
                continue
            if (
                kind == "leaves"
                and other_kind in ("leaves", "rows")
                and _unique([self.plan.leaf_index(a) for a in operands])
            ):  # type: ignore[arg-type]
                index = _index(self.ns, [self.plan.leaf_index(a) for a in operands])  # type: ignore[arg-type]
                if other_kind == "rows":
                    grads = f"{other_matrix} @ {g}"
                else:
                    grads = f"{other_matrix} * np.sum({g})" if batched else f"{other_matrix} * {g}"
                self.emit(f"PG[{index}] += {grads}")
                continue
            for a, b in zip(operands, partners):
                self.add(a, f"{self.value(b)} * {g}", batched)
        if rest:
            self.add(rest[0], g, batched)

    def backward_block(self, block: Block) -> None:
        G = f"G{block.index}"
        if block.kind == "dot":
            X = self.stack(block.inputs)
            weights = self.ns.ref(np.asarray(block.weights, dtype=np.intp))
            if _unique(block.weights):
                self.emit(f"PG[{weights}] += {G} @ {X}.T")
            else:
                self.emit(f"np.add.at(PG, {weights}, {G} @ {X}.T)")
            if block.start is not None:
                if _unique(block.start):
                    self.emit(f"PG[{_index(self.ns, block.start)}] += {G}.sum(axis=1)")
                else:
                    self.emit(f"np.add.at(PG, {self.ns.ref(np.asarray(block.start))}, {G}.sum(axis=1))")
            if any(self.needed[a] for a in block.inputs):  # one neuron: an outer product, broadcast
                product = "*" if len(block.members) == 1 else "@"
                self.distribute(block.inputs, f"W{block.index}.T {product} {G}")
            return
        step = block.step
        args = [f"B{x.index}" if kind == "rows" else self.value(x) for kind, x in block.operands]  # type: ignore[union-attr]
        for i, (kind, x) in enumerate(block.operands):
            if kind == "rows":
                if any(self.needed[m] for m in x.members):  # type: ignore[union-attr]
                    local = self.local(step, i, args, f"B{block.index}")
                    self.block_add(x, times(local, G, self.ns))  # type: ignore[arg-type]
            elif type(x) is int and self.needed[x]:
                total = times(self.local(step, i, args, f"B{block.index}"), G, self.ns)  # type: ignore[arg-type]
                self.add(x, f"({total}).sum(axis=0)" if self.plan.batched[x] else f"np.sum({total})", False)

    def distribute(self, slots: tuple[int, ...], grads: str) -> None:
        """Add the rows of a gradient matrix to the slots (a block's matrix when they are one)."""
        place = self.plan.block_of.get(slots[0])
        if place is not None and place[1] == 0 and list(slots) == place[0].members:
            self.block_add(place[0], grads)
            return
        name = f"T{len(self.lines)}"
        self.emit(f"{name} = {grads}")
        for i, a in enumerate(slots):
            self.add(a, f"{name}[{i}]", True)

    def source(self) -> str:
        self.forward()
        out = self.program.output
        total = self.value(out) if type(out) is int else self.ns.constant(out)
        self.emit(f"PG = np.zeros({len(self.program.leaves)})")
        self.backward()
        batched_out = type(out) is int and self.plan.batched[out]
        self.emit(f"return {'np.sum(' + total + ')' if batched_out else total}, PG, {batched_out}")
        constants = self.ns.constants
        head = [f"({', '.join(f'c{j}' for j in range(len(constants)))},) = C"] if constants else []
        n_args, first = self.program.n_args, self.program.first_step
        used = sorted({int(m) for line in self.lines for m in re.findall(r"\bv(\d+)\b", line)})
        leaves = [v for v in used if n_args <= v < first]
        if leaves:  # as Python floats, read once
            index = self.ns.ref(np.asarray([v - n_args for v in leaves], dtype=np.intp))
            head.append(f"({', '.join(f'v{v}' for v in leaves)},) = P[{index}].tolist()")
        if self.buffers:
            head.append(f"Q = {self.ns.ref(Buffers(self.buffers))}(N)")
        self.ns.globals["C"] = tuple(constants)
        return "\n    ".join(["def replay(A, P, N):", *head, *self.lines]) + "\n"


def _may_raise(step: Step | None) -> bool:
    """Whether the op's float forward can raise where numpy gives inf or nan instead: a built-in
    whose text divides or calls a word (log, sqrt, pow …), and every user op. Sums and products
    (and dot) overflow to inf in eager evaluation too, without an error."""
    if step is None:  # a layer's matrix product
        return False
    math = getattr(step.op, "math", None)
    if math is None:
        return True
    if step.op.arity is None:  # type: ignore[attr-defined]
        return variadic_form(step.op, FLOAT_WORDS) is None
    for node in ast.walk(ast.parse(math[0], mode="eval")):
        if isinstance(node, (ast.Div, ast.Mod, ast.Pow, ast.FloorDiv)):
            return True
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) not in TOTAL_WORDS:
            return True
    return False


def _rows_variadic(op: object) -> Callable[..., object]:
    """A variadic op with no batched form: its float forward row by row."""

    def apply(n: int, *args: object) -> object:
        columns = [np.broadcast_to(a, (n,)) for a in args]
        return np.array([op.forward(*[c[i] for c in columns]) for i in range(n)])  # type: ignore[attr-defined]

    return apply


# -- running a batch --------------------------------------------------------------------------------


def build(program: Program) -> tuple[str, Callable[..., object], int]:
    """The source of the numpy replay of program, its function, and the most rows of a block."""
    plan = Plan(program)
    writer = Writer(plan)
    source = writer.source()
    widest = max([len(b.members) for b in plan.blocks] + [1])
    return source, compile_source(source, writer.ns, "batch"), widest


def inputs(columns: Sequence[Sequence[object]], n: int, key: object, n_args: int) -> np.ndarray:
    """The traced items of every row as a matrix: row s holds item s of every batch row."""
    arrays = []
    for column in columns:
        try:
            a = column if isinstance(column, np.ndarray) else np.asarray(column)
            a = a.astype(np.float64, copy=False) if a.dtype.kind in "iuf" else None
        except (TypeError, ValueError):  # ragged rows, say
            a = None
        if a is None or a.shape[:1] != (n,):
            return _inputs_row_by_row(columns, n, key, n_args)
        arrays.append(a.reshape(n, -1))
    matrix = np.concatenate(arrays, axis=1) if len(arrays) > 1 else arrays[0]
    if matrix.shape[1] != n_args:
        return _inputs_row_by_row(columns, n, key, n_args)
    return np.ascontiguousarray(matrix.T)


def _inputs_row_by_row(columns: Sequence[Sequence[object]], n: int, key: object, n_args: int) -> np.ndarray:
    matrix = np.empty((n_args, n))
    for i in range(n):
        flat = flatten(row(columns, i), numbers_traced=True)
        if flat.key != key:
            raise ValueError(f"map: row {i} has another structure than row 0 (lengths or kinds of items)")
        matrix[:, i] = flat.items
    return matrix


#: Rows per pass, for the widest block's arrays: a pass's blocks are written into arrays kept
#: between calls (see Buffers), so a larger pass costs no page faults, only memory (a few MB).
CHUNK_BYTES = 256 * 1024


def run_batch(
    replay: Replay, columns: Sequence[Sequence[object]], n: int, key: object, reduce: str
) -> float | None:
    """The mean (or sum) over rows of the output, with the same reduction of each leaf's gradient
    added to its grad; None (nothing changed) when the batch must be replayed row by row."""
    program = replay.program
    if replay.batch is None:
        replay.batch = build(program)
    _, function, widest = replay.batch  # type: ignore[misc]
    A = inputs(columns, n, key, program.n_args)
    P = np.array([leaf.data for leaf in program.leaves], dtype=np.float64)
    chunk = max(64, CHUNK_BYTES // (8 * widest))
    total, PG, batched = 0.0, np.zeros(len(program.leaves)), False
    try:
        with np.errstate(all="ignore"):
            for start in range(0, n, chunk):
                part = A[:, start : start + chunk] if n > chunk else A
                result = function(np.ascontiguousarray(part), P, part.shape[1])
                if result is None:  # a domain edge or a non-finite number: the rows do what eager does
                    return None
                total, PG, batched = total + result[0], PG + result[1], result[2]
    except (ArithmeticError, ValueError):  # a user op's own error: the rows say which, as eager does
        return None
    if not np.isfinite(PG).all() or not np.isfinite(total):
        return None
    if not batched:  # f does not depend on the row: every chunk gave the same per-row value
        chunks = -(-n // chunk)
        total, PG = total / chunks, PG / chunks
    if reduce == "mean":
        value = float(total) / n if batched else float(total)
        grads = (PG / n if batched else PG).tolist()
    else:
        value = float(total) if batched else float(total) * n
        grads = (PG if batched else PG * n).tolist()
    for leaf, g in zip(program.leaves, grads):
        leaf.grad = leaf.grad + g
    return value
