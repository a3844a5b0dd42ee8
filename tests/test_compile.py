"""autograd.compile: a replay gives eager's floats bit for bit, and refuses what it cannot replay."""

from __future__ import annotations

import math
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import Value
from autograd.compiled import Compiled, TracingError, arguments
from autograd.compiled.codegen import python_source
from autograd.compiled.rules import PythonRules
from autograd.compiled.trace import trace
from autograd.testing.strategies import expressions


def bits(xs: list[float]) -> list[str]:
    """Floats compared bit for bit: -0.0 and 0.0 differ, nan equals nan."""
    return [float(x).hex() for x in xs]


def eager(f, args, leaves):
    """f(*args) eagerly with backward: the output and every leaf's grad."""
    out = f(*args)
    out.backward()
    return out.data, [v.grad for v in leaves]


def fresh(values: list[float], label: str = "") -> list[Value]:
    return [Value(x, label) for x in values]


# -- replays agree with eager ------------------------------------------------------------------


def test_a_call_gives_the_value_and_adds_the_gradients():
    w = Value(3.0, "w")
    step = autograd.compile(lambda x: (x * w).tanh() + w**2)
    x = Value(0.2)
    out = step(x)
    assert out == pytest.approx(math.tanh(0.6) + 9.0, rel=1e-15)
    assert w.grad == pytest.approx((1 - math.tanh(0.6) ** 2) * 0.2 + 6.0, rel=1e-15)
    assert x.grad == pytest.approx((1 - math.tanh(0.6) ** 2) * 3.0, rel=1e-15)


def test_each_call_reads_the_current_data_of_the_leaves():
    w = Value(2.0)
    step = autograd.compile(lambda x: x * w)
    assert step(3.0) == 6.0
    w.data = 5.0
    assert step(3.0) == 15.0
    assert step(4.0) == 20.0
    assert step.traces == 1


def test_gradients_accumulate_exactly_as_after_backward():
    ws = fresh([0.3, -1.2, 2.5])

    def f(x):
        return autograd.dot(ws, [x, x * x, x.tanh()]).sigmoid() * ws[0]

    for w, g in zip(ws, [0.1, 1e-17, -3.0]):
        w.grad = g
    expected = eager(f, [Value(0.7)], ws)
    for w, g in zip(ws, [0.1, 1e-17, -3.0]):
        w.grad = g
    out = autograd.compile(f)(Value(0.7))
    assert bits([out, *(w.grad for w in ws)]) == bits([expected[0], *expected[1]])


@settings(max_examples=150)
@given(expressions(max_ops=8), st.floats(-0.5, 0.5))
def test_replay_equals_eager_on_random_programs(e, shift):
    """Inputs as Value arguments: the output and every gradient are eager's, bit for bit, at the
    traced point and at another one (where both may also fail alike, outside a domain)."""
    step = autograd.compile(e)
    for point in (e.inputs, [x + shift for x in e.inputs]):
        xs = fresh(point)
        try:
            expected = eager(e, xs, xs)
        except (ArithmeticError, ValueError) as error:
            with pytest.raises(type(error)):
                step(*fresh(point))
            continue
        ys = fresh(point)
        out = step(*ys)
        assert bits([out, *(y.grad for y in ys)]) == bits([expected[0], *expected[1]]), e.formula


@settings(max_examples=60)
@given(expressions(max_ops=6))
def test_replay_equals_eager_with_closed_over_leaves_and_number_arguments(e):
    """The expression's first input is a parameter f closes over; the others come as floats."""
    w = Value(e.inputs[0])
    step = autograd.compile(lambda *rest: e(w, *rest))
    expected_out = e(Value(e.inputs[0]), *fresh(list(e.inputs[1:])))
    v = Value(e.inputs[0])
    expected = eager(lambda: e(v, *fresh(list(e.inputs[1:]))), [], [v])
    out = step(*e.inputs[1:])
    assert bits([out, w.grad]) == bits([expected[0], expected[1][0]])
    assert out == expected_out.data
    assert step.forward(*e.inputs[1:]) == out


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("loss", ["hinge", "mse", "bce"])
def test_an_mlp_training_step_is_eager_bit_for_bit(fused, loss):
    X, y = nn.data.make_moons(12, noise=0.1, seed=1)
    labels = tuple(2 * t - 1 for t in y)
    targets = labels if loss == "hinge" else tuple(y)  # ints: static, as the losses check them
    losses = {"hinge": nn.hinge_loss, "mse": nn.mse_loss, "bce": nn.binary_cross_entropy_with_logits}

    def make():
        model = nn.MLP(2, [5, 4, 1], rng=3, fused=fused)
        params = model.parameters()

        def loss_of(X, targets):
            scores = [model(x) for x in X]
            return losses[loss](scores, targets) + 1e-3 * autograd.dot(params, params)

        return nn.optim.SGD(params, lr=0.1), loss_of

    opt_a, loss_a = make()
    opt_b, loss_b = make()
    step = autograd.compile(loss_b)
    for _ in range(3):  # the weights change between calls
        out_a = loss_a(X, targets)
        out_a.backward()
        out_b = step(X, targets)
        grads_a, grads_b = opt_a.grads(), opt_b.grads()
        assert bits([out_a.data, *grads_a]) == bits([out_b, *grads_b])
        for opt in (opt_a, opt_b):
            opt.step()
            opt.zero_grad()
    assert step.traces == 1


@pytest.mark.parametrize("where", ["first layer", "second layer", "input"])
@pytest.mark.parametrize("x", [math.inf, -math.inf, math.nan, 1e300, -1e300])
def test_inf_and_nan_reach_the_gradients_as_in_eager(where, x):
    """backward() skips a node whose grad is 0 unless a local grad is inf or nan (0 · inf is nan):
    a replay checks the same locals, the leaves' at once per call and a layer's inputs once for
    all its neurons, and so gives eager's nans, infs and zeros, bit for bit."""
    X, y = nn.data.make_moons(8, noise=0.1, seed=2)
    labels = tuple(2 * t - 1 for t in y)

    def make():
        model = nn.MLP(2, [4, 4, 1], rng=5)
        if where == "first layer":
            model.layers[0].neurons[1].w[0].data = x
        elif where == "second layer":
            model.layers[1].neurons[2].w[3].data = x
        params = model.parameters()

        def loss_of(X, labels):
            return nn.hinge_loss([model(row) for row in X], labels)

        return params, loss_of

    rows = [list(row) for row in X]
    if where == "input":
        rows[3][1] = x
    params_a, loss_a = make()
    params_b, loss_b = make()
    out_a = loss_a(rows, labels)
    out_a.backward()
    out_b = autograd.compile(loss_b)(rows, labels)
    assert bits([out_a.data, *(p.grad for p in params_a)]) == bits([out_b, *(p.grad for p in params_b)])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, -0.0, 1.0, -2.0, math.inf, -math.inf, math.nan]), min_size=6, max_size=6)
)
def test_zero_gradients_skip_as_in_eager_whatever_the_locals(values):
    """Nodes behind a relu that is off, with every kind of local grad: finite, inf, nan, zero."""

    def f(a, b):
        h = [
            autograd.relu(autograd.dot([a, b], [w0, w1], c))
            for w0, w1, c in (values[:3], values[3:], values[1:4])
        ]
        return autograd.dot(h, [a * b, b, a]) + (a - b).relu() * b

    point = [0.5, -1.5]
    xs = fresh(point)
    expected = eager(f, xs, xs)
    ys = fresh(point)
    out = autograd.compile(f)(*ys)
    assert bits([out, *(y.grad for y in ys)]) == bits([expected[0], *expected[1]])


def shared_abs(x):
    a = abs(x)
    return 2.0 % (a.exp() + a)


def shared_neg(x):
    n = -x
    h = abs(n) + n
    return h - h


@pytest.mark.parametrize("f", [shared_abs, shared_neg])
@pytest.mark.parametrize("x", [0.7, -1.3, 0.0])
def test_a_node_used_twice_behind_a_skippable_one_gets_its_gradient(f, x):
    """`a` receives ∂ = 1 · g from `+` first (the same float: no variable of its own yet), then a
    contribution from a node that may be skipped: skipped or not, its gradient is set."""
    xs = fresh([x])
    expected = eager(f, xs, xs)
    ys = fresh([x])
    out = autograd.compile(f)(*ys)
    assert bits([out, ys[0].grad]) == bits([expected[0], *expected[1]])


def test_branches_inside_a_rule_are_taken_afresh_on_each_replay():
    step = autograd.compile(lambda x: x.relu() + abs(x) * 2)
    a = Value(1.5)
    assert step(a) == 4.5 and a.grad == 3.0
    b = Value(-1.5)
    assert step(b) == 3.0 and b.grad == -2.0
    assert step.traces == 1


def test_user_ops_compile_with_their_checks():
    cube = autograd.op("cube", lambda x: x**3, lambda x: 3 * x**2)
    rev = autograd.op("rev", lambda c, x: c - 2 * x, 1, -2)  # called as rev(number, Value): flipped
    step = autograd.compile(lambda x: cube(x) * rev(5.0, x) + nn.losses.softplus(x))
    a, b = Value(0.5), Value(0.5)
    expected = eager(lambda x: cube(x) * rev(5.0, x) + nn.losses.softplus(x), [a], [a])
    assert bits([step(b), b.grad]) == bits([expected[0], *expected[1]])
    bad = autograd.op("bad", lambda x: x, lambda x: "steep")
    with pytest.raises(TypeError, match="op 'bad': derivative 0 returned str"):
        autograd.compile(lambda x: bad(x))(Value(1.0))


def test_domain_errors_still_raise_during_a_replay_naming_the_op():
    step = autograd.compile(lambda x: autograd.log(x) + autograd.sqrt(x))
    assert step(4.0) == math.log(4.0) + 2.0
    with pytest.raises(ValueError, match="log"):
        step(-1.0)
    with pytest.raises(ZeroDivisionError, match="/"):
        autograd.compile(lambda x, y: x / y)(1.0, 0.0)


def test_a_function_returning_a_number_or_a_leaf():
    w = Value(2.0)
    assert autograd.compile(lambda x: 7)(1.0) == 7.0
    assert autograd.compile(lambda: w)() == 2.0 and w.grad == 1.0
    assert autograd.compile(lambda: Value(3.0) * 2)() == 6.0
    with pytest.raises(TypeError, match="must return one Value"):
        autograd.compile(lambda x: [x, x])(1.0)


def test_forward_gives_the_value_without_touching_grads():
    w = Value(2.0)
    step = autograd.compile(lambda x: (x * w).exp())
    assert step.forward(0.5) == math.exp(1.0)
    assert w.grad == 0.0


def test_trace_gives_the_ordinary_graph_of_one_call():
    w = Value(2.0, "w")
    graph = autograd.compile(lambda x: x * w + 1).trace(Value(3.0, "x"))
    assert isinstance(graph, Value) and graph.data == 7.0
    assert {p.label for p in graph.parents[0].parents} == {"x", "w"}


def test_the_same_value_twice_or_a_closed_over_leaf_as_argument():
    w = Value(0.5)

    def f(x, y):
        return x * y + w * x

    a = Value(2.0)
    step = autograd.compile(f)
    for args in ([Value(2.0), Value(3.0)], [a, a], [w, a], [a, w], [w, w]):
        for v in {*args, w}:
            v.grad = 0.0
        expected = eager(f, args, [*args, w])
        for v in {*args, w}:
            v.grad = 0.0
        out = step(*args)
        assert bits([out, *(v.grad for v in [*args, w])]) == bits([expected[0], *expected[1]])
    assert step.traces == 1


def test_no_grad_regions_of_constants_are_constants():
    w = Value(1.5)

    def f(x):
        with autograd.no_grad():
            scale = Value(2.0) * 3.0
        return x * w * scale

    step = autograd.compile(f)
    assert step(1.0) == 9.0 and w.grad == 6.0


# -- arguments, cache keys and retracing ---------------------------------------------------------


def test_static_arguments_pick_the_graph_and_are_part_of_the_key():
    table = fresh([1.0, 2.0, 3.0])
    step = autograd.compile(lambda i, x: table[i] * x)
    assert step(0, 5.0) == 5.0 and step(2, 5.0) == 15.0 and step(0, 6.0) == 6.0
    assert table[0].grad == 11.0 and table[2].grad == 5.0
    assert step.traces == 2


def test_a_new_structure_is_traced_anew():
    step = autograd.compile(lambda xs: autograd.sum(xs))
    assert step([1.0, 2.0]) == 3.0
    assert step([1.0, 2.0, 3.0]) == 6.0
    assert step((1.0, 2.0)) == 3.0  # a tuple is another structure than a list
    assert step([4.0, 5.0]) == 9.0
    assert step.traces == 3


def test_the_cache_is_bounded_and_drops_the_least_recently_used():
    step = autograd.compile(lambda n, x: x * n, cache_size=2)
    step(1, 1.0)
    step(2, 1.0)
    step(1, 1.0)  # 1 is now the most recent
    step(3, 1.0)  # drops 2
    assert step.traces == 3
    step(1, 1.0)
    assert step.traces == 3
    step(2, 1.0)
    assert step.traces == 4
    assert len(step._cache) == 2
    with pytest.raises(ValueError, match="cache_size"):
        autograd.compile(lambda: 1.0, cache_size=0)


_ITEM = st.one_of(st.floats(-2, 2), st.integers(-3, 3), st.booleans(), st.none())


@settings(max_examples=100)
@given(
    st.lists(st.one_of(_ITEM, st.lists(_ITEM, max_size=3), st.tuples(_ITEM, _ITEM)), max_size=5),
    st.booleans(),
)
def test_uniform_sequences_get_the_key_and_items_of_the_element_walk(xs, numbers_traced):
    """Sequences of floats, of ints and of rows of floats are keyed without a call per element;
    the key and the traced items are those of the general walk, element by element."""
    args = (xs, tuple(xs), [tuple(x) if isinstance(x, list) else x for x in xs])
    fast = arguments.flatten(args, numbers_traced=numbers_traced)
    original = arguments._uniform_key
    arguments._uniform_key = lambda *_: None
    try:
        walk = arguments.flatten(args, numbers_traced=numbers_traced)
    finally:
        arguments._uniform_key = original
    assert fast.key == walk.key
    assert [(type(i), i) for i in fast.items] == [(type(i), i) for i in walk.items]


def test_arguments_that_cannot_be_traced_or_keyed_are_refused():
    step = autograd.compile(lambda d: d["x"])
    with pytest.raises(TypeError, match=r"argument 0 is dict .* closure"):
        step({"x": 1.0})
    with pytest.raises(TypeError, match=r"argument 1\[2\] is set"):
        step(1.0, [1.0, 2.0, set()])
    x = Value(2.0)
    with pytest.raises(TypeError, match="computed by op"):
        autograd.compile(lambda v: v * 2)(x * 3)
    with pytest.raises(TypeError, match="expected a function"):
        autograd.compile(3)


# -- the data-dependence guard -----------------------------------------------------------------

W = Value(0.5)


def reads_data(x):
    return W * x.data


def compares(x):
    return x if x > 0 else -x


def compares_equal(x):
    return x * 2 if x == 1 else x


def contains(y):
    return y * 2 if y in (1, -1) else y


def branches(x):
    return x * W if x else W


def floats(x):
    return W * float(x)


def math_function(x):
    return W * math.exp(x)


def sorts(xs):
    return max(xs) * W


def detaches(x):
    return x.detach() * W


def no_grad_on_data(x):
    with autograd.no_grad():
        target = x * 2
    return (W - target) ** 2


def assigns(x):
    W.data = 1.0
    return x * W


def inner(x):
    return x.data


def reads_in_a_helper(x):
    return W * inner(x)


def log_sum_exp(z):
    return nn.cross_entropy([[z, z * 2]], [0])


@pytest.mark.parametrize(
    ("f", "message"),
    [
        (reads_data, r"reading a Value's \.data"),
        (compares, r"comparing Values \(>\)"),
        (compares_equal, r"comparing Values \(==, or `in`\)"),
        (contains, r"comparing Values \(==, or `in`\)"),
        (branches, r"branching on a Value"),
        (floats, r"turning a Value into a float"),
        (math_function, r"turning a Value into a float"),
        (sorts, r"comparing Values"),
        (detaches, r"detaching a Value"),
        (no_grad_on_data, r"an op under no_grad reading a Value"),
        (assigns, r"assigning a Value's \.data"),
        (reads_in_a_helper, r"reading a Value's \.data"),
    ],
)
def test_looking_at_the_numbers_while_tracing_raises_naming_file_and_line(f, message):
    args = ([1.0, 2.0],) if f is sorts else (1.0,)
    with pytest.raises(TracingError, match=message) as error:
        autograd.compile(f)(*args)
    text = str(error.value)
    code = (inner if f is reads_in_a_helper else f).__code__
    line = code.co_firstlineno + (2 if f is no_grad_on_data else 1)
    assert f"{__file__}:{line}:" in text
    assert f.__name__ in text and "autograd.compile" in text
    assert "instead" in text or "outside the compiled function" in text or "put the branch" in text


def test_a_loss_that_reads_the_numbers_is_refused_not_replayed_wrongly():
    with pytest.raises(TracingError, match=r"losses\.py:\d+: reading a Value's \.data"):
        autograd.compile(log_sum_exp)(1.0)


def test_the_guard_leaves_value_as_it_was_after_a_trace_even_a_failed_one():
    before = dict(Value.__dict__)
    with pytest.raises(TracingError):
        autograd.compile(compares)(1.0)
    autograd.compile(lambda x: x * W)(1.0)
    assert dict(Value.__dict__) == before
    x = Value(2.0)
    assert x.data == 2.0 and x > 1 and float(x) == 2.0 and x != Value(2.0)


def test_the_guard_is_per_context_other_threads_read_numbers_freely():
    inside, done = threading.Event(), threading.Event()
    seen = []

    def slow(x):
        inside.set()
        done.wait(5)
        return x * W

    def other():
        inside.wait(5)
        v = Value(3.0)
        seen.append((v.data, v > 2, float(v * 2)))
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    autograd.compile(slow)(1.0)
    thread.join()
    assert seen == [(3.0, True, 6.0)]


def test_a_value_computed_before_the_call_is_refused():
    h = W * 3.0  # not a leaf: a replay cannot recompute its graph

    with pytest.raises(TracingError, match=r"computed before the call \(made by op"):
        autograd.compile(lambda x: x * h)(1.0)


# -- safe code generation ------------------------------------------------------------------------

HOSTILE = [
    "__import__('os').system('echo pwned')",
    '"""\nimport os\n"""',
    "x'); raise SystemExit('",
    "\\\n#",
    "v0",
]


@pytest.mark.parametrize("label", HOSTILE)
def test_generated_code_holds_no_label_text(label):
    model = nn.MLP(2, [3, 1], rng=0)
    for p in model.parameters():
        p.label = label
    w = Value(0.25, label)

    def f(x, y):
        out = (model(x) * y + w).tanh()
        out.label = label
        return out

    program = trace(f, ([Value(1.0, label), 0.5], Value(2.0, label)))
    for backward in (False, True):
        source, ns = python_source(program, PythonRules, backward=backward)
        if label != "v0":  # "v0" is also a slot's name: a label that happens to look like code
            assert label not in source
        assert "label" not in source
        assert all(type(c) is float for c in ns.constants)
    step = autograd.compile(f)
    reference = f([Value(1.0), 0.5], Value(2.0)).data
    assert step([Value(1.0, label), 0.5], Value(2.0, label)) == reference


def test_compiled_is_exported():
    assert autograd.compile is autograd.compiled.compile
    assert isinstance(autograd.compile(lambda x: x), Compiled)
