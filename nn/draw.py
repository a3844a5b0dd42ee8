"""The network view of a model: neurons as circles in one column per layer, weights as lines.

`draw(model)` is the diagram teachers draw by hand; `draw(model, x)` adds each neuron's value for
input x; `draw(model, grads=True)` shows the gradient of the last `backward()` flowing back.
Built with graphviz and shown through `autograd.Graph` (inline in notebooks, `.save(path)`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from autograd import Graph, Value, no_grad
from nn.layers import MLP, Layer, Neuron

if TYPE_CHECKING:
    import graphviz

POSITIVE = (37, 99, 235)  # blue: w > 0 (or ∂L/∂w > 0)
NEGATIVE = (220, 38, 38)  # red: w < 0
FONT = "Helvetica"
LINE = "#4b5563"
CIRCLE = "0.56"  # inches: a circle holds a name and a value such as -0.011


def draw(
    model: MLP | Layer | Neuron, x: Sequence[float | Value] | None = None, *, grads: bool = False
) -> Graph:
    """The network diagram of `model`: inputs, then each layer's neurons top to bottom in index order.

    - Each line is a weight w from a neuron (or input) to a neuron of the next layer: blue for
      w > 0, red for w < 0, wider and stronger with |w| (the largest weight has the widest line).
    - `x`: the inputs; each circle then shows its value for x (the input, the neuron's activation
      act(w·x + b), the output), and a neuron's fill is its activation (white when off).
    - `grads=True`: the gradient of the last `backward()` instead: line width by |∂L/∂w|, colour its
      sign, and each neuron's fill is ∂L/∂b = ∂L/∂z, the gradient that reached its weighted sum
      z = w·x + b (summed over the samples of that backward), blue > 0, red < 0.

    Returns an `autograd.Graph`: it shows inline in notebooks, `.save("net.svg")` writes it.
    """
    layers = _layers(model)
    if type(grads) is not bool:
        raise TypeError(f"nn.draw(grads={grads!r}): expected True or False")
    nin = len(layers[0][0].w)
    values = _forward(layers, x, nin) if x is not None else None
    weights = [[[(w.grad if grads else w.data) for w in neuron.w] for neuron in layer] for layer in layers]
    largest = max((abs(w) for layer in weights for neuron in layer for w in neuron), default=0.0)
    fills = _fills_of_grads(layers) if grads else None

    import graphviz

    g = graphviz.Digraph(
        "network",
        graph_attr={
            "rankdir": "LR",
            "splines": "line",
            "ordering": "out",
            "nodesep": "0.08",
            "ranksep": "1.4",
            "bgcolor": "white",
            "fontname": FONT,
            "fontsize": "11",
            "labelloc": "b",
            "labeljust": "l",
        },
        node_attr={
            "fontname": FONT,
            "fontsize": "9",
            "shape": "circle",
            "fixedsize": "true",
            "width": "0.56",
        },
        edge_attr={"arrowhead": "none"},
    )
    names = [[f"in{i}" for i in range(nin)]] + [
        [f"l{k}n{j}" for j in range(len(layer))] for k, layer in enumerate(layers)
    ]
    _column(g, "input", "inputs", names[0], [f"x{i}" for i in range(nin)], values and values[0], None)
    for k, layer in enumerate(layers):
        last = k == len(layers) - 1
        title = ("output" if last else f"layer {k + 1}") + f" · {layer[0].activation}"
        texts = ["out" if last and len(layer) == 1 else f"n{j}" for j in range(len(layer))]
        column_fills = fills[k] if fills else (_fills_of_values(values[k + 1]) if values else None)
        _column(g, f"head{k}", title, names[k + 1], texts, values and values[k + 1], column_fills)
    for k, layer_weights in enumerate(weights):
        for j, neuron_weights in enumerate(layer_weights):
            for i, w in enumerate(neuron_weights):
                g.edge(names[k][i], names[k + 1][j], id=f"w{k}_{j}_{i}", **_line(w, largest))
    g.attr(label=_legend(largest, grads, all(w == 0.0 for layer in weights for n in layer for w in n)))
    return Graph(g)


def _layers(model: object) -> list[list[Neuron]]:
    if isinstance(model, MLP):
        return [layer.neurons for layer in model.layers]
    if isinstance(model, Layer):
        return [model.neurons]
    if isinstance(model, Neuron):
        return [[model]]
    raise TypeError(
        f"nn.draw(model): expected an nn.MLP, Layer or Neuron, got {type(model).__name__}; "
        "to draw a computation graph use autograd.draw(value)"
    )


def _forward(layers: list[list[Neuron]], x: Sequence[float | Value], nin: int) -> list[list[float]]:
    """The value at every circle for input x: the inputs, then each layer's activations."""
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise TypeError(f"nn.draw(x=…): expected a list of {nin} numbers, got {type(x).__name__}")
    if len(x) != nin:
        raise ValueError(f"nn.draw(x=…): the model has {nin} inputs, got {len(x)}")
    inputs = [v.data if isinstance(v, Value) else v for v in x]
    for i, v in enumerate(inputs):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"nn.draw(x=…): input {i} must be a finite number, got {v!r}")
    values = [[float(v) for v in inputs]]
    acts: Sequence[float] = values[0]
    with no_grad():  # reading the values records no graph and leaves every grad as it is
        for layer in layers:
            acts = [neuron(acts).data for neuron in layer]
            values.append(list(acts))
    return values


def _colour(sign: float, strength: float) -> str:
    """Blue for sign > 0, red for < 0, mixed with white: strength 0 is white, 1 the full colour."""
    rgb = POSITIVE if sign >= 0 else NEGATIVE
    mixed = (round(255 - (255 - c) * strength) for c in rgb)
    return "#{:02x}{:02x}{:02x}".format(*mixed)


def _line(w: float, largest: float) -> dict[str, str]:
    """A weight's line: colour by sign, width and strength growing with |w| / largest |w|."""
    share = abs(w) / largest if largest > 0 else 0.0
    return {"color": _colour(w, 0.25 + 0.75 * share), "penwidth": f"{0.25 + 3.25 * share:.2f}"}


def _fills_of_grads(layers: list[list[Neuron]]) -> list[list[str]]:
    """Each neuron's ∂L/∂b as a fill: white at 0, full blue or red at the model's largest |∂L/∂b|."""
    largest = max(abs(neuron.b.grad) for layer in layers for neuron in layer)
    return [
        [_colour(n.b.grad, abs(n.b.grad) / largest if largest > 0 else 0.0) for n in layer]
        for layer in layers
    ]


def _fills_of_values(values: list[float]) -> list[str]:
    """A layer's activations as fills: white at 0, amber at the layer's largest |value|."""
    largest = max(abs(v) for v in values)
    shares = [abs(v) / largest if largest > 0 else 0.0 for v in values]
    return [f"#ff{round(255 - 64 * s):02x}{round(255 - 200 * s):02x}" for s in shares]


def _column(
    g: graphviz.Digraph,
    head: str,
    title: str,
    names: list[str],
    texts: list[str],
    values: list[float] | None,
    fills: list[str] | None,
) -> None:
    """One layer's circles under its title, kept top to bottom in index order."""
    with g.subgraph(name=f"column_{head}") as column:
        column.attr(rank="same")
        column.node(head, f"<<B>{html.escape(title)}</B>>", id=head, shape="plaintext", fixedsize="false")
        for j, name in enumerate(names):
            text = html.escape(texts[j])
            if values is not None:
                text += f"<BR/>{_short(values[j])}"
            fill = fills[j] if fills else ("#dbeafe" if head == "input" else "#ffffff")
            ink = "white" if _dark(fill) else "black"
            column.node(
                name, f"<{text}>", id=name, style="filled", fillcolor=fill, fontcolor=ink, color="#4b5563"
            )
        for a, b in zip([head, *names], names):  # invisible edges in the column fix its order
            column.edge(a, b, style="invis")


def _dark(fill: str) -> bool:
    """Whether black text would be hard to read on this #rrggbb fill."""
    r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b < 140


def _short(v: float) -> str:
    """A value in the few characters a circle holds: 0.42, −1.3, 0.05, 9e-3, 2e3."""
    if v == 0:
        return "0"
    text = f"{v:.2g}" if 0.01 <= abs(v) < 1000 else f"{v:.0e}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", "−")


def _legend(largest: float, grads: bool, all_zero: bool) -> str:
    what = "∂L/∂w" if grads else "w"
    lines = [
        f"line colour: sign of {what} (blue &gt; 0, red &lt; 0); width by |{what}|, widest = {largest:.3g}",
    ]
    if grads:
        lines.append("fill: ∂L/∂b = ∂L/∂z of each neuron, from the last backward() (blue &gt; 0, red &lt; 0)")
        if all_zero:
            lines.append("every gradient is 0: call loss.backward() first")
    rows = "".join(f'<TR><TD ALIGN="LEFT">{line}</TD></TR>' for line in lines)
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{rows}</TABLE>>'
