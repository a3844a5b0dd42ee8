"""backward(): order, shared subexpressions, the accumulation rules, depth and freeing."""

import gc
import math
import sys
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value
from autograd.backprop import chain_rule
from autograd.graph import count_nodes, interior_order, iter_nodes, topological_order


def test_shared_subexpression_counts_every_path():
    a = Value(3.0)
    b = a + a
    c = b * b
    c.backward()
    assert a.grad == 8 * a.data
    assert b.grad == 2 * b.data


def test_micrograd_sanity_example():
    # The classic hand-worked example; each gradient below follows from the chain rule.
    x = Value(-4.0)
    z = 2 * x + 2 + x  # z = 3x + 2
    q = z.relu() + z * x  # z < 0 so relu(z) = 0; q = zx = 3x² + 2x
    h = (z * z).relu()  # h = z²
    y = h + q + q * x  # y = z² + (3x² + 2x)(1 + x)
    y.backward()
    xv = -4.0
    zv = 3 * xv + 2
    assert y.data == zv**2 + (3 * xv**2 + 2 * xv) * (1 + xv)
    # dy/dx = 2z·3 + (6x + 2)(1 + x) + (3x² + 2x)
    assert x.grad == pytest.approx(6 * zv + (6 * xv + 2) * (1 + xv) + (3 * xv**2 + 2 * xv))


def test_topological_order_puts_each_node_before_its_parents():
    x, y = Value(1.0), Value(2.0)
    s = x * y
    out = (s + x).tanh() * s
    order = topological_order(out)
    assert order[0] is out and len(order) == len(set(order)) == count_nodes(out) == 6
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        assert all(position[p] > position[node] for p in node.parents)
    assert set(iter_nodes(out)) == set(order)


def test_leaf_grads_accumulate_until_zeroed():
    x = Value(2.0)
    y = x * x
    y.backward()
    y.backward()
    assert x.grad == 2 * 4.0  # accumulated over two calls, as in PyTorch
    x.grad = 0.0
    y.backward()
    assert x.grad == 4.0


def test_interior_grads_are_recomputed_not_doubled():
    x = Value(2.0)
    h = x * 3
    y = h * h
    y.backward()
    first = (y.grad, h.grad)
    y.backward()
    assert (y.grad, h.grad) == first == (1.0, 2 * 6.0)


def test_seed_gradient():
    x = Value(2.0)
    (x * 5).backward(0.5)
    assert x.grad == 2.5
    with pytest.raises(TypeError, match="str"):
        (x * 5).backward("1")


def test_backward_of_a_leaf_accumulates_into_it():
    x = Value(2.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_gradients_reach_only_what_the_root_depends_on():
    x, unused = Value(1.0), Value(5.0)
    other = unused * 2
    (x * 3).backward()
    assert unused.grad == 0.0 and other.grad == 0.0 and x.grad == 3.0


def test_a_million_node_chain_goes_through_backward_and_is_freed():
    assert sys.getrecursionlimit() <= 10_000  # the default limit, no tricks
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0
    del y  # freeing must not recurse through the chain either
    assert x.grad == 1.0


def test_a_dropped_graph_is_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    try:
        tracemalloc.start()
        x = Value(0.5)
        before = tracemalloc.get_traced_memory()[0]
        y = x
        for _ in range(30_000):
            y = (y * 1.0001).tanh() + x
        y.backward()
        built = tracemalloc.get_traced_memory()[0]
        del y
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        assert built - before > 30_000 * 3 * 100
        # Everything went with the cyclic collector switched off; what stays is the interpreter's
        # fixed-size free lists of tuples and floats, kept for reuse.
        assert after - before < 0.03 * (built - before)
        assert gc.collect() == 0  # and there was no cycle left for it to find
    finally:
        gc.enable()


def test_the_backward_walk_lists_interior_nodes_in_order_and_leaves_grads_alone():
    x, y = Value(1.0), Value(2.0)
    s = x * y
    out = autograd.dot([s, x, y], [s.tanh(), s, Value(3.0)]) * s
    out.backward()
    before = {node: node.grad for node in topological_order(out)}
    order = interior_order(out)
    interior = [node for node in topological_order(out) if not node.is_leaf]
    assert set(order) == set(interior) and len(order) == len(interior)
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        assert all(position[p] > position[node] for p in node.parents if not p.is_leaf)
    assert {node: node.grad for node in topological_order(out)} == before  # a walk writes nothing
    assert interior_order(x) == []


class Interrupt(BaseException):  # stands for KeyboardInterrupt
    pass


def _interrupt_at(code, n: int):
    """A tracer that raises Interrupt on the n-th line event of `code` (a generator's resumptions
    count too), the way a Ctrl-C lands between two bytecodes."""
    lines = 0

    def tracer(frame, event, arg):
        nonlocal lines
        if frame.f_code is code and event == "line":
            lines += 1
            if lines == n:
                raise Interrupt
        return tracer

    return tracer


@pytest.mark.parametrize("where", ["walk", "chain_rule"])
@pytest.mark.parametrize("n", [7, 60, 61, 62, 63, 200])
def test_an_interrupted_backward_leaves_numbers_behind_and_the_next_one_is_right(where, n):
    x = Value(1.0)
    out = x
    for _ in range(20):
        out = (out * 2.0).tanh()
    code = (autograd.graph.walk if where == "walk" else chain_rule).__code__
    sys.settrace(_interrupt_at(code, n))
    try:
        with pytest.raises(Interrupt):
            out.backward()
    finally:
        sys.settrace(None)
    assert all(type(node.grad) is float for node in topological_order(out))
    x.grad = 0.0  # a leaf may hold part of its gradient; interior grads are reset by every call
    out.backward()
    assert x.grad == pytest.approx(_chain_derivative(x.data, 20))


def test_two_threads_calling_backward_on_one_graph_each_do_a_whole_pass():
    import threading

    x = Value(0.3)
    out = x
    for _ in range(2_000):
        out = (out * 1.001).tanh() + x * 0.001
    out.backward()
    once = x.grad
    x.grad = 0.0
    errors = []

    def run():
        try:
            out.backward()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert x.grad == pytest.approx(4 * once, rel=1e-12)
    assert all(type(node.grad) is float for node in topological_order(out))


def _chain_derivative(x: float, n: int) -> float:
    """d/dx of n times x ↦ tanh(2x), by the chain rule on floats."""
    d = 1.0
    for _ in range(n):
        d *= 2 * (1 - math.tanh(2 * x) ** 2)
        x = math.tanh(2 * x)
    return d


def test_zero_upstream_grads_still_carry_nan_from_infinite_local_grads():
    # sqrt'(0) = inf and 0·inf = nan, as in PyTorch: skipping zero-grad nodes must not hide it.
    x = Value(0.0)
    (x.sqrt() * 0.0).backward()
    assert math.isnan(x.grad)
    a, b = Value(2.0), Value(math.inf)
    (autograd.dot([a], [b]) * 0.0).backward()
    assert math.isnan(a.grad) and b.grad == 0.0
    p, q = Value(1.0), Value(math.inf)
    ((p * q) * 0.0).backward()
    assert math.isnan(p.grad) and q.grad == 0.0


def test_zero_upstream_grads_give_zero_grads():
    w = [Value(0.5), Value(-1.5)]
    h = autograd.dot(w, [Value(2.0), Value(1.0)]).relu()  # 1 - 1.5 < 0: the relu is off
    out = h * 3.0 + w[0] * w[1]
    out.backward()
    assert h.grad == 3.0 and h.parents[0].grad == 0.0
    assert [v.grad for v in w] == [-1.5, 0.5]


def test_backward_of_a_leaf_with_create_graph_gives_a_value():
    x = Value(2.0)
    x.backward(create_graph=True)
    assert type(x.grad) is Value and x.grad.data == 1.0


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 10**6), st.integers(0, 10**6)), max_size=40))
@settings(max_examples=200, deadline=None)
def test_walks_list_every_node_once_before_its_parents_on_any_dag(steps):
    """The walk's shortcuts (straight on to a parent, no wait for a node whose parents are done)
    keep the order topological on graphs full of shared nodes, constants and many-parent nodes."""
    nodes = [Value(0.5), Value(-1.5)]
    for kind, i, j in steps:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        made = (a * b, a + 2.0, a.relu(), 3.0 - a, autograd.dot([a, b], [b, nodes[0]], a))[kind]
        nodes.append(made)
    root = nodes[-1]
    reachable = set(iter_nodes(root))
    for order, expected in (
        (topological_order(root), reachable),
        (interior_order(root), {n for n in reachable if not n.is_leaf}),
    ):
        assert len(order) == len(set(order)) and set(order) == expected
        position = {node: k for k, node in enumerate(order)}
        for node in order:
            assert all(position[p] > position[node] for p in node.parents if p in position)
