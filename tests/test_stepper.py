"""Stepper: the backward pass as steps that act on the real graph, undo exactly and explain."""

from __future__ import annotations

import json
import math
import re

import pytest
from components import require
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd import Value
from autograd.graph import topological_order
from autograd.stepper import Stepper


def same(a: float, b: float) -> bool:
    """Exactly equal, nan equal to nan (the comparison the Stepper promises)."""
    return a == b or (math.isnan(a) and math.isnan(b))


def grads(nodes) -> list[float]:
    return [n.grad for n in nodes]


def assert_same_grads(got, want, where=""):
    bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want, strict=True)) if not same(g, w)]
    assert not bad, f"{where}: grads differ at (position, stepper, backward): {bad}"


# -- the example from the docs -----------------------------------------------------------------


def test_example_explains_the_chain_rule_with_numbers():
    w1, x1 = Value(2.0, "w1"), Value(-3.0, "x1")
    n = w1 * x1
    n.label = "n"
    L = n * 0.5
    L.label = "L"
    s = Stepper(L)
    assert len(s) == 3  # the seed, then L, then n
    assert s.index == -1
    assert s.next().explain() == "grad(L) = ∂L/∂L = 1"
    assert L.grad == 1.0 and n.grad == 0.0
    step = s.next()
    assert step.node is L
    assert step.explain() == "grad(n) += grad(L) · ∂L/∂n = 1.0 × 0.5 = 0.5  (0.0 → 0.5)"
    step = s.next()
    assert step.node is n
    lines = step.explain().splitlines()
    assert lines[0] == "grad(w1) += grad(n) · ∂n/∂w1 = 0.5 × −3.0 = −1.5  (0.0 → −1.5)"
    assert lines[1] == "grad(x1) += grad(n) · ∂n/∂x1 = 0.5 × 2.0 = 1.0  (0.0 → 1.0)"
    assert (w1.grad, x1.grad) == (x1.data * 0.5, w1.data * 0.5)
    c = step.contributions[0]
    assert (c.parent, c.local_grad, c.amount, c.before, c.after) == (w1, x1.data, -1.5, 0.0, -1.5)
    assert s.prev() is s[1]
    assert (w1.grad, x1.grad, n.grad) == (0.0, 0.0, 0.5)


# -- the law: after the last step, exactly backward()'s grads, whatever the graph ----------------

UNARY = ["tanh", "relu", "sigmoid", "sin", "neg", "abs", "square", "times_const", "plus_const", "rsub_const"]
BINARY = ["+", "-", "*", "/1+sq"]
NARY = ["sum", "dot"]

finite = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
op_names = st.sampled_from(UNARY + BINARY + NARY)
instruction = st.tuples(op_names, st.lists(st.integers(0, 10**6), min_size=1, max_size=4), finite)
program = st.tuples(
    st.lists(st.tuples(finite, finite), min_size=1, max_size=5),  # leaves: (data, starting grad)
    st.lists(instruction, max_size=14),
    finite,  # junk left in interior grads, which both backward() and the Stepper must reset
)


def build(prog) -> tuple[Value, list[Value]]:
    """The graph a program describes; operands pick earlier nodes, so subexpressions are shared."""
    leaves, instructions, junk = prog
    nodes = [Value(d, f"x{i}") for i, (d, _) in enumerate(leaves)]
    for leaf, (_, g) in zip(nodes, leaves, strict=False):
        leaf.grad = g
    for name, picks, c in instructions:
        args = [nodes[p % len(nodes)] for p in picks]
        a = args[0]
        b = args[-1]
        if name == "tanh":
            out = a.tanh()
        elif name == "relu":
            out = a.relu()
        elif name == "sigmoid":
            out = a.sigmoid()
        elif name == "sin":
            out = a.sin()
        elif name == "neg":
            out = -a
        elif name == "abs":
            out = abs(a)
        elif name == "square":
            out = a * a  # the same parent twice in one node
        elif name == "times_const":
            out = a * c
        elif name == "plus_const":
            out = c + a
        elif name == "rsub_const":
            out = c - a
        elif name == "+":
            out = a + b
        elif name == "-":
            out = a - b
        elif name == "*":
            out = a * b
        elif name == "/1+sq":
            out = a / (1.0 + b * b)
        elif name == "sum":
            out = ag.sum([*args, c])
        else:
            out = ag.dot(args, [c, *args[1:]])
        out.grad = junk
        nodes.append(out)
    return nodes[-1], nodes


@settings(max_examples=150, deadline=None)
@given(program)
def test_last_step_gives_exactly_the_grads_of_backward(prog):
    root, nodes = build(prog)
    twin, twin_nodes = build(prog)
    s = Stepper(root)
    s.run()
    twin.backward()
    assert_same_grads(grads(nodes), grads(twin_nodes), "after the last step")


@settings(max_examples=100, deadline=None)
@given(program, st.data())
def test_any_walk_of_next_prev_goto_restores_exact_grads(prog, data):
    root, nodes = build(prog)
    before_stepper = grads(nodes)
    s = Stepper(root)
    states = [grads(nodes)]  # states[i + 1]: after step i
    for _ in range(len(s)):
        s.next()
        states.append(grads(nodes))
    for i in data.draw(st.lists(st.integers(-1, len(s) - 1), max_size=6)):
        s.goto(i)
        assert s.index == i
        assert_same_grads(grads(nodes), states[i + 1], f"after goto({i})")
    s.reset()
    assert_same_grads(grads(nodes), states[0], "after reset()")
    # Making the Stepper reset interior grads to 0 and kept leaf grads, as backward() does first.
    for node, was, now in zip(nodes, before_stepper, states[0], strict=True):
        if node in s.nodes and not node.is_leaf:
            assert now == 0.0
        else:
            assert same(now, was)


@settings(max_examples=100, deadline=None)
@given(program)
def test_each_step_passes_on_a_complete_gradient(prog):
    root, _ = build(prog)
    s = Stepper(root)
    s.run()
    final = {node: node.grad for node in s.nodes}
    assert [step.node for step in s[1:]] == [n for n in topological_order(root) if not n.is_leaf]
    for step in s[1:]:
        assert same(step.grad, final[step.node])  # nothing reaches the node after its step
        assert [c.parent for c in step.contributions] == list(step.node.parents)
        for c, local in zip(step.contributions, step.node.local_grads, strict=True):
            assert same(c.local_grad, local)
            assert same(c.amount, local * step.grad)
            assert same(c.after, c.before + c.amount)


# -- special cases -------------------------------------------------------------------------------


def test_leaf_root_accumulates_its_seed_like_backward():
    x, twin = Value(3.0, "x"), Value(3.0, "x")
    x.grad = twin.grad = 0.25
    s = Stepper(x)
    assert len(s) == 1
    first, note = s.next().explain().splitlines()
    assert first == "grad(x) += ∂x/∂x = 1  (0.25 → 1.25)"
    assert note.startswith("note: leaf grads were not 0 when this Stepper was made (grad(x) = 0.25)")
    twin.backward()
    assert x.grad == twin.grad
    s.prev()
    assert x.grad == 0.25


def test_shared_parent_gets_one_contribution_per_use():
    x = Value(3.0, "x")
    y = x * x
    s = Stepper(y)
    s.run()
    (c1, c2) = s[1].contributions
    assert c1.parent is c2.parent is x
    assert c2.before == c1.after
    assert x.grad == 2 * x.data


def test_dot_node_explains_every_operand_but_constants():
    w = [Value(0.5, "w0"), Value(-2.0, "w1")]
    b = Value(0.1, "b")
    out = ag.dot([*w, b], [1.5, 4.0, 1.0])
    s = Stepper(out)
    s.run()
    lines = s[1].explain().splitlines()
    assert [ln.split(" += ")[0] for ln in lines] == ["grad(w0)", "grad(w1)", "grad(b)"]
    assert lines[1].startswith("grad(w1) += grad(L) · ∂L/∂w1 = 1.0 × 4.0 = 4.0")


def test_names_fall_back_to_op_and_position_and_disambiguate_shared_labels():
    a, b = Value(1.0, "w"), Value(2.0, "w")
    h = (a * b).tanh()
    s = Stepper(h + 1.0)
    order = topological_order(s.root)
    names = [s.name(n) for n in order]
    assert names[0] == "L"  # an unlabelled root
    assert names[1] == "tanh#1"
    assert names[2] == "mul#2"
    assert sorted(names[3:]) == [f"w#{order.index(a)}", f"w#{order.index(b)}"]
    two_lines = Value(1.0, "a\nb")
    assert Stepper(two_lines * 2.0)[1].explain().count("\n") == 0
    assert "grad((a\\nb))" in Stepper(two_lines * 2.0)[1].explain()
    x, w = Value(2.0, "x1"), Value(-3.0, "w1")
    xw = x * w
    xw.label = "x1*w1"
    s = Stepper((xw + 1.0).tanh())
    assert s.name(x) == "x1" and s.name(xw) == "(x1*w1)"  # a formula as a label reads as one name
    assert "grad(x1) += grad((x1*w1)) · ∂(x1*w1)/∂x1" in s[3].explain()
    labelled_l = Value(5.0, "L")
    assert Stepper(labelled_l * 2.0).name(labelled_l) == "L"


def test_numbers_are_shown_short_and_with_a_real_minus():
    from autograd.stepper.steps import number

    assert [number(x) for x in (-3.0, 0.5, 1 / 3, 1e-9, float("nan"), -math.inf)] == [
        "−3.0",
        "0.5",
        "0.333333",
        "1e−09",
        "nan",
        "−inf",
    ]


def test_moving_past_either_end_raises():
    s = Stepper(Value(1.0) * 2.0)
    with pytest.raises(IndexError, match="prev"):
        s.prev()
    s.run()
    with pytest.raises(IndexError, match="last step"):
        s.next()
    with pytest.raises(IndexError, match="out of range"):
        s.goto(5)
    assert s.goto(-2) is s[0]  # negative indices count from the end, as in a list


def test_grads_changed_behind_its_back_are_refused():
    x = Value(2.0, "x")
    m = x * x
    y = m.tanh()
    s = Stepper(y)
    s.goto(1)
    y.backward()
    with pytest.raises(RuntimeError, match=r"step 2: x\.grad is .*, expected 0\.0; it was changed outside"):
        s.next()
    s = Stepper(y)
    s.goto(1)
    m.grad = 5.0  # the node about to pass its gradient on
    with pytest.raises(RuntimeError, match=r"step 2: mul#1\.grad is 5\.0, expected"):
        s.next()


def test_value_grads_from_create_graph_are_refused():
    x = Value(2.0, "x")
    (x * x).backward(create_graph=True)
    with pytest.raises(TypeError, match="leaf x holds a Value grad"):
        Stepper(x * 3.0)


def test_not_a_value_is_refused():
    with pytest.raises(TypeError, match="expected a Value, got float"):
        Stepper(1.0)  # type: ignore[arg-type]


def test_deep_chain_needs_no_recursion():
    x = Value(0.5, "x")
    y = x
    for _ in range(20_000):
        y = y * 1.0
    s = Stepper(y)
    s.run()
    assert x.grad == 1.0
    s.reset()
    assert x.grad == 0.0


# -- the HTML player (without a browser: see test_player_browser.py for one) ---------------------


@pytest.fixture
def renderer():
    from autograd.draw.render import RendererNotFoundError, find_renderer

    try:
        find_renderer()
    except RendererNotFoundError as error:
        require(False, f"no Graphviz renderer to draw the player: {error}")


def labelled_graph(label: str) -> Value:
    x, w = Value(1.5, "x"), Value(-2.0, label)
    h = (x * w).tanh()
    h.label = "h"
    return h * h + w


def test_player_is_self_contained_and_escapes_labels(renderer):
    hostile = "</script><!-- <img src=x onerror=alert(1)> & \"'"
    s = Stepper(labelled_graph(hostile))
    page = s._repr_html_()
    assert hostile not in page
    assert page.count("<img") == 1 and '<img src="data:image/png;base64,' in page  # step 0, static
    assert page.count("<script") == 2 and page.count("</script>") == 2
    data = json.loads(
        re.search(r'<script type="application/json" data-gw="data">(.*?)</script>', page).group(1)
    )
    assert data["explain"] == [step.explain() for step in s]
    assert any(hostile in text for text in data["explain"])
    # Nothing to fetch: no external scripts, styles, fonts or images.
    page = page.replace('src="data:image/png;base64,', "")
    assert not re.search(r"<[^<>]*\b(src|href)=|<link|@import|url\((?!#)|https?://(?!www\.w3\.org/)", page)


def test_drawing_the_player_leaves_the_stepper_where_it_was(renderer):
    s = Stepper(labelled_graph("w"))
    s.goto(2)
    before = grads(s.nodes)
    s._repr_html_()
    assert s.index == 2
    assert grads(s.nodes) == before


def test_player_for_a_small_mlp_stays_under_2_mb(renderer, tmp_path):
    import nn

    model = nn.MLP(2, [4, 4, 1], rng=0)
    loss = (model([0.5, -1.5]) - 1.0) ** 2
    path = Stepper(loss).save_html(tmp_path / "mlp.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert path.stat().st_size < 2_000_000


def test_without_a_renderer_the_player_still_steps_through_the_explanations(monkeypatch, tmp_path):
    monkeypatch.setenv("GRADWALK_DOT", str(tmp_path / "no-such-dot"))
    s = Stepper(labelled_graph("w"))
    page = s._repr_html_()
    assert "The graph cannot be drawn" in page and "GRADWALK_DOT" in page
    assert s[-1].explain().splitlines()[0].replace("<", "\\u003c") in page


# -- one chain rule with backward(), bit for bit --------------------------------------------------


def bits(x: float) -> bytes:
    import struct

    return struct.pack("<d", x)


def test_stepper_and_backward_agree_bit_for_bit_even_on_signed_zeros():
    def graph():
        x, w = Value(-2.0, "x"), Value(3.0, "w")
        x.grad = -0.0  # left by an earlier pass: the sign of this zero must survive or not, alike
        z = Value(0.5, "z")
        z.grad = -0.0
        h = (x * w).relu()  # off: passes 0 back to x * w, and 0 · w on to x
        return h * 2.0 + z * -0.0, (x, w, z)

    root, leaves = graph()
    twin, twin_leaves = graph()
    s = Stepper(root)
    s.run()
    twin.backward()
    assert [bits(v.grad) for v in leaves] == [bits(v.grad) for v in twin_leaves]
    inner = [n for n in s.nodes if not n.is_leaf]
    twin_inner = [n for n in topological_order(twin) if not n.is_leaf]
    assert [bits(n.grad) for n in inner] == [bits(n.grad) for n in twin_inner]


def test_backward_steps_come_from_the_engines_own_generator(monkeypatch):
    from autograd import backprop
    from autograd.stepper import steps

    assert steps.backward_steps is backprop.backward_steps  # the one backward() runs
    seen = []

    def spy(root, seed=1.0):
        seen.append(root)
        yield from backprop.backward_steps(root, seed)

    monkeypatch.setattr(steps, "backward_steps", spy)
    x = Value(2.0, "x")
    root = x * x
    s = Stepper(root)
    s.run()
    assert seen == [root] and x.grad == 4.0


# -- forward, update, training iterations ---------------------------------------------------------


def neuron_graph():
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    n = ag.dot([x1, x2, b], [w1, w2, 1.0])
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, (x1, x2, w1, w2, b)


def test_forward_steps_compute_each_node_in_evaluation_order_then_backward_follows():
    o, (x1, _, w1, _, _) = neuron_graph()
    s = Stepper(o, forward=True)
    kinds = [step.kind for step in s]
    assert kinds == ["forward", "forward", "seed", "backward", "backward"]
    n = s[0].node
    assert s[0].explain() == "n = x1·w1 + x2·w2 + b = 2.0·(−3.0) + 0.0·1.0 + 6.88137 = 0.881374"
    assert s[0].value == n.data and s[1].node is o and s[1].value == o.data
    assert s[1].explain() == "o = tanh(n) = tanh(0.881374) = 0.707107"
    assert s[0].writes == () and s[1].writes == ()  # the values are the real ones, computed already
    s.run()
    assert w1.grad == x1.data * n.grad


def test_forward_formulas_for_each_kind_of_op():
    a, c = Value(2.0, "a"), Value(-4.0, "c")
    cases = {
        a + c: "L = a + c = 2.0 + (−4.0) = −2.0",
        a - c: "L = a − c = 2.0 − (−4.0) = 6.0",
        a * -0.5: "L = a·(−0.5) = 2.0·(−0.5) = −1.0",
        a / c: "L = a / c = 2.0 / (−4.0) = −0.5",
        -a: "L = −a = −2.0 = −2.0",
        ag.sum([a, c, 1.0]): "L = a + c + 1.0 = 2.0 + (−4.0) + 1.0 = −1.0",
        a.relu(): "L = relu(a) = relu(2.0) = 2.0",
    }
    for root, text in cases.items():
        assert Stepper(root, forward=True)[0].explain() == text


def test_update_steps_apply_minus_lr_times_grad_exactly_and_undo():
    o, (_, _, w1, w2, b) = neuron_graph()
    s = Stepper(o, lr=0.1, params=[w1, w2, b])
    updates = [step for step in s if step.kind == "update"]
    assert [u.node for u in updates] == [w1, w2, b]
    assert (w1.data, b.data) == (-3.0, 6.8813735870195432)  # making the Stepper changed nothing
    s.goto(updates[0].index - 1)
    g = w1.grad
    s.next()
    assert w1.data == -3.0 - 0.1 * g
    assert updates[0].explain() == f"w1 ← w1 − lr · grad(w1) = −3.0 − 0.1 × 1.0 = {w1.data:.6g}".replace(
        "-", "−"
    )
    s.run()
    assert b.data == 6.8813735870195432 - 0.1 * b.grad
    s.reset()
    assert (w1.data, w2.data, b.data) == (-3.0, 1.0, 6.8813735870195432)
    assert (w1.grad, b.grad) == (0.0, 0.0)


def test_update_by_an_optimiser_replays_its_step_exactly():
    import nn

    def run(stepper: bool):
        model = nn.MLP(2, [3, 1], rng=1)
        opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for i in range(2):  # a momentum buffer from an earlier step shapes this one
            model.zero_grad()
            loss = (model([0.5, -1.5]) - 1.0) ** 2
            if stepper and i == 1:
                before = [p.data for p in model.parameters()]
                s = Stepper(loss, optimizer=opt, params=model)
                assert [p.data for p in model.parameters()] == before
                s.run()
                return [p.data for p in model.parameters()], s
            loss.backward()
            opt.step()
        return [p.data for p in model.parameters()], None

    by_hand, _ = run(False)
    by_stepper, s = run(True)
    assert by_stepper == by_hand
    assert "by SGD.step()" in next(step for step in s if step.kind == "update").explain()


def test_train_plays_iterations_and_the_loss_falls():
    import nn

    model = nn.MLP(1, [1], rng=0)
    twin = nn.MLP(1, [1], rng=0)

    def loss_of(m):
        return lambda: (m([1.5]) - 2.0) ** 2

    start = [p.data for p in model.parameters()]
    s = Stepper.train(loss_of(model), params=model, lr=0.05, iterations=4)
    assert [p.data for p in model.parameters()] == start  # made, then put back
    assert len(s.losses) == 4 and all(a > b for a, b in zip(s.losses, s.losses[1:]))
    kinds = [step.kind for step in s if step.iteration == 0]
    assert kinds[0] == "zero_grad" and "forward" in kinds and kinds[-1] == "update"
    s.run()
    for _ in range(4):  # the same training, written as a loop
        twin.zero_grad()
        loss = loss_of(twin)()
        loss.backward()
        for p in twin.parameters():
            p.data = p.data - 0.05 * p.grad
    assert [p.data for p in model.parameters()] == [p.data for p in twin.parameters()]
    assert [p.grad for p in model.parameters()] == [p.grad for p in twin.parameters()]
    s.reset()
    assert [p.data for p in model.parameters()] == start


def test_bad_update_arguments_are_refused_with_a_reason():
    x = Value(1.0, "x")
    with pytest.raises(ValueError, match=r"lr=… or optimizer=…, not both"):
        Stepper(x * 2.0, lr=0.1, optimizer=object(), params=[x])
    with pytest.raises(ValueError, match=r"needs params="):
        Stepper(x * 2.0, lr=0.1)
    with pytest.raises(TypeError, match=r"lr='a'\): expected a finite real number"):
        Stepper(x * 2.0, lr="a", params=[x])
    with pytest.raises(TypeError, match="step\\(\\) method, got int"):
        Stepper(x * 2.0, optimizer=3, params=[x])
    with pytest.raises(ValueError, match="needs lr=… or optimizer=…"):
        Stepper.train(lambda: x * 2.0, params=[x])
    with pytest.raises(TypeError, match="loss\\(\\) returned float"):
        Stepper.train(lambda: 1.0, params=[x], lr=0.1)
    assert x.data == 1.0 and x.grad == 0.0


def test_no_negative_zero_is_ever_printed():
    x = Value(-0.0, "x")
    w = Value(-1.0, "w")
    s = Stepper((x * w).relu() * -0.0, forward=True, lr=1.0, params=[x, w])
    text = "\n".join(step.explain() for step in s)
    assert "−0.0" not in text and "-0.0" not in text
    from autograd.stepper.steps import number

    assert number(-0.0) == "0.0"


def test_leftover_leaf_grads_are_noted_in_the_first_step():
    o, (x1, *_) = neuron_graph()
    assert Stepper(o).leftover == () and "note" not in Stepper(o)[0].explain()
    x1.grad = 1.0
    s = Stepper(o, forward=True)
    assert s.leftover == ((x1, 1.0),)
    assert "leaf grads were not 0 when this Stepper was made (grad(x1) = 1.0)" in s[0].explain()


# -- the player's records (the browser tests check what they show) -------------------------------


def test_player_data_highlights_the_node_its_parents_and_the_edges_between():
    from autograd.stepper.player import player_data

    o, (x1, *_) = neuron_graph()
    s = Stepper(o, forward=True)
    data = player_data(s)
    order = list(s.nodes)
    k = {node: f"v{order.index(node)}" for node in order}
    n = s[0].node
    backward_n = next(i for i, step in enumerate(s) if step.kind == "backward" and step.node is n)
    _, node, parents, edges, cells = data["steps"][backward_n]
    assert node == k[n]
    assert parents == [k[p] for p in n.parents]
    kn = order.index(n)
    assert edges == [f"op{kn}", f"e{kn}"] + [f"e{kn}_{i}" for i in (0, 1, 2, 3, 4)]
    assert {c[0] for c in cells} <= {f"{k[p]}-g" for p in n.parents}
    assert [f"{k[x1]}-g", "−1.5"] in [c[:2] for c in cells] or [f"{k[x1]}-g", "-1.5"] in [
        c[:2] for c in cells
    ]
    assert data["base"][0][f"{k[n]}-d"] == "?"  # before the forward pass reaches it
    assert data["steps"][0][4] == [[f"{k[n]}-d", "0.8814", "?"]]


def test_player_highlights_the_box_a_folded_node_is_in(renderer):
    import nn
    from autograd.draw import elements
    from autograd.stepper.player import player_data

    model = nn.MLP(2, [3, 1], rng=0)
    loss = (model([0.5, -1.5]) - 1.0) ** 2
    s = Stepper(loss, params=model)
    data = player_data(s)
    order = list(s.nodes)
    element = elements(loss, params=model)
    for i, step in enumerate(s):
        if step.kind == "backward" and element[step.node] != f"v{order.index(step.node)}":
            assert data["steps"][i][1] == element[step.node]  # the box, highlighted
            assert data["steps"][i][1].startswith("v")
            break
    else:
        raise AssertionError("no step on a folded node")


def test_a_label_like_an_svg_reference_stays_plain_text(renderer):
    from autograd.stepper.player import player_html

    x = Value(2.0, "url(#v2)")
    page = player_html(Stepper(x * 3.0))
    assert "(url(#v2))" in page  # in the drawn name, in the script's copy of the picture
    assert "gw-stepper-" not in re.sub(r'"[^"]*"', "", page.split("(url(#v2))", 1)[0])[-40:]
    assert not re.search(r"url\(#gw-stepper-[0-9a-f]+-s0-v2\)", page)


def test_a_renderer_that_writes_bad_utf8_leaves_the_explanations_working(monkeypatch, tmp_path):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\ncat > /dev/null\nprintf '\\377\\376<svg>'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("GRADWALK_DOT", str(fake))
    s = Stepper(labelled_graph("w"))
    page = s._repr_html_()
    assert "The graph cannot be drawn" in page
    assert s[-1].explain().splitlines()[0].replace("<", "\\u003c") in page


def test_a_200_node_chain_makes_a_small_page_quickly(renderer, tmp_path):
    import time

    x = Value(0.5, "x")
    y = x
    for _ in range(100):
        y = (y * 1.01).tanh()
    t = time.perf_counter()
    path = Stepper(y, forward=True).save_html(tmp_path / "chain.html")
    elapsed = time.perf_counter() - t
    assert path.stat().st_size < 1_500_000
    assert elapsed < 20


def test_the_mime_bundle_has_the_player_with_a_static_picture_and_no_bare_svg(renderer):
    s = Stepper(labelled_graph("w"))
    bundle = s._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    html_part = bundle["text/html"]
    static = html_part.split('data-gw="static"', 1)[1].split("</div>", 1)[0]
    assert '<img src="data:image/png;base64,' in static
    # Outside the scripts there is no <svg>: a sanitizer would spill its text as a paragraph.
    outside = re.sub(r"<script\b.*?</script>", "", html_part, flags=re.DOTALL)
    assert "<svg" not in outside


# -- what a notebook stores: a PNG of step 0, then the player hidden until its script runs ---------


def notebook_outputs_of(s: Stepper) -> list:
    """What IPython publishes for s, as (data, metadata) pairs: the Stepper's `_ipython_display_`."""
    import importlib.util

    require(importlib.util.find_spec("IPython") is not None, "IPython is not installed (test extra)")
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    with capture_output() as captured:
        InteractiveShell.instance().display_formatter.format(s)  # what a cell's last line does
    return [(out.data, out.metadata) for out in captured.outputs]


def player_comment(player: str) -> dict:
    comments = re.findall(r"<!--(.*?)-->", player, flags=re.DOTALL)
    assert len(comments) == 1, "the player's data is one HTML comment"
    return json.loads(comments[0])


def test_ipython_shows_a_png_of_step_0_then_the_hidden_player(renderer):
    import base64
    import struct

    s = Stepper(labelled_graph("w"))
    (picture, picture_meta), (player, player_meta) = notebook_outputs_of(s)
    assert set(picture) == {"image/png", "text/plain"} and picture["text/plain"] == repr(s)
    png = base64.b64decode(picture["image/png"])
    assert png.startswith(b"\x89PNG")
    pixels = struct.unpack(">I", png[16:20])[0]
    assert picture_meta == {"image/png": {"width": pixels // 2}}  # a 2x picture at its CSS size
    # The player: text/html alone (no text line to show twice), hidden by attribute and classes.
    assert set(player) == {"text/html"} and player_meta == {}
    html_part = player["text/html"]
    opening = html_part.split(">", 1)[0]
    assert " hidden" in opening and "lm-Widget lm-mod-hidden hidden" in opening
    data = player_comment(html_part)
    assert data["explain"] == [step.explain() for step in s]
    assert data["picture"] in picture["image/png"]  # how the script finds the PNG to hide
    # Nothing but the comment and one script: no text, picture or style a sanitizer could spill.
    body = re.sub(r"<!--.*?-->|<script>.*?</script>", "", html_part, flags=re.DOTALL)
    assert re.sub(r"<div\b[^>]*>|</div>|\s", "", body) == ""
    assert html_part.count("<script") == 1 and "<img" not in html_part and "<style" not in html_part


def test_a_label_cannot_end_the_players_comment(renderer):
    hostile = "a-->b--!><!-- c ---"
    s = Stepper(labelled_graph(hostile))
    (_, _), (player, _) = notebook_outputs_of(s)
    html_part = player["text/html"]
    assert html_part.count("-->") == 1 and html_part.count("<!--") == 1
    data = player_comment(html_part)
    assert any(hostile in text for text in data["explain"])


def test_a_sanitizer_leaves_the_player_hidden_and_its_data_out(renderer):
    """nbconvert's sanitizer (bleach) keeps a div's class, drops comments and escapes the script."""
    import importlib.util

    require(importlib.util.find_spec("nbconvert") is not None, "nbconvert is not installed (test extra)")
    from nbconvert.filters.strings import clean_html

    s = Stepper(labelled_graph("w"))
    (_, _), (player, _) = notebook_outputs_of(s)
    clean = clean_html(player["text/html"])
    assert "lm-Widget lm-mod-hidden hidden" in clean.split(">", 1)[0]  # still hidden by class
    assert not re.search(r"<!--|&lt;!--|&lt;svg", clean)  # the data is gone with the comment
    assert s[1].explain().splitlines()[0] not in clean
    assert clean.count("<div") == 1 and clean.rstrip().endswith("</div>")  # the script inside it


def test_without_a_renderer_ipython_shows_why_and_the_player_still_steps(monkeypatch, tmp_path):
    monkeypatch.setenv("GRADWALK_DOT", str(tmp_path / "no-such-dot"))
    s = Stepper(labelled_graph("w"))
    (picture, _), (player, _) = notebook_outputs_of(s)
    assert set(picture) == {"text/plain"}
    assert "The graph cannot be drawn" in picture["text/plain"] and "GRADWALK_DOT" in picture["text/plain"]
    data = player_comment(player["text/html"])
    assert data["svgs"] == [] and "GRADWALK_DOT" in data["problem"] and "picture" not in data
