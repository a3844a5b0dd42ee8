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
    assert s.next().explain() == "∂L/∂L = 1"
    assert L.grad == 1.0 and n.grad == 0.0
    step = s.next()
    assert step.node is L
    assert step.explain() == "∂L/∂n += ∂L/∂L · ∂L/∂n = 1.0 × 0.5 = 0.5  (n.grad: 0.0 → 0.5)"
    step = s.next()
    assert step.node is n
    lines = step.explain().splitlines()
    assert lines[0] == "∂L/∂w1 += ∂L/∂n · ∂n/∂w1 = 0.5 × −3.0 = −1.5  (w1.grad: 0.0 → −1.5)"
    assert lines[1] == "∂L/∂x1 += ∂L/∂n · ∂n/∂x1 = 0.5 × 2.0 = 1.0  (x1.grad: 0.0 → 1.0)"
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
    assert s.next().explain() == "∂x/∂x = 1  (x.grad: 0.25 → 1.25)"
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
    assert [ln.split(" += ")[0] for ln in lines] == ["∂L/∂w0", "∂L/∂w1", "∂L/∂b"]
    assert lines[1].startswith("∂L/∂w1 += ∂L/∂L · ∂L/∂w1 = 1.0 × 4.0 = 4.0")


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
    assert "∂L/∂(a\\nb)" in Stepper(two_lines * 2.0)[1].explain()
    x, w = Value(2.0, "x1"), Value(-3.0, "w1")
    xw = x * w
    xw.label = "x1*w1"
    s = Stepper((xw + 1.0).tanh())
    assert s.name(x) == "x1" and s.name(xw) == "(x1*w1)"  # a formula as a label reads as one name
    assert "∂L/∂x1 += ∂L/∂(x1*w1) · ∂(x1*w1)/∂x1" in s[3].explain()
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
    assert "<img" not in page
    assert page.count("<script") == 2 and page.count("</script>") == 2
    data = json.loads(
        re.search(r'<script type="application/json" data-gw="data">(.*?)</script>', page).group(1)
    )
    assert data["explain"] == [step.explain() for step in s]
    assert any(hostile in text for text in data["explain"])
    # Nothing to fetch: no external scripts, styles, fonts or images.
    assert not re.search(r"<[^<>]*\b(src|href)=|<link|@import|url\((?!#)|https?://(?!www\.w3\.org/)", page)


def test_player_patches_rebuild_every_picture(renderer):
    from autograd.stepper.player import apply_patch, frame_svgs, player_html

    s = Stepper(labelled_graph("w"))
    page = player_html(s)
    pid = re.search(r'<div id="([^"]+)" class="gw-stepper"', page).group(1)
    data = json.loads(re.search(r'data-gw="data">(.*?)</script>', page).group(1))
    pictures = [data["first"]]
    for patch in data["patches"]:
        pictures.append(apply_patch(pictures[-1], patch))
    drawn = frame_svgs(s)
    assert len(pictures) == len(drawn) == len(s)
    for picture, svg in zip(pictures, drawn, strict=True):
        # The same picture, but with every id prefixed by the player's id.
        assert "\n".join(picture) == re.sub(r'id="', f'id="{pid}-', svg.strip())
    assert "\n".join(data["first"]) in page  # step 0 is in the page itself, for pages without scripts
    assert player_html(s) != page  # a fresh id each time: two outputs of one Stepper stay apart


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


def test_player_draws_a_models_parameters_folded_into_neurons(renderer):
    import nn
    from autograd.stepper.player import frame_svgs

    model = nn.MLP(2, [4, 4, 1], rng=0)
    loss = (model([0.5, -1.5]) - 1.0) ** 2
    plain, folded = frame_svgs(Stepper(loss)), frame_svgs(Stepper(loss, params=model))
    assert len(plain) == len(folded)
    assert all("neuron" not in svg for svg in plain)
    assert all(svg.count(">neuron ") == 9 for svg in folded)  # one box per neuron, in every step
    assert sum(map(len, folded)) < sum(map(len, plain)) / 3


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from("abcde"), max_size=12), st.lists(st.sampled_from("abcde"), max_size=12))
def test_a_line_patch_turns_one_picture_into_the_next(a, b):
    from autograd.stepper.player import apply_patch, line_patch

    assert apply_patch(a, line_patch(a, b)) == b


def test_without_a_renderer_the_player_still_steps_through_the_explanations(monkeypatch, tmp_path):
    monkeypatch.setenv("GRADWALK_DOT", str(tmp_path / "no-such-dot"))
    s = Stepper(labelled_graph("w"))
    page = s._repr_html_()
    assert "The graph cannot be drawn" in page and "GRADWALK_DOT" in page
    assert s[-1].explain().splitlines()[0].replace("<", "\\u003c") in page
