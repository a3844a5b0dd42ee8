"""`Module`: the base of every model: named parameters, gradients to zero, state to save and load.

A module's parameters are found by looking at its attributes in the order they were set: a `Value`,
a list of Values, a child `Module` or a list of Modules. Names join the attribute path with dots,
so the second weight of the fourth neuron of an MLP's first layer is `layers.0.neurons.3.w.1`.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterator, Mapping

from autograd import Value
from nn import serialize


class Module:
    """A model or a part of one; subclasses set Values and Modules as attributes in `__init__`."""

    #: Every Module subclass by the name used in saved files, so `nn.load` can rebuild a model
    #: from its class name without importing anything named in a file.
    registry: dict[str, type[Module]] = {}  # noqa: RUF012 (shared on purpose)

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        Module.registry.setdefault(_class_name(cls), cls)

    # -- parameters --------------------------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(attribute name, child) for each child Module, lists numbered: `layers.0`, `layers.1`, …"""
        for name, attr in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(attr, Module):
                yield name, attr
            elif isinstance(attr, (list, tuple)):
                for i, item in enumerate(attr):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def named_parameters(self) -> Iterator[tuple[str, Value]]:
        """(dotted name, parameter) for every parameter, each shared Value once, in a stable order."""
        return self._each_parameter(named=True)  # type: ignore[return-value]

    def parameters(self) -> list[Value]:
        """Every parameter, in the order of `named_parameters()`."""
        return [p for _, p in self._each_parameter(named=False)]

    def _each_parameter(self, named: bool) -> Iterator[tuple[str | None, Value]]:
        """The walk behind both: iterative, children visited in attribute order; the names are only
        built when asked for (a training loop calls parameters() every step)."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            prefix, module = stack.pop()
            for name, attr in vars(module).items():
                if name.startswith("_"):
                    continue
                if type(attr) is Value:
                    if id(attr) not in seen:
                        seen.add(id(attr))
                        yield (prefix + name if named else None), attr
                elif isinstance(attr, (list, tuple)):
                    for i, item in enumerate(attr):
                        if type(item) is Value and id(item) not in seen:
                            seen.add(id(item))
                            yield (f"{prefix}{name}.{i}" if named else None), item
            stack.extend(reversed([(f"{prefix}{n}.", child) for n, child in module.named_children()]))

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0 (leaf grads accumulate across backward calls)."""
        for p in self.parameters():
            p.grad = 0.0

    # -- state -------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """{name: value} for every parameter, as plain floats."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Set every parameter from `state`; checks everything first, so on error nothing changes.

        Raises ValueError for missing or unexpected names and for non-finite values, TypeError for
        values that are not real numbers (bools included).
        """
        params = dict(self.named_parameters())
        values = checked_state(state, list(params))
        serialize.swap_in([params[name] for name in values], list(values.values()))

    def architecture(self) -> dict[str, object]:
        """The class and the constructor arguments that fix the parameters' shape and meaning."""
        return {"class": _class_name(type(self)), "args": self.architecture_args()}

    def architecture_args(self) -> dict[str, object] | None:
        """Constructor arguments that rebuild this module (None: it cannot be rebuilt from a file)."""
        return None

    @classmethod
    def parameter_count(cls, args: Mapping[str, object]) -> int | None:
        """How many parameters the model built from `args` has, when known without building it."""
        return None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the architecture and every parameter to `path` as JSON, atomically."""
        serialize.write_model(path, self.architecture(), self.state_dict())

    def load(self, path: str | os.PathLike[str]) -> None:
        """Set the parameters from a file written by `save`; on any problem nothing changes.

        Raises `nn.ModelFileError` naming the problem: corrupt or truncated JSON, another format
        version, another architecture, missing or extra names, values that are not finite numbers.
        """
        architecture, state = serialize.read_model(path)
        self._load_checked(os.fspath(path), architecture, state)

    def _load_checked(self, where: str, architecture: dict[str, object], state: dict[str, object]) -> None:
        if architecture != self.architecture():
            raise serialize.ModelFileError(
                f"{where}: the file holds {_describe(architecture)}, "
                f"but this model is {_describe(self.architecture())}"
            )
        try:
            self.load_state_dict(state)
        except (TypeError, ValueError) as e:
            raise serialize.ModelFileError(f"{where}: {e}") from None

    # -- printing ----------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text between the parentheses of this module's one-line repr."""
        return ""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()})"]
        for name, attr in vars(self).items():
            if name.startswith("_"):
                continue
            children = (
                [attr] if isinstance(attr, Module) else [a for a in _as_list(attr) if isinstance(a, Module)]
            )
            if not children:
                continue
            reprs = [repr(c) for c in children]
            if isinstance(attr, Module):
                lines.append(_indent(f"({name}): {reprs[0]}"))
            elif len(set(reprs)) == 1 and len(reprs) > 1:  # a row of identical children: say it once
                lines.append(_indent(f"({name}): {len(reprs)} × {reprs[0]}"))
            else:
                lines += [_indent(f"({name}.{i}): {r}") for i, r in enumerate(reprs)]
        return "\n".join(lines)


def load(path: str | os.PathLike[str], **options: object) -> Module:
    """A new model built from the architecture in `path`, with its parameters.

    `options` are passed to the constructor on top of the saved arguments (e.g. `fused=False`).
    """
    architecture, state = serialize.read_model(path)
    name = architecture.get("class")
    cls = Module.registry.get(name) if isinstance(name, str) else None
    args = architecture.get("args")
    if cls is None:
        raise serialize.ModelFileError(f"{os.fspath(path)}: unknown model class {name!r}")
    if not isinstance(args, dict):
        raise serialize.ModelFileError(f"{os.fspath(path)}: class {name!r} cannot be rebuilt from a file")
    try:
        expected = cls.parameter_count(args)
    except (TypeError, ValueError, KeyError):
        expected = None  # arguments the constructor will refuse, with its own message
    if expected is not None and expected > len(state) + _BUILD_SLACK:
        # Refused before building, so a damaged file cannot make us allocate a huge model; a
        # model near the file's size is built, and the name check then says exactly what is missing.
        raise serialize.ModelFileError(
            f"{os.fspath(path)}: {name}({_args_text(args)}) has {expected} parameters, "
            f"but the file holds {len(state)}"
        )
    try:
        model = cls(**args, **options)
    except (TypeError, ValueError) as e:
        raise serialize.ModelFileError(f"{os.fspath(path)}: cannot build {name} from {args}: {e}") from None
    model._load_checked(os.fspath(path), architecture, state)
    return model


def checked_state(state: Mapping[str, object], names: list[str]) -> dict[str, float]:
    """The values of `state` as floats, in the order of `names`, or an error naming what is wrong."""
    if not isinstance(state, Mapping):
        raise TypeError(f"state must be a mapping of parameter names to numbers, got {type(state).__name__}")
    missing = [n for n in names if n not in state]
    expected = set(names)
    extra = [n for n in state if n not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} parameter(s): {_some(missing)}")
        if extra:
            parts.append(f"unexpected {len(extra)} name(s): {_some(extra)}")
        raise ValueError("; ".join(parts))
    values: dict[str, float] = {}
    for name in names:
        x = state[name]
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"parameter {name!r}: expected a number, got {type(x).__name__} {x!r}")
        try:
            value = float(x)
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            raise ValueError(f"parameter {name!r}: expected a finite number, got {x!r}")
        values[name] = value
    return values


def _class_name(cls: type) -> str:
    """The name a class is saved under: `MLP` for nn's own classes, `module.Class` for others."""
    if cls.__module__ == "nn" or cls.__module__.startswith("nn."):
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


#: How many more parameters than the file holds an architecture may have and still be built.
_BUILD_SLACK = 10_000


def _args_text(args: Mapping[str, object]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in args.items())


def _describe(architecture: object) -> str:
    if isinstance(architecture, dict):
        args = architecture.get("args")
        args_text = ", ".join(f"{k}={v!r}" for k, v in args.items()) if isinstance(args, dict) else ""
        return f"{architecture.get('class')}({args_text})"
    return repr(architecture)


def _some(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", … ({len(names) - limit} more)" if len(names) > limit else "")


def _as_list(attr: object) -> list[object]:
    return list(attr) if isinstance(attr, (list, tuple)) else []


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
