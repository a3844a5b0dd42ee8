"""Save and load: exact round trips, every broken file refused with the model left unchanged."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import stat
import subprocess
import sys
import time

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


def test_a_file_that_cannot_be_opened_is_a_model_file_error_naming_it(tmp_path, monkeypatch):
    missing = tmp_path / "nope.json"
    with pytest.raises(nn.ModelFileError, match=r"nope\.json: cannot open the model file: No such file"):
        nn.MLP(2, [3, 1]).load(missing)
    with pytest.raises(nn.ModelFileError, match=r"nope\.json: cannot open") as caught:
        nn.load(missing)
    assert isinstance(caught.value.__cause__, FileNotFoundError)
    with pytest.raises(nn.ModelFileError, match=rf"{re.escape(str(tmp_path))}: (a directory|cannot open)"):
        nn.load(tmp_path)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(serialize.os, "open", refuse)  # root may read any file, so refuse it here
    with pytest.raises(nn.ModelFileError, match=r"m\.json: cannot open the model file: Permission denied"):
        nn.load(tmp_path / "m.json")


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


# -- hostile files: deep nesting, files that are not regular files, huge files -------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_a_model_file_error(tmp_path, depth):
    path = tmp_path / "m.json"
    path.write_text(nested(depth))
    with pytest.raises(nn.ModelFileError, match=r"nest more than 32 levels deep"):
        nn.load(path)
    model = nn.MLP(2, [3, 1], rng=1)
    before = snapshot(model)
    with pytest.raises(nn.ModelFileError, match=r"nest more than 32 levels deep"):
        model.load(path)
    assert snapshot(model) == before


@pytest.mark.parametrize("depth", [40, 500])
def test_deep_nesting_that_parses_is_refused_too(tmp_path, depth):
    path = tmp_path / "m.json"
    nn.MLP(2, [3, 1], rng=0).save(path)
    write_variant(path, lambda doc: doc["architecture"]["args"].update(nouts=json.loads(nested(depth))))
    with pytest.raises(nn.ModelFileError, match=r"nest more than 32 levels deep"):
        nn.MLP(2, [3, 1]).load(path)  # the mismatch message would print the nesting


def within_seconds(seconds: int):
    """Fail the test with TimeoutError rather than hang, should the call block."""

    def on_alarm(signum, frame):
        raise TimeoutError(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    return previous


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "m.json"
    os.mkfifo(fifo)
    previous = within_seconds(10)
    try:
        with pytest.raises(nn.ModelFileError, match=r"m\.json: not a regular file"):
            nn.load(fifo)
        with pytest.raises(nn.ModelFileError, match=r"m\.json: not a regular file"):
            nn.MLP(2, [3, 1]).load(fifo)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_a_device_is_refused_before_it_is_read():
    # /dev/zero would be read until memory runs out; /dev/null is the same kind of file, safe to try.
    with pytest.raises(nn.ModelFileError, match=r"/dev/null: not a regular file"):
        nn.load("/dev/null")


def test_a_file_larger_than_the_cap_is_refused_unread(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    nn.MLP(2, [3, 1], rng=0).save(path)
    size = path.stat().st_size
    monkeypatch.setattr(serialize, "MAX_FILE_BYTES", size - 1)
    with pytest.raises(nn.ModelFileError, match=rf"{size} bytes is larger than a model file may be"):
        nn.load(path)
    monkeypatch.setattr(serialize, "MAX_FILE_BYTES", size)
    assert nn.load(path).state_dict() == nn.MLP(2, [3, 1], rng=0).state_dict()


# -- an interrupted load: the old model or the new one, never a mix ------------------------------


def interrupt_at(k: int):
    """A trace function raising KeyboardInterrupt at the k-th line or return (as Ctrl-C could)."""
    seen = 0

    def trace(frame, event, arg):
        nonlocal seen
        if event in ("line", "return"):
            seen += 1
            if seen == k:
                raise KeyboardInterrupt
        return trace

    return trace


def test_an_interrupt_at_any_line_of_load_leaves_the_old_model_or_the_new(tmp_path):
    path = tmp_path / "m.json"
    nn.MLP(2, [2, 1], rng=0).save(path)
    new = nn.MLP(2, [2, 1], rng=0).state_dict()
    model = nn.MLP(2, [2, 1], rng=1)
    old = model.state_dict()
    params = [id(p) for p in model.parameters()]
    outcomes = []
    k = 1
    tracer = sys.gettrace()  # a debugger's or coverage's, put back after each run
    while True:
        model.load_state_dict(old)
        sys.settrace(interrupt_at(k))
        try:
            model.load(path)
            interrupted = False
        except KeyboardInterrupt:
            interrupted = True
        finally:
            sys.settrace(tracer)
        state = model.state_dict()
        assert state in (old, new), f"an interrupt at step {k} of load left a mix of old and new"
        assert [id(p) for p in model.parameters()] == params  # the same Values, holding new data
        if not interrupted:
            break
        outcomes.append(state == new)
        k += 1
    assert False in outcomes and True in outcomes  # interrupts landed both before and after the swap
    assert model.state_dict() == new


class Guarded:
    """A parameter whose `data` runs Python code, where an interrupt can land between two sets."""

    sets = 0

    def __init__(self, data, fail_at):
        self._data, self.fail_at = data, fail_at

    @property
    def data(self):
        return self._data

    @data.setter
    def data(self, value):
        Guarded.sets += 1
        if Guarded.sets == self.fail_at:
            raise KeyboardInterrupt
        self._data = value


@pytest.mark.parametrize("fail_at", [1, 2, 3])
def test_swap_in_puts_the_old_values_back_if_interrupted_half_way(fail_at):
    Guarded.sets = 0
    params = [Guarded(float(i), fail_at) for i in range(3)]
    with pytest.raises(KeyboardInterrupt):
        serialize.swap_in(params, [10.0, 11.0, 12.0])
    assert [p.data for p in params] == [0.0, 1.0, 2.0]


# -- the files save writes: permissions, symlinks, temporary files --------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize(
    ("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)], ids=["022", "077", "002"]
)
def test_a_new_file_gets_the_permissions_open_would_give(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        nn.MLP(2, [3, 1]).save(tmp_path / "m.json")
        with open(tmp_path / "plain.txt", "w"):
            pass
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "m.json").stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == mode


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_replaced_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "m.json"
    nn.MLP(2, [3, 1]).save(path)
    path.chmod(0o640)
    nn.MLP(2, [3, 1], rng=1).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name != "posix", reason="symlinks")
def test_saving_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "model.json"
    nn.MLP(2, [3, 1], rng=0).save(target)
    link = tmp_path / "latest.json"
    link.symlink_to(os.path.join("store", "model.json"))  # relative, as links usually are
    nn.MLP(2, [3, 1], rng=1).save(link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("store", "model.json")
    assert nn.load(target).state_dict() == nn.MLP(2, [3, 1], rng=1).state_dict()
    assert sorted(os.listdir(tmp_path / "store")) == ["model.json"]  # the temporary file sat there
    dangling = tmp_path / "next.json"
    dangling.symlink_to(tmp_path / "store" / "new.json")
    nn.MLP(2, [3, 1], rng=2).save(dangling)
    assert dangling.is_symlink()
    assert nn.load(tmp_path / "store" / "new.json").state_dict() == nn.MLP(2, [3, 1], rng=2).state_dict()


def dead_pid() -> int:
    """The id of a process that has just ended (ids are handed out in turn, so not reused at once)."""
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


TEMPORARY = re.compile(r"\.m\.json\.gradwalk-tmp-(\d+)-[0-9a-f]{16}")


@pytest.mark.skipif(os.name != "posix", reason="process ids are checked on POSIX")
def test_stale_temporary_files_of_the_same_file_are_removed_and_nothing_else(tmp_path):
    path = tmp_path / "m.json"
    dead, alive = dead_pid(), os.getpid()
    stale_dead = tmp_path / f".m.json.gradwalk-tmp-{dead}-0123456789abcdef"
    stale_old = tmp_path / f".m.json.gradwalk-tmp-{alive}-00000000000000aa"
    in_progress = tmp_path / f".m.json.gradwalk-tmp-{alive}-00000000000000bb"
    others = [
        tmp_path / f".other.json.gradwalk-tmp-{dead}-0123456789abcdef",  # another file's
        tmp_path / f".m.json.gradwalk-tmp-{dead}-0123",  # not a name save makes
        tmp_path / f"m.json.gradwalk-tmp-{dead}-0123456789abcdef",
        tmp_path / "notes.txt",
    ]
    for file in [stale_dead, stale_old, in_progress, *others]:
        file.write_bytes(b"x" * 1000)
    hours_ago = time.time() - 2 * 3600
    os.utime(stale_old, (hours_ago, hours_ago))
    link = tmp_path / f".m.json.gradwalk-tmp-{dead}-fedcba9876543210"
    link.symlink_to(tmp_path / "notes.txt")  # a link of that name is not our file
    nn.MLP(2, [3, 1]).save(path)
    left = set(os.listdir(tmp_path))
    assert stale_dead.name not in left and stale_old.name not in left
    assert {in_progress.name, link.name, *(f.name for f in others)} <= left
    assert (tmp_path / "notes.txt").read_bytes() == b"x" * 1000


KILLED_SAVE = """
import os, sys, time
import nn
from nn import serialize

def hang(fd):  # the save stops just before its temporary file is complete
    open(sys.argv[2], "w").close()
    time.sleep(300)

serialize.os.fsync = hang
nn.MLP(2, [8, 8, 1], rng=1).save(sys.argv[1])
"""


@pytest.mark.skipif(os.name != "posix", reason="kill -9 is POSIX")
def test_a_save_killed_mid_write_leaves_a_temporary_file_the_next_save_removes(tmp_path):
    path, ready = tmp_path / "m.json", tmp_path / "ready"
    nn.MLP(2, [3, 1], rng=0).save(path)
    old = path.read_bytes()
    child = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, str(path), str(ready)])
    try:
        end = time.monotonic() + 30
        while not ready.exists() and child.poll() is None and time.monotonic() < end:
            time.sleep(0.01)
        assert ready.exists(), "the saving process did not start its save"
    finally:
        child.kill()  # SIGKILL: no cleanup runs
        child.wait()
    ready.unlink()
    left = [TEMPORARY.fullmatch(name) for name in os.listdir(tmp_path) if name != "m.json"]
    assert len(left) == 1 and left[0] is not None and int(left[0].group(1)) == child.pid
    assert path.read_bytes() == old
    nn.MLP(2, [3, 1], rng=2).save(path)
    assert os.listdir(tmp_path) == ["m.json"]
