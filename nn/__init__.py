"""gradwalk's neural-network package, built on the public API of `autograd`.

`MLP(2, [16, 16, 1])` builds a model with 337 named parameters; the losses take lists and return
the mean as a Value; `optim.SGD(model.parameters(), lr=0.1)` updates them after `backward()`;
`model.save(path)` and `nn.load(path)` write and read a checked, versioned JSON file;
`nn.to_torch(model)` and `nn.from_torch(module)` carry a model to PyTorch and back.
"""

# ruff: noqa: E402 (the engine check must run before the imports that need gradwalk's `autograd`)
from nn._engine_check import require_gradwalk_engine

require_gradwalk_engine()

from nn import data, optim
from nn.draw import draw  # the function shadows the module's name, as autograd.draw does
from nn.layers import ACTIVATIONS, MLP, Layer, Neuron
from nn.losses import binary_cross_entropy_with_logits, cross_entropy, hinge_loss, mse_loss, softplus
from nn.module import Module, load
from nn.serialize import ModelFileError
from nn.torch_bridge import from_torch, to_torch

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "Layer",
    "ModelFileError",
    "Module",
    "Neuron",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "data",
    "draw",
    "from_torch",
    "hinge_loss",
    "load",
    "mse_loss",
    "optim",
    "softplus",
    "to_torch",
]
