"""The DOT description of a planned picture: record nodes for Values, small nodes for ops.

User text (labels, op names) only ever reaches DOT inside HTML-like labels, escaped by
`format.label_html`; every other attribute is built here from numbers and fixed names.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from autograd.draw.collapse import Box, Plan, plural
from autograd.draw.format import constant, html, label_html, number
from autograd.value import Value

if TYPE_CHECKING:
    import graphviz

FONT = "Helvetica"
HIGHLIGHT = "#dc2626"
#: Fill colour of each kind of node, in the order the legend lists them.
COLOURS = {
    "input": "#dbeafe",
    "parameter": "#fde68a",
    "constant": "#e5e7eb",
    "output": "#bbf7d0",
    "neuron": "#fef3c7",
}
INTERIOR = "#ffffff"
#: A Value's record: cells side by side, split by light rules (<VR/>), on the node's fill.
RECORD_TABLE = 'BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLOR="#9ca3af"'
OP_FILL = "#f3f4f6"
LINE = "#4b5563"
#: Edges between neuron boxes: a layer of 16 feeding 16 is 256 of them, so they are thin and light.
NEURON_EDGE = {"color": "#9ca3af", "penwidth": "0.6", "arrowsize": "0.4"}
#: More edges than this from one node into one op are drawn as one edge labelled "×n".
PARALLEL_EDGES = 3
#: More constant operands than this of one op are drawn as one "n constants" node.
CONSTANTS_SHOWN = 8
#: In a collapsed drawing, a Value used this many levels above where it is drawn (a weight shared
#: by every step of a long loop) is shown there by a small dashed reference instead of an edge:
#: edges spanning hundreds of ranks make Graphviz's layout take minutes.
REFERENCE_SPAN = 3


class Style:
    """The drawing options, and the node kinds used so far (for the legend)."""

    def __init__(
        self,
        *,
        show_data: bool,
        show_grad: bool,
        show_local_grads: bool,
        highlight: Collection[str],
        digits: int,
        names: Mapping[Value, str] | None = None,
        cell_text: Mapping[Value, tuple[str, str]] | None = None,
    ) -> None:
        self.show_data = show_data
        self.show_grad = show_grad
        self.show_local_grads = show_local_grads
        self.highlight = highlight
        self.digits = digits
        self.names = names or {}
        self.cell_text = cell_text or {}
        self.kinds: set[str] = set()

    def num(self, x: float | Value) -> str:
        x = x.data if isinstance(x, Value) else x
        return number(0.0 if x == 0 else x, self.digits)  # never a negative zero

    def name(self, node: Value) -> str:
        """The name drawn on node: the one given in `names`, else its label ('' for none)."""
        return self.names.get(node, node.label)

    def data(self, node: Value) -> str:
        """The text of node's data cell (without 'data '): the one given in `cell_text`, else its number."""
        given = self.cell_text.get(node)
        return html(given[0]) if given is not None else self.num(node.data)

    def grad(self, node: Value) -> str:
        given = self.cell_text.get(node)
        return html(given[1]) if given is not None else self.num(node.grad)

    def const(self, x: float) -> str:
        return constant(0.0 if x == 0 else x, self.digits)  # never a negative zero


def build(p: Plan, root: Value, style: Style, rankdir: str) -> graphviz.Digraph:
    """The Digraph for plan p: see `autograd.draw.draw` for the element ids."""
    import graphviz

    g = graphviz.Digraph(
        "gradwalk",
        graph_attr={
            "rankdir": rankdir,
            "bgcolor": "white",
            "fontname": FONT,
            "fontsize": "11",
            "nodesep": "0.2",
            "ranksep": "0.3",
            "labelloc": "b",
            "labeljust": "l",
        },
        node_attr={"fontname": FONT, "fontsize": "12", "color": LINE},
        edge_attr={"fontname": FONT, "fontsize": "9", "color": LINE, "arrowsize": "0.6"},
    )
    params = p.params
    boxed = frozenset(box.name for box in p.boxes)
    for node in reversed(p.visible()):  # inputs first, so DOT text reads like the computation
        k = p.index[node]
        kind = "output" if node is root else "parameter" if node in params else ""
        kind = kind or ("input" if node.is_leaf else "")
        _value_node(g, f"v{k}", node, kind, style)
        if not node.is_leaf:
            _op_node(g, p, node, k, style, boxed)
    wide = False
    for box in p.boxes:
        _box_node(g, box, style)
        wide = _box_inputs(g, p, box, boxed) or wide
    if any(box.kind == "neuron" for box in p.boxes):
        # Neurons in index order: the boxes come in that order, and each node's edges into them
        # keep it. Many edges between two layers of boxes need room to be told apart.
        g.attr(ordering="out", ranksep="1.5" if wide else "0.5")
    notes = list(p.notes)
    if "reference" in style.kinds:
        notes.append("a dashed box stands for a value drawn elsewhere, used again far from it")
    g.attr(label=_legend(style, notes))
    return g


def _value_node(g: graphviz.Digraph, name: str, node: Value, kind: str, style: Style) -> None:
    cells = []
    title = style.name(node)
    if title:
        cells.append(f"<B>{label_html(title)}</B>")
    if style.show_data:
        cells.append(f"data {style.data(node)}")
    if style.show_grad:
        cells.append(f"grad {style.grad(node)}")
    if kind:
        style.kinds.add(kind)
    _record(g, name, cells or ["&#160;"], COLOURS.get(kind, INTERIOR), style, "box")


def _record(g: graphviz.Digraph, name: str, cells: list[str], fill: str, style: Style, shape: str) -> None:
    row = "<VR/>".join(f"<TD>{cell}</TD>" for cell in cells)
    table = f"<<TABLE {RECORD_TABLE}><TR>{row}</TR></TABLE>>"
    lit = name in style.highlight
    g.node(
        name,
        table,
        id=name,
        shape=shape,
        style="filled,rounded" if shape != "box" else "filled",
        fillcolor=fill,
        margin="0.02",
        color=HIGHLIGHT if lit else LINE,
        penwidth="3" if lit else "1",
    )


def _op_node(g: graphviz.Digraph, p: Plan, node: Value, k: int, style: Style, boxed: frozenset[str]) -> None:
    op_name = f"op{k}"
    g.node(
        op_name,
        f"<{label_html(node.op, 16)}>",
        id=op_name,
        shape="ellipse",
        style="filled",
        fillcolor=OP_FILL,
        fontsize="11",
        width="0.3",
        height="0.3",
        margin="0.04,0.02",
    )
    g.edge(op_name, f"v{k}", id=f"e{k}")
    grads = node.local_grads
    # Value operands by the DOT node that shows them, in written order: (operand index, local grad).
    sources: dict[str, list[tuple[int, float]]] = {}
    constants: list[tuple[int, float]] = []
    slot = 0
    for i, operand in enumerate(node.operands):
        if isinstance(operand, Value):
            sources.setdefault(p.element(operand), []).append((i, grads[slot]))
            slot += 1
        else:
            constants.append((i, operand))  # type: ignore[arg-type]
    for source, uses in sources.items():
        # One edge per use, unless that would be a bundle (a sum over a hidden box's thousands).
        if len(uses) > PARALLEL_EDGES or (len(uses) > 1 and source in boxed):
            g.edge(source, op_name, f"<×{len(uses):,}>", id=f"e{k}_{uses[0][0]}", penwidth="2")
            continue
        for i, grad in uses:
            label = f"<∂={style.num(grad)}>" if style.show_local_grads else None
            far = p.depth and source not in boxed and _span(p, source, node) > REFERENCE_SPAN
            if far:
                source = _reference(g, p, source, f"r{k}_{i}", style)
            g.edge(source, op_name, label, id=f"e{k}_{i}")
    if constants:
        style.kinds.add("constant")
    if len(constants) > CONSTANTS_SHOWN:
        name = f"c{k}_{constants[0][0]}"
        _constant_node(g, name, f"{plural(len(constants), 'constant')}")
        g.edge(name, op_name, f"<×{len(constants):,}>", id=f"e{k}_{constants[0][0]}", penwidth="2")
        return
    for i, value in constants:
        _constant_node(g, f"c{k}_{i}", style.const(value))
        g.edge(f"c{k}_{i}", op_name, id=f"e{k}_{i}")


def _span(p: Plan, source: str, consumer: Value) -> int:
    """How many levels an edge from the drawn Value `source` (named v{k}) up to consumer crosses."""
    value = p.order[int(source[1:])]
    return p.depth[value] - p.depth[consumer] - 1


def _reference(g: graphviz.Digraph, p: Plan, source: str, name: str, style: Style) -> str:
    """A small dashed box naming the Value drawn as `source`, to stand for it far from there."""
    value = p.order[int(source[1:])]
    name_of = style.name(value)
    text = label_html(name_of) if name_of else f"{source} = {style.num(value.data)}"
    style.kinds.add("reference")
    g.node(name, f"<{text}>", id=name, shape="box", style="dashed,rounded", fontsize="10", margin="0.04,0.02")
    return name


def _constant_node(g: graphviz.Digraph, name: str, text: str) -> None:
    g.node(
        name,
        f"<{html(text)}>",
        id=name,
        shape="box",
        style="filled,rounded",
        fillcolor=COLOURS["constant"],
        fontsize="10",
        width="0.2",
        height="0.2",
        margin="0.04,0.02",
    )


def _box_node(g: graphviz.Digraph, box: Box, style: Style) -> None:
    if box.kind == "neuron":
        out = box.output
        assert out is not None
        name = style.name(out)
        named = name and name != "neuron"  # an unnamed nn.Neuron labels its output "neuron"
        title = "neuron" + (f" {label_html(name)}" if named else "")
        params = f"{box.n_params} param" + ("" if box.n_params == 1 else "s")
        activation = f" · {label_html(box.activation, 16)}" if box.activation else ""
        cells = [f"<B>{title}</B> · {params}{activation}", f"out {style.data(out)}"]
        if style.show_grad:
            cells.append(f"grad {style.grad(out)}")
        style.kinds.add("neuron")
        _record(g, box.name, cells, COLOURS["neuron"], style, "box")
        return
    text = f"… {len(box.members):,} ops …" if box.kind == "chain" else f"… {len(box.members):,} more values …"
    lit = box.name in style.highlight
    g.node(
        box.name,
        f"<{html(text)}>",
        id=box.name,
        shape="box",
        style="dashed,rounded",
        fontsize="11",
        color=HIGHLIGHT if lit else LINE,
        penwidth="3" if lit else "1",
    )


def _box_inputs(g: graphviz.Digraph, p: Plan, box: Box, boxed: frozenset[str]) -> bool:
    """Edges into a box from what outside it its members read (once each); True if many are boxes."""
    if box.kind == "more":
        return False
    members = set(box.members)
    sources: dict[str, None] = {}
    for member in box.members:
        for parent in member.parents:
            if parent not in members:
                sources[p.element(parent)] = None
    sources.pop(box.name, None)
    from_boxes = [source for source in sources if source in boxed]
    for source in sources:
        if source in boxed:
            g.edge(source, box.name, id=f"{box.name}_in_{source}", **NEURON_EDGE)
        else:
            g.edge(source, box.name, id=f"{box.name}_in_{source}")
    return len(from_boxes) > 4


def _legend(style: Style, notes: list[str]) -> str:
    """The graph label: a colour key for the kinds of node drawn, and the notes on what is hidden."""
    shown = [(kind, fill) for kind, fill in COLOURS.items() if kind in style.kinds and kind != "reference"]
    keys = [f'<TD BGCOLOR="{fill}" BORDER="1">{kind}</TD>' for kind, fill in shown]
    if style.highlight:
        keys.append(f'<TD BORDER="2" COLOR="{HIGHLIGHT}">highlighted</TD>')
    rows = []
    if keys:
        key_table = f'<TABLE ALIGN="LEFT" BORDER="0" CELLSPACING="3"><TR>{"".join(keys)}</TR></TABLE>'
        rows.append(f'<TR><TD ALIGN="LEFT">{key_table}</TD></TR>')
    rows += [f'<TR><TD ALIGN="LEFT">{html(note)}</TD></TR>' for note in notes]
    if not rows:
        return ""
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(rows)}</TABLE>>'
