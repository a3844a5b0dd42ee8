"""The DOT text of drawings: structure, ids, colours, collapsing and safe labels (no renderer)."""

from __future__ import annotations

import re
import time

import pytest
from draw_helpers import dot_edges, dot_nodes, mlp_like

import autograd
from autograd import Value, draw
from autograd.draw.format import display_text, label_html, number
from autograd.graph import topological_order


def small():
    x, w = Value(2.0, "x"), Value(-3.0, "w")
    y = (x * w + 1.0).tanh()
    y.backward()
    return x, w, y


def test_small_graph_has_a_node_per_value_op_and_constant():
    _x, _w, y = small()
    source = draw(y).source
    nodes = dot_nodes(source)
    # Values x, w, x*w, +1, tanh; ops *, +, tanh; the constant 1.0
    assert sorted(n for n in nodes if n.startswith("v")) == ["v0", "v1", "v2", "v3", "v4"]
    assert sorted(n for n in nodes if n.startswith("op")) == ["op0", "op1", "op2"]
    assert [n for n in nodes if n.startswith("c")] == ["c1_1"]
    assert len(dot_edges(source)) == 3 + 4 + 1  # op → result, Value operands (x, w; x*w; +), constant


def test_ids_follow_topological_order():
    x, _w, y = small()
    order = topological_order(y)
    source = draw(y).source
    for k, node in enumerate(order):
        line = next(line for line in source.splitlines() if line.startswith(f"\tv{k} ["))
        assert f"id=v{k}" in line
        assert f"data {number(node.data)}" in line
        if node.label:
            assert f"<B>{node.label}</B>" in line
    k_mul = order.index(y.parents[0].parents[0])
    assert (f"v{order.index(x)}", f"op{k_mul}") in dot_edges(source)
    assert f"op{k_mul} -> v{k_mul} [id=e{k_mul}]" in source


def test_repeated_operand_draws_one_edge_per_use():
    x = Value(3.0, "x")
    source = draw(x * x).source
    assert dot_edges(source).count(("v1", "op0")) == 2


def test_number_operands_of_reflected_ops_are_constants():
    x = Value(0.5, "x")
    y = 2 - x  # operands in written order: (2.0, x), so the constant is operand 0
    source = draw(y).source
    assert re.search(r"\tc0_0 \[label=<2>", source)
    assert ("c0_0", "op0") in dot_edges(source)
    assert "label=<->" in source


def test_variadic_ops_with_constants():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    y = autograd.dot([a, b], [3.0, b])
    source = draw(y).source
    constants = [n for n in dot_nodes(source) if n.startswith("c")]
    assert constants == ["c0_2"]
    assert len([e for e in dot_edges(source) if e[1] == "op0"]) == 4


def test_show_flags_and_digits():
    x, w, y = small()
    source = draw(y, show_data=False, show_grad=False).source
    assert "data " not in source and "grad " not in source
    assert "grad " in draw(y).source
    assert f"data {x.data * w.data:.0f}" in draw(y, digits=2).source
    assert f"grad {number(w.grad, 2)}" in draw(y, digits=2).source
    assert f"grad {number(w.grad, 6)}" in draw(y, digits=6).source


def test_local_grads_on_edges():
    x, w, y = small()
    source = draw(y, show_local_grads=True).source
    assert f"label=<∂={number(w.data)}>" in source  # ∂(x*w)/∂x = w
    assert f"label=<∂={number(x.data)}>" in source
    assert "∂=" not in draw(y).source


def test_kinds_have_colours_and_a_legend():
    loss, params, inputs = mlp_like([2, 2, 1], [0.5, -1.0])
    source = draw(loss, params=params, collapse=False).source
    from autograd.draw.dot import COLOURS

    order = topological_order(loss)
    for node, kind in ((loss, "output"), (params[0], "parameter"), (inputs[0], "input")):
        k = order.index(node)
        line = next(line for line in source.splitlines() if line.startswith(f"\tv{k} ["))
        assert f'fillcolor="{COLOURS[kind]}"' in line
        assert f">{kind}</TD>" in source
    without = draw(loss, collapse=False).source  # no params given: they are plain inputs
    assert ">parameter</TD>" not in without


def test_highlight_outlines_the_given_nodes():
    x, _w, y = small()
    from autograd.draw.dot import HIGHLIGHT

    source = draw(y, highlight=[x]).source
    lit = [line for line in source.splitlines() if f'color="{HIGHLIGHT}"' in line and "penwidth=3" in line]
    assert [line.split()[0] for line in lit] == [f"v{topological_order(y).index(x)}"]
    assert draw(y, highlight=x).source == source
    with pytest.raises(ValueError, match="not in the graph"):
        draw(y, highlight=[Value(1.0)])
    with pytest.raises(TypeError, match="expected Values"):
        draw(y, highlight=[1.0])


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="draw\\(root\\)"):
        draw(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rankdir"):
        draw(Value(1.0), rankdir="XY")
    with pytest.raises(ValueError, match="max_nodes"):
        draw(Value(1.0), max_nodes=0)
    with pytest.raises(TypeError, match="params"):
        draw(Value(1.0), params=[3])


# -- collapsing ----------------------------------------------------------------------------------


def chain(n: int) -> tuple[Value, Value]:
    x = Value(1.0, "x")
    y = x
    for i in range(n):
        y = y * 1.0001 if i % 2 else y + 0.5
    return x, y


def test_long_chain_is_elided_quickly_with_a_note():
    _x, y = chain(100_000)
    start = time.perf_counter()
    source = draw(y).source
    assert time.perf_counter() - start < 5.0
    values = [n for n in dot_nodes(source) if re.fullmatch(r"v\d+", n)]
    assert len(values) == 6  # root, two kept at each end of the chain, x
    skips = [n for n in dot_nodes(source) if n.startswith("skip")]
    assert len(skips) == 1
    assert "… 99,995 ops …" in source
    assert "raise max_nodes to 100001" in source


def test_small_graph_is_not_collapsed_and_collapse_false_draws_all():
    _x, y = chain(50)
    assert len([n for n in dot_nodes(draw(y).source) if n.startswith("v")]) == 51
    assert "skip" in draw(y, collapse=True).source
    _x, y = chain(400)
    assert len([n for n in dot_nodes(draw(y, collapse=False).source) if n.startswith("v")]) == 401


def test_neurons_fold_into_boxes_with_their_parameters():
    loss, params, inputs = mlp_like([2, 4, 4, 1], [0.5, -1.0])
    source = draw(loss, params=params).source
    boxes = [line for line in source.splitlines() if "<B>neuron" in line]
    assert len(boxes) == 9
    assert sum(" · 3 params · relu" in b for b in boxes) == 4
    assert sum(" · 5 params · relu" in b for b in boxes) == 4
    assert sum(" · 5 params<" in b for b in boxes) == 1  # the linear output neuron
    assert "9 neurons drawn as boxes, with 37 parameters inside" in source
    # No parameter is drawn on its own; the inputs are, and feed the first layer's boxes.
    assert ">parameter</TD>" not in source
    order = topological_order(loss)
    for x in inputs:
        assert sum(a == f"v{order.index(x)}" for a, _ in dot_edges(source)) == 4
    # Each box shows its output, a relu node, whose id is the box's id.
    relu_out = next(n for n in order if n.op == "relu")
    box = next(line for line in boxes if line.startswith(f"\tv{order.index(relu_out)} ["))
    assert f"out {number(relu_out.data)}" in box and f"grad {number(relu_out.grad)}" in box


def test_shared_parameter_stays_visible():
    w = Value(0.5, "w")
    a, b = Value(1.0, "a"), Value(2.0, "b")
    y = autograd.dot([w], [a]).relu() + autograd.dot([w], [b]).relu()
    source = draw(y, params=[w]).source
    assert ">parameter</TD>" in source  # w feeds two neurons, so neither owns it
    assert source.count("<B>neuron") == 2


def test_params_accepts_modules():
    loss, params, _ = mlp_like([2, 2, 1], [0.5, -1.0])

    class Model:
        def parameters(self):
            return params

    assert draw(loss, params=Model()).source == draw(loss, params=params).source


def test_real_nn_neurons_fold_under_their_own_names():
    import nn

    model = nn.MLP(2, [3, 1], rng=0)
    source = draw(model([0.5, -1.0]), params=model).source
    assert source.count("<B>neuron ") == 4 and "<B>neuron L0.n2</B>" in source
    lone = nn.Neuron(2, rng=0)  # unnamed: its output is labelled "neuron", said once in the box
    source = draw(lone([1.0, 2.0]), params=lone).source
    assert "neuron neuron" not in source and source.count("<B>neuron</B>") == 1


def test_wide_graph_keeps_the_nodes_nearest_the_root():
    xs = [Value(float(i), f"x{i}") for i in range(2000)]
    y = autograd.sum([x * x for x in xs])
    source = draw(y, max_nodes=50).source
    values = [n for n in dot_nodes(source) if re.fullmatch(r"v\d+", n)]
    assert len(values) <= 50
    assert "more" in dot_nodes(source)
    assert "values farthest from the output not drawn" in source


def test_mlp_micrograd_style_sums_fold_too():
    w = [Value(0.3, "w0"), Value(-0.2, "w1")]
    b = Value(0.1, "b")
    x = [Value(1.0, "x0"), Value(2.0, "x1")]
    y = (w[0] * x[0] + w[1] * x[1] + b).tanh()
    source = draw(y, params=[*w, b]).source
    assert source.count("<B>neuron") == 1
    assert " · 3 params · tanh" in source


# -- safe labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    ['"', "<", ">", "{x|y}", "\\N", "a\\", "\n", "<script>alert(1)</script>", '"] [color=red', "&amp;"],
)
def test_labels_never_reach_dot_unescaped(label):
    y = Value(1.0, label) * 2.0
    source = draw(y).source
    line = next(line for line in source.splitlines() if line.startswith("\tv1 ["))
    assert label_html(label) in line
    inside = line[line.index("<<TABLE") : line.index("</TABLE>>")]
    assert "<script" not in inside and "\n" not in line
    rest = line[line.index("</TABLE>>") :]  # the attributes after the label are all ours
    assert re.fullmatch(
        r'</TABLE>> color="#\w+" fillcolor="#\w+" id=v1 margin=0.02 penwidth=1 shape=box style=filled\]', rest
    )


def test_display_text_escapes_invisible_characters_and_truncates():
    assert display_text("a\nb\x00") == "a\\nb\\x00"
    assert display_text("\u202e") == "\\u202e"
    assert display_text("x" * 100, 10) == "x" * 9 + "…"


def test_number_is_compact():
    assert number(0.123456) == "0.1235"
    assert number(1234567.0) == "1.235e6"
    assert number(1e-7) == "1e-7"
    assert number(-3.0) == "-3"
    assert number(float("inf")) == "inf"
    assert number(2.0 / 3.0, 2) == "0.67"
