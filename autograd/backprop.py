"""The backward pass: the chain rule applied in reverse topological order."""

from __future__ import annotations

from autograd.grad_mode import enable_grad
from autograd.graph import topological_order
from autograd.nodes import checked_float, operands
from autograd.value import MANY, Value, _as_float, _cutting_floats_forbidden


def backward(root: Value, grad: float | Value = 1.0, *, create_graph: bool = False) -> None:
    """Set node.grad = ∂root/∂node · grad for every node root depends on.

    Interior grads are reset first, so a second call recomputes rather than doubles them;
    leaf grads accumulate across calls until they are zeroed, as in PyTorch.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward: expected a Value, got {type(root).__name__}")
    seed = grad if create_graph and type(grad) is Value else _as_float(grad, "backward(grad)")
    order = topological_order(root)
    for node in order:
        if node._p0 is not None:
            node.grad = 0.0
    root.grad = seed if root._p0 is not None else root.grad + seed
    if create_graph:
        with enable_grad():
            _propagate_as_graph(order)
    else:
        _propagate(order)


def _propagate(order: list[Value]) -> None:
    """parent.grad += ∂node/∂parent · node.grad, with the local grads recorded as floats."""
    for node in order:
        first = node._p0
        if first is None:
            continue
        g = node.grad  # a float: backward() reset every interior grad to 0.0
        second = node._p1
        if second is None:
            first.grad += node._g0 * g
        elif second is MANY:
            for parent, local in zip(first, node._g0):
                parent.grad += local * g
        else:
            first.grad += node._g0 * g
            second.grad += node._g1 * g


def _propagate_as_graph(order: list[Value]) -> None:
    """The same chain rule, but each local grad is re-derived from the op's rule on Values,
    so every grad it produces is itself a differentiable Value."""
    for node in order:
        if node._p0 is None:
            continue
        g = node.grad
        for parent, local in zip(node.parents, local_grads_as_values(node), strict=True):
            parent.grad = parent.grad + local * g
    for node in order:
        if type(node.grad) is not Value:  # a constant grad (of x + 1, say) is still differentiable: to 0
            node.grad = Value(node.grad)


def local_grads_as_values(node: Value) -> tuple[Value | float, ...]:
    """∂node/∂parent for each parent, evaluated on Values by the op's own rule (for create_graph)."""
    op = node._op
    args = operands(node)
    token = _cutting_floats_forbidden.set(op.name)
    try:
        if hasattr(op, "grads"):  # variadic: all derivatives at once
            grads = op.grads(args)
            return tuple(d for a, d in zip(args, grads, strict=True) if type(a) is Value)
        grads = tuple(op.derivatives[i](*args) for i, a in enumerate(args) if type(a) is Value)
        if op.checked:  # a user's derivative: a number or a Value, or an error that names the op
            grads = tuple(d if type(d) is Value else checked_float(d, op, "derivative") for d in grads)
        return grads
    finally:
        _cutting_floats_forbidden.reset(token)


__all__ = ["backward", "local_grads_as_values"]
