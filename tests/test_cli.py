"""The `gradwalk` command as a user meets it: usage errors, bad --out, failures in one line, 80 columns."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from importlib.metadata import version
from pathlib import Path

import pytest

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: More steps than any test could wait for: a check that must happen before training would time out.
FOREVER = "1000000"


def run_cli(*args, cwd, timeout=120):
    env = {**os.environ, "MPLBACKEND": "Agg", "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-m", "nn", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def assert_one_line_failure(result, *phrases):
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gradwalk demo: error: ")
    for phrase in phrases:
        assert phrase in lines[0]


def test_version_is_the_installed_distributions(tmp_path):
    script = Path(sys.executable).with_name("gradwalk")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "nn"]
    result = subprocess.run([*command, "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout == f"gradwalk {version('gradwalk')}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["demo", "--stesp", "5"], "unrecognized option --stesp (did you mean --steps?)"),
        (["demo", "--foo"], "unrecognized option --foo\n"),
        (["demo", "--seed=3", "--outt", "x"], "unrecognized option --outt (did you mean --out?)"),
        (["demo", "linear", "--hidden", "3"], "--hidden applies to the moons demo only"),
        (["demo", "linear", "--engine", "compiled"], "--engine applies to the moons demo only"),
        (["demo", "5"], "unknown demo '5'; choose moons or linear"),
        (["demo", "linear", "moons"], "unexpected argument 'moons'"),
        (["demo", "--engine", "jit"], "argument --engine: invalid choice: 'jit'"),
    ],
)
def test_usage_errors_come_from_the_demos_parser_and_name_the_bad_argument(tmp_path, args, message):
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: gradwalk demo ")
    assert f"gradwalk demo: error: {message}" in result.stderr
    assert "which" not in result.stderr and os.listdir(tmp_path) == []


def test_an_out_that_is_a_file_is_refused_before_training(tmp_path):
    (tmp_path / "taken").write_text("")
    result = run_cli("demo", "--steps", FOREVER, "--out", "taken", cwd=tmp_path, timeout=60)
    assert_one_line_failure(result, "--out taken is a file, not a directory")


def test_an_out_under_proc_is_refused_before_training(tmp_path):
    result = run_cli("demo", "linear", "--steps", FOREVER, "--out", "/proc/self/gw", cwd=tmp_path, timeout=60)
    assert_one_line_failure(result, "--out /proc/self/gw is under /proc")
    assert result.stdout == ""


def test_an_unwritable_out_is_refused_before_training(tmp_path):
    if os.geteuid() == 0:  # permissions do not stop root; the kernel's /sys does
        target = "/sys/kernel/gradwalk-demo"
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = str(locked / "out")
    result = run_cli("demo", "--steps", FOREVER, "--out", target, cwd=tmp_path, timeout=60)
    assert_one_line_failure(result, f"--out {target}: cannot write there (")


def test_a_diverging_run_ends_in_one_line_and_writes_nothing(tmp_path):
    result = run_cli("demo", "--lr", "1e300", "--steps", "20", "--out", "o", cwd=tmp_path)
    assert_one_line_failure(result, "training diverged at step ", "try an --lr below 1e+300")
    assert os.listdir(tmp_path / "o") == []


def test_an_os_error_while_writing_ends_in_one_line(tmp_path):
    (tmp_path / "o" / "decision_boundary.png").mkdir(parents=True)  # a directory where a file goes
    result = run_cli("demo", "--steps", "2", "--out", "o", cwd=tmp_path)
    assert_one_line_failure(result, "cannot write o/decision_boundary.png: Is a directory")


def test_the_compiled_engines_say_what_they_need_when_autograd_compile_is_missing(tmp_path):
    code = (
        "import sys, autograd; autograd.__dict__.pop('compile', None)\n"  # as in a gradwalk without it
        "from nn.cli import main; sys.exit(main(['demo', '--engine', 'batched', '--out', 'o']))"
    )
    command = [sys.executable, "-c", code]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert_one_line_failure(result, "--engine batched needs autograd.compile")


def test_demo_linear_with_out_draws_the_fit_and_the_loss(tmp_path):
    result = run_cli("demo", "linear", "--steps", "30", "--out", "lin", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "wrote lin/: linear_fit.png, loss_curve.png"
    for name in ("linear_fit.png", "loss_curve.png"):
        data = (tmp_path / "lin" / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 5000


def test_summaries_fit_in_80_columns(tmp_path):
    moons = run_cli("demo", "--steps", "3", "--optimizer", "rmsprop", "--out", "o", cwd=tmp_path)
    linear = run_cli("demo", "linear", "--steps", "3", "--out", "o", cwd=tmp_path)
    for result in (moons, linear):
        assert result.returncode == 0, result.stderr
        assert max(len(line) for line in result.stdout.splitlines()) <= 80, result.stdout


def test_a_long_out_path_is_listed_one_file_a_line(tmp_path):
    out = "a-rather-long-directory-name-for-the-demo/" * 2
    result = run_cli("demo", "--steps", "1", "--out", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-4:] == [
        "wrote:",
        *(f"  {out}{name}" for name in ("decision_boundary.png", "loss_curve.png", "model.json")),
    ]


def test_the_progress_bar_fits_an_80_column_terminal(tmp_path):
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    process = subprocess.Popen(
        [sys.executable, "-m", "nn", "demo", "--steps", "60", "--out", "o"],
        cwd=tmp_path,
        env={**env, "MPLBACKEND": "Agg", "TERM": "xterm"},
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    chunks = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the program ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert process.wait(timeout=30) == 0
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", "replace"))
    segments = re.split(r"[\r\n]+", text)
    bars = [s for s in segments if s.startswith("moons:") and "%|" in s]
    assert bars, text  # the bar was drawn
    assert max(len(s.rstrip()) for s in segments) <= 80, max(segments, key=len)


@pytest.mark.parametrize("engine", ["compiled", "batched"])
def test_the_demo_runs_on_the_compiled_engines_and_says_which(tmp_path, engine):
    result = run_cli(
        "demo", "--engine", engine, "--steps", "30", "--out", str(tmp_path / "out"), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert f"({engine} engine)" in result.stdout
    assert (tmp_path / "out" / "model.json").exists()
