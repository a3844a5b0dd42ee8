"""Neuron, Layer, MLP and the Module base: names, counts, initialisation, forward, state."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import Value


def test_mlp_2_16_16_1_has_337_parameters_with_dotted_names():
    model = nn.MLP(2, [16, 16, 1], rng=0)
    names = [name for name, _ in model.named_parameters()]
    assert len(model.parameters()) == 337 == 3 * 16 + 17 * 16 + 17
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert "layers.0.neurons.3.w.1" in names
    assert names[-1] == "layers.2.neurons.0.b"
    assert len(set(names)) == len(names)
    by_name = dict(model.named_parameters())
    assert by_name["layers.1.neurons.5.w.7"] is model.layers[1].neurons[5].w[7]
    assert by_name["layers.2.neurons.0.b"] is model.layers[2].neurons[0].b


def test_parameters_are_labelled_leaves():
    model = nn.MLP(3, [2, 1], rng=0)
    neuron = model.layers[0].neurons[1]
    assert neuron.w[2].label == "L0.n1.w2" and neuron.b.label == "L0.n1.b"
    assert all(p.is_leaf and p.label for p in model.parameters())
    assert [p.label for p in nn.Neuron(2, rng=0).parameters()] == ["w0", "w1", "b"]


def test_initialisation_uniform_weights_zero_biases_from_random_module():
    random.seed(123)
    model = nn.MLP(2, [3, 1])
    random.seed(123)
    expected = [random.uniform(-1, 1) for _ in range(2 * 3 + 3 * 1)]
    weights = [w.data for layer in model.layers for n in layer.neurons for w in n.w]
    assert weights == expected
    assert all(n.b.data == 0.0 for layer in model.layers for n in layer.neurons)
    assert all(-1 <= w <= 1 for w in weights)


def test_same_seed_gives_micrograds_weights_in_micrograds_order():
    # micrograd draws uniform(-1, 1) weight by weight, neuron by neuron, layer by layer; so do we.
    random.seed(1337)
    shape = [(2, 4), (4, 1)]  # (inputs, neurons) of each layer
    expected = [[random.uniform(-1, 1) for _ in range(nin)] for nin, nout in shape for _ in range(nout)]
    random.seed(1337)
    model = nn.MLP(2, [4, 1])
    neurons = [n for layer in model.layers for n in layer.neurons]
    assert [[w.data for w in n.w] for n in neurons] == expected
    assert model.parameters() == [p for n in neurons for p in (*n.w, n.b)]


def _negative_sum_input(n):
    """An input whose weighted sum w·x + b is −1 for the neuron `n` of two inputs (so relu gives 0)."""
    w0, w1 = (w.data for w in n.w)
    return [-1.0 / w0, 0.0] if w0 else [0.0, -1.0 / w1]


def test_micrograds_nonlin_false_computes_the_weighted_sum_also_after_save_and_load(tmp_path):
    n = nn.Neuron(2, nonlin=False, rng=0)
    x = _negative_sum_input(n)
    assert n(x).data == pytest.approx(-1.0, rel=1e-12)  # relu would give 0
    n.save(tmp_path / "n.json")
    assert nn.load(tmp_path / "n.json")(x).data == n(x).data
    layer = nn.Layer(2, 3, nonlin=False, rng=0)
    sums = [n.w[0].data * -5.0 + n.w[1].data * 3.0 + n.b.data for n in layer.neurons]
    assert min(sums) < 0  # so relu would show
    assert [v.data for v in layer([-5.0, 3.0])] == pytest.approx(sums, rel=1e-12)


def test_micrograds_nonlin_true_is_relu():
    n = nn.Neuron(2, nonlin=True, rng=0)
    x = _negative_sum_input(n)
    assert n(x).data == 0.0
    assert n([-v for v in x]).data == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"activation": "bogus", "nonlin": True}, ValueError, "unknown activation 'bogus'"),
        ({"activation": "linear", "nonlin": True}, ValueError, "nonlin=True"),
        ({"activation": "tanh", "nonlin": False}, ValueError, "nonlin=False"),
        ({"nonlin": "no"}, TypeError, "nonlin must be True or False"),
    ],
)
def test_contradictory_or_bad_nonlin_arguments_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        nn.Neuron(2, **kwargs)
    with pytest.raises(error, match=match):
        nn.Layer(2, 2, **kwargs)


def test_rng_makes_a_model_reproducible_on_its_own():
    a = nn.MLP(2, [4, 1], rng=7)
    random.random()  # the global generator does not matter when rng is given
    b = nn.MLP(2, [4, 1], rng=random.Random(7))
    c = nn.MLP(2, [4, 1], rng=8)
    assert a.state_dict() == b.state_dict()
    assert a.state_dict() != c.state_dict()


def test_last_layer_is_linear_and_hidden_layers_use_the_activation():
    model = nn.MLP(2, [3, 3, 2], activation="tanh", rng=0)
    assert [layer.neurons[0].activation for layer in model.layers] == ["tanh", "tanh", "linear"]


def test_output_activation_makes_the_lectures_tanh_mlp_in_one_line(tmp_path):
    model = nn.MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", rng=0)
    assert [layer.neurons[0].activation for layer in model.layers] == ["tanh", "tanh", "tanh"]
    x = [2.0, 3.0, -1.0]
    h = x
    for layer in model.layers:
        h = [math.tanh(sum(w.data * v for w, v in zip(n.w, h)) + n.b.data) for n in layer.neurons]
    assert model(x).data == pytest.approx(h[0], rel=1e-12)
    model.save(tmp_path / "m.json")
    again = nn.load(tmp_path / "m.json")
    assert again.output_activation == "tanh" and again(x).data == model(x).data
    assert "output_activation='tanh'" in repr(again)


def test_output_activation_defaults_to_linear_and_is_checked():
    assert nn.MLP(2, [3, 1]).architecture()["args"] == {"nin": 2, "nouts": [3, 1], "activation": "relu"}
    with pytest.raises(ValueError, match="unknown activation 'soft'"):
        nn.MLP(2, [3, 1], output_activation="soft")


def test_a_number_for_the_inputs_is_refused_with_what_to_pass():
    with pytest.raises(TypeError, match=r"MLP: expected a list of 2 inputs, got float 1\.0"):
        nn.MLP(2, [3, 1], rng=0)(1.0)
    with pytest.raises(TypeError, match=r"a list of 1 input, got float 2\.0; for one input, pass \[2\.0\]"):
        nn.Neuron(1, rng=0)(2.0)
    with pytest.raises(TypeError, match="Layer: expected a list of 2 inputs, got Value"):
        nn.Layer(2, 2, rng=0)(Value(1.0))


def test_backward_on_a_list_of_outputs_says_to_reduce_it_first():
    out = nn.MLP(2, [3, 2], rng=0)([1, 2])
    with pytest.raises(TypeError, match="list of 2 outputs; reduce it to one Value first"):
        out.backward()
    with pytest.raises(TypeError, match="reduce it to one Value first"):
        nn.Layer(2, 3, rng=0)([1, 2]).backward()


def test_call_returns_a_value_for_one_output_and_a_list_otherwise():
    assert isinstance(nn.MLP(2, [4, 1], rng=0)([1.0, -2.0]), Value)
    out = nn.MLP(2, [4, 3], rng=0)([Value(1.0), 2])
    assert isinstance(out, list) and len(out) == 3 and all(isinstance(v, Value) for v in out)
    assert isinstance(nn.Layer(2, 1, rng=0)([1.0, 2.0]), Value)
    assert len(nn.Layer(2, 2, rng=0)([1.0, 2.0])) == 2


def test_neuron_computes_activation_of_weighted_sum():
    for activation, f in [
        ("relu", lambda z: max(z, 0.0)),
        ("tanh", math.tanh),
        ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
        ("linear", lambda z: z),
    ]:
        n = nn.Neuron(3, activation, rng=1)
        n.b.data = 0.25
        x = [0.5, -1.5, 2.0]
        z = sum(w.data * xi for w, xi in zip(n.w, x)) + 0.25
        assert n(x).data == pytest.approx(f(z), rel=1e-12)


def test_bad_activation_lists_the_choices():
    with pytest.raises(ValueError, match=r"'swish'.*'relu', 'tanh', 'sigmoid', 'linear'"):
        nn.MLP(2, [3, 1], activation="swish")


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: nn.MLP(0, [1]), "nin"),
        (lambda: nn.MLP(2, []), "nouts"),
        (lambda: nn.MLP(2, [3, 0]), "layer size"),
        (lambda: nn.Layer(2, 2.5), "nout"),
        (lambda: nn.Neuron(2, rng="seed"), "rng"),
    ],
)
def test_bad_sizes_are_refused(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_wrong_number_of_inputs_is_refused():
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        nn.MLP(2, [3, 1], rng=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="expected 2 inputs, got 1"):
        nn.Neuron(2, rng=0)([1.0])


def test_fused_neuron_is_one_dot_node_and_unfused_is_op_by_op():
    fused = nn.Neuron(3, "linear", rng=0)
    unfused = nn.Neuron(3, "linear", rng=0, fused=False)
    assert fused([1.0, 2.0, 3.0]).op == "dot"
    out = unfused([1.0, 2.0, 3.0])
    assert out.op == "+" and out.parents[1] is unfused.b


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    x=st.lists(st.floats(-3, 3, allow_nan=False), min_size=3, max_size=3),
    activation=st.sampled_from(["relu", "tanh", "sigmoid"]),
)
def test_fused_and_unfused_give_identical_outputs_and_gradients(seed, x, activation):
    results = []
    for fused in (True, False):
        model = nn.MLP(3, [4, 4, 2], activation, rng=seed, fused=fused)
        inputs = [Value(xi) for xi in x]
        out = model(inputs)
        loss = out[0] * out[1] + out[0]
        loss.backward()
        results.append((loss.data, [p.grad for p in model.parameters()], [v.grad for v in inputs]))
    assert results[0] == results[1]


def test_zero_grad_clears_every_parameter():
    model = nn.MLP(2, [3, 1], rng=0)
    model([1.0, 1.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


def test_repr_shows_the_structure():
    text = repr(nn.MLP(2, [16, 16, 1], rng=0))
    assert text.splitlines() == [
        "MLP(2 → [16, 16, 1], activation='relu', 337 parameters)",
        "  (layers.0): Layer(2 → 16, activation='relu')",
        "  (layers.1): Layer(16 → 16, activation='relu')",
        "  (layers.2): Layer(16 → 1, activation='linear')",
    ]
    assert repr(nn.Neuron(3, "tanh", rng=0)) == "Neuron(3, activation='tanh')"


class Pair(nn.Module):
    """A user-defined module: a shared scale and two neurons."""

    def __init__(self) -> None:
        self.scale = Value(2.0)
        self.heads = [nn.Neuron(2, rng=0), nn.Neuron(2, rng=1)]
        self._cache = Value(5.0)  # underscore attributes are not parameters


def test_user_modules_find_parameters_and_children_in_attribute_order():
    m = Pair()
    names = [n for n, _ in m.named_parameters()]
    assert names == [
        "scale",
        "heads.0.w.0",
        "heads.0.w.1",
        "heads.0.b",
        "heads.1.w.0",
        "heads.1.w.1",
        "heads.1.b",
    ]
    assert repr(m) == "Pair()\n  (heads): 2 × Neuron(2, activation='relu')"  # alike children said once
    m.heads[1] = nn.Neuron(2, "tanh", rng=0)
    assert repr(m).splitlines()[1:] == [
        "  (heads.0): Neuron(2, activation='relu')",
        "  (heads.1): Neuron(2, activation='tanh')",
    ]


def test_a_shared_parameter_is_listed_once():
    m = Pair()
    m.heads[1].b = m.heads[0].b
    assert len(m.parameters()) == 6


def test_state_dict_round_trips_and_load_state_dict_checks_before_changing():
    a, b = nn.MLP(2, [3, 1], rng=0), nn.MLP(2, [3, 1], rng=1)
    b.load_state_dict(a.state_dict())
    assert b.state_dict() == a.state_dict()
    before = b.state_dict()
    bad_states = [
        {**before, "layers.9.b": 1.0},
        {k: v for k, v in before.items() if k != "layers.0.neurons.0.b"},
        {**before, "layers.1.neurons.0.b": math.nan},
        {**before, "layers.1.neurons.0.b": "1.0"},
        {**before, "layers.1.neurons.0.b": True},
    ]
    for state in bad_states:
        with pytest.raises((TypeError, ValueError)):
            b.load_state_dict(state)
        assert b.state_dict() == before


def test_number_inputs_become_one_labelled_leaf_each_shared_by_the_neurons():
    model = nn.MLP(2, [3, 1], rng=0)
    out = model([0.5, -1.0])
    first_layer = [n for n in out.parents if n.op == "relu"]
    sums = [relu.parents[0] for relu in first_layer]
    inputs = {p for s in sums for p in s.parents if p.label.startswith("x")}
    assert sorted(x.label for x in inputs) == ["x0", "x1"]  # one node per input, read by all 3 neurons
    assert all(x.is_leaf for x in inputs) and sorted(x.data for x in inputs) == [-1.0, 0.5]
    out.backward()
    (x0,) = (x for x in inputs if x.label == "x0")
    expected = sum(  # ∂out/∂x0 through each neuron that passes it on (relu open)
        w2.data * n.w[0].data * (n.b.data + n.w[0].data * 0.5 - n.w[1].data > 0)
        for n, w2 in zip(model.layers[0].neurons, model.layers[1].neurons[0].w)
    )
    assert x0.grad == pytest.approx(expected)
    x = Value(0.5)
    out = model([x, -1.0])  # a Value input is used as it is
    out.backward()
    assert x.grad == pytest.approx(x0.grad)
