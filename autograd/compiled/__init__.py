"""`autograd.compile(f)`: trace a step's graph once, then replay it as straight-line code.

    step = autograd.compile(loss_of)     # loss_of(*args) builds a Value from Values and numbers
    loss = step(X, labels)               # a float; every leaf reached has ∂loss/∂leaf added to .grad
    opt.step(); opt.zero_grad()

The first call runs f once on stand-in Values (the trace) and turns the graph into Python code
that performs the same float operations as eager evaluation and `backward()`, so a replay gives
the same numbers bit for bit, only faster. Later calls whose arguments have the same structure
replay that code on the arguments' and leaves' current numbers. `map` evaluates f on every row of
some columns at once with numpy. While tracing, f's Python code may not look at the numbers
(see `guard`): a decision taken on them would be replayed unchanged.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

from autograd.compiled import arguments
from autograd.compiled.arguments import Flat, flatten
from autograd.compiled.codegen import generate
from autograd.compiled.guard import TracingError
from autograd.compiled.rules import PythonRules
from autograd.compiled.trace import Program, describe, trace
from autograd.value import Value

#: Traces kept per compiled function, least recently used dropped first.
CACHE_SIZE = 64

_REDUCTIONS = ("mean", "sum")
#: What a float op raises outside its domain (ZeroDivisionError and OverflowError are arithmetic).
_ERRORS = (ArithmeticError, ValueError)


class Replay:
    """One traced program and its generated functions, made when first needed."""

    __slots__ = ("program", "_forward", "_forward_backward", "_variants", "batch")

    def __init__(self, program: Program) -> None:
        self.program = program
        self._forward: Callable[..., object] | None = None
        self._forward_backward: Callable[..., object] | None = None
        self._variants: dict[tuple[int, ...], Replay] = {}
        #: The numpy replay (autograd.compiled.batch), made by the first `map`.
        self.batch: object = None

    def forward_function(self) -> Callable[..., object]:
        if self._forward is None:
            self._forward = generate(self.program, PythonRules, backward=False)
        return self._forward

    def forward_backward_function(self) -> Callable[..., object]:
        if self._forward_backward is None:
            self._forward_backward = generate(self.program, PythonRules, backward=True)
        return self._forward_backward

    def for_items(self, items: Sequence[object]) -> Replay:
        """This replay, or the one for a call whose Value arguments alias each other or a leaf."""
        program = self.program
        if not program.arg_values:
            return self
        for slot in program.arg_values:
            if not items[slot].is_leaf:  # type: ignore[attr-defined]
                raise TypeError(
                    f"autograd.compile: traced argument item {slot} is a Value computed by op "
                    f"{items[slot].op!r}; a compiled function differentiates with respect to leaves: "  # type: ignore[attr-defined]
                    "pass a leaf (x.detach() for a constant), or compute it inside the function"
                )
        aliases = program.aliasing(items)
        if aliases is None:
            return self
        variant = self._variants.get(aliases)
        if variant is None:
            variant = self._variants[aliases] = Replay(program.merged(aliases))
        return variant

    def numbers(self, items: Sequence[object]) -> list[float]:
        """The current numbers of the argument and leaf slots."""
        numbers = [x.data if type(x) is Value else x for x in items]  # type: ignore[attr-defined]
        numbers += [leaf.data for leaf in self.program.leaves]
        return numbers  # type: ignore[return-value]

    def receivers(self, items: Sequence[object]) -> list[Value]:
        n_args, leaves = self.program.n_args, self.program.leaves
        return [items[r] if r < n_args else leaves[r - n_args] for r in self.program.receivers]  # type: ignore[misc]

    def run(self, items: Sequence[object], *, backward: bool) -> float:
        """f's output at items; with backward, each receiver's grad gets ∂out/∂receiver added."""
        if not backward:
            return self.forward_function()(self.numbers(items))  # type: ignore[return-value]
        targets = self.receivers(items)
        out, grads = self.forward_backward_function()(self.numbers(items), [v.grad for v in targets])  # type: ignore[misc]
        for v, g in zip(targets, grads):
            v.grad = g
        return out  # type: ignore[no-any-return]


class Compiled:
    """f compiled: call it as f, get a float, and the leaves' grads as after `f(...).backward()`.

    - `step(*args)`: f's value, with ∂/∂leaf added into every leaf's `.grad` (Value arguments too).
    - `step.forward(*args)`: f's value only.
    - `step.trace(*args)`: the ordinary Value graph of one eager call, to draw or step through.
    - `step.map(*columns, reduce="mean")`: f over each row of the columns at once.
    """

    def __init__(self, f: Callable[..., Value | float], *, cache_size: int = CACHE_SIZE) -> None:
        if not callable(f):
            raise TypeError(f"autograd.compile: expected a function, got {type(f).__name__}")
        if type(cache_size) is not int or cache_size < 1:
            raise ValueError(f"autograd.compile: cache_size must be an int ≥ 1, got {cache_size!r}")
        self.f = f
        self.cache_size = cache_size
        self._cache: OrderedDict[object, Replay] = OrderedDict()
        self.traces = 0  # how many times f was traced, for tests and curious readers
        self.__wrapped__ = f
        self.__doc__ = getattr(f, "__doc__", None)

    def __call__(self, *args: object) -> float:
        """f(*args).data, with ∂f/∂leaf added to each leaf's grad."""
        return self._run(args, backward=True)

    def forward(self, *args: object) -> float:
        """f(*args).data, computed by the replay, with no backward pass."""
        return self._run(args, backward=False)

    def _run(self, args: tuple[object, ...], *, backward: bool) -> float:
        flat = flatten(args)
        replay = self._replay(flat, args).for_items(flat.items)
        try:
            return replay.run(flat.items, backward=backward)
        except _ERRORS as error:
            raise self.eager_error(args, error) from None

    def eager_error(self, args: Sequence[object], error: Exception) -> Exception:
        """The error eager evaluation gives where a replay failed (log of a negative number, say).

        The straight-line code does not name the op (math's own "math domain error"), so f runs
        once eagerly, without backward, to raise the engine's error naming the op and the operands.
        """
        try:
            self.f(*args)
        except _ERRORS as eager:
            return eager
        return error

    def trace(self, *args: object) -> Value:
        """The graph of one ordinary call f(*args), as Values (no replay): to draw or step through."""
        flatten(args)  # the same argument rules as a call
        return self.f(*args)  # type: ignore[return-value]

    def map(self, *columns: Sequence[object], reduce: str = "mean") -> float:
        """The mean (or sum) of f(*row) over the rows of the columns, with the same reduction of
        the per-row gradients added into the leaves' grads.

        Row i is (columns[0][i], columns[1][i], …); every column is traced, numbers as floats.
        With numpy each graph node is evaluated for all rows at once; without it rows are
        replayed one by one (with a warning, once).
        """
        from autograd.compiled import batch

        if reduce not in _REDUCTIONS:
            raise ValueError(f"map: reduce must be 'mean' or 'sum', got {reduce!r}")
        n = batch.length_of(columns)
        row = arguments.row(columns, 0)
        first = flatten(row, numbers_traced=True)
        replay = self._replay(first, row, mapped=True)
        if replay.program.arg_values:
            raise TypeError(
                "map: columns hold numbers, the data; a Value in a row would need a gradient per "
                "row: pass its number, or call the compiled function row by row"
            )
        return batch.run(self, replay, columns, n, first.key, reduce)

    # -- the cache ---------------------------------------------------------------------------------

    def _replay(self, flat: Flat, args: Sequence[object], *, mapped: bool = False) -> Replay:
        key = ("map", flat.key) if mapped else flat.key
        cache = self._cache
        replay = cache.get(key)
        if replay is not None:
            cache.move_to_end(key)
            return replay
        replay = Replay(trace(self.f, args, numbers_traced=mapped))
        self.traces += 1
        cache[key] = replay
        if len(cache) > self.cache_size:
            cache.popitem(last=False)
        return replay

    def __repr__(self) -> str:
        return f"<autograd.compile of {describe(self.f)}: {len(self._cache)} trace(s) cached>"


def compile(f: Callable[..., Value | float], *, cache_size: int = CACHE_SIZE) -> Compiled:
    """f traced once per argument structure and replayed as straight-line code (see Compiled)."""
    return Compiled(f, cache_size=cache_size)


__all__ = ["Compiled", "TracingError", "compile"]
