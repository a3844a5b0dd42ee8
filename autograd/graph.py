"""Walks over the graph, all iterative: a million-node chain is a normal input."""

from __future__ import annotations

from collections.abc import Iterator

from autograd.value import MANY, Value


def topological_order(root: Value) -> list[Value]:
    """Every node root depends on, root first and each node before its parents.

    Walk it as it is to apply the chain rule; reverse it to evaluate.
    """
    return walk(root, leaves=True)


def interior_order(root: Value, *, reset_grads: bool = False) -> list[Value]:
    """The nodes with parents that root depends on, in topological order: the chain rule's order.
    Leaves are left out (the chain rule ends at them); a leaf root gives []. With `reset_grads`,
    each node's grad is set to 0.0 as it is reached (what backward() does first)."""
    return walk(root, leaves=False, reset_grads=reset_grads) if root._p0 is not None else []


def walk(root: Value, *, leaves: bool, reset_grads: bool = False) -> list[Value]:
    """The one topological walk: an iterative depth-first search from root that appends a node
    once all its parents are appended, then reverses the list. Its state lives in a local set,
    never in the nodes, so an interrupted walk leaves nothing behind and two threads may walk at
    once. (`reset_grads` sets each grad to 0.0 on the way, saving backward() a second pass.)

    A node waits under a marker while its parents are walked. Two shortcuts keep the stack
    traffic down (it is most of the walk's time): a node with no parent left to walk is appended
    at once, and the walk goes straight on to the parent it would have popped next."""
    order: list[Value] = []
    expanded: set[Value] = set()
    stack: list[object] = [root]
    pop, push, expand, emit = stack.pop, stack.append, expanded.add, order.append  # hot loop
    while stack:
        node = pop()
        if node is _PARENTS_DONE:
            emit(pop())
            continue
        if node in expanded:  # reached again through another path
            continue
        while True:  # expand node, then go straight on to the parent that would be popped next
            expand(node)
            if reset_grads:
                node.grad = 0.0
            first = node._p0
            if first is None:  # a leaf: nothing to wait for
                emit(node)
                break
            second = node._p1
            if second is MANY:
                push(node)
                push(_PARENTS_DONE)
                below = len(stack)
                for parent in first:
                    if (leaves or parent._p0 is not None) and parent not in expanded:
                        push(parent)
                if len(stack) == below:  # nothing to wait for
                    pop()
                    emit(pop())
                break
            take_first = (leaves or first._p0 is not None) and first not in expanded
            if second is not None and (leaves or second._p0 is not None) and second not in expanded:
                push(node)
                push(_PARENTS_DONE)
                if take_first:
                    push(first)
                node = second  # as if first, then second were pushed and second popped
            elif take_first:
                push(node)
                push(_PARENTS_DONE)
                node = first
            else:  # every parent is done (or a leaf left out): nothing to wait for
                emit(node)
                break
    order.reverse()
    return order


#: Stack marker: the node below it has had all its parents appended, so it can be appended too.
_PARENTS_DONE = object()


def consumer_counts(root: Value) -> dict[Value, int]:
    """For each node root depends on, how many edges lead from it into the graph (root: 0)."""
    counts = {root: 0}
    stack = [root]
    while stack:
        for parent in stack.pop().parents:
            if parent in counts:
                counts[parent] += 1
            else:
                counts[parent] = 1
                stack.append(parent)
    return counts


def iter_nodes(root: Value) -> Iterator[Value]:
    """Each node root depends on, once, in depth-first order from the root."""
    seen = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)


def count_nodes(root: Value) -> int:
    """The number of distinct nodes root depends on, itself included."""
    return len(consumer_counts(root))
