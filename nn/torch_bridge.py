"""The way out to PyTorch, and back: an MLP as a `torch.nn.Sequential` of Linear layers and activations.

Layer i of an MLP becomes `Linear(nin, nout)` in float64, whose row j is neuron j:
weight[j, k] = neurons[j].w[k] and bias[j] = neurons[j].b, followed by the layer's activation
module (none for linear). Every float is copied as it is, so `from_torch(to_torch(m))` gives
back the same parameters bit for bit, and both compute the same function.

PyTorch is an optional dependency: `pip install 'gradwalk[torch]'`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nn.layers import MLP

if TYPE_CHECKING:
    import torch

#: gradwalk's activation names and the PyTorch module classes that compute the same function.
TORCH_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}
ACTIVATION_CLASSES = tuple(TORCH_ACTIVATIONS.values())


def _torch(what: str) -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(f"{what} needs PyTorch; install it with: pip install 'gradwalk[torch]'") from None
    return torch


def to_torch(model: MLP) -> torch.nn.Sequential:
    """The same network as a `torch.nn.Sequential` of float64 `Linear` layers and activations."""
    torch = _torch("nn.to_torch")
    if not isinstance(model, MLP):
        raise TypeError(f"nn.to_torch: expected an nn.MLP, got {type(model).__name__}")
    modules: list[torch.nn.Module] = []
    for layer in model.layers:
        neurons = layer.neurons
        linear = torch.nn.Linear(len(neurons[0].w), len(neurons), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in neurons], dtype=torch.float64))
        modules.append(linear)
        activation = neurons[0].activation
        if activation != "linear":
            modules.append(getattr(torch.nn, TORCH_ACTIVATIONS[activation])())
    return torch.nn.Sequential(*modules)


def from_torch(module: torch.nn.Module, *, fused: bool = True) -> MLP:
    """An `nn.MLP` with the weights of a Sequential of `Linear` layers, each followed by ReLU,
    Tanh, Sigmoid or nothing (Identity counts as nothing); the hidden layers must share one
    activation, as an MLP's do. Weights of any float dtype are read as float64."""
    torch = _torch("nn.from_torch")
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"nn.from_torch: expected a torch.nn.Sequential, got {type(module).__name__}")
    names = {getattr(torch.nn, cls): name for name, cls in TORCH_ACTIVATIONS.items()}
    linears: list[torch.nn.Linear] = []
    activations: list[str] = []
    for i, part in enumerate(module):
        if isinstance(part, torch.nn.Linear):
            if part.bias is None:
                raise ValueError(
                    f"nn.from_torch: Linear at index {i} has no bias; every gradwalk neuron has one"
                )
            if linears and part.in_features != linears[-1].out_features:
                raise ValueError(
                    f"nn.from_torch: Linear at index {i} takes {part.in_features} inputs, "
                    f"but the layer before gives {linears[-1].out_features}"
                )
            linears.append(part)
            activations.append("linear")
        elif isinstance(part, torch.nn.Identity):
            continue
        elif type(part) in names and linears and activations[-1] == "linear":
            activations[-1] = names[type(part)]
        else:
            raise ValueError(
                f"nn.from_torch: cannot translate {type(part).__name__} at index {i}; "
                f"expected Linear layers, each followed by at most one of {', '.join(ACTIVATION_CLASSES)}"
            )
    if not linears:
        raise ValueError("nn.from_torch: the Sequential has no Linear layer")
    hidden = set(activations[:-1])
    if len(hidden) > 1:
        raise ValueError(
            f"nn.from_torch: the hidden layers use {sorted(hidden)}; "
            "an nn.MLP's hidden layers share one activation"
        )
    model = MLP(
        linears[0].in_features,
        [lin.out_features for lin in linears],
        hidden.pop() if hidden else "relu",
        output_activation=activations[-1],
        fused=fused,
        rng=0,  # every weight is overwritten below
    )
    state: dict[str, float] = {}
    for i, lin in enumerate(linears):
        weight = lin.weight.detach().to(torch.float64).tolist()
        bias = lin.bias.detach().to(torch.float64).tolist()
        for j, (row, b) in enumerate(zip(weight, bias)):
            state.update({f"layers.{i}.neurons.{j}.w.{k}": w for k, w in enumerate(row)})
            state[f"layers.{i}.neurons.{j}.b"] = b
    model.load_state_dict(state)  # checks that every value is finite
    return model
