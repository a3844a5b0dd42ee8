"""Optimisers: SGD, Adam and RMSprop with the update rules and defaults of PyTorch's.

Each `step()` changes `p.data` of every parameter from its `p.grad`, with plain float arithmetic,
so no graph is recorded. `lr` is a plain attribute: assign to it between steps to schedule it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from autograd import Value


class Optimizer:
    """Holds the parameters; subclasses write the update in `step()`."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = _as_parameter_list(params, type(self).__name__)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        seen: set[int] = set()
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{type(self).__name__}: parameter {i} is {type(p).__name__}, not a Value")
            if id(p) in seen:
                raise ValueError(
                    f"{type(self).__name__}: parameter {i} appears twice (it would be updated twice)"
                )
            seen.add(id(p))
        _check_at_least(self, "lr", lr, 0.0)
        self.lr = lr

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0 before the next backward pass."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        raise NotImplementedError

    def grads(self) -> list[float]:
        """The current gradient of each parameter as a float."""
        return [g.data if isinstance(g, Value) else float(g) for g in (p.grad for p in self.params)]


class SGD(Optimizer):
    """g ← ∇ + λθ;  b ← μb + g (b = g at the first step);  θ ← θ − lr·(b if μ ≠ 0 else g)."""

    def __init__(
        self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        super().__init__(params, lr)
        _check_at_least(self, "momentum", momentum, 0.0)
        _check_at_least(self, "weight_decay", weight_decay, 0.0)
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.buffers: list[float] | None = None

    def step(self) -> None:
        grads = self.grads()
        if self.weight_decay != 0:
            grads = [g + self.weight_decay * p.data for g, p in zip(grads, self.params)]
        if self.momentum != 0:
            if self.buffers is None:
                self.buffers = list(grads)
            else:
                self.buffers = [self.momentum * b + g for b, g in zip(self.buffers, grads)]
            grads = self.buffers
        lr = self.lr
        for p, g in zip(self.params, grads):
            p.data -= lr * g


class Adam(Optimizer):
    """m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  θ ← θ − lr·m̂/(√v̂ + ε), m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ).

    Weight decay adds λθ to the gradient first (L2, as `torch.optim.Adam`, not AdamW).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        beta1, beta2 = betas
        for name, beta in (("betas[0]", beta1), ("betas[1]", beta2)):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Adam: {name} must be in [0, 1), got {beta!r}")
        _check_at_least(self, "eps", eps, 0.0)
        _check_at_least(self, "weight_decay", weight_decay, 0.0)
        self.betas = (beta1, beta2)
        self.eps = eps
        self.weight_decay = weight_decay
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        beta1, beta2 = self.betas
        self.t += 1
        # Arranged as PyTorch computes it (lr/(1−β1ᵗ) and √v/√(1−β2ᵗ)), so the floats agree too.
        step_size = self.lr / (1 - beta1**self.t)
        root_correction = math.sqrt(1 - beta2**self.t)
        for i, (p, g) in enumerate(zip(self.params, self.grads())):
            if self.weight_decay != 0:
                g = g + self.weight_decay * p.data
            m = self.m[i] = beta1 * self.m[i] + (1 - beta1) * g
            v = self.v[i] = beta2 * self.v[i] + (1 - beta2) * (g * g)
            p.data -= step_size * (m / (math.sqrt(v) / root_correction + self.eps))


class RMSprop(Optimizer):
    """v ← α·v + (1−α)·g²;  θ ← θ − lr·g/(√v + ε), or with momentum μ: b ← μb + g/(√v + ε), θ ← θ − lr·b."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"RMSprop: alpha must be in [0, 1], got {alpha!r}")
        _check_at_least(self, "eps", eps, 0.0)
        _check_at_least(self, "momentum", momentum, 0.0)
        _check_at_least(self, "weight_decay", weight_decay, 0.0)
        self.alpha = alpha
        self.eps = eps
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.v = [0.0] * len(self.params)
        self.buffers = [0.0] * len(self.params)

    def step(self) -> None:
        alpha, lr = self.alpha, self.lr
        for i, (p, g) in enumerate(zip(self.params, self.grads())):
            if self.weight_decay != 0:
                g = g + self.weight_decay * p.data
            v = self.v[i] = alpha * self.v[i] + (1 - alpha) * (g * g)
            scaled = g / (math.sqrt(v) + self.eps)
            if self.momentum > 0:
                scaled = self.buffers[i] = self.momentum * self.buffers[i] + scaled
            p.data -= lr * scaled


def _as_parameter_list(params: object, who: str) -> list[Value]:
    """The parameters as a list, or a TypeError saying what to pass instead."""
    if callable(getattr(params, "parameters", None)):  # a model: the habit of torch.optim.SGD(model)
        raise TypeError(
            f"{who}: got the model {type(params).__name__} itself; did you mean {who}(model.parameters(), …)?"
        )
    if isinstance(params, Value):
        raise TypeError(f"{who}: got one Value; pass a list of parameters, e.g. {who}([w], …)")
    try:
        return list(params)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(
            f"{who}: expected a list of parameter Values, e.g. model.parameters(), "
            f"got {type(params).__name__}"
        ) from None


def _check_at_least(opt: Optimizer, name: str, value: object, low: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= low:
        raise ValueError(f"{type(opt).__name__}: {name} must be a number ≥ {low}, got {value!r}")
