"""nn.to_torch / nn.from_torch: the same network in PyTorch, the same weights back, the same numbers."""

from __future__ import annotations

import importlib.util
import random
import subprocess
import sys

import pytest
from components import require

import nn
from autograd import Value

HAVE_TORCH = importlib.util.find_spec("torch") is not None


@pytest.fixture
def torch():
    require(HAVE_TORCH, "PyTorch is not installed (pip install 'gradwalk[torch]')")
    import torch

    return torch


MODELS = [
    lambda: nn.MLP(3, [5, 4, 2], rng=1),
    lambda: nn.MLP(2, [4, 4, 1], activation="tanh", output_activation="tanh", rng=2),
    lambda: nn.MLP(4, [3, 3], activation="sigmoid", output_activation="relu", rng=3),
    lambda: nn.MLP(2, [3, 1], activation="linear", rng=4),
    lambda: nn.MLP(1, [1], rng=5),
]


@pytest.mark.parametrize("make", MODELS)
def test_to_torch_gives_float64_linear_layers_and_activations(torch, make):
    model = make()
    module = nn.to_torch(model)
    linears = [m for m in module if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [
        (len(layer.neurons[0].w), len(layer.neurons)) for layer in model.layers
    ]
    assert all(p.dtype == torch.float64 for p in module.parameters())
    for layer, linear in zip(model.layers, linears):
        assert linear.weight.tolist() == [[w.data for w in n.w] for n in layer.neurons]
        assert linear.bias.tolist() == [n.b.data for n in layer.neurons]
    expected = []
    for layer in model.layers:
        expected.append("Linear")
        activation = layer.neurons[0].activation
        if activation != "linear":
            expected.append({"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}[activation])
    assert [type(m).__name__ for m in module] == expected


@pytest.mark.parametrize("make", MODELS)
def test_the_round_trip_is_exact(torch, make):
    model = make()
    again = nn.from_torch(nn.to_torch(model))
    assert again.state_dict() == model.state_dict()
    assert list(again.state_dict()) == list(model.state_dict())
    if len(model.layers) > 1:
        assert again.architecture() == model.architecture()


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("make", MODELS)
def test_outputs_and_gradients_agree_on_random_inputs(torch, make, seed):
    model = make()
    module = nn.to_torch(model)
    rng = random.Random(seed)
    nin = len(model.layers[0].neurons[0].w)
    x = [rng.uniform(-3, 3) for _ in range(nin)]
    weights = [rng.uniform(-1, 1) for _ in model.layers[-1].neurons]  # a random linear read-out

    inputs = [Value(v) for v in x]
    out = model(inputs)
    outs = out if isinstance(out, list) else [out]
    sum(w * o for w, o in zip(weights, outs)).backward()

    tx = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    ty = module(tx)
    (ty[0] * torch.tensor(weights, dtype=torch.float64)).sum().backward()

    assert [o.data for o in outs] == pytest.approx(ty[0].tolist(), rel=1e-12, abs=1e-12)
    assert [v.grad for v in inputs] == pytest.approx(tx.grad[0].tolist(), rel=1e-12, abs=1e-12)
    linears = [m for m in module if isinstance(m, torch.nn.Linear)]
    for layer, linear in zip(model.layers, linears):
        for j, n in enumerate(layer.neurons):
            assert [w.grad for w in n.w] == pytest.approx(
                linear.weight.grad[j].tolist(), rel=1e-12, abs=1e-12
            )
            assert n.b.grad == pytest.approx(linear.bias.grad[j].item(), rel=1e-12, abs=1e-12)


def test_training_can_continue_in_pytorch_and_come_back(torch):
    X, y = nn.data.make_moons(40, noise=0.1, seed=0)
    model = nn.MLP(2, [8, 1], rng=0)
    module = nn.to_torch(model)
    opt = torch.optim.Adam(module.parameters(), lr=0.05)
    tx = torch.tensor(X, dtype=torch.float64)
    ty = torch.tensor([2.0 * t - 1 for t in y], dtype=torch.float64)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = torch.relu(1 - ty * module(tx)[:, 0]).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 2
    back = nn.from_torch(module)
    labels = [2 * t - 1 for t in y]
    assert nn.hinge_loss([back(x) for x in X], labels).data == pytest.approx(
        torch.relu(1 - ty * module(tx)[:, 0]).mean().item(), rel=1e-12
    )


def test_float32_modules_are_read_as_float64(torch):
    module = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    model = nn.from_torch(module)
    assert model.architecture()["args"] == {"nin": 2, "nouts": [3, 1], "activation": "tanh"}
    assert model.layers[0].neurons[2].w[1].data == float(module[0].weight[2, 1].item())
    x = [0.25, -0.5]
    assert model(x).data == pytest.approx(module(torch.tensor([x]))[0, 0].item(), rel=1e-6)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda t: t.nn.Linear(2, 1), "expected a torch.nn.Sequential, got Linear"),
        (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.GELU()), "cannot translate GELU at index 1"),
        (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.Linear(4, 1)), "index 1 takes 4 inputs"),
        (lambda t: t.nn.Sequential(t.nn.Linear(2, 3, bias=False)), "has no bias"),
        (lambda t: t.nn.Sequential(t.nn.ReLU()), "cannot translate ReLU at index 0"),
        (
            lambda t: t.nn.Sequential(
                t.nn.Linear(2, 3), t.nn.ReLU(), t.nn.Linear(3, 3), t.nn.Tanh(), t.nn.Linear(3, 1)
            ),
            "share one activation",
        ),
    ],
)
def test_modules_that_are_not_an_mlp_are_refused_by_name(torch, build, match):
    with pytest.raises((TypeError, ValueError), match=match):
        nn.from_torch(build(torch))


def test_to_torch_takes_an_mlp(torch):
    with pytest.raises(TypeError, match=r"expected an nn\.MLP, got Neuron"):
        nn.to_torch(nn.Neuron(2))


def test_without_torch_the_functions_name_the_extra_to_install():
    # A fresh interpreter in which `import torch` fails, as it does where PyTorch is not installed.
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import nn\n"
        "for f, arg in ((nn.to_torch, nn.MLP(2, [1])), (nn.from_torch, None)):\n"
        "    try:\n"
        "        f(arg)\n"
        "    except ImportError as e:\n"
        "        print(e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines() == [
        "nn.to_torch needs PyTorch; install it with: pip install 'gradwalk[torch]'",
        "nn.from_torch needs PyTorch; install it with: pip install 'gradwalk[torch]'",
    ], result.stderr
