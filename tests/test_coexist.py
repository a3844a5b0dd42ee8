"""gradwalk beside HIPS autograd (PyPI: autograd), which is imported by the same name, in a throwaway venv.

Both packages are installed from wheels, as users install them, so they really share the
`autograd` folder. One story, in order: HIPS autograd first and gradwalk over it; HIPS
autograd reinstalled over gradwalk; HIPS autograd uninstalled; gradwalk reinstalled.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from components import require

REPO = Path(__file__).resolve().parent.parent
ADVICE = "Give gradwalk a virtual environment of its own"


def run(*command, check=True, timeout=300, cwd="/"):
    """Run in a neutral folder: from the repository, `import autograd` would find its sources."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A new venv and a pip that installs into it (the test's own pip, aimed with --python)."""
    root = tmp_path_factory.mktemp("coexist")
    source = root / "src"  # the build writes build/ and *.egg-info next to the sources: not in the repo
    source.mkdir()
    for name in ("pyproject.toml", "README.md", *(p.name for p in REPO.glob("LICEN[CS]E*"))):
        shutil.copy(REPO / name, source / name)
    for package in ("autograd", "nn"):
        shutil.copytree(REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = root / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, source)
    (wheel,) = wheels.glob("gradwalk-*.whl")
    run(sys.executable, "-m", "venv", "--without-pip", root / "venv")
    python = root / "venv" / "bin" / "python"

    def pip(*args, check=True):
        return run(sys.executable, "-m", "pip", "--python", python, *args, "-q", check=check)

    hips = pip("install", "autograd", check=False)
    require(hips.returncode == 0, f"cannot install HIPS autograd from the index: {hips.stderr[-300:]}")
    pip("install", "--no-deps", wheel)
    return python, pip, wheel


def gradwalk(python, *args):
    return run(python.with_name("gradwalk"), *args, check=False, timeout=120)


def test_gradwalk_warns_about_hips_autograd_beside_it_refuses_to_work_without_its_engine(venv):
    python, pip, wheel = venv

    # 1. gradwalk installed last: its __init__.py is in place; it works and warns, naming HIPS autograd.
    imported = run(python, "-c", "import autograd, nn; print(autograd.Value(2.0) * 3)")
    assert imported.stdout.strip() == "Value(data=6.0, grad=0.0)"
    warning = imported.stderr.strip().splitlines()
    assert warning[0].startswith("<string>:1: AutogradClashWarning: HIPS autograd ")
    assert "(the PyPI package 'autograd')" in warning[0] and ADVICE in warning[0]
    assert "gradwalk's autograd/__init__.py has replaced its own" in warning[0]
    command = gradwalk(python, "--version")
    assert command.returncode == 0 and command.stdout.startswith("gradwalk ")
    assert "AutogradClashWarning: HIPS autograd" in command.stderr

    # 2. HIPS autograd reinstalled over it: its __init__.py replaces gradwalk's.
    pip("install", "--force-reinstall", "--no-deps", "autograd")
    hips = run(python, "-c", "import autograd.numpy as np, autograd; print(autograd.grad(np.tanh)(0.0))")
    assert hips.stdout.strip() == "1.0"  # HIPS autograd itself works again
    failed = run(python, "-c", "import nn", check=False)
    assert failed.returncode == 1
    last = failed.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: HIPS autograd ") and "has replaced gradwalk's" in last
    assert ADVICE in last and "pip install --force-reinstall gradwalk" in last
    for command in (gradwalk(python, "demo", "--steps", "1"), run(python, "-m", "nn", "demo", check=False)):
        assert command.returncode == 1 and "Traceback" not in command.stderr
        (line,) = command.stderr.strip().splitlines()
        assert line.startswith("gradwalk: error: HIPS autograd ") and ADVICE in line

    # 3. HIPS autograd uninstalled: pip deletes the shared __init__.py, gradwalk's folder stays.
    pip("uninstall", "-y", "autograd")
    failed = run(python, "-c", "import nn", check=False)
    last = failed.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: ") and "autograd/__init__.py is missing" in last
    assert "pip install --force-reinstall gradwalk" in last
    command = gradwalk(python, "--version")
    assert command.returncode == 1 and "Traceback" not in command.stderr
    assert command.stderr.startswith("gradwalk: error: ") and command.stderr.count("\n") == 1

    # 4. gradwalk reinstalled alone: no warning, no error.
    pip("install", "--force-reinstall", "--no-deps", wheel)
    alone = run(python, "-c", "import nn; print(nn.MLP(2, [1], rng=0)([1.0, 2.0]).data != 0)")
    assert alone.stdout.strip() == "True" and alone.stderr == ""
