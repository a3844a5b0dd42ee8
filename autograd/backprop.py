"""The backward pass: the chain rule applied in reverse topological order.

`chain_rule(order)` is the one place where gradients flow: `backward()` runs it to the end, the
Stepper runs it one node at a time, and micrograd's `_backward()` runs it for one node, so all
three agree bit for bit by construction.

Thread safety: backward passes are serialised by one lock, so two threads may call `backward()`
on the same graph (each call then does its whole pass, and leaf grads get both contributions);
changing `.grad` or `.data` from one thread while another runs backward is not protected.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable, Iterator

from autograd.grad_mode import enable_grad
from autograd.graph import interior_order, topological_order
from autograd.value import MANY, NO_GRAD, Value, as_float, float_forbidden

#: Held for the whole of each backward pass (see the module docstring).
LOCK = threading.RLock()


def chain_rule(order: Iterable[Value], *, stepwise: bool = True) -> Iterator[Value]:
    """For each node of order (root first, each before its parents): yield it, then pass its
    gradient to its parents, parent.grad += ∂node/∂parent · node.grad, with the local grads
    recorded by the forward pass. With `stepwise=False` it yields nothing and runs to the end at
    the first `next()`: what backward() does, saving a suspend and resume per node.

    A node whose grad is 0 (behind a relu that was off, say) adds only zeros, so it is skipped,
    unless one of its local grads is inf or nan: 0 · inf is nan, and that nan must reach the parent.
    (`x - x == 0.0` holds exactly when x is finite.) A parent whose grad is None counts as 0.
    """
    for node in order:
        if stepwise:
            yield node
        g = node.grad
        first, local, second = node._p0, node._g0, node._p1
        if second is None:
            if g == 0.0 and local - local == 0.0:
                continue
            try:
                first.grad += local * g
            except TypeError:
                _add(first, local * g)
        elif second is MANY:
            if g == 0.0:
                s = sum(local)  # finite only when every local grad is
                if s - s == 0.0:
                    continue
            for parent, d in zip(first, local):
                try:
                    parent.grad += d * g
                except TypeError:
                    _add(parent, d * g)
        else:
            local1 = node._g1
            if g == 0.0 and local - local == 0.0 and local1 - local1 == 0.0:
                continue
            try:
                first.grad += local * g
            except TypeError:
                _add(first, local * g)
            try:
                second.grad += local1 * g
            except TypeError:
                _add(second, local1 * g)


def _add(node: Value, amount: float) -> None:
    """node.grad += amount where node.grad is None (PyTorch's `set_to_none` habit: it counts as 0)."""
    if node.grad is None:
        node.grad = 0.0 + amount
        return
    raise TypeError(
        f"backward: the grad of {node!r} is a {type(node.grad).__name__}; a grad must be a number "
        "(or None, which counts as 0). Set it to 0.0 and call backward() again; note that grads "
        "already passed to other leaves in this call were kept"
    )


def backward(
    root: Value, grad: float | Value = 1.0, *, create_graph: bool = False, retain_graph: bool | None = None
) -> None:
    """Set node.grad = ∂root/∂node · grad for every node root depends on.

    Interior grads are reset first, so a second call recomputes rather than doubles them; leaf
    grads accumulate across calls until they are zeroed, as in PyTorch. With `create_graph=True`
    every grad becomes a Value that can be differentiated again; this links each leaf to its own
    gradient's graph, a reference cycle that only Python's cyclic collector frees (as in PyTorch):
    use `autograd.grad`, which leaves no grad behind, to avoid it. `retain_graph` is accepted for
    PyTorch habits: the graph is never freed by backward(), so there is nothing to retain.
    """
    if create_graph:
        _warn_about_the_cycle()
    run_backward(root, grad, create_graph=create_graph)


def run_backward(root: Value, grad: float | Value = 1.0, *, create_graph: bool = False) -> None:
    """backward() without its warning (autograd.grad restores every grad, so it leaves no cycle)."""
    if not isinstance(root, Value):
        raise TypeError(f"backward: expected a Value, got {type(root).__name__}")
    if root._fn is NO_GRAD:
        raise RuntimeError(
            "backward: this Value was computed under no_grad(), so it has no graph to differentiate; "
            "compute it outside no_grad() (or with autograd.enable_grad())"
        )
    seed = grad if create_graph and type(grad) is Value else as_float(grad, "backward(grad)")
    with LOCK:
        if root._p0 is None:  # a leaf: its gradient with respect to itself
            root.grad = (0.0 if root.grad is None else root.grad) + seed
            if create_graph and type(root.grad) is not Value:
                root.grad = Value(root.grad)
            return
        if create_graph:
            _backward_as_graph(root, seed)
            return
        next(chain_rule(_seeded(root, seed), stepwise=False), None)  # runs it to the end


def backward_steps(root: Value, seed: float = 1.0) -> Iterator[Value]:
    """backward() one node at a time, for the Stepper: the same seeding and the same generator.
    Hold `LOCK` while running it."""
    if root._p0 is None:
        root.grad = (0.0 if root.grad is None else root.grad) + seed
        return iter(())
    return chain_rule(_seeded(root, seed))


def _seeded(root: Value, seed: float) -> list[Value]:
    """The interior nodes in the chain rule's order, their grads reset to 0 and the root's seeded."""
    order = interior_order(root, reset_grads=True)
    root.grad = seed
    return order


def micrograd_backward(node: Value) -> None:
    """micrograd's `_backward()`: add this node's share, ∂node/∂parent · node.grad, to each parent."""
    if node._p0 is not None:
        with LOCK:
            next(chain_rule((node,), stepwise=False), None)


# -- create_graph: the same chain rule, on Values ---------------------------------------------------


def _backward_as_graph(root: Value, seed: float | Value) -> None:
    """Each local grad is re-derived from the op's rule on Values, so every grad it produces is
    itself a differentiable Value; the graph is recorded even inside no_grad()."""
    order = topological_order(root)
    for node in order:
        if node._p0 is not None:
            node.grad = 0.0
    root.grad = seed
    with enable_grad():
        for node in order:
            if node._p0 is None:
                continue
            g = node.grad
            for parent, local in zip(node.parents, local_grads_as_values(node), strict=True):
                parent.grad = (0.0 if parent.grad is None else parent.grad) + local * g
    for node in order:
        if type(node.grad) is not Value:  # a constant grad (of x + 1, say) is still differentiable: to 0
            node.grad = Value(node.grad)


def local_grads_as_values(node: Value) -> tuple[Value | float, ...]:
    """∂node/∂parent for each parent, evaluated on Values by the op's own rule (ans = the node)."""
    op = node.creator
    args = node.operands
    token = float_forbidden.set(f"op {op.name!r}: a derivative")
    try:
        grads = op.grads(args, node)
    finally:
        float_forbidden.reset(token)
    return tuple(_as_local(d, op) for a, d in zip(args, grads, strict=True) if type(a) is Value)


def _as_local(d: object, op: object) -> Value | float:
    if type(d) is Value or type(d) is float:
        return d  # type: ignore[return-value]
    return as_float(d, f"op {op.name!r}: derivative")  # type: ignore[attr-defined]


_warned = False


def _warn_about_the_cycle() -> None:
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(
            "backward(create_graph=True) makes each leaf's .grad a Value whose graph leads back to the "
            "leaf: a reference cycle, freed only by Python's cyclic garbage collector (as in PyTorch). "
            "autograd.grad(f) gives the same derivatives and leaves no cycle.",
            CreateGraphCycleWarning,
            stacklevel=3,
        )


class CreateGraphCycleWarning(UserWarning):
    """Warned once per process by `backward(create_graph=True)`; see `backward`."""


Value.backward = backward  # type: ignore[attr-defined]
Value._backward = micrograd_backward  # type: ignore[attr-defined]

__all__ = [
    "LOCK",
    "CreateGraphCycleWarning",
    "backward",
    "backward_steps",
    "chain_rule",
    "local_grads_as_values",
]
