"""Collapsed drawings stay bounded for every shape of graph, and render in seconds with each renderer.

With `max_nodes` set, what the DOT text holds is bounded by max_nodes: Values beyond it are one
box, parallel edges are one edge with a count, many constants of one op are one node, and a
Value shared by a long loop is shown by small references instead of edges across the picture.
"""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest
from draw_helpers import (
    dot_edges,
    dot_nodes,
    svg_root,
    svg_text,
)

import autograd
from autograd import Value, draw
from autograd.graph import topological_order

# -- graphs of every shape -----------------------------------------------------------------------


def wide_sum(n: int = 20_000) -> Value:
    return autograd.sum([Value(float(i), f"x{i}") for i in range(n)])


def mse(n: int = 5_000) -> Value:
    preds = [Value(0.01 * i, f"p{i}") for i in range(n)]
    return autograd.sum([(p - 0.02 * i) ** 2 for i, p in enumerate(preds)]) / n


def shared_weight_loop(steps: int = 5_000) -> tuple[Value, Value]:
    a, z = Value(0.5, "a"), Value(0.1, "z0")
    for _ in range(steps):
        z = (z * a).tanh() + z
    return a, z


def deep_chain(n: int = 20_000) -> Value:
    y = Value(1.0, "x")
    for i in range(n):
        y = y * 1.0001 if i % 2 else y + 0.5
    return y


def binary_tree(depth: int = 13) -> Value:
    level = [Value(float(i)) for i in range(2**depth)]
    while len(level) > 1:
        level = [a * b for a, b in zip(level[0::2], level[1::2])]
    return level[0]


def many_constants(n: int = 20_000) -> Value:
    x = Value(1.0, "x")
    return autograd.sum([x, *[float(i) for i in range(n)]])


def same_operand(n: int = 20_000) -> Value:
    x = Value(1.0, "x")
    return autograd.sum([x] * n)


def mlp_loss() -> Value:
    import nn

    model = nn.MLP(2, [16, 16, 1], rng=0)
    return nn.mse_loss([model([0.1 * i, -0.2 * i]) for i in range(20)], [0.5] * 20)


SHAPES = {
    "wide sum": wide_sum,
    "mse": mse,
    "shared-weight loop": lambda: shared_weight_loop()[1],
    "deep chain": deep_chain,
    "binary tree": binary_tree,
    "many constants": many_constants,
    "one operand many times": same_operand,
    "mlp over 20 samples": mlp_loss,
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("max_nodes", [10, 60])
def test_dot_size_is_bounded_by_max_nodes(shape, max_nodes):
    root = SHAPES[shape]()
    source = draw(root, max_nodes=max_nodes).source
    nodes, edges = dot_nodes(source), dot_edges(source)
    values = [n for n in nodes if re.fullmatch(r"v\d+", n)]
    assert len(values) <= max_nodes
    # Per drawn Value: its op, a few constants or one "n constants" node, and a reference or two.
    assert len(nodes) <= 12 * max_nodes + 10, f"{shape}: {len(nodes)} DOT nodes"
    assert len(edges) <= 12 * max_nodes + 10, f"{shape}: {len(edges)} DOT edges"
    bundles = [edge for edge, n in Counter(edges).items() if n > 3]  # x * x draws two edges; more is one
    assert bundles == [], f"{shape}: parallel edges left: {bundles}"
    assert len(source) < 2_000 * max_nodes + 5_000


def test_parallel_edges_from_a_box_become_one_edge_with_a_count():
    source = draw(wide_sum(20_000), max_nodes=10).source
    into_root = [e for e in dot_edges(source) if e[1] == "op0"]
    assert len(into_root) == 10  # 9 drawn terms, and one edge from the rest
    assert ("more", "op0") in into_root
    assert "×19,991" in source
    assert "19,991 values farthest from the output not drawn" in source


def test_one_value_used_many_times_is_one_edge_but_x_times_x_is_two():
    source = draw(same_operand(1_000)).source
    assert sorted(dot_edges(source)) == [("op0", "v0"), ("v1", "op0")]
    assert "label=<×1,000>" in source
    x = Value(3.0, "x")
    assert dot_edges(draw(x * x).source).count(("v1", "op0")) == 2


def test_many_constants_of_one_op_are_one_node():
    source = draw(many_constants(20_000)).source
    constants = [n for n in dot_nodes(source) if n.startswith("c")]
    assert constants == ["c0_1"]
    assert "20,000 constants" in source and "×20,000" in source
    few = draw(autograd.sum([Value(1.0, "x"), 2.0, 3.0])).source
    assert [n for n in dot_nodes(few) if n.startswith("c")] == ["c0_1", "c0_2"]


def test_a_shared_weight_far_up_a_loop_is_shown_by_references():
    a, z = shared_weight_loop(5_000)
    source = draw(z, collapse=True).source
    k = topological_order(z).index(a)
    refs = [n for n in dot_nodes(source) if n.startswith("r")]
    assert refs, "the weight's later uses should be references"
    assert all(f"\t{r} [label=<a>" in source for r in refs)
    assert len([e for e in dot_edges(source) if e[0] == f"v{k}"]) <= 2  # only its uses nearby
    assert "a dashed box stands for a value drawn elsewhere" in source
    # An uncollapsed drawing is left as it is: every use is an edge.
    a, z = shared_weight_loop(5)
    source = draw(z).source
    assert not [n for n in dot_nodes(source) if n.startswith("r")]


def test_planning_a_dot_over_a_million_parents_is_quick():
    n = 1_000_000
    weights = [Value(1.0) for _ in range(n)]
    start = time.perf_counter()
    source = draw(autograd.dot(weights, [0.5] * n)).source
    assert time.perf_counter() - start < 15.0
    assert len(dot_nodes(source)) < 100 and len(source) < 50_000


@pytest.mark.parametrize("shape", ["mse", "shared-weight loop", "wide sum"])
def test_collapsed_graphs_render_in_seconds(renderer, shape):
    root = SHAPES[shape]()
    start = time.perf_counter()
    svg = draw(root).svg()
    seconds = time.perf_counter() - start
    assert seconds < 10.0, f"{shape} took {seconds:.1f} s with {renderer}"
    width = float(svg_root(svg).get("width").removesuffix("pt"))
    assert width < 20_000
    assert "more values" in svg_text(svg)


def test_a_dot_over_a_million_parents_renders(renderer):
    n = 1_000_000
    weights = [Value(1.0) for _ in range(n)]
    svg = draw(autograd.dot(weights, [0.5] * n), max_nodes=20).svg()
    text = svg_text(svg)
    assert "1,000,000 constants" in text and "more values" in text


# -- constants -----------------------------------------------------------------------------------


def test_constants_show_enough_digits_to_tell_them_apart():
    z = Value(2.0, "z")
    assert "label=<1.0001>" in draw(z * 1.0001).source
    assert "label=<1>" in draw(z * 1).source
    assert "label=<0.1>" in draw(z + 0.1).source
    assert "label=<0.3333…>" in draw(z * (1 / 3)).source  # not exact at 12 digits: says so
    assert "label=<2.5e-8>" in draw(z * 2.5e-8).source
    assert "label=<0.333…>" in draw(z * (1 / 3), digits=3).source


# -- neurons -------------------------------------------------------------------------------------


def neuron_labels(text: str) -> list[str]:
    return re.findall(r"neuron (L\d\.n\d+)", text)


def test_neuron_boxes_come_in_index_order():
    import nn

    model = nn.MLP(2, [16, 16, 1], rng=1)
    source = draw(model([0.05, 0.37]), params=model).source
    layers = [[name for name in neuron_labels(source) if name.startswith(f"L{i}.")] for i in range(3)]
    assert layers[0] == [f"L0.n{j}" for j in range(16)]
    assert layers[1] == [f"L1.n{j}" for j in range(16)]
    assert "ordering=out" in source


def test_neuron_boxes_are_drawn_in_index_order_with_room_between_layers(renderer):
    import nn

    model = nn.MLP(2, [16, 16, 1], rng=1)
    graph = draw(model([0.05, 0.37]), params=model)
    root = svg_root(graph.svg())
    ns = "{http://www.w3.org/2000/svg}"
    place: dict[str, tuple[float, float]] = {}
    for group in root.iter(f"{ns}g"):
        text = " ".join("".join(t.itertext()) for t in group.iter(f"{ns}text"))
        names = neuron_labels(text)
        polygon = group.find(f"{ns}polygon")
        if group.get("class") == "node" and names and polygon is not None:
            nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", polygon.get("points"))]
            place[names[0]] = (min(nums[0::2]), min(nums[1::2]))  # left edge, top edge
    for layer in ("L0", "L1"):
        tops = [place[f"{layer}.n{j}"][1] for j in range(16)]
        assert tops == sorted(tops), f"{layer}'s neurons are not drawn top to bottom in index order"
    right_of_l0 = max(x for name, (x, _) in place.items() if name.startswith("L0.")) + 200
    left_of_l1 = min(x for name, (x, _) in place.items() if name.startswith("L1."))
    assert left_of_l1 - right_of_l0 > 40, "the 256 edges between the layers have no room"


def test_the_note_counts_in_words_that_agree():
    import nn

    lone = nn.Neuron(2, rng=0)
    source = draw(lone([1.0, 2.0]), params=lone).source
    assert "1 neuron drawn as a box, with 3 parameters inside" in source
    model = nn.MLP(2, [3, 1], rng=0)
    source = draw(model([1.0, 2.0]), params=model).source
    assert "4 neurons drawn as boxes, with 13 parameters inside" in source


def test_drawing_a_model_instead_of_a_value_says_what_to_do():
    import nn

    model = nn.MLP(2, [3, 1], rng=0)
    with pytest.raises(TypeError, match=r"got MLP.*draw\(model\(x\), params=model\).*nn\.draw\(model\)"):
        draw(model)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"expected a Value, got float$"):
        draw(1.0)  # type: ignore[arg-type]
