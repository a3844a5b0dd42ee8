"""Walks over the graph, all iterative: a million-node chain is a normal input."""

from __future__ import annotations

from collections.abc import Iterator

from autograd.value import MANY, Value


def topological_order(root: Value) -> list[Value]:
    """Every node root depends on, root first and each node before its parents.

    An iterative depth-first search: a node is appended once all its parents are, and the
    list is reversed at the end. Walk it as it is to apply the chain rule; reverse it to evaluate.
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[object] = [root]
    pop, push, mark_visited, emit = stack.pop, stack.append, visited.add, order.append  # hot loop
    while stack:
        node = pop()
        if node is _PARENTS_DONE:
            emit(pop())
            continue
        if node in visited:
            continue
        mark_visited(node)
        first = node._p0
        if first is None:  # a leaf: nothing to wait for
            emit(node)
            continue
        push(node)
        push(_PARENTS_DONE)
        second = node._p1
        if second is MANY:
            for parent in first:
                if parent not in visited:
                    push(parent)
        else:
            if first not in visited:
                push(first)
            if second is not None and second not in visited:
                push(second)
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
