"""How an op record reads as Python: its forward and each local derivative as expressions.

Every expression comes from the op record itself, so an op added to the table compiles with no
further work. A built-in op's math text (`1 - ans**2`) is pasted in with its operand names `x`,
`y` and `ans` replaced by the replay's variables; the words in it (`tanh`, `step`, `div`) mean
what they mean on floats in the engine (autograd/floats.py), so the replay computes the very
floats that eager evaluation computes. The text is the table's own, a module constant, and it is
checked to be plain arithmetic on those words before use. A user op's functions are reached
through the namespace, never as text.
"""

from __future__ import annotations

import ast
import functools
import reprlib
from collections.abc import Mapping

from autograd import floats
from autograd.compiled.codegen import Namespace, times
from autograd.compiled.trace import Step
from autograd.value import Value

#: What the words of the table's math mean in a straight-line replay: the engine's float functions.
FLOAT_WORDS: Mapping[str, object] = floats.NAMESPACE

#: `sum(xs, 0.0)` adds left to right before Python 3.12 and with compensation from 3.12 on; only
#: in the first case is a chain of `+` the same float.
PLAIN_SUM = sum([1e100, 1.0, -1e100], 0.0) == 0.0

_ARITHMETIC = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant, ast.Load,
    ast.operator, ast.unaryop,
)  # fmt: skip


@functools.cache
def template(text: str, params: tuple[str, ...], words: frozenset[str], inline: bool = False) -> str | None:
    """text as a format string with a field per operand name (`{x}`), or None when it is not
    plain arithmetic on `words` (then the op is called through its record instead). With
    `inline` (floats only), the INLINE words are written out."""
    if "{" in text or "}" in text:
        return None
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None
    if inline:
        tree = _inlined(tree, params)
    for node in ast.walk(tree):
        if not isinstance(node, (*_ARITHMETIC, ast.IfExp, ast.Compare, ast.cmpop)):
            return None
        if isinstance(node, ast.Constant) and (type(node.value) not in (int, float)):
            return None
        if isinstance(node, ast.Call) and (not isinstance(node.func, ast.Name) or node.keywords):
            return None
        if isinstance(node, ast.Name):
            if node.id in params:
                node.id = "{" + node.id + "}"
            elif node.id not in words:
                return None
    return ast.unparse(tree)


#: The words that a replay writes out rather than calls, each as the expression that is the word's
#: definition in autograd/floats.py (a test checks that they agree on every kind of float).
INLINE = {
    "relu": "0.0 if _ <= 0.0 else _",
    "step": "1.0 if _ > 0.0 else 0.0",
}


#: Words whose float functions never raise, for any float (inf and nan included): a batch need
#: not check their results for a domain edge (a test checks the claim for each).
TOTAL_WORDS = frozenset({"relu", "step", "sign", "abs", "sigmoid", "tanh", "atan", "asinh"})


def _inlined(tree: ast.Expression, params: tuple[str, ...]) -> ast.Expression:
    """tree with each call of an INLINE word on an operand name replaced by the word's expression
    (a call on anything longer stays a call: its argument would be evaluated twice)."""

    class Inline(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            name = node.func.id if isinstance(node.func, ast.Name) else None
            arg = node.args[0] if len(node.args) == 1 else None
            if name in INLINE and isinstance(arg, ast.Name) and arg.id in params:
                form = ast.parse(INLINE[name], mode="eval").body
                for sub in ast.walk(form):
                    if isinstance(sub, ast.Name) and sub.id == "_":
                        sub.id = arg.id
                return form
            return node

    return ast.fix_missing_locations(Inline().visit(tree))


def constant_of(text: str) -> float | None:
    """The number a derivative text is, when it is one (`1.0`, `-1.0`), else None."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return float(value) if type(value) in (int, float) else None


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


def names(arity: int | None) -> tuple[str, ...]:
    return ("x", "y")[: arity or 0]


def variadic_form(op: object, words: Mapping[str, object]) -> str | None:
    """'total' or 'dot' when a variadic op's forward is that word of the vocabulary, else None."""
    math = getattr(op, "math", None)
    if math is None or getattr(op, "arity", 0) is not None:
        return None
    forward, derivatives = math
    for word, grads in (("total", "ones"), ("dot", "dot_grads")):
        if forward == f"{word}(xs)" and derivatives == (f"{grads}(xs)",) and word in words:
            return word
    return None


def partner(args: list[str], i: int) -> str | None:
    """For dot's operands x0…xn−1, y0…yn−1 (and a start c): ∂/∂xi = yi, ∂/∂yi = xi, ∂/∂c = 1 (None)."""
    n = len(args) // 2
    if i < n:
        return args[n + i]
    if i < 2 * n:
        return args[i - n]
    return None


#: Terms per statement of a long sum: the compiler recurses once per `+` of one expression.
CHUNK = 64


def chained(target: str, terms: list[str]) -> list[str]:
    """`target = 0.0 + t0 + t1 + …`, added left to right as sum() of floats before Python 3.12,
    in statements of at most CHUNK terms."""
    lines = [f"{target} = {' + '.join(['0.0', *terms[:CHUNK]])}"]
    for k in range(CHUNK, len(terms), CHUNK):
        lines.append(f"{target} = {' + '.join([target, *terms[k : k + CHUNK]])}")
    return lines


class PythonRules:
    """Straight-line Python on floats: the same operations as eager evaluation, inlined."""

    words = FLOAT_WORDS

    @classmethod
    def forward(cls, step: Step, args: list[str], ns: Namespace, target: str) -> list[str]:
        """Lines that set target to the op's value at args (a long sum in several statements)."""
        op = step.op
        math = getattr(op, "math", None)
        if math is not None and op.arity is not None:  # type: ignore[attr-defined]
            text = template(math[0], names(op.arity), _FLOAT_KEYS, True)  # type: ignore[attr-defined]
            if text is not None:
                return [f"{target} = {text.format(**dict(zip(names(op.arity), args)))}"]  # type: ignore[attr-defined]
        form = variadic_form(op, cls.words)
        if form is not None and PLAIN_SUM:
            n = len(args) // 2
            if form == "total":
                return chained(target, args)
            products = [f"{a} * {b}" for a, b in zip(args[:n], args[n : 2 * n])]
            start = [args[-1]] if len(args) % 2 else []  # (0.0 + x0·y0 + …) + c is one sum more
            return chained(target, [*products, *start])
        return [f"{target} = {ns.ref(op.forward)}({', '.join(args)})"]  # type: ignore[attr-defined]

    @staticmethod
    def prepare(step: Step, args: list[str], n: int, ns: Namespace) -> list[str]:
        """Lines to run once before a node's contributions: a variadic op's grads, all at once,
        when the op is none of the table's sum and dot."""
        op = step.op
        if op.arity is None and variadic_form(op, FLOAT_WORDS) is None:  # type: ignore[attr-defined]
            return [f"t{n} = {ns.ref(op.grads)}(({', '.join(args)},), v{n})"]  # type: ignore[attr-defined]
        return []

    @classmethod
    def local(cls, step: Step, i: int, args: list[str], ans: str, ns: Namespace) -> str | float:
        """∂node/∂operand_i as an expression, or as its number when it is constant."""
        op = step.op
        form = variadic_form(op, cls.words)
        if form == "total":
            return 1.0
        if form == "dot":
            other = partner(args, i)
            return 1.0 if other is None else other
        if op.arity is None:  # type: ignore[attr-defined]
            return f"t{ans[1:]}[{i}]"
        math = getattr(op, "math", None)
        if math is not None:
            text = math[1][i]
            c = constant_of(text)
            if c is not None:
                return c
            params = (*names(op.arity), "ans")  # type: ignore[attr-defined]
            filled = template(text, params, _FLOAT_KEYS, True)
            if filled is not None:
                return f"({filled.format(**dict(zip(params, [*args, ans])))})"
            return f"{ns.ref(op.grads)}(({', '.join(args)},), {ans})[{i}]"  # type: ignore[attr-defined]
        d = op.derivatives[i]  # type: ignore[attr-defined]
        if not callable(d):
            return float(d)
        return f"{ns.ref(checked)}({ns.ref(d)}({', '.join(args)}), {ns.ref(op)}, {i})"

    @classmethod
    def contribution(cls, step: Step, i: int, args: list[str], ans: str, g: str, ns: Namespace) -> str:
        """∂node/∂operand_i · g, as eager backward() computes it."""
        return times(cls.local(step, i, args, ans, ns), g, ns)


_FLOAT_KEYS = frozenset(FLOAT_WORDS)

#: The replay's own names; a word of the vocabulary must not look like one of them.
_OWN = ("v", "g", "c", "r", "t", "B", "G", "M", "T")
for _word in FLOAT_WORDS:
    if _word in ("C", "S", "G", "A", "P", "PG", "N", "np") or (_word[:1] in _OWN and _word[1:].isdigit()):
        raise RuntimeError(f"the math word {_word!r} collides with a name of the generated code")
