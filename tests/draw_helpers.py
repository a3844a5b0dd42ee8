"""Shared helpers of the drawing tests: DOT parsing, renderers, and an MLP-like graph."""

from __future__ import annotations

import itertools
import random
import re
import shutil
import sysconfig
import xml.etree.ElementTree as ET
from pathlib import Path

import autograd
from autograd import Value

NODE = re.compile(r"^\t(\w+) \[", re.MULTILINE)
EDGE = re.compile(r"^\t(\w+) -> (\w+)", re.MULTILINE)
SVG_NS = "{http://www.w3.org/2000/svg}"


def dot_nodes(source: str) -> list[str]:
    return NODE.findall(source)


def dot_edges(source: str) -> list[tuple[str, str]]:
    return EDGE.findall(source)


def system_dot() -> str | None:
    return shutil.which("dot")


def pure_renderer() -> str | None:
    return shutil.which("graphviz-pure", path=sysconfig.get_path("scripts"))


def without_system_dot(monkeypatch, tmp_path: Path) -> None:
    """PATH without any `dot` (a directory holding only python), and GRADWALK_DOT unset."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("GRADWALK_DOT", raising=False)


def svg_root(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def svg_text(svg: str) -> str:
    """All text of the SVG, whitespace collapsed (renderers turn runs of spaces into nbsp)."""
    root = svg_root(svg)
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")]
    return " ".join(" ".join(texts).replace("\xa0", " ").split())


def svg_ids(svg: str) -> set[str]:
    return {el.get("id") for el in svg_root(svg).iter() if el.get("id")}


def mlp_like(sizes: list[int], xs: list[float], seed: int = 0) -> tuple[Value, list[Value], list[Value]]:
    """A loss over an MLP built by hand: neuron = relu(dot([*w, b], [*x, 1.0])), last one linear."""
    rng = random.Random(seed)
    params: list[Value] = []
    acts = [Value(x, f"x{i}") for i, x in enumerate(xs)]
    inputs = list(acts)
    for layer, (nin, nout) in enumerate(itertools.pairwise(sizes)):
        outs = []
        for j in range(nout):
            w = [Value(rng.uniform(-1, 1), f"w{layer}.{j}.{i}") for i in range(nin)]
            b = Value(0.1, f"b{layer}.{j}")
            params += [*w, b]
            z = autograd.dot([*w, b], [*acts, 1.0])
            outs.append(z.relu() if layer < len(sizes) - 2 else z)
        acts = outs
    loss = (acts[0] - 1.0) ** 2
    loss.backward()
    return loss, params, inputs
