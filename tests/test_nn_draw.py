"""nn.draw: a model as the network diagram teachers draw, with weights, values and gradients."""

from __future__ import annotations

import itertools
import re

import pytest
from draw_helpers import SVG_NS, svg_root, svg_text

import autograd
import nn
from autograd import Value
from nn.draw import _short


def trained_a_little() -> tuple[nn.MLP, list[list[float]]]:
    X, y = nn.data.make_moons(20, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1], rng=1)
    loss = nn.hinge_loss([model(x) for x in X], [2 * t - 1 for t in y])
    model.zero_grad()
    loss.backward()
    return model, X


def attrs(source: str, name: str) -> str:
    return next(
        line
        for line in source.splitlines()
        if line.startswith(f"\t\t{name} [") or line.startswith(f"\t{name} [")
    )


def weight_edge(source: str, k: int, j: int, i: int) -> str:
    found = re.search(rf"^\t\S+ -> \S+ \[.*\bid=w{k}_{j}_{i}[ \]].*$", source, re.MULTILINE)
    assert found is not None, f"no line for weight w{k}_{j}_{i}"
    return found.group()


def width(line: str) -> float:
    return float(re.search(r"penwidth=([\d.]+)", line).group(1))


def test_neurons_in_columns_in_index_order_with_every_weight_as_a_line():
    model, _ = trained_a_little()
    graph = nn.draw(model)
    assert isinstance(graph, autograd.Graph)
    source = graph.source
    lines = [line for line in source.splitlines() if "id=w" in line]
    assert len(lines) == 2 * 16 + 16 * 16 + 16  # one line per weight, no more
    # Each column is one rank, chained top to bottom in index order by invisible edges.
    for column in (["head0", *[f"l0n{j}" for j in range(16)]], ["input", "in0", "in1"]):
        for a, b in itertools.pairwise(column):
            assert f"\t\t{a} -> {b} [style=invis]" in source
    assert source.count("rank=same") == 4
    assert (
        "<B>inputs</B>" in source and "<B>layer 1 · relu</B>" in source and "<B>output · linear</B>" in source
    )


def test_line_colour_is_the_sign_and_width_grows_with_the_weight():
    model, _ = trained_a_little()
    source = nn.draw(model).source
    blue, red = "#2563eb", "#dc2626"
    weights = [
        (k, j, i, w.data)
        for k, layer in enumerate(model.layers)
        for j, n in enumerate(layer.neurons)
        for i, w in enumerate(n.w)
    ]
    largest = max(abs(w) for *_, w in weights)
    by_size = sorted(weights, key=lambda t: abs(t[3]))
    widths = [width(weight_edge(source, k, j, i)) for k, j, i, _ in by_size]
    assert widths == sorted(widths) and widths[-1] == pytest.approx(3.5) and widths[0] < 0.5
    for k, j, i, w in weights:
        line = weight_edge(source, k, j, i)
        if abs(w) == largest:
            assert f'color="{blue if w > 0 else red}"' in line  # the strongest line is the full colour
        r, g, b = (int(h, 16) for h in re.findall(r'color="#(..)(..)(..)"', line)[0])
        assert (b > r) == (w >= 0), f"weight {w} drawn in #{r:02x}{g:02x}{b:02x}"


def test_grads_mode_shows_the_gradient_flowing_back():
    model, _ = trained_a_little()
    source = nn.draw(model, grads=True).source
    weights = [
        (k, j, i, w.grad)
        for k, layer in enumerate(model.layers)
        for j, n in enumerate(layer.neurons)
        for i, w in enumerate(n.w)
    ]
    widest = max(weights, key=lambda t: abs(t[3]))
    assert width(weight_edge(source, *widest[:3])) == pytest.approx(3.5)
    for k, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            line = attrs(source, f"l{k}n{j}")
            r, _g, b = (int(h, 16) for h in re.findall(r'fillcolor="#(..)(..)(..)"', line)[0])
            if neuron.b.grad != 0:
                assert (b > r) == (neuron.b.grad > 0)  # ∂L/∂b: blue > 0, red < 0, white at 0
            else:
                assert 'fillcolor="#ffffff"' in line
    assert "∂L/∂b = ∂L/∂z" in source and "every gradient is 0" not in source
    model.zero_grad()
    assert "every gradient is 0: call loss.backward() first" in nn.draw(model, grads=True).source


def test_values_for_an_input_are_shown_and_nothing_changes():
    model, X = trained_a_little()
    before = [(p.data, p.grad) for p in model.parameters()]
    x = [Value(X[3][0], "x0"), Value(X[3][1], "x1")]
    source = nn.draw(model, x).source
    assert [(p.data, p.grad) for p in model.parameters()] == before  # no backward, no update
    assert x[0].grad == 0.0
    out = model([X[3][0], X[3][1]]).data
    assert f"out<BR/>{_short(out)}" in attrs(source, "l2n0")
    assert f"x1<BR/>{_short(X[3][1])}" in attrs(source, "in1")
    for j, neuron in enumerate(model.layers[0].neurons):
        a = neuron([X[3][0], X[3][1]]).data
        assert (f"n{j}<BR/>{a:.2g}".replace("-", "−") if a != 0 else f"n{j}<BR/>0") in attrs(
            source, f"l0n{j}"
        )
        assert ('fillcolor="#ffffff"' in attrs(source, f"l0n{j}")) == (a == 0)  # a relu that is off is white


def test_layers_and_neurons_draw_too():
    layer = nn.Layer(3, 2, rng=0)
    source = nn.draw(layer, [1.0, 2.0, 3.0]).source
    assert len([line for line in source.splitlines() if "id=w" in line]) == 6
    neuron = nn.Neuron(2, activation="tanh", rng=0)
    assert "<B>output · tanh</B>" in nn.draw(neuron).source


def test_bad_arguments_are_named():
    model = nn.MLP(2, [3, 1], rng=0)
    with pytest.raises(TypeError, match=r"nn.draw\(model\): expected an nn.MLP, Layer or Neuron, got Value"):
        nn.draw(Value(1.0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="the model has 2 inputs, got 3"):
        nn.draw(model, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="input 1 must be a finite number, got nan"):
        nn.draw(model, [1.0, float("nan")])
    with pytest.raises(TypeError, match="expected a list of 2 numbers, got str"):
        nn.draw(model, "12")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="grads"):
        nn.draw(model, grads=1)  # type: ignore[arg-type]


def test_a_2_16_16_1_mlp_is_readable_at_a_glance(renderer, tmp_path):
    model, X = trained_a_little()
    for graph in (nn.draw(model), nn.draw(model, X[0]), nn.draw(model, grads=True)):
        svg = graph.svg()
        root = svg_root(svg)
        w, h = (float(root.get(k).removesuffix("pt")) * 4 / 3 for k in ("width", "height"))
        assert w < 1200 and h < 1500  # one screen, no scrolling sideways
        centres: dict[str, tuple[float, float]] = {}
        for group in root.iter(f"{SVG_NS}g"):
            ellipse = group.find(f"{SVG_NS}ellipse")
            if group.get("class") == "node" and ellipse is not None:
                centres[group.get("id")] = (float(ellipse.get("cx")), float(ellipse.get("cy")))
        assert len(centres) == 2 + 16 + 16 + 1
        for k in (0, 1):
            column = [centres[f"l{k}n{j}"] for j in range(16)]
            assert len({round(x) for x, _ in column}) == 1, "a layer is not one column"
            ys = [y for _, y in column]
            assert ys == sorted(ys) and min(b - a for a, b in itertools.pairwise(ys)) > 30  # in order, apart
        assert centres["in0"][0] < centres["l0n0"][0] < centres["l1n0"][0] < centres["l2n0"][0]
        text = svg_text(svg)
        assert "x0" in text and "n15" in text and "out" in text
    path = nn.draw(model).save(tmp_path / "net.png")
    assert path.read_bytes().startswith(b"\x89PNG")


def test_values_fit_a_circle():
    assert [_short(v) for v in (0.0, -0.0, 0.4242, -1.27, 0.0088, 12345.0, -3.1e-7)] == [
        "0",
        "0",
        "0.42",
        "−1.3",
        "9e−3",
        "1e4",
        "−3e−7",
    ]
