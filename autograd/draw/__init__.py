"""Drawing computation graphs with Graphviz: `draw(root)` returns a `Graph`.

Sits on top of the engine: the engine knows nothing of drawing, and `graphviz` is imported
only when a picture is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from autograd.draw.collapse import plan
from autograd.draw.dot import Style, build
from autograd.draw.graph import Graph
from autograd.draw.render import RendererNotFoundError, RenderError, RenderTimeoutError
from autograd.value import Value

__all__ = ["Graph", "RenderError", "RenderTimeoutError", "RendererNotFoundError", "draw", "elements"]


def draw(
    root: Value,
    *,
    rankdir: str = "LR",
    show_data: bool = True,
    show_grad: bool = True,
    show_local_grads: bool = False,
    highlight: Iterable[Value] | Value = (),
    max_nodes: int = 300,
    params: Iterable[object] | object = None,
    collapse: bool | None = None,
    digits: int = 4,
    timeout: float | None = 30.0,
    names: Mapping[Value, str] | None = None,
    cell_text: Mapping[Value, tuple[str, str]] | None = None,
) -> Graph:
    """Draw the graph of everything `root` depends on.

    Each Value is a box `label | data | grad`; each op a small oval between its inputs and its
    result; number operands are small grey boxes feeding the op. Colours tell inputs (leaves),
    parameters, constants and the output (root) apart, with a legend.

    - `show_local_grads`: write ∂result/∂input on each edge into an op.
    - `highlight`: Values to outline in red.
    - `params`: parameters (Values, or anything with `.parameters()` such as an nn module),
      coloured as parameters. A model's graph is only readable with its neurons folded, so
      given `params` each neuron is drawn as one box holding its parameters (pass
      `collapse=False` to draw every parameter).
    - `max_nodes`: above this many Values the graph is drawn collapsed (neurons as boxes,
      long chains as "… n ops …", what is farther than max_nodes Values, or max(24,
      max_nodes/10) levels, from the root as "… n more values …"), with a note saying what is
      hidden; `collapse=True`/`False` forces it on or off. Whatever the graph's shape, the DOT
      text stays bounded by max_nodes: more than 3 edges from one node into one op are one edge
      labelled "×n", more than 8 constants of one op one "n constants" node, and in a collapsed
      drawing a Value used far above where it is drawn (a weight shared by a long loop) is
      shown there by a small dashed reference.
    - `digits`: significant digits of data and grads (a constant is shown exactly, up to 12
      digits, else rounded with "…": `z * 1.0001` never reads `z * 1`).
    - `timeout`: seconds the renderer may run (None: no limit; Ctrl-C stops it either way).
    - `names`: the name to draw on each Value given (instead of its label), shown as plain text.
    - `cell_text`: for each Value given, the (data, grad) texts to draw instead of its numbers.

    SVG element ids are stable, from each Value's position k in
    `autograd.graph.topological_order(root)` (the root is 0): `v{k}` is Value k (or the neuron
    box whose output is Value k), `op{k}` the op that made it, `c{k}_{i}` its constant operand
    i, `e{k}` the edge from op k to Value k, `e{k}_{i}` the edge of operand i into op k,
    `skip{k}` an elided chain starting at Value k, `more` the Values beyond max_nodes, and
    `r{k}_{i}` a reference standing for operand i of op k.
    """
    if not isinstance(root, Value):
        raise TypeError(_not_a_value(root))
    if not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw(max_nodes={max_nodes!r}): expected a positive int")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw(rankdir={rankdir!r}): expected one of 'LR', 'RL', 'TB', 'BT'")
    p = plan(root, _params(params), max_nodes, collapse)
    lit = {p.element(node) for node in _highlighted(highlight, p.index)}
    style = Style(
        show_data=show_data,
        show_grad=show_grad,
        show_local_grads=show_local_grads,
        highlight=lit,
        digits=digits,
        names=names,
        cell_text=cell_text,
    )
    return Graph(build(p, root, style, rankdir), timeout=timeout)


def elements(
    root: Value,
    *,
    params: Iterable[object] | object = None,
    max_nodes: int = 300,
    collapse: bool | None = None,
) -> dict[Value, str]:
    """The SVG element id that shows each Value in `draw(root, ...)` with the same options:
    its own `v{k}`, or the id of the box it is folded into."""
    p = plan(root, _params(params), max_nodes, collapse)
    return {node: p.element(node) for node in p.order}


def _not_a_value(root: object) -> str:
    """The error for draw(root) of something that is not a Value, with what was likely meant."""
    message = f"draw(root): expected a Value, got {type(root).__name__}"
    if callable(getattr(root, "parameters", None)):  # a model: draw what it computes, or the network
        message += (
            "; to draw a model's computation pass its output, e.g. draw(model(x), params=model), "
            "or draw the network itself with nn.draw(model)"
        )
    return message


def _params(params: object) -> frozenset[Value]:
    """The parameter Values in `params`: Values, modules with .parameters(), or iterables of either."""
    if params is None:
        return frozenset()
    found: set[Value] = set()
    stack = [params]
    while stack:
        item = stack.pop()
        if isinstance(item, Value):
            found.add(item)
        elif callable(getattr(item, "parameters", None)):
            stack.extend(item.parameters())
        elif isinstance(item, Iterable) and not isinstance(item, (str, bytes)):
            stack.extend(item)
        else:
            raise TypeError(
                f"draw(params=…): expected Values or modules with .parameters(), got {type(item).__name__}"
            )
    return frozenset(found)


def _highlighted(highlight: Iterable[Value] | Value, index: dict[Value, int]) -> list[Value]:
    items = [highlight] if isinstance(highlight, Value) else list(highlight)
    for item in items:
        if not isinstance(item, Value):
            raise TypeError(f"draw(highlight=…): expected Values, got {type(item).__name__}")
        if item not in index:
            raise ValueError(f"draw(highlight=…): {item!r} is not in the graph of root")
    return items
