"""`Op`: one record per op — its name and symbol, its forward, its derivatives and its domain.

Every node of the graph is made by an Op, built-in or user-defined. A record is immutable, and
everything else is derived from it: Value's operators and methods, the public functions, the
hypothesis strategies' domains, the formula printer and the Stepper's names.

Built-in ops (the table in autograd/ops.py) write their forward and derivatives as math text
over the operands `x`, `y` (`xs` for a variadic op) and the op's output `ans`, e.g. `1 - ans**2`.
The text is compiled once here, in two namespaces: floats for the forward (autograd/floats.py),
and, for the derivatives, gradwalk's functions, which give floats for floats and record Values
for Values, so that the same rule serves the ordinary backward pass and every higher order.
User ops (`autograd.op`) give Python callables instead, which are never turned into text.
"""

from __future__ import annotations

import ast
import inspect
import reprlib
from collections.abc import Callable, Sequence

from autograd import floats
from autograd.domain import ANYWHERE, Domain
from autograd.grad_mode import is_recording
from autograd.value import Value, make_node, number, untracked

#: ∂out/∂input for a user op: a function of the op's arguments, or a number when it is constant.
Derivative = Callable[..., object] | float

#: What the names in a rule's text mean on Values (and floats): gradwalk's functions, filled in by
#: autograd/functions.py once the table exists, since each function is made from its own record.
RULE_NAMESPACE: dict[str, object] = {}

#: How tightly each infix symbol binds, as in Python: a lower one is parenthesised inside a higher one.
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "%": 2, "neg": 3, "**": 4}
ATOM = 9
#: The Value operators of the infix ops (each also gets its reflected twin, `__radd__` …).
OPERATORS = {
    "+": "__add__",
    "-": "__sub__",
    "*": "__mul__",
    "/": "__truediv__",
    "**": "__pow__",
    "%": "__mod__",
}
_UNARY_OPERATORS = {"neg": "__neg__", "abs": "__abs__"}


class Op:
    """f(x0, …, xn−1) with its local derivatives ∂f/∂xi; `arity` is None for sum and dot.

    `op(*args)` applies it to Values or numbers (a number is a constant, not a parent) and returns
    the recorded node. `op.forward(*xs)` is its value on floats, and `op.grads(args, ans)` gives
    every ∂f/∂xi at args (floats or Values), where ans is the output.
    """

    __slots__ = (
        "name", "symbol", "arity", "forward", "derivatives", "math", "domains", "needs", "where",
        "method", "_grads", "_user",
    )  # fmt: skip

    name: str  #: an identifier: "mul", "tanh", "atan2"
    symbol: str  #: how it is written: "*", "tanh"
    arity: int | None
    forward: Callable[..., float]  #: the value on floats, with the edge-case policy
    derivatives: tuple[Derivative, ...] | None  #: a user op's derivatives as given (None for built-ins)
    math: tuple[str, tuple[str, ...]] | None  #: a built-in's forward and derivative texts
    domains: tuple[Domain, ...]  #: where each argument is defined and smooth (for the strategies)
    needs: str  #: the domain in words, for errors: "x > 0"
    where: Callable[..., bool] | None  #: a further condition for smoothness at a point, or None
    method: str | None  #: the Value method or operator it becomes, if any

    def __init__(self, name: str, forward: Callable[..., float], *derivatives: Derivative) -> None:
        """A user op: forward on floats, one derivative per input (see `op`)."""
        if not isinstance(name, str) or not name:
            raise TypeError(f"op name must be a non-empty str, got {name!r}")
        if not callable(forward):
            raise TypeError(f"op {name!r}: forward must be callable, got {type(forward).__name__}")
        if not derivatives:
            raise ValueError(f"op {name!r}: give one derivative per input, got none")
        for i, d in enumerate(derivatives):
            if not callable(d) and number(d) is None:
                raise TypeError(
                    f"op {name!r}: derivative {i} must be callable or a number, got {type(d).__name__}"
                )
        n = len(derivatives)
        _check_takes(name, f"got {n} derivative(s), but forward", forward, n)
        for i, d in enumerate(derivatives):
            if callable(d):
                _check_takes(name, f"derivative {i}", d, n)
        constants = tuple(None if callable(d) else number(d) for d in derivatives)

        def grads(*args_and_ans: object) -> tuple[object, ...]:
            args = args_and_ans[:-1]
            return tuple(d(*args) if c is None else c for d, c in zip(derivatives, constants))

        self._init(name, name, n, forward, grads, None, (ANYWHERE,) * n, "", None, None)
        object.__setattr__(self, "derivatives", derivatives)
        object.__setattr__(self, "_user", True)

    @classmethod
    def from_math(
        cls,
        name: str,
        forward: str,
        *derivatives: str,
        symbol: str | None = None,
        variadic: bool = False,
        domains: Sequence[Domain] | Domain | None = None,
        needs: str = "",
        where: Callable[..., bool] | None = None,
        method: str | None = "",
    ) -> Op:
        """A built-in op of the table, its forward and derivatives written as math text.

        The text may hold only arithmetic, numbers, the operands (`x`, `y`, `xs`, `ans`) and the
        words of autograd/floats.py (`math_text` checks it before anything is compiled), so even
        text that is not the table's own can do nothing but arithmetic.
        """
        for text in (forward, *derivatives):
            math_text(text, name)
        symbol = symbol or name
        arity = None if variadic else len(derivatives)
        names = ("x", "y")[: len(derivatives)]
        if isinstance(domains, Domain) or domains is None:
            domains = (domains or ANYWHERE,) * (arity or 1)
        if method == "":  # the default: infix ops become operators, the others methods of their name
            method = OPERATORS.get(symbol) or _UNARY_OPERATORS.get(name) or name
        self = cls.__new__(cls)
        params = "*xs" if variadic else ", ".join(names)
        op_forward = _compiled(f"lambda {params}: {forward}", floats.NAMESPACE, name)
        params = "xs, ans" if variadic else ", ".join((*names, "ans"))
        body = derivatives[0] if variadic else f"({', '.join(derivatives)},)"  # variadic: all at once
        grads = _compiled(f"lambda {params}: {body}", RULE_NAMESPACE, name)
        self._init(
            name,
            symbol,
            arity,
            op_forward,
            grads,
            (forward, derivatives),
            tuple(domains),
            needs,
            where,
            method,
        )
        object.__setattr__(self, "derivatives", None)
        object.__setattr__(self, "_user", False)
        return self

    def _init(self, name, symbol, arity, forward, grads, math, domains, needs, where, method) -> None:
        for slot, value in (
            ("name", name), ("symbol", symbol), ("arity", arity),
            ("forward", _checked_forward(self, forward)),
            ("_grads", grads), ("math", math), ("domains", domains), ("needs", needs), ("where", where),
            ("method", method),
        ):  # fmt: skip
            object.__setattr__(self, slot, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"op {self.name!r} is immutable: make a new op instead")

    # -- evaluating the rule ---------------------------------------------------------------------------

    def grads(self, args: Sequence[object], ans: object) -> tuple[object, ...]:
        """∂out/∂args[i] for every operand, at args (floats or Values) with output ans."""
        if self.arity is None:
            return self._grads(args, ans)
        return self._grads(*args, ans)

    def __call__(self, *args: object) -> Value:
        """Apply the op to Values or numbers: a node recording parents and local grads."""
        if self.arity is not None and len(args) != self.arity:
            raise TypeError(f"op {self.name!r} takes {self.arity} argument(s), got {len(args)}")
        return apply(self, args)

    # -- how it reads ----------------------------------------------------------------------------------

    def write(self, args: Sequence[tuple[str, int]]) -> tuple[str, int]:
        """The formula of this op applied to args, each given as (text, precedence)."""
        if self.symbol in OPERATORS and len(args) == 2:
            p = PRECEDENCE[self.symbol]
            (a, pa), (b, pb) = args
            right = self.symbol == "**"  # right-associative
            if pa < p or (right and pa == p):
                a = f"({a})"
            if pb < p or (not right and pb == p):
                b = f"({b})"
            return f"{a} {self.symbol} {b}", p
        if self.name == "neg":
            a, pa = args[0]
            return (f"-{a}" if pa == ATOM else f"-({a})"), PRECEDENCE["neg"]
        texts = [t for t, _ in args]
        if self.name == "sum":
            return f"sum([{', '.join(texts)}])", ATOM
        if self.name == "dot":
            n = len(texts) // 2
            start = f", {texts[-1]}" if len(texts) % 2 else ""
            return f"dot([{', '.join(texts[:n])}], [{', '.join(texts[n : 2 * n])}]{start})", ATOM
        return f"{self.symbol}({', '.join(texts)})", ATOM

    def __repr__(self) -> str:
        return f"<op {self.name!r}/{'n' if self.arity is None else self.arity}>"


def op(name: str, forward: Callable[..., float], *derivatives: Derivative) -> Op:
    """A user-defined op: `forward` on floats and one derivative ∂out/∂input_i per input.

    Each derivative takes the op's arguments (floats, or Values for higher orders when it is written
    with gradwalk functions) or is a constant number: `op("affine", lambda x, y: 2*x - y, 2.0, -1.0)`.
    """
    return Op(name, forward, *derivatives)


# -- applying an op: the general path (user ops, functions; the operators have generated fast paths) ---


def apply(op: Op, args: Sequence[object]) -> Value:
    """op(*args) for Values and numbers in any mix."""
    values = [a if type(a) is Value else _operand(a, op, i) for i, a in enumerate(args)]
    xs = tuple(v.data if type(v) is Value else v for v in values)
    ans = op.forward(*xs)
    positions = [i for i, v in enumerate(values) if type(v) is Value]
    if not positions:  # numbers only: a constant
        return Value(ans)
    if not is_recording():
        return untracked(ans)
    all_grads = op.grads(xs, ans)
    if op._user:
        all_grads = [_checked(g, op, f"derivative {i}") for i, g in enumerate(all_grads)]
    parents = tuple(values[i] for i in positions)
    grads = tuple(all_grads[i] for i in positions)
    return make_node(ans, op, parents, grads, None if len(positions) == len(values) else tuple(values))


def _operand(x: object, op: Op, i: int) -> float:
    try:
        c = number(x)
    except OverflowError as e:
        raise OverflowError(f"op {op.name!r}: argument {i}: {e}") from None
    if c is None:
        raise TypeError(
            f"op {op.name!r}: argument {i} must be a Value or a real number, got {type(x).__name__} "
            f"{reprlib.repr(x)}"
        )
    return c


def _checked(x: object, op: Op, what: str) -> float:
    """The result of a user op's function as a float, or TypeError naming the op."""
    if type(x) is float:
        return x  # type: ignore[return-value]
    if type(x) is Value:  # a derivative written with gradwalk functions, evaluated on floats
        return x.data  # type: ignore[union-attr]
    c = number(x)
    if c is None:
        raise TypeError(f"op {op.name!r}: {what} returned {type(x).__name__} {reprlib.repr(x)}, not a number")
    return c


def _checked_forward(op: Op, forward: Callable[..., float]) -> Callable[..., float]:
    """forward, with Python's own errors (ValueError, OverflowError, ZeroDivisionError) re-raised
    naming the op and the operands, and a user op's result checked to be a number."""

    def checked(*xs: float) -> float:
        try:
            out = forward(*xs)
        except (ArithmeticError, ValueError) as error:
            raise op_error(op, error, xs) from None
        return out if type(out) is float or not op._user else _checked(out, op, "forward")

    checked.__name__ = checked.__qualname__ = "forward"
    checked.__doc__ = forward.__doc__
    return checked


def op_error(op: Op, error: Exception, xs: Sequence[float]) -> Exception:
    """The error of op's forward at xs, as the same kind of error naming the op and the operands."""
    message = str(error)
    if message.startswith(f"{op.symbol}:") or message.startswith(f"op {op.name!r}"):
        return error  # the policy's own message (autograd/floats.py) already names the op
    written = op.write([(repr(x), ATOM) for x in xs])[0] if op.arity is not None else f"{op.name}(…)"
    if isinstance(error, ZeroDivisionError):
        text = f"{op.symbol}: division by zero ({written})"
    elif isinstance(error, OverflowError):
        text = f"{op.symbol}: {written} overflows a float"
    elif isinstance(error, ValueError) and op.needs:
        given = ", ".join(f"{n} = {x!r}" for n, x in zip(("x", "y"), xs))
        text = f"{op.symbol}: {written} is not defined: it needs {op.needs}, got {given}"
    else:
        text = f"{op.symbol}: {written}: {message}"
    return type(error)(text)


_ALLOWED_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Load, ast.Constant,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.Mod, ast.USub, ast.UAdd,
)  # fmt: skip


def math_text(text: str, name: str) -> str:
    """text, if it is math over the operands and the table's words; else ValueError naming op name."""
    words = {"x", "y", "xs", "ans", *floats.NAMESPACE}
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise ValueError(f"op {name!r}: {text!r} is not a formula") from None
    for node in ast.walk(tree):
        bad = not isinstance(node, _ALLOWED_NODES)
        bad = bad or (isinstance(node, ast.Name) and node.id not in words)
        bad = bad or (isinstance(node, ast.Call) and (not isinstance(node.func, ast.Name) or node.keywords))
        bad = bad or (isinstance(node, ast.Constant) and type(node.value) not in (int, float))
        if bad:
            raise ValueError(
                f"op {name!r}: {text!r} may hold only arithmetic, numbers, x, y, xs, ans and the words "
                f"of autograd/floats.py; {ast.dump(node)[:60]} is none of those"
            )
    return text


def _compiled(source: str, namespace: dict[str, object], name: str = "") -> Callable[..., object]:
    """A function from a rule's text, checked by `math_text`: the table's own (autograd/ops.py)."""
    code = compile(source, f"<gradwalk rule {name}>", "eval")
    return eval(code, namespace)


def _check_takes(name: str, what: str, f: Callable[..., object], n: int) -> None:
    """Raise when f's signature cannot take n positional arguments (when it is known)."""
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):  # builtins such as math.hypot have no signature
        return
    try:
        signature.bind(*range(n))
    except TypeError:
        raise ValueError(
            f"op {name!r}: {what}{signature} does not take {n} argument(s) (one per input of the op)"
        ) from None
