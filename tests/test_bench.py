"""The benchmarks measure what they claim: the reference engine computes the same derivatives as
gradwalk, the GPT model runs unchanged on both engines with the same losses, the moons loops agree
with the hand-written floor, and the profile helper accounts for a whole step."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import gpt
import moons
import profile_step
import reference_engine

import autograd
import nn

Ref = reference_engine.Value


def every_op(V: type) -> tuple[object, object, object]:
    """One expression through every op of the reference engine, built on the Value class V."""
    a, b = V(1.5), V(-0.75)
    y = (a * b + 2) ** 2 - (3 - a) / b + (a.exp() - 1).log() + (-a).relu() + b.relu() * 4 + 2 / a
    return y, a, b


def test_reference_engine_matches_gradwalk_on_every_op() -> None:
    y_ref, a_ref, b_ref = every_op(Ref)
    y_gw, a_gw, b_gw = every_op(autograd.Value)
    y_ref.backward()
    y_gw.backward()
    assert y_ref.data == pytest.approx(y_gw.data, rel=1e-14)
    assert a_ref.grad == pytest.approx(a_gw.grad, rel=1e-12)
    assert b_ref.grad == pytest.approx(b_gw.grad, rel=1e-12)


def test_reference_engine_has_microgpts_design() -> None:
    assert Ref.__slots__ == ("data", "grad", "_children", "_local_grads")
    x = Ref(3.0)
    y = x * 2  # the number is wrapped in a Value, as the design has it
    assert type(y._children[1]) is Ref and y._children[1].data == 2
    assert y._local_grads == (2, 3.0)
    z = x * x + x  # x reached along three paths: d/dx = 2x + 1
    z.backward()
    assert x.grad == 7.0


def test_generated_names_are_distinct_pronounceable_words() -> None:
    names = gpt.generated_names(300, seed=1)
    assert len(names) == len(set(names)) == 300
    assert all(3 <= len(n) <= 10 and n.isalpha() and n.islower() for n in names)
    assert names == gpt.generated_names(300, seed=1)


def test_load_names_gives_lower_case_names_from_the_package_or_generated() -> None:
    names, source = gpt.load_names()
    assert names == sorted(set(names)) and len(names) > 1000
    assert all(n.isalpha() and n.islower() for n in names)
    if source == "the names package":
        assert {"mary", "james"} <= set(names)  # the census lists the package ships
    else:
        assert names == gpt.generated_names()


def test_gpt_runs_unchanged_on_both_engines_with_the_same_losses_and_grads() -> None:
    corpus = gpt.Corpus.of(gpt.generated_names(50), seed=0)
    weights = gpt.init_weights(corpus.vocab_size, seed=0)
    tokens = corpus.tokens(0)
    models = {V: gpt.TinyGPT(V, weights) for V in (autograd.Value, Ref)}
    losses = {}
    for V, model in models.items():
        loss = model.loss(tokens)
        loss.backward()
        losses[V] = loss.data
    assert math.isfinite(losses[Ref]) and losses[Ref] > 0
    assert abs(losses[autograd.Value] - losses[Ref]) <= 1e-12 * losses[Ref]
    for p, q in zip(models[autograd.Value].params, models[Ref].params, strict=True):
        assert p.grad == pytest.approx(q.grad, rel=1e-9, abs=1e-15)


def test_gpt_bench_trains_both_engines_side_by_side(capsys: pytest.CaptureFixture[str]) -> None:
    sys_argv = sys.argv
    sys.argv = ["gpt.py", "--steps", "3", "--block", "2"]
    try:
        gpt.main()
    finally:
        sys.argv = sys_argv
    out = capsys.readouterr().out
    assert "losses agree at every step" in out
    assert "reference / gradwalk" in out and "goal ≥ 3×" in out


def test_gpt_loss_check_names_the_step_where_the_engines_differ() -> None:
    same = SimpleNamespace(losses=[3.0, 2.5])
    assert gpt.check_losses(same, SimpleNamespace(losses=[3.0, 2.5])) == (0.0, True)
    with pytest.raises(SystemExit, match=r"step 1: losses differ: gradwalk 2\.5, reference 2\.6"):
        gpt.check_losses(same, SimpleNamespace(losses=[3.0, 2.6]))


def test_moons_loops_agree_with_the_hand_written_floor() -> None:
    X, y = nn.data.make_moons(100, noise=0.1, seed=0)
    labels = [2 * t - 1 for t in y]
    runs = {
        moons.FUSED_USER: (moons.gradwalk_user_step(True, X, labels), 1),
        moons.PER_OP_USER: (moons.gradwalk_user_step(False, X, labels), 1),
        moons.FUSED_LIB: (moons.gradwalk_library_step(True, X, labels), 1),
        moons.FLOATS: (moons.float_step(X, labels), 1),
    }
    results = moons.time_in_rounds(runs, rounds=1)
    assert all(len(losses) == 2 for _, losses in results.values())  # a warm-up and a timed step
    assert moons.check_losses({name: losses for name, (_, losses) in results.items()}) <= moons.LOSS_RTOL
    floor = results[moons.FLOATS][1]
    assert floor[1] < floor[0]  # the step trains


def test_moons_loss_check_names_the_run_that_differs() -> None:
    with pytest.raises(SystemExit, match=r"op by op, user's loop: loss 0\.9 at step 1"):
        moons.check_losses({moons.FLOATS: [1.0, 0.8], moons.PER_OP_USER: [1.0, 0.9]})


def test_profile_phases_add_up_to_the_step(capsys: pytest.CaptureFixture[str]) -> None:
    work = profile_step.moons_workload(fused=True)
    clock = profile_step.PhaseClock()
    seconds, gc_seconds, nodes, _ = clock.run_step(work)
    assert set(seconds) == set(profile_step.PHASES) and all(s >= 0 for s in seconds.values())
    assert set(gc_seconds) <= set(profile_step.PHASES)
    assert nodes == autograd.graph.count_nodes(work.forward())
    profile_step.phase_table(work, steps=1)
    profile_step.profile_listing(work, steps=1, top=3)
    out = capsys.readouterr().out
    for phase in profile_step.PHASES:
        assert f"  {phase} " in out
    assert "cProfile, backward" in out


def test_profile_counts_reference_nodes_without_recursion() -> None:
    x = Ref(1.0)
    y = x
    for _ in range(5000):  # deeper than the default recursion limit
        y = y * 1.0
    assert profile_step.reference_node_count(y) == 1 + 2 * 5000  # each step adds a node and a constant
