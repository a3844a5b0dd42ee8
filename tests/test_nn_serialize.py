"""Save and load: exact round trips, every broken file refused with the model left unchanged."""

from __future__ import annotations

import json
import math
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from nn import serialize


def snapshot(model):
    """Every parameter's data and identity, to compare before and after a refused load."""
    return [(name, id(p), p.data) for name, p in model.named_parameters()]


def test_round_trip_is_exact(tmp_path):
    a = nn.MLP(2, [5, 3, 1], activation="tanh", rng=0)
    for p in a.parameters():
        p.data = p.data / 3.0  # floats with long expansions
    path = tmp_path / "model.json"
    a.save(path)
    b = nn.MLP(2, [5, 3, 1], activation="tanh", rng=1)
    b.load(path)
    assert b.state_dict() == a.state_dict()
    c = nn.load(path)
    assert isinstance(c, nn.MLP) and c.state_dict() == a.state_dict()
    assert c([0.3, -0.7]).data == a([0.3, -0.7]).data
    assert not nn.load(path, fused=False).layers[0].neurons[0].fused


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=4, max_size=4))
def test_any_finite_floats_round_trip(tmp_path_factory, xs):
    model = nn.Neuron(3, rng=0)
    for p, x in zip(model.parameters(), xs):
        p.data = x
    path = tmp_path_factory.mktemp("rt") / "n.json"
    model.save(path)
    loaded = nn.load(path)
    assert [p.data for p in loaded.parameters()] == xs
    assert [math.copysign(1, p.data) for p in loaded.parameters()] == [math.copysign(1, x) for x in xs]


def test_file_is_versioned_json_with_names_and_architecture(tmp_path):
    path = tmp_path / "m.json"
    model = nn.MLP(2, [3, 1], rng=0)
    model.save(path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "gradwalk.nn" and doc["version"] == 1
    assert doc["architecture"] == {"class": "MLP", "args": {"nin": 2, "nouts": [3, 1], "activation": "relu"}}
    assert list(doc["parameters"]) == [n for n, _ in model.named_parameters()]


def write_variant(path, edit):
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))


def _set_first(doc, value):
    doc["parameters"][next(iter(doc["parameters"]))] = value


BROKEN = {
    "truncated": (lambda p: p.write_text(p.read_text()[: len(p.read_text()) // 2]), "not valid JSON"),
    "not JSON": (lambda p: p.write_bytes(b"\x89PNG\r\n"), "not a gradwalk model file|not valid JSON"),
    "empty": (lambda p: p.write_text(""), "not valid JSON"),
    "other format": (lambda p: write_variant(p, lambda d: d.update(format="other")), "not a gradwalk model"),
    "newer version": (
        lambda p: write_variant(p, lambda d: d.update(version=2)),
        "version 2 is not supported",
    ),
    "other architecture": (
        lambda p: write_variant(p, lambda d: d["architecture"]["args"].update(nouts=[4, 1])),
        r"holds MLP\(nin=2, nouts=\[4, 1\].*this model is MLP\(nin=2, nouts=\[3, 1\]",
    ),
    "other activation": (
        lambda p: write_variant(p, lambda d: d["architecture"]["args"].update(activation="tanh")),
        "activation='tanh'",
    ),
    "missing name": (
        lambda p: write_variant(p, lambda d: d["parameters"].pop("layers.1.neurons.0.b")),
        "missing 1 parameter.*layers.1.neurons.0.b",
    ),
    "extra name": (
        lambda p: write_variant(p, lambda d: d["parameters"].update({"layers.7.b": 0.0})),
        "unexpected 1 name.*layers.7.b",
    ),
    "NaN": (lambda p: write_variant(p, lambda d: _set_first(d, math.nan)), "NaN is not a finite number"),
    "Infinity": (lambda p: write_variant(p, lambda d: _set_first(d, -math.inf)), "-Infinity is not a finite"),
    "overflowing number": (
        lambda p: p.write_text(
            p.read_text().replace('"layers.1.neurons.0.b": 0.0', '"layers.1.neurons.0.b": 1e999')
        ),
        "expected a finite number, got inf",
    ),
    "string value": (
        lambda p: write_variant(p, lambda d: _set_first(d, "0.5")),
        "expected a number, got str",
    ),
    "bool value": (lambda p: write_variant(p, lambda d: _set_first(d, True)), "expected a number, got bool"),
    "null value": (
        lambda p: write_variant(p, lambda d: _set_first(d, None)),
        "expected a number, got NoneType",
    ),
    "duplicate name": (
        lambda p: p.write_text(p.read_text().replace('"layers.1.neurons.0.b"', '"layers.0.neurons.0.b"')),
        "appears twice",
    ),
    "parameters not an object": (
        lambda p: write_variant(p, lambda d: d.update(parameters=[1.0])),
        "parameters",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_file_is_refused_and_the_model_is_unchanged(tmp_path, case):
    break_file, match = BROKEN[case]
    path = tmp_path / "m.json"
    nn.MLP(2, [3, 1], rng=0).save(path)
    break_file(path)
    model = nn.MLP(2, [3, 1], rng=1)
    before = snapshot(model)
    with pytest.raises(nn.ModelFileError, match=match):
        model.load(path)
    assert snapshot(model) == before
    if "architecture" not in case and "activation" not in case:  # those files are fine for another model
        with pytest.raises(nn.ModelFileError, match=match):
            nn.load(path)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.MLP(2, [3, 1]).load(tmp_path / "nope.json")


def test_saving_a_non_finite_parameter_is_refused_and_writes_nothing(tmp_path):
    model = nn.MLP(2, [3, 1], rng=0)
    model.layers[0].neurons[1].w[0].data = math.inf
    with pytest.raises(ValueError, match=r"'layers.0.neurons.1.w.0' is inf"):
        model.save(tmp_path / "m.json")
    assert os.listdir(tmp_path) == []


def test_a_crash_mid_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    nn.MLP(2, [3, 1], rng=0).save(path)
    old = path.read_bytes()

    def crash(fd):
        raise OSError("disk failed during fsync")

    monkeypatch.setattr(serialize.os, "fsync", crash)
    with pytest.raises(OSError, match="disk failed"):
        nn.MLP(2, [3, 1], rng=1).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["m.json"]  # the temporary file was removed


def test_a_crash_before_the_rename_leaves_no_file(tmp_path, monkeypatch):
    def crash(src, dst):
        raise OSError("power cut")

    monkeypatch.setattr(serialize.os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        nn.MLP(2, [3, 1]).save(tmp_path / "m.json")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


def test_user_modules_save_and_load_into_an_instance_but_cannot_be_rebuilt(tmp_path):
    class Scaled(nn.Module):
        def __init__(self, seed):
            self.inner = nn.Neuron(2, rng=seed)

    a, b = Scaled(0), Scaled(1)
    path = tmp_path / "s.json"
    a.save(path)
    b.load(path)
    assert b.state_dict() == a.state_dict()
    with pytest.raises(nn.ModelFileError, match="cannot be rebuilt"):
        nn.load(path)


@pytest.mark.parametrize(
    ("architecture", "count"),
    [
        ({"class": "MLP", "args": {"nin": 2, "nouts": [10**9, 1], "activation": "relu"}}, 4 * 10**9 + 1),
        ({"class": "Layer", "args": {"nin": 10**8, "nout": 10**4, "activation": "relu"}}, 10**12 + 10**4),
        ({"class": "Neuron", "args": {"nin": 10**10, "activation": "relu"}}, 10**10 + 1),
    ],
)
def test_load_refuses_a_huge_architecture_before_building_it(tmp_path, architecture, count):
    path = tmp_path / "m.json"
    nn.MLP(2, [3, 1], rng=0).save(path)
    write_variant(path, lambda doc: doc.update(architecture=architecture))
    with pytest.raises(nn.ModelFileError, match=f"has {count} parameters, but the file holds 13"):
        nn.load(path)  # returns at once: nothing of that size is allocated


def test_parameter_counts_match_the_built_models():
    for model in (nn.Neuron(3, rng=0), nn.Layer(3, 4, rng=0), nn.MLP(2, [16, 16, 1], rng=0)):
        args = model.architecture()["args"]
        assert type(model).parameter_count(args) == len(model.parameters())
