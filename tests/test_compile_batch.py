"""autograd.compile's map: a batch at once with numpy, or row by row without it, as a loop over rows."""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
import warnings

import pytest
from components import require
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import Value
from autograd.compiled import batch
from autograd.compiled.rules import FLOAT_WORDS, INLINE, TOTAL_WORDS
from autograd.ops import TABLE
from autograd.testing.strategies import expressions, values

HAS_NUMPY = importlib.util.find_spec("numpy") is not None


def need_numpy() -> None:
    require(HAS_NUMPY, "numpy is not installed (pip install -e '.[fast]')")


def loop_over_rows(f, rows, leaves, reduce="mean"):
    """The reference: f(*row).backward() for each row, on fresh copies of the leaves' grads.

    Returns the reduction of the outputs, the reduced gradient of each leaf, and Σ|per-row
    gradient| per leaf, the scale of the summation error a batch may differ by."""
    outputs, grads, scale = [], [0.0] * len(leaves), [0.0] * len(leaves)
    for row in rows:
        for leaf in leaves:
            leaf.grad = 0.0
        out = f(*[[Value(x) for x in a] if isinstance(a, list) else Value(a) for a in row])
        out.backward()
        outputs.append(out.data)
        for i, leaf in enumerate(leaves):
            grads[i] += leaf.grad
            scale[i] += abs(leaf.grad)
    for leaf in leaves:
        leaf.grad = 0.0
    n = len(rows) if reduce == "mean" else 1
    return sum(outputs) / n, [g / n for g in grads], [s / n for s in scale], sum(map(abs, outputs)) / n


def assert_close(got: float, expected: float, scale: float) -> None:
    """Within 1e-12 relative to the size of the terms summed (only the order of summation differs)."""
    assert abs(got - expected) <= 1e-12 * max(scale, abs(expected)) + 1e-300, (got, expected, scale)


def check_map(f, columns, leaves, reduce="mean"):
    rows = list(zip(*columns))
    expected, grads, scales, out_scale = loop_over_rows(f, rows, leaves, reduce)
    got = autograd.compile(f).map(*columns, reduce=reduce)
    assert_close(got, expected, out_scale)
    for leaf, g, scale in zip(leaves, grads, scales):
        assert_close(leaf.grad, g, scale)


@pytest.fixture(params=["numpy", "rows"])
def engine(request, monkeypatch):
    """Each map test runs with numpy and with the row-by-row replay used without it."""
    if request.param == "numpy":
        need_numpy()
    else:
        monkeypatch.setattr(batch, "numpy_available", lambda: False)
        monkeypatch.setattr(batch, "_warned", True)
    return request.param


@pytest.mark.parametrize("fused", [True, False])
def test_map_of_an_mlp_loss_is_the_loop_over_rows(engine, fused):
    model = nn.MLP(2, [6, 5, 1], rng=2, fused=fused)
    params = model.parameters()
    X, y = nn.data.make_moons(40, noise=0.1, seed=3)
    labels = [2.0 * t - 1.0 for t in y]

    def row_loss(x, label):
        return autograd.relu(1 - label * model(x)) + 1e-3 * autograd.dot(params, params)

    check_map(row_loss, (X, labels), params)
    check_map(row_loss, (X, labels), params, reduce="sum")


def test_map_of_tanh_sigmoid_and_user_ops(engine):
    w = [Value(0.3), Value(-0.8), Value(1.1)]
    cube = autograd.op("cube", lambda x: x**3, lambda x: 3 * x**2)

    def f(x, t):
        h = autograd.dot(w[:2], x, w[2]).tanh()
        return (h - t) ** 2 + cube(h).sigmoid() + nn.losses.softplus(h * t)

    X = [[0.1 * i, 1 - 0.05 * i] for i in range(25)]
    check_map(f, (X, [0.5 - 0.04 * i for i in range(25)]), w)


@settings(max_examples=40)
@given(expressions(n_inputs=st.integers(2, 3), max_ops=6), st.integers(1, 12))
def test_map_of_random_programs_is_the_loop_over_rows(e, n_rows):
    """The first input is a parameter f closes over; the others vary a little from row to row."""
    need_numpy()
    w = Value(e.inputs[0])
    rows = [[x * (1 + 1e-4 * k) for x in e.inputs[1:]] for k in range(n_rows)]
    columns = list(zip(*rows))

    def f(*xs):
        return e(w, *xs)

    try:
        expected, grads, scales, out_scale = loop_over_rows(f, rows, [w])
    except (ArithmeticError, ValueError) as error:
        with pytest.raises(type(error)):
            autograd.compile(f).map(*columns)
        return
    out = autograd.compile(f).map(*columns)
    assert_close(out, expected, out_scale)
    assert_close(w.grad, grads[0], scales[0])


def test_numpy_arrays_are_columns_too():
    need_numpy()
    import numpy as np

    w = Value(2.0)
    step = autograd.compile(lambda x, y: (x[0] * w + x[1] - y) ** 2)
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    y = np.array([1.0, 0.0, 2.0])
    expected = sum((a * 2.0 + b - t) ** 2 for (a, b), t in zip(X.tolist(), y.tolist())) / 3
    assert step.map(X, y) == pytest.approx(expected, rel=1e-14)
    assert w.grad == pytest.approx(sum(2 * (a * 2 + b - t) * a for (a, b), t in zip(X, y)) / 3, rel=1e-14)


def test_a_row_outside_a_domain_raises_the_eager_error_naming_the_op(engine):
    w = Value(1.0)
    step = autograd.compile(lambda x: autograd.log(x * w) + autograd.sqrt(x))
    assert step.map([1.0, 4.0]) == pytest.approx((math.log(4.0) + 1 + 2) / 2)
    with pytest.raises(ValueError, match="log"):
        step.map([1.0, -2.0, 3.0])


def test_a_function_of_the_leaves_only_is_the_same_for_every_row(engine):
    w = Value(3.0)
    step = autograd.compile(lambda x: w * w)
    assert step.map([1.0, 2.0, 5.0]) == 9.0 and w.grad == 6.0
    assert step.map([1.0, 2.0], reduce="sum") == 18.0 and w.grad == 6.0 + 12.0


def test_bad_columns_are_refused_naming_the_problem():
    step = autograd.compile(lambda x, y: x * y)
    with pytest.raises(ValueError, match=r"differ in length \(2, 3\)"):
        step.map([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="empty"):
        step.map([], [])
    with pytest.raises(TypeError, match="column 1 must be a sequence"):
        step.map([1.0], 2.0)
    with pytest.raises(TypeError, match="at least one column"):
        autograd.compile(lambda: Value(1.0)).map()
    with pytest.raises(TypeError, match="columns hold numbers"):
        step.map([Value(1.0)], [2.0])
    with pytest.raises(ValueError, match="reduce must be"):
        step.map([1.0], [2.0], reduce="max")
    with pytest.raises(ValueError, match="row 1 has another structure"):
        autograd.compile(lambda xs: autograd.sum(xs)).map([[1.0, 2.0], [1.0, 2.0, 3.0]])


def test_without_numpy_map_replays_the_rows_and_says_so_once(monkeypatch):
    monkeypatch.setattr(batch, "numpy_available", lambda: False)
    monkeypatch.setattr(batch, "_warned", False)
    w = Value(2.0)
    step = autograd.compile(lambda x: x * w)
    with pytest.warns(RuntimeWarning, match="numpy is not installed"):
        assert step.map([1.0, 3.0]) == 4.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert step.map([1.0, 5.0]) == 6.0
    assert w.grad == 2.0 + 3.0


def test_the_engine_imports_no_numpy():
    code = (
        "import sys, autograd; step = autograd.compile(lambda x: (x * 2).tanh()); step(1.0); "
        "assert 'numpy' not in sys.modules, 'numpy imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the words of the table's math, in each replay --------------------------------------------------

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 1e300, -1e300, 5e-324, math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("word", sorted(INLINE))
def test_an_inlined_word_is_its_float_function_bit_for_bit(word):
    function = FLOAT_WORDS[word]
    inlined = eval(f"lambda _: {INLINE[word]}")  # the module's own constant text
    for x in SPECIAL:
        assert float(inlined(x)).hex() == float(function(x)).hex(), (word, x)


@pytest.mark.parametrize("word", sorted(TOTAL_WORDS))
def test_a_total_word_never_raises(word):
    for x in SPECIAL:
        FLOAT_WORDS[word](x)


@pytest.mark.parametrize("op", [op for op in TABLE if op.arity is not None], ids=lambda op: op.name)
@settings(max_examples=25)
@given(data=st.data())
def test_every_op_of_the_table_gives_the_float_values_on_arrays(op, data):
    """Forward and derivatives through numpy, at points where the op is smooth, agree with floats."""
    need_numpy()
    point = data.draw(values(op))
    xs = (point,) if op.arity == 1 else point
    w = Value(xs[0])
    rest = [[x] * 3 for x in xs[1:]]

    def f(*args):
        return op(w, *args)

    expected = op.forward(*xs)
    grads = op.grads(xs, expected)
    out = autograd.compile(f).map(*rest) if rest else autograd.compile(lambda _: op(w)).map([0.0] * 3)
    assert out == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert w.grad == pytest.approx(grads[0], rel=1e-12, abs=1e-300)


def test_an_op_made_from_math_text_compiles_with_no_further_work():
    need_numpy()
    cube = autograd.Op.from_math("cube", "x * x * x", "3 * x * x", method=None)
    w = Value(1.5)
    step = autograd.compile(lambda x: cube(x * w))
    assert step(2.0) == 27.0 and w.grad == 3 * 9.0 * 2.0
    w.grad = 0.0
    assert step.map([2.0, 1.0]) == pytest.approx((27.0 + 3.375) / 2)
    assert w.grad == pytest.approx((3 * 9.0 * 2.0 + 3 * 2.25 * 1.0) / 2)


# -- arrays written in place -----------------------------------------------------------------------


def _array_texts(op):
    """The op's forward and its derivatives times a gradient G, as the numpy replay writes them."""
    from autograd.compiled.codegen import Namespace, times
    from autograd.compiled.trace import Step
    from autograd.compiled.vector import ARRAY_RULES

    ns = Namespace()
    step = Step(op, tuple(range(op.arity)))
    args = ["X", "Y"][: op.arity]
    texts = [ARRAY_RULES.forward(step, args, ns)]
    for i in range(op.arity):
        local = ARRAY_RULES.derivative(step, i, args, "ANS", ns)
        texts.append(times(local, "G", ns))
    return texts, ns


@pytest.mark.parametrize("op", [op for op in TABLE if op.arity is not None], ids=lambda op: op.name)
def test_an_expression_written_into_an_array_gives_the_same_floats(op):
    """`into` evaluates an op's array text with each step writing into one array: the very floats
    of the plain expression, inf, nan and -0.0 included."""
    need_numpy()
    import numpy as np

    from autograd.compiled.vector import ARRAY_WORDS, into

    texts, ns = _array_texts(op)
    grid = np.array([*SPECIAL, 0.25, -0.75, 3.0])
    X, Y = np.meshgrid(grid, grid[::-1])
    with np.errstate(all="ignore"):
        env = {**ns.globals, **ARRAY_WORDS, "np": np, "X": X, "Y": Y, "G": np.cos(X + 2 * Y)}
        env.update({f"c{j}": c for j, c in enumerate(ns.constants)})
        env["ANS"] = eval(texts[0], env)  # the module's own generated text
        written = 0
        for text in texts:
            expected = np.broadcast_to(eval(text, env), X.shape)
            lines = into(text, "OUT")
            if lines is None:
                continue
            written += 1
            env["OUT"] = np.full(X.shape, 7.0)
            exec("\n".join(lines), env)
            got = env["OUT"]
            assert np.array_equal(np.signbit(got), np.signbit(expected)), (op.name, text)
            assert np.array_equal(got, expected, equal_nan=True), (op.name, text)
    assert written  # every op of the table has a text made of ufuncs and operators


def test_step_on_arrays_is_floats_step_bit_for_bit():
    need_numpy()
    import numpy as np

    from autograd.compiled.vector import ARRAY_WORDS

    xs = np.array(SPECIAL)
    for out in (None, np.empty(len(SPECIAL))):
        got = ARRAY_WORDS["step"](xs, out=out) if out is not None else ARRAY_WORDS["step"](xs)
        assert [float(g).hex() for g in got] == [FLOAT_WORDS["step"](x).hex() for x in SPECIAL]
    assert float(ARRAY_WORDS["step"](2.0)) == 1.0


def test_the_arrays_of_a_batch_are_kept_per_thread_and_per_number_of_rows():
    need_numpy()
    import threading

    from autograd.compiled.vector import Buffers

    buffers = Buffers([3, 1])
    first = buffers(10)
    assert [a.shape for a in first] == [(3, 10), (1, 10)]
    assert buffers(10) is first  # kept for the next call
    assert buffers(4) is not first and buffers(10) is first  # a last, shorter pass has its own
    buffers(5)
    assert buffers(10) is not first  # at most two sizes are kept
    other = []
    thread = threading.Thread(target=lambda: other.append(buffers(10)))
    thread.start()
    thread.join()
    assert other[0] is not buffers(10)  # another thread writes into arrays of its own


def test_a_batch_in_several_passes_over_reused_arrays_is_the_loop_over_rows():
    """More rows than one pass holds: passes of two sizes, and calls after the weights changed,
    all over the same kept arrays."""
    need_numpy()
    from autograd.compiled import vector

    model = nn.MLP(2, [16, 1], rng=4)
    params = model.parameters()
    n = vector.CHUNK_BYTES // (8 * 16) * 2 + 300
    X, y = nn.data.make_moons(n, noise=0.2, seed=5)
    labels = [2.0 * t - 1.0 for t in y]

    def row_loss(x, label):
        return autograd.relu(1 - label * model(x))

    step = autograd.compile(row_loss)
    rows = list(zip(X, labels))
    for _ in range(2):
        expected, grads, scales, out_scale = loop_over_rows(row_loss, rows, params)
        assert_close(step.map(X, labels), expected, out_scale)
        for p, g, scale in zip(params, grads, scales):
            assert_close(p.grad, g, scale)
            p.grad = 0.0
            p.data -= 0.3 * g  # the next call reads new weights into the same arrays
