"""micrograd's names and habits, as its lectures use them: `_prev`, `_op`, `_backward()`, a
hand-written `draw_dot`, a recursive topological sort, and neurons built with builtin `sum`.

The cells below are written in the lectures' style (not copied from them): they build their own
helpers from micrograd's private names and must give the same numbers as gradwalk's own tools.
"""

from __future__ import annotations

import math
import random

import pytest
from components import require

from autograd import Value


def lecture_expression():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    return a, b, c, e, d, f, L


def neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    return (x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n), o


def test_prev_is_the_set_of_parents_and_op_is_the_symbol():
    a, b, _c, e, d, f, L = lecture_expression()
    assert e._prev == {a, b} and type(e._prev) is set
    assert L._prev == {d, f}
    assert a._prev == set() and a._op == ""
    assert (e._op, d._op, L._op) == ("*", "+", "*")
    assert Value(1.0).tanh()._op == "tanh" and Value(1.0).exp()._op == "exp"
    assert (a**2)._op == "**" and (a / b)._op == "/" and (a - b)._op == "-"


def test_manual_backprop_cells_give_backwards_grads():
    # o.grad = 1.0; o._backward(); n._backward(); … in reverse order, as the lecture does by hand
    nodes, o = neuron()
    x1, _x2, w1, _w2, b, x1w1, x2w2, x1w1x2w2, n = nodes
    o.grad = 1.0
    for node in (o, n, b, x1w1x2w2, x2w2, x1w1):
        node._backward()  # a leaf's _backward() does nothing
    manual = [v.grad for v in nodes]
    assert n.grad == pytest.approx(1 - o.data**2)
    assert x1.grad == pytest.approx(w1.data * n.grad) and w1.grad == pytest.approx(x1.data * n.grad)
    for v in (*nodes, o):
        v.grad = 0.0
    o.backward()
    assert [v.grad for v in nodes] == manual


def test_a_recursive_topological_sort_over_prev_then_backward_calls():
    nodes, o = neuron()
    topo, visited = [], set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(o)
    o.grad = 1.0
    for node in reversed(topo):
        node._backward()
    by_hand = [v.grad for v in nodes]
    for v in topo:
        v.grad = 0.0
    o.backward()
    assert [v.grad for v in nodes] == pytest.approx(by_hand, rel=1e-15, abs=0.0)


def test_backward_accumulates_through_a_node_used_twice():
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    b.backward()
    assert a.grad == 2.0  # the bug the lecture fixes with `+=`
    a, b = Value(-2.0, label="a"), Value(3.0, label="b")
    d, e = a * b, a + b
    f = d * e
    f.backward()
    assert (a.grad, b.grad) == (-3.0, -8.0)


def test_a_draw_dot_written_for_micrograd_draws_gradwalk_values():
    require(_has_graphviz(), "the graphviz Python package")
    from graphviz import Digraph

    def trace(root):
        nodes, edges = set(), set()
        stack = [root]
        while stack:
            v = stack.pop()
            if v not in nodes:
                nodes.add(v)
                for child in v._prev:
                    edges.add((child, v))
                    stack.append(child)
        return nodes, edges

    def draw_dot(root):
        dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})
        nodes, edges = trace(root)
        for n in nodes:
            uid = str(id(n))
            dot.node(
                name=uid, label=f"{{ {n.label} | data {n.data:.4f} | grad {n.grad:.4f} }}", shape="record"
            )
            if n._op:
                dot.node(name=uid + n._op, label=n._op)
                dot.edge(uid + n._op, uid)
        for n1, n2 in edges:
            dot.edge(str(id(n1)), str(id(n2)) + n2._op)
        return dot

    *_, L = lecture_expression()
    L.backward()
    source = draw_dot(L).source
    assert "data -8.0000 | grad 1.0000" in source  # L
    assert "{ a | data 2.0000 | grad 6.0000 }" in source
    assert source.count('label="*"') == 2 and source.count('label="+"') == 1


def test_the_lectures_mlp_trains_with_builtin_sum_and_a_value_start():
    random.seed(1)

    class Neuron:
        def __init__(self, nin):
            self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
            self.b = Value(random.uniform(-1, 1))

        def __call__(self, x):
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
            return act.tanh()

        def parameters(self):
            return [*self.w, self.b]

    class MLP:
        def __init__(self, nin, nouts):
            sizes = [nin, *nouts]
            self.layers = [[Neuron(sizes[i]) for _ in range(sizes[i + 1])] for i in range(len(nouts))]

        def __call__(self, x):
            for layer in self.layers:
                x = [n(x) for n in layer]
            return x[0] if len(x) == 1 else x

        def parameters(self):
            return [p for layer in self.layers for n in layer for p in n.parameters()]

    n = MLP(3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    losses = []
    for _ in range(20):
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        for p in n.parameters():
            p.grad = 0.0
        loss.backward()
        for p in n.parameters():
            p.data += -0.1 * p.grad
        losses.append(loss.data)
    assert losses[-1] < losses[0] / 5
    assert all(math.isfinite(x) for x in losses)


def _has_graphviz() -> bool:
    try:
        import graphviz  # noqa: F401
    except ImportError:
        return False
    return True
