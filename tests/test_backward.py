"""backward(): order, shared subexpressions, the accumulation rules, depth and freeing."""

import gc
import sys
import tracemalloc

import pytest

from autograd import Value
from autograd.graph import count_nodes, iter_nodes, topological_order


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
