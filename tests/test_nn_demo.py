"""Training end to end, and the `gradwalk demo` command run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import autograd
import nn
from nn.demo import eager, moons_objective, moons_step, run_linear, train

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_cli(*args, cwd):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-m", "nn", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_a_short_training_run_separates_the_moons():
    X, y = nn.data.make_moons(40, noise=0.1, seed=3)
    labels = [2 * t - 1 for t in y]
    model = nn.MLP(2, [8, 8, 1], rng=3)
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    run = train(eager(lambda: moons_objective(model, X, labels)), opt, max_steps=60, tol=0.0)
    assert run.steps == 60 and not run.converged
    assert run.losses[-1] < run.losses[0] / 3
    assert run.accuracies[-1] >= 0.95


def test_training_stops_once_the_loss_has_converged():
    w_final, run = run_linear(epochs=500, tol=1e-9, write=lambda line: None)
    assert run.converged and run.steps < 500
    assert abs(run.losses[-1] - run.losses[-2]) < 1e-9
    assert w_final == pytest.approx(2.0, abs=0.2)


def test_demo_end_to_end_writes_plots_and_a_loadable_model(tmp_path):
    result = run_cli("demo", "--steps", "20", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = result.stdout.strip().splitlines()[-3:]
    assert summary[0].startswith("moons: ") and summary[0].endswith("(eager engine)")
    assert summary[1].startswith("20 sgd steps in ") and summary[1].endswith(" s, max steps reached")
    assert summary[2] == "wrote out/: decision_boundary.png, loss_curve.png, model.json"
    out = tmp_path / "out"
    for name in ("decision_boundary.png", "loss_curve.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 5000
    model = nn.load(out / "model.json")
    assert isinstance(model, nn.MLP) and len(model.parameters()) == 337


def test_default_demo_reaches_full_training_accuracy(tmp_path):
    result = run_cli("demo", "--out", str(tmp_path / "d"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "moons: 100% training accuracy" in result.stdout


def test_demo_with_adam_and_other_hidden_sizes(tmp_path):
    result = run_cli(
        "demo", "--steps", "5", "--optimizer", "adam", "--hidden", "4,3", "--out", "o", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "5 adam steps" in result.stdout
    assert nn.load(tmp_path / "o" / "model.json").architecture()["args"]["nouts"] == [4, 3, 1]


def test_demo_linear_prints_the_loss_per_epoch_and_a_weight_near_two(tmp_path):
    result = run_cli("demo", "linear", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    losses = [float(line.split()[3]) for line in lines if line.startswith("epoch")]
    assert len(losses) >= 20 and losses[-1] < losses[0] / 4
    w = float(lines[-2].split("w = ")[1].split()[0])
    assert abs(w - 2.0) < 0.25
    assert os.listdir(tmp_path) == []  # the linear demo writes no files


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["demo", "--steps", "0"], "expected a positive integer"),
        (["demo", "--hidden", "16,x"], "expected sizes such as 16,16"),
        (["demo", "--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
        (["demo", "--tol", "-1"], "expected a finite number ≥ 0"),
        (["demo", "--colour"], "unrecognized option --colour"),
        (["demo", "linear", "--hidden", "4"], "--hidden applies to the moons demo only"),
        (["train"], "invalid choice: 'train'"),
        ([], "required: COMMAND"),
    ],
)
def test_bad_options_give_a_usage_error(tmp_path, args, message):
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert "usage: gradwalk" in result.stderr and message in result.stderr


def test_help_describes_the_demo(tmp_path):
    result = run_cli("demo", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "decision_boundary.png" in result.stdout and "--optimizer" in result.stdout


class ContractCompile:
    """What `autograd.compile` promises, written with backward(): `step(*args)` returns the loss
    as a float and adds its gradients to the leaves; `step.map(*columns, reduce="mean")` does the
    same for the mean of f over the rows."""

    def __init__(self, f):
        self.f = f

    def __call__(self, *args):
        out = self.f(*args)
        out.backward()
        return out.data

    def map(self, *columns, reduce="mean"):
        assert reduce == "mean" and len({len(c) for c in columns}) == 1
        outs = [self.f(*row) for row in zip(*columns)]
        mean = autograd.sum(outs) / len(outs)
        mean.backward()
        return mean.data


@pytest.mark.parametrize("engine", ["compiled", "batched"])
@pytest.mark.parametrize("compiler", ["autograd.compile", "its contract"])
def test_compiled_engines_train_as_the_eager_one_does(monkeypatch, engine, compiler):
    if compiler == "its contract":
        monkeypatch.setattr(autograd, "compile", ContractCompile, raising=False)
    X, y = nn.data.make_moons(20, noise=0.1, seed=5)
    labels = [2 * t - 1 for t in y]
    runs = {}
    for name in ("eager", engine):
        model = nn.MLP(2, [4, 1], rng=5)
        opt = nn.optim.SGD(model.parameters(), lr=0.5)
        runs[name] = train(moons_step(model, X, labels, name), opt, max_steps=5, tol=0.0)
    assert runs[engine].losses == pytest.approx(runs["eager"].losses, rel=1e-12)
    if engine == "compiled" and compiler == "autograd.compile":  # the straight-line replay is exact
        assert runs[engine].losses == runs["eager"].losses
    assert runs[engine].accuracies == [None] * 6  # measured once, after training, by the demo


def test_a_compiled_engine_without_autograd_compile_is_a_clear_error(monkeypatch):
    monkeypatch.delattr(autograd, "compile", raising=False)
    with pytest.raises(nn.demo.DemoError, match=r"--engine batched needs autograd\.compile"):
        moons_step(nn.MLP(2, [1], rng=0), [[0.0, 0.0]], [1], "batched")


def test_training_stops_when_the_loss_stops_being_finite():
    w = autograd.Value(1.0)
    opt = nn.optim.SGD([w], lr=1e300)
    run = train(eager(lambda: (w * w * 1e10, None)), opt, max_steps=50, tol=0.0)
    assert run.diverged and run.steps == 1 and run.losses[-1] == float("inf")
