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
    if create_graph:
        order = topological_order(root)
        for node in order:
            if node._p0 is not None:
                node.grad = 0.0
        root.grad = seed if root._p0 is not None else root.grad + seed
        with enable_grad():
            _propagate_as_graph(order)
    elif root._p0 is None:  # a leaf: its gradient with respect to itself
        root.grad = root.grad + seed
    else:
        order = interior_nodes_reset(root)
        root.grad = seed
        _propagate(order)


def interior_nodes_reset(root: Value) -> list[Value]:
    """The nodes with parents that root depends on, root first and each before its parents,
    with each one's grad reset to 0.0. Leaves are left out: the chain rule ends at them.

    An iterative depth-first search that keeps its state in the grads rather than in a set. While
    a node's parents are being walked its grad is the marker `entered`; once the node is in the
    list its grad is `zero`, a float 0.0 made for this walk, so the same store both resets the
    grad and, by identity, marks the node as done.
    """
    entered = object()
    zero = float(0)  # a new float object, unlike the literal 0.0, which is shared
    order: list[Value] = []
    stack = [root]
    node = root
    pop, push, emit = stack.pop, stack.append, order.append  # hot loop
    try:
        while stack:
            node = pop()
            state = node.grad
            if state is zero:  # reached again through another path
                continue
            if state is entered:  # popped the second time: all its parents are in the list
                node.grad = zero
                emit(node)
                continue
            node.grad = entered
            push(node)  # popped again after its parents
            first, second = node._p0, node._p1
            if second is MANY:
                for parent in first:
                    if parent._p0 is not None and parent.grad is not zero:
                        push(parent)
            else:
                if first._p0 is not None and first.grad is not zero:
                    push(first)
                if second is not None and second._p0 is not None and second.grad is not zero:
                    push(second)
    except BaseException:  # interrupted (KeyboardInterrupt, say): leave no marker behind
        for marked in (*stack, node):
            if marked.grad is entered:
                marked.grad = 0.0
        raise
    order.reverse()
    return order


def _propagate(order: list[Value]) -> None:
    """parent.grad += ∂node/∂parent · node.grad, with the local grads recorded as floats.

    A node whose grad is 0 (behind a relu that was off, say) adds only zeros, so it is skipped,
    unless one of its local grads is inf or nan: 0 · inf is nan, and that nan must reach the parent.
    (`x - x == 0.0` holds exactly when x is finite.)
    """
    for node in order:
        g = node.grad  # a float: every interior grad was reset to 0.0
        first, local = node._p0, node._g0
        second = node._p1
        if second is None:
            if g == 0.0 and local - local == 0.0:
                continue
            first.grad += local * g
        elif second is MANY:
            if g == 0.0:
                total = sum(local)  # finite only when every local grad is
                if total - total == 0.0:
                    continue
            for parent, d in zip(first, local):
                parent.grad += d * g
        else:
            local1 = node._g1
            if g == 0.0 and local - local == 0.0 and local1 - local1 == 0.0:
                continue
            first.grad += local * g
            second.grad += local1 * g


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


__all__ = ["backward", "interior_nodes_reset", "local_grads_as_values"]
