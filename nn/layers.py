"""Neuron, Layer and MLP: a multi-layer perceptron of scalar Values.

A neuron computes act(w·x + b). By default the weighted sum is one `dot` node, so a forward pass
builds few nodes and a drawing shows each neuron as one box; `fused=False` builds it op by op,
`w0*x0 + w1*x1 + … + b`, with the same result and the same gradients, for teaching.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from types import ModuleType

from autograd import Value, dot
from nn.module import Module

#: `random.Random` or the `random` module itself: both have `uniform`, `gauss` and `shuffle`.
RandomSource = random.Random | ModuleType
Inputs = Sequence[Value | float]

#: The activations a neuron can apply to its weighted sum.
ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": lambda z: z,
}


def _checked_activation(activation: object) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; choose one of {', '.join(map(repr, ACTIVATIONS))}"
        )
    return activation  # type: ignore[return-value]


def as_inputs(x: Inputs) -> tuple[Value, ...]:
    """A model's inputs as leaf Values: a number becomes a leaf labelled `x0`, `x1`, … once per
    call, so each input is one node shared by every neuron that reads it (drawn once, with its
    gradient), and every neuron's weighted sum has only Value operands."""
    return tuple(v if type(v) is Value else Value(v, f"x{i}") for i, v in enumerate(x))


def _resolved_activation(activation: object, nonlin: bool | None) -> str:
    """The activation to apply, also from micrograd's spelling: `nonlin=False` is linear, and
    `nonlin=True` keeps the (non-linear) activation, relu by default."""
    activation = _checked_activation(activation)
    if nonlin is None:
        return activation
    if type(nonlin) is not bool:
        raise TypeError(f"nonlin must be True or False, got {nonlin!r}")
    if nonlin and activation == "linear":
        raise ValueError("nonlin=True asks for a non-linearity, but activation='linear'")
    if not nonlin and activation not in ("relu", "linear"):  # relu is the default, so not a choice
        raise ValueError(f"nonlin=False asks for a linear neuron, but activation={activation!r}")
    return activation if nonlin else "linear"


def check_input_count(x: object, nin: int, who: str) -> None:
    """Refuse inputs that are not a list of `nin` numbers or Values, saying what was expected."""
    try:
        n = len(x)  # type: ignore[arg-type]
    except TypeError:
        hint = f"; for one input, pass [{x!r}]" if nin == 1 else ""
        raise TypeError(
            f"{who}: expected a list of {nin} input{'s' * (nin != 1)}, got {type(x).__name__} {x!r}{hint}"
        ) from None
    if n != nin:
        raise ValueError(f"{who}: expected {nin} inputs, got {n}")


class Outputs(list):
    """The outputs of a layer or model with more than one: a plain list of Values, whose
    `backward()` says to reduce it to one Value first (a loss, or `autograd.sum`)."""

    def backward(self, *args: object, **kwargs: object) -> None:
        raise TypeError(
            f"backward() needs one Value, but this is a list of {len(self)} outputs; reduce it to one "
            "Value first, e.g. nn.mse_loss(outputs, targets) or autograd.sum(outputs)"
        )


def _checked_size(n: object, what: str) -> int:
    if type(n) is not int or n < 1:
        raise ValueError(f"{what} must be a positive int, got {n!r}")
    return n


def as_rng(rng: RandomSource | int | None) -> RandomSource:
    """The random source for initial weights: Python's `random` module by default (so that
    `random.seed(…)` reproduces a model), a given `random.Random`, or a new one seeded by an int."""
    if rng is None or rng is random:
        return random
    if isinstance(rng, random.Random):
        return rng
    if type(rng) is int:
        return random.Random(rng)
    raise TypeError(f"rng must be a random.Random, an int seed or None, got {type(rng).__name__}")


class Neuron(Module):
    """act(w·x + b), with weights drawn uniformly from (−1, 1) and the bias 0."""

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        *,
        fused: bool = True,
        rng: random.Random | int | None = None,
        name: str = "",
        nonlin: bool | None = None,
    ) -> None:
        _checked_size(nin, "Neuron: nin")
        self.activation = _resolved_activation(activation, nonlin)
        draw = as_rng(rng).uniform
        prefix = f"{name}." if name else ""
        self.w = [Value(draw(-1, 1), label=f"{prefix}w{i}") for i in range(nin)]
        self.b = Value(0.0, label=f"{prefix}b")
        self.fused = fused
        self._name = name or "neuron"
        self._act = ACTIVATIONS[self.activation]  # the resolved one, which is also what is saved

    def __call__(self, x: Inputs) -> Value:
        check_input_count(x, len(self.w), "Neuron")
        return self._forward(as_inputs(x))

    def _forward(self, x: Inputs) -> Value:
        """act(w·x + b), with w·x + b one `dot` node, or one node per op when not fused."""
        if self.fused:
            z = dot(self.w, x, self.b)
        else:
            z = self.w[0] * x[0]
            for wi, xi in zip(self.w[1:], x[1:]):
                z = z + wi * xi
            z = z + self.b
        out = self._act(z)
        out.label = self._name
        return out

    def architecture_args(self) -> dict[str, object]:
        return {"nin": len(self.w), "activation": self.activation}

    @classmethod
    def parameter_count(cls, args: Mapping[str, object]) -> int:
        """nin weights and a bias."""
        return _checked_size(args["nin"], "Neuron: nin") + 1

    def extra_repr(self) -> str:
        return f"{len(self.w)}, activation={self.activation!r}"


class Layer(Module):
    """`nout` neurons reading the same inputs; returns a Value for one neuron, else a list."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        *,
        fused: bool = True,
        rng: random.Random | int | None = None,
        name: str = "",
        nonlin: bool | None = None,
    ) -> None:
        _checked_size(nin, "Layer: nin")
        _checked_size(nout, "Layer: nout")
        activation = _resolved_activation(activation, nonlin)
        rng = as_rng(rng)
        prefix = f"{name}." if name else ""
        self.neurons = [
            Neuron(nin, activation, fused=fused, rng=rng, name=f"{prefix}n{j}") for j in range(nout)
        ]

    def __call__(self, x: Inputs) -> Value | Outputs:
        out = self.forward(x)
        return out[0] if len(out) == 1 else out

    def forward(self, x: Inputs) -> Outputs:
        """The outputs of all neurons, always as a list."""
        check_input_count(x, len(self.neurons[0].w), "Layer")
        x = as_inputs(x)  # made once, shared by the neurons
        return Outputs([n._forward(x) for n in self.neurons])

    def architecture_args(self) -> dict[str, object]:
        first = self.neurons[0]
        return {"nin": len(first.w), "nout": len(self.neurons), "activation": first.activation}

    @classmethod
    def parameter_count(cls, args: Mapping[str, object]) -> int:
        """nout neurons of nin weights and a bias each."""
        nin, nout = _checked_size(args["nin"], "Layer: nin"), _checked_size(args["nout"], "Layer: nout")
        return nout * (nin + 1)

    def extra_repr(self) -> str:
        args = self.architecture_args()
        return f"{args['nin']} → {args['nout']}, activation={args['activation']!r}"

    def __repr__(self) -> str:  # the neurons are all alike; the one-line form says everything
        return f"Layer({self.extra_repr()})"


class MLP(Module):
    """Layers of sizes `nouts` on `nin` inputs; hidden layers use `activation`, the last one
    `output_activation` (linear by default, so the output is a score; the lecture's MLP is
    `MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh")`)."""

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        *,
        output_activation: str = "linear",
        fused: bool = True,
        rng: random.Random | int | None = None,
    ) -> None:
        _checked_size(nin, "MLP: nin")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"MLP: nouts must be a non-empty list of layer sizes, got {nouts!r}")
        for n in nouts:
            _checked_size(n, "MLP: each layer size")
        self.activation = _checked_activation(activation)
        self.output_activation = _checked_activation(output_activation)
        rng = as_rng(rng)
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation if i < last else output_activation,
                fused=fused,
                rng=rng,
                name=f"L{i}",
            )
            for i in range(len(nouts))
        ]

    def __call__(self, x: Inputs) -> Value | Outputs:
        check_input_count(x, len(self.layers[0].neurons[0].w), "MLP")
        x = as_inputs(x)
        for layer in self.layers:
            x = tuple([n._forward(x) for n in layer.neurons])  # one tuple, shared by the next layer
        return x[0] if len(x) == 1 else Outputs(x)

    def architecture_args(self) -> dict[str, object]:
        args: dict[str, object] = {
            "nin": len(self.layers[0].neurons[0].w),
            "nouts": [len(layer.neurons) for layer in self.layers],
            "activation": self.activation,
        }
        if self.output_activation != "linear":  # left out when linear, so older files still match
            args["output_activation"] = self.output_activation
        return args

    @classmethod
    def parameter_count(cls, args: Mapping[str, object]) -> int:
        """Σ over layers of nout·(nin + 1)."""
        nouts = args["nouts"]
        if not isinstance(nouts, list):
            raise TypeError("MLP: nouts must be a list")
        sizes = [_checked_size(n, "MLP: layer size") for n in [args["nin"], *nouts]]
        return sum(n_out * (n_in + 1) for n_in, n_out in pairwise(sizes))

    def extra_repr(self) -> str:
        args = self.architecture_args()
        count = len(self.parameters())
        text = f"{args['nin']} → {args['nouts']}, activation={args['activation']!r}"
        if "output_activation" in args:
            text += f", output_activation={self.output_activation!r}"
        return f"{text}, {count} parameters"
