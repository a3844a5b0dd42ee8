"""The backward pass: the chain rule applied in reverse topological order."""

from __future__ import annotations

from autograd.grad_mode import enable_grad, no_grad
from autograd.graph import topological_order
from autograd.value import Value, _as_float, _cutting_floats_forbidden, operands


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
        if node._edges:
            node.grad = 0.0
    root.grad = seed if root._edges else root.grad + seed
    if create_graph:
        with enable_grad():
            _propagate_as_graph(order)
    else:
        _propagate(order)


def _propagate(order: list[Value]) -> None:
    """parent.grad += ∂node/∂parent · node.grad, with the local grads recorded as floats."""
    for node in order:
        g = node.grad
        if type(g) is Value:  # a grad left by an earlier create_graph pass
            g = g.data
        edges = iter(node._edges)
        for parent, local in zip(edges, edges):
            parent.grad += local * g


def _propagate_as_graph(order: list[Value]) -> None:
    """The same chain rule, but each local grad is re-derived from the op's rule on Values,
    so every grad it produces is itself a differentiable Value."""
    for node in order:
        if not node._edges:
            continue
        g = node.grad
        for parent, local in zip(node._edges[0::2], local_grads_as_values(node)):
            parent.grad = parent.grad + local * g


def local_grads_as_values(node: Value) -> tuple[Value | float, ...]:
    """∂node/∂parent for each parent, evaluated on Values by the op's own rule (for create_graph)."""
    op = node._op
    args = operands(node)
    token = _cutting_floats_forbidden.set(op.name)
    try:
        if hasattr(op, "grads"):  # variadic: all derivatives at once
            grads = op.grads(*args)
            return tuple(d for a, d in zip(args, grads) if type(a) is Value)
        return tuple(op.derivatives[i](*args) for i, a in enumerate(args) if type(a) is Value)
    finally:
        _cutting_floats_forbidden.reset(token)


__all__ = ["backward", "local_grads_as_values", "no_grad"]
