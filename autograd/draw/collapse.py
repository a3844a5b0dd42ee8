"""What to draw of a big graph: which Values are folded into a box, and the note that says so.

Three steps, each used only while the picture is still too big:
1. neurons: a node with parameter parents (a neuron's dot or sum), together with the sums that
   add such nodes up and the parameters used nowhere else, becomes one box showing its output;
2. chains: a long run of nodes that each have one parent and one consumer keeps its two ends
   and shows the middle as one "… n ops …" box;
3. the rest: a breadth-first walk from the root keeps the first max_nodes boxes, and no more
   than max_depth(max_nodes) levels (a deep graph would otherwise be drawn thousands of ranks
   long); everything beyond is one "… n more values …" box.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from autograd.graph import consumer_counts, topological_order
from autograd.value import Value

#: Nodes kept at each end of an elided chain, so the reader sees how it starts and ends.
CHAIN_ENDS = 2


def max_depth(max_nodes: int) -> int:
    """How many levels from the root a collapsed drawing keeps: enough for max_nodes/10 of them."""
    return max(24, max_nodes // 10)


def max_breadth(max_nodes: int) -> int:
    """How many operands of one node a collapsed drawing keeps (the rest join "… n more values …")."""
    return max(16, max_nodes // 10)


def plural(n: int, word: str) -> str:
    """'1 neuron', '2 neurons', '20,000 neurons'."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


@dataclass
class Box:
    """Values drawn as one node: a neuron, an elided chain, or everything beyond the budget."""

    name: str  # the DOT node name and SVG id
    kind: str  # "neuron", "chain" or "more"
    members: list[Value] = field(default_factory=list)
    output: Value | None = None  # the Value the box shows (a neuron's output)
    n_params: int = 0
    activation: str = ""  # the op applied to a neuron's weighted sum, folded into its box


@dataclass
class Plan:
    """The graph in topological order, and the Values hidden in boxes."""

    order: list[Value]
    index: dict[Value, int]
    params: frozenset[Value]
    boxes: list[Box] = field(default_factory=list)
    hidden: dict[Value, Box] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: In a collapsed plan, each drawn Value's longest distance (in Values) from the root.
    depth: dict[Value, int] = field(default_factory=dict)

    def element(self, node: Value) -> str:
        """The name of the DOT node that shows `node`: its own, or its box's."""
        box = self.hidden.get(node)
        return box.name if box is not None else f"v{self.index[node]}"

    def visible(self) -> list[Value]:
        """The Values drawn as their own node, in topological order."""
        return [node for node in self.order if node not in self.hidden]


def plan(root: Value, params: frozenset[Value], max_nodes: int, collapse: bool | None) -> Plan:
    """Everything under root, folded as far as needed to fit max_nodes (or as `collapse` says)."""
    order = topological_order(root)
    result = Plan(order, {node: i for i, node in enumerate(order)}, params)
    total = len(order)
    big = total > max_nodes
    if collapse is False or not (collapse or big or params):
        return result
    counts = consumer_counts(root)
    if params:
        _fold_neurons(result, counts)
    if _size(result) > max_nodes or collapse:
        _elide_chains(result, counts, root)
    if _size(result) > max_nodes:
        _keep_nearest(result, root, max_nodes)
    if result.hidden:
        result.depth = _depths(result)
        how = f"raise max_nodes to {total} or pass collapse=False" if big and not params else "collapse=False"
        folded = len(result.hidden)
        result.notes.append(f"{total:,} values in all, {folded:,} folded or hidden; {how} to draw every one")
    return result


def _size(p: Plan) -> int:
    """The number of nodes the picture would have for its Values (boxes count one each)."""
    return len(p.order) - len(p.hidden) + len(p.boxes)


def _fold_neurons(p: Plan, counts: dict[Value, int]) -> None:
    box_of: dict[Value, Box] = {}
    for node in reversed(p.order):  # parents before consumers
        parents = node.parents
        if node in p.params or not parents:
            continue
        touches_param = any(parent in p.params for parent in parents)
        # Boxes whose output only this node consumes: a sum adding up w_i * x_i joins them.
        feeding = {id(box_of[q]): box_of[q] for q in parents if q in box_of and counts[q] == 1}
        adds_up = (
            node.op in ("+", "sum")
            and feeding
            and all(q in p.params or (q in box_of and counts[q] == 1) for q in parents)
        )
        if not (touches_param or adds_up):
            continue
        boxes = list(feeding.values()) if adds_up else []
        box = boxes[0] if boxes else Box("", "neuron")
        for other in boxes[1:]:
            box.members += other.members
            for member in other.members:
                box_of[member] = box
        box.members.append(node)
        box.output = node
        box_of[node] = box
    boxes = list({id(box): box for box in box_of.values()}.values())
    _fold_activations(p, counts, boxes, box_of)
    # A parameter folds into its neuron when nothing outside that neuron uses it.
    uses: dict[Value, list[Box]] = {}
    for box in boxes:
        for member in box.members:
            for parent in member.parents:
                if parent in p.params:
                    uses.setdefault(parent, []).append(box)
    for param, users in uses.items():
        if len(users) == counts[param] and all(user is users[0] for user in users):
            users[0].members.append(param)
            users[0].n_params += 1
    reading = reading_order(p.order[0])
    for box in sorted(boxes, key=lambda box: reading[box.output]):  # type: ignore[index]
        box.name = f"v{p.index[box.output]}"
        p.boxes.append(box)
        for member in box.members:
            p.hidden[member] = box
    if p.boxes:
        n_params = sum(box.n_params for box in p.boxes)
        drawn = "drawn as a box" if len(p.boxes) == 1 else "drawn as boxes"
        inside = plural(n_params, "parameter")
        p.notes.append(f"{plural(len(p.boxes), 'neuron')} {drawn}, with {inside} inside")


def _fold_activations(
    p: Plan, counts: dict[Value, int], boxes: Iterable[Box], box_of: dict[Value, Box]
) -> None:
    """A one-operand op (relu, tanh, …) that alone reads a neuron's sum joins the neuron's box."""
    sums = {box.output: box for box in boxes if counts[box.output] == 1}  # type: ignore[index]
    for node in p.order:
        if node in p.params or node in box_of:
            continue
        parents = node.parents
        if len(parents) == 1 and parents[0] in sums and node.operands == parents:
            box = sums[parents[0]]
            box.members.append(node)
            box.output = node
            box.activation = node.op
            box_of[node] = box


def _elide_chains(p: Plan, counts: dict[Value, int], root: Value) -> None:
    # A node inside a chain has one parent and one consumer; map each to its parent and consumer.
    parent_of: dict[Value, Value] = {}
    consumer: dict[Value, Value] = {}
    for node in p.order:
        parents = node.parents
        for parent in parents:
            if counts[parent] == 1:
                consumer[parent] = node
        if (
            len(parents) == 1
            and counts[node] == 1
            and node is not root
            and node not in p.hidden
            and parents[0] not in p.hidden
        ):
            parent_of[node] = parents[0]
    hidden = 0
    for top in parent_of:
        if consumer[top] in parent_of:
            continue  # not the top of a run
        run = [top]
        while parent_of[run[-1]] in parent_of:
            run.append(parent_of[run[-1]])
        middle = run[CHAIN_ENDS:-CHAIN_ENDS]
        if len(middle) < 2:
            continue
        box = Box(f"skip{p.index[middle[0]]}", "chain", middle)
        p.boxes.append(box)
        for node in middle:
            p.hidden[node] = box
        hidden += len(middle)
    if hidden:
        p.notes.append(f"long chains shortened: {hidden:,} ops shown as '… n ops …'")


def reading_order(root: Value) -> dict[Value, int]:
    """Each node's place in a depth-first walk from root that takes operands in written order.

    Neurons of one layer are operands of the next layer's neurons in index order, so this puts
    them in index order too (n0, n1, …, n15), as a reader expects.
    """
    place: dict[Value, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if node in place:
            continue
        place[node] = len(place)
        stack.extend(reversed(node.parents))
    return place


def _keep_nearest(p: Plan, root: Value, max_nodes: int) -> None:
    kept: set[str] = set()
    seen = {root}
    level = [root]
    breadth = max_breadth(max_nodes)
    for _depth in range(max_depth(max_nodes)):
        following: list[Value] = []
        for node in level:
            if len(kept) >= max_nodes:
                break
            kept.add(p.element(node))
            for parent in node.parents[:breadth]:
                if parent not in seen:
                    seen.add(parent)
                    following.append(parent)
        if not following or len(kept) >= max_nodes:
            break
        level = following
    more = Box("more", "more")
    for node in p.order:
        if p.element(node) not in kept:
            more.members.append(node)
    if not more.members:
        return
    p.boxes = [box for box in p.boxes if box.name in kept]
    for node in more.members:
        p.hidden[node] = more
    p.boxes.append(more)
    p.notes.append(f"{plural(len(more.members), 'value')} farthest from the output not drawn")


def _depths(p: Plan) -> dict[Value, int]:
    """Each drawn Value's longest distance from the root through drawn Values (about its rank / 2)."""
    depth: dict[Value, int] = {}
    for node in p.order:  # consumers before parents
        if node in p.hidden:
            continue
        d = depth.setdefault(node, 0) + 1
        for parent in node.parents:
            if parent not in p.hidden and depth.get(parent, -1) < d:
                depth[parent] = d
    return depth
