"""Straight-line Python from a traced program: the forward pass, then the chain rule, unrolled.

The source is built from gradwalk's op records and integer indices only. Names in it are
made from slot numbers (`v12` is slot 12's value, `g12` its gradient); every function and number
the code needs (a user op's function, a constant) is passed in the namespace under a numbered
name, never as text. Labels, names and other user text never reach the source.

The replay performs the same float operations in the same order as eager evaluation followed
by `backward()`, so its results are the same bit for bit.
"""

from __future__ import annotations

import ast
import builtins
import functools
import re
from collections.abc import Callable
from typing import Any

from autograd.compiled.trace import Operand, Program, Step


class Namespace:
    """The objects generated code refers to, each under a numbered name."""

    def __init__(self) -> None:
        # numpy imports lazily through the caller's builtins, so the code gets the usual ones.
        self.globals: dict[str, object] = {"__builtins__": builtins, "not_all_finite": not_all_finite}
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
    ns.globals.update(rules.words)
    forward: list[str] = []
    first = program.first_step
    for k, step in enumerate(program.steps):
        forward.extend(rules.forward(step, [value_name(a, ns) for a in step.args], ns, f"v{first + k}"))
    out = value_name(program.output, ns)
    head = [_unpack([f"v{s}" for s in range(first)], "S")] if first else []
    if not backward:
        return _function("replay(S)", [*head, *_inlined([*forward, f"return {out}"], first)], ns), ns
    receivers = program.receivers
    body = [_unpack([f"g{r}" for r in receivers], "G")] if receivers else []
    grads = Grads(set(receivers))
    needed = grad_users(program)
    output = program.output
    if type(output) is int and needed[output]:  # seed: ∂out/∂out = 1
        if output in grads.own:
            body.append(f"g{output} = g{output} + 1.0")
        else:
            body.append(f"g{output} = 1.0")
            grads.own.add(output)
    blocks: list[SkipBlock] = []
    for n in program.backward:
        if needed[n]:
            _chain_rule(program.steps[n - first], n, needed, grads, rules, ns, blocks, first)
    body.extend(_blocks_code(blocks))
    returned = ", ".join(f"g{r}" for r in receivers)
    body.append(f"return {out}, ({returned}{',' if len(receivers) == 1 else ''})")
    return _function("replay(S, G)", [*head, *_inlined([*forward, *body], first)], ns), ns


class Grads:
    """Where each slot's gradient lives: its own variable g{slot}, or, until a second contribution
    arrives, another node's (the parent of `x + y` gets ∂ = 1 · g: the same float)."""

    def __init__(self, own: set[int]) -> None:
        self.own = own  # slots with a variable of their own
        self.alias: dict[int, str] = {}

    def name(self, slot: int) -> str:
        return self.alias.get(slot, f"g{slot}")

    def has(self, slot: int) -> bool:
        return slot in self.own or slot in self.alias


class SkipBlock:
    """Contributions of consecutive nodes that share a gradient g, run only when g ≠ 0 or one of
    their local grads is not finite: backward() skips exactly such nodes (their contributions
    would be zeros; in an interior grad a zero's sign is all they could change, and it never
    reaches a leaf, since a zero grad is skipped again further on).

    The local grads to check come in three kinds (see `Checks`): numbers of the call's arguments
    and leaves, checked by one flag per call; values of other nodes, whose check is shared by the
    blocks that check the same values (a layer's neurons all check the layer's inputs); and
    expressions computed here. A local that cannot be inf or nan (relu's 0 or 1) needs no check.
    """

    def __init__(self, g: str | None) -> None:
        self.g = g  # None: contributions that always run (constant locals)
        self.prelude: list[str] = []
        self.leaf_terms: list[str] = []  # argument and leaf slots: finite unless the call's flag says not
        self.node_terms: list[str] = []  # slots of nodes: checked by a shared flag or here
        self.checks: list[str] = []  # expressions computed in the prelude
        self.always = False  # a constant local is inf or nan: the block always runs
        self.inside: list[str] = []
        self.first_time: list[int] = []

    def node_group(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.node_terms))

    def lines(self, shared: dict[tuple[str, ...], str]) -> list[str]:
        """The block's code; shared maps a group of node terms to the name of its flag."""
        if self.g is None or self.always:
            return [*self.prelude, *self.inside]
        condition = [f"{self.g} != 0.0"]
        group = self.node_group()
        if group in shared:
            condition.append(shared[group])
        elif group:
            condition.append(not_finite(group))
        leaves = list(dict.fromkeys(self.leaf_terms))
        if leaves:
            condition.append(f"L_ and {not_finite(leaves)}")
        unique = list(dict.fromkeys(self.checks))
        if unique:
            condition.append(not_finite(unique))
        out = [*self.prelude, f"if {' or '.join(condition)}:", *(f"    {line}" for line in self.inside)]
        if self.first_time:
            out.append("else:")
            out.extend(f"    g{a} = 0.0" for a in self.first_time)
        return out


def not_finite(terms: list[str] | tuple[str, ...]) -> str:
    """An expression that is True when some term is inf or nan (or their sum overflows: then a
    block runs whose contributions are zeros, which changes no gradient but a zero's sign)."""
    if len(terms) == 1:
        return f"{terms[0]} - {terms[0]} != 0.0"
    if len(terms) <= _CHUNK:
        return f"(s_ := {' + '.join(terms)}) - s_ != 0.0"
    return f"not_all_finite(({', '.join(terms)},))"


def finiteness(local: str, ns: Namespace, first_step: int) -> tuple[str, str | None]:
    """How a local grad's finiteness is known: ("finite", None) when it cannot be inf or nan,
    ("not finite", None) for an inf or nan constant, ("leaf", name) for an argument or leaf
    slot, ("node", name) for a node's slot, and ("computed", None) otherwise."""
    name = local.strip("()")  # a name, as most locals are (dot's partners, mul's other operand)
    match = _SLOT.fullmatch(name)
    if match is not None:
        return ("leaf" if int(match[1]) < first_step else "node"), name
    match = _CONSTANT.fullmatch(name)
    if match is not None:
        c = ns.constants[int(match[1])]
        return ("finite" if c - c == 0.0 else "not finite"), None
    return ("finite" if _always_finite_text(local) else "computed"), None


@functools.lru_cache(maxsize=1024)
def _always_finite_text(local: str) -> bool:
    try:
        return always_finite(ast.parse(local, mode="eval").body)
    except SyntaxError:
        return False


def always_finite(node: ast.AST) -> bool:
    """Whether an expression is finite for any operands: a finite number, or a choice between
    such (relu′ is `1.0 if x > 0.0 else 0.0`) on a test that only compares (and cannot raise)."""
    if isinstance(node, ast.Constant):
        return type(node.value) in (int, float) and node.value - node.value == 0.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return always_finite(node.operand)
    if isinstance(node, ast.IfExp):
        plain = all(isinstance(n, _COMPARISON) for n in ast.walk(node.test))
        return plain and always_finite(node.body) and always_finite(node.orelse)
    return False


def distributed(local: str, g: str, ns: Namespace) -> str:
    """local · g, with g multiplied into the branches of a choice between numbers, where
    1.0 · g is g: `(g if x > 0.0 else 0.0 * g)` for relu, the same floats with one product fewer."""
    if " if " not in local:
        return times(local, g, ns)
    try:
        tree = ast.parse(local, mode="eval").body
    except SyntaxError:
        return times(local, g, ns)
    if isinstance(tree, ast.IfExp) and always_finite(tree):
        yes, no = (times(float(ast.literal_eval(branch)), g, ns) for branch in (tree.body, tree.orelse))
        return f"({yes} if {ast.unparse(tree.test)} else {no})"
    return times(local, g, ns)


def _chain_rule(
    step: Step,
    n: int,
    needed: list[bool],
    grads: Grads,
    rules: Any,
    ns: Namespace,
    blocks: list[SkipBlock],
    first_step: int,
) -> None:
    """Node n's share of the chain rule: g_parent += ∂n/∂parent · g_n for each parent that needs it.

    As backward() does, the node is skipped when its grad is 0 and its local grads are finite,
    but not when a local grad is inf or nan (0 · inf is nan). A node whose local grads are all
    constants (+, −) is never skipped: its zeros change nothing, as argued in SkipBlock.
    """
    args = [value_name(a, ns) for a in step.args]
    g = grads.name(n)
    prelude = list(rules.prepare(step, args, n, ns))
    parts = []
    for i, a in enumerate(step.args):
        if type(a) is int and needed[a]:
            parts.append((a, rules.local(step, i, args, f"v{n}", ns)))
    constant = all(type(local) is float for _, local in parts)
    if constant:
        block = SkipBlock(None)
        blocks.append(block)
    elif blocks and blocks[-1].g == g:  # the same gradient as the node before: one check for both
        block = blocks[-1]
    else:
        block = SkipBlock(g)
        blocks.append(block)
    block.prelude.extend(prelude)
    finite = set()
    for k, (a, local) in enumerate(parts):
        if type(local) is float:
            if local - local != 0.0:
                block.always = True
            continue
        kind, name = finiteness(local, ns, first_step)
        if kind == "finite":
            finite.add(k)
        elif kind == "not finite":
            block.always = True
        elif kind == "leaf":
            block.leaf_terms.append(name)  # type: ignore[arg-type]
        elif kind == "node":
            block.node_terms.append(name)  # type: ignore[arg-type]
        else:
            if not _NAME.fullmatch(local):  # computed once, for the check and the contribution
                block.prelude.append(f"d{n}_{k} = {local}")
                local = f"d{n}_{k}"
                parts[k] = (a, local)
            block.checks.append(local)
    for k, (a, local) in enumerate(parts):
        contribution = distributed(local, g, ns) if k in finite else times(local, g, ns)
        if grads.has(a):
            if a in grads.alias and not constant:  # a skipped block must still leave g{a} set
                block.prelude.append(f"g{a} = {grads.alias.pop(a)}")
            block.inside.append(f"g{a} = {grads.name(a)} + {contribution}")
            grads.alias.pop(a, None)
            grads.own.add(a)
        elif constant and local == 1.0:
            grads.alias[a] = g
        else:
            block.inside.append(f"g{a} = {contribution}")
            grads.own.add(a)
            if not constant:
                block.first_time.append(a)


def _blocks_code(blocks: list[SkipBlock]) -> list[str]:
    """The blocks' code, with the checks they share computed once: a flag `L_` saying whether
    some argument or leaf is inf or nan (so that, in the usual case, theirs are not checked one
    by one), and a flag per group of node values checked by several blocks, set before the first."""
    lines: list[str] = []
    if any(block.leaf_terms and block.g is not None and not block.always for block in blocks):
        lines.append("L_ = not_all_finite(S)")
    uses: dict[tuple[str, ...], int] = {}
    for block in blocks:
        if block.g is not None and not block.always:
            group = block.node_group()
            if group:
                uses[group] = uses.get(group, 0) + 1
    shared: dict[tuple[str, ...], str] = {}
    for block in blocks:
        group = block.node_group()
        if uses.get(group, 0) > 1 and group not in shared:
            shared[group] = f"n{len(shared)}_"
            lines.append(f"{shared[group]} = {not_finite(group)}")
        lines.extend(block.lines(shared))
    return lines


def _inlined(lines: list[str], first_step: int) -> list[str]:
    """lines with each op's value written into its one use, when it has one use (x * y in
    `v9 = v8 + v7 * v6`): the same float operations, with fewer variables stored and loaded."""
    uses: dict[str, int] = {}
    for line in lines:
        for name in _VARIABLE.findall(line):
            uses[name] = uses.get(name, 0) + 1
    definitions: dict[str, str] = {}
    out: list[str] = []
    for line in lines:
        match = _DEFINITION.fullmatch(line)
        if match is not None and uses.get(match[1]) == 2 and int(match[1][1:]) >= first_step:
            definitions[match[1]] = _VARIABLE.sub(lambda m: _expand(m, definitions), match[2])
            continue
        out.append(_VARIABLE.sub(lambda m: _expand(m, definitions), line))
    return out


def _expand(match: re.Match[str], definitions: dict[str, str]) -> str:
    name = match[0]
    text = definitions.pop(name, None)
    return name if text is None else f"({text})"


_VARIABLE = re.compile(r"\bv\d+\b")
_DEFINITION = re.compile(r"(v\d+) = (.*)")


_NAME = re.compile(r"\(?[A-Za-z_][A-Za-z0-9_]*\)?")
_COMPARISON = (ast.Compare, ast.Name, ast.Constant, ast.cmpop, ast.Load)
_SLOT = re.compile(r"v(\d+)")
_CONSTANT = re.compile(r"c(\d+)")
_CHUNK = 64


def not_all_finite(xs: tuple[float, ...]) -> bool:
    """Whether some x is inf or nan (a sum of finite floats that overflows counts too: harmless)."""
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
