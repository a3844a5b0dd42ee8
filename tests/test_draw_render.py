"""Rendering drawings with each renderer: SVG content, files, errors, timeout, safe labels."""

from __future__ import annotations

import base64
import json
import math
import os
import re
import signal
import stat
import struct
import sys
import textwrap
import threading
import time
import tracemalloc

import pytest
from components import require
from draw_helpers import (
    SVG_NS,
    mlp_like,
    pure_renderer,
    svg_ids,
    svg_root,
    svg_text,
    without_system_dot,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, draw
from autograd.draw import RendererNotFoundError, RenderError, RenderTimeoutError
from autograd.draw.format import display_text, number
from autograd.draw.graph import PNG_PIXEL_LIMIT, PNG_SIDE_LIMIT
from autograd.draw.render import find_renderer
from autograd.graph import topological_order


def small():
    x, w = Value(2.0, "x"), Value(-3.0, "w")
    y = (x * w + 1.0).tanh()
    y.backward()
    return x, w, y


def test_svg_shows_labels_data_grads_and_ids(renderer):
    _x, w, y = small()
    svg = draw(y, show_local_grads=True).svg()
    text = svg_text(svg)
    for node in topological_order(y):
        assert f"data {number(node.data)}" in text
        assert f"grad {number(node.grad)}" in text
    assert "x" in text.split() and "w" in text.split() and "tanh" in text.split()
    assert f"∂={number(w.data)}" in text
    assert {"v0", "v1", "v2", "v3", "v4", "op0", "op1", "op2", "c1_1", "e0", "e2_0"} <= svg_ids(svg)


def test_svg_is_self_contained_and_small(renderer):
    _x, _w, y = small()
    svg = draw(y).svg()
    assert svg.startswith("<svg")
    assert "<!DOCTYPE" not in svg and "<?xml" not in svg and "<!--" not in svg
    root = svg_root(svg)
    refs = [el for el in root.iter() if any(k.endswith("href") for k in el.attrib)]
    assert refs == [] and "<image" not in svg
    assert len(svg) < 20_000


def test_repr_mimebundle_gives_a_sharp_png_fitted_to_the_cell(renderer):
    _x, _w, y = small()
    graph = draw(y)
    data, metadata = graph._repr_mimebundle_()
    # A PNG and text only: untrusted notebooks drop SVG, sanitizing nbconvert escapes HTML.
    assert set(data) == {"image/png", "text/plain"}
    png = base64.b64decode(data["image/png"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) < 100_000
    pixels_wide, pixels_high = struct.unpack(">II", png[16:24])
    width, height = graph.size()
    assert metadata == {"image/png": {"width": round(width)}}  # shown at its natural size, or smaller
    assert abs(pixels_wide - 2 * width) <= 4 and abs(pixels_high - 2 * height) <= 4  # two pixels per px
    assert data["text/plain"].startswith("<Graph: ")
    full, full_metadata = graph.full_size()._repr_mimebundle_()
    assert full["image/png"] == data["image/png"]
    assert full_metadata == {"image/png": {"width": round(width), "unconfined": True}}
    only_text, _ = graph._repr_mimebundle_(include={"text/plain"})
    assert set(only_text) == {"text/plain"}


def test_a_huge_picture_gets_fewer_pixels_not_a_huge_png(renderer):
    xs = [Value(float(i), f"x{i}") for i in range(250)]
    graph = draw(autograd.sum(xs), rankdir="TB")
    width, _ = graph.size()
    assert width > 16_000 / 2  # at two pixels per px it would pass the side limit
    png = graph.png()
    pixels_wide, pixels_high = struct.unpack(">II", png[16:24])
    assert pixels_wide <= PNG_SIDE_LIMIT + 2 and pixels_wide * pixels_high <= PNG_PIXEL_LIMIT * 1.01
    _, metadata = graph._repr_mimebundle_()
    assert metadata["image/png"]["width"] == round(width)  # still shown at its natural size
    with pytest.raises(ValueError, match="scale"):
        graph.png(scale=0)


def test_restyling_the_digraph_changes_the_picture(renderer):
    _x, _w, y = small()
    graph = draw(y)
    before = graph.svg()
    graph.digraph.attr(bgcolor="#123456")
    assert "#123456" not in before and "#123456" in graph.svg()


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf", ".dot", ".gv"])
def test_save_writes_each_format(renderer, suffix, tmp_path):
    _x, _w, y = small()
    graph = draw(y)
    path = tmp_path / f"graph{suffix}"
    if suffix == ".pdf" and renderer == "graphviz-pure":
        with pytest.raises(RenderError, match=r"cannot write 'pdf'.*png"):
            graph.save(path)
        return
    assert graph.save(path) == path
    data = path.read_bytes()
    expected = {
        ".svg": b"<svg",
        ".png": b"\x89PNG\r\n\x1a\n",
        ".pdf": b"%PDF-",
        ".dot": b"digraph",
        ".gv": b"digraph",
    }
    assert data.startswith(expected[suffix])
    if suffix == ".svg":
        assert "data -3" in svg_text(data.decode())


def test_save_refuses_an_unknown_suffix(tmp_path):
    _x, _w, y = small()
    with pytest.raises(ValueError, match=r"unsupported suffix '\.jpg'.*\.svg, \.png, \.pdf"):
        draw(y).save(tmp_path / "graph.jpg")
    assert not (tmp_path / "graph.jpg").exists()


def test_no_renderer_names_what_to_install(monkeypatch, tmp_path):
    without_system_dot(monkeypatch, tmp_path)
    monkeypatch.setattr("sysconfig.get_path", lambda name: str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    _x, _w, y = small()
    graph = draw(y)
    assert "digraph" in graph.source  # the DOT text needs no renderer
    with pytest.raises(
        RendererNotFoundError, match=r"install Graphviz.*pip install graphviz-pure.*GRADWALK_DOT"
    ):
        graph.svg()
    data, metadata = graph._repr_mimebundle_()
    assert "install Graphviz" in data["text/plain"] and set(data) == {"text/plain"} and metadata == {}


def test_gradwalk_dot_naming_nothing_is_an_error(monkeypatch):
    monkeypatch.setenv("GRADWALK_DOT", "/no/such/dot")
    with pytest.raises(RendererNotFoundError, match=r"GRADWALK_DOT='/no/such/dot' is not an executable"):
        draw(Value(1.0)).svg()


def test_gradwalk_dot_chooses_the_renderer(monkeypatch):
    require(pure_renderer() is not None, "graphviz-pure is not installed")
    monkeypatch.setenv("GRADWALK_DOT", pure_renderer())
    assert find_renderer() == pure_renderer()
    from autograd.draw import render

    raw = render.run(draw(Value(1.0)).source, "svg", 10.0).decode()
    assert "graphviz-pure" in raw  # the renderer names itself in a comment of its SVG


def test_a_hanging_renderer_is_stopped(monkeypatch, tmp_path):
    if os.name != "posix":
        pytest.skip("the test renderer is a shell script")
    script = tmp_path / "slow-dot"
    script.write_text("#!/bin/sh\nsleep 30\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("GRADWALK_DOT", str(script))
    _x, _w, y = small()
    graph = draw(y, timeout=0.5)
    start = time.perf_counter()
    with pytest.raises(RenderTimeoutError, match=r"did not finish within 0\.5 s"):
        graph.svg()
    assert time.perf_counter() - start < 5.0


def test_a_failing_renderer_reports_its_message(monkeypatch, tmp_path):
    script = tmp_path / "bad-dot"
    script.write_text("#!/bin/sh\necho 'syntax error in line 1' >&2\nexit 3\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("GRADWALK_DOT", str(script))
    with pytest.raises(RenderError, match=r"exit 3.*syntax error in line 1"):
        draw(Value(1.0)).svg()


def test_long_chain_renders_collapsed_within_seconds(renderer):
    x = Value(1.0, "x")
    y = x
    for i in range(100_000):
        y = y * 1.0001 if i % 2 else y + 0.5
    start = time.perf_counter()
    svg = draw(y).svg()
    assert time.perf_counter() - start < 10.0
    text = svg_text(svg)
    assert "… 99,995 ops …" in text and "raise max_nodes" in text


def node_boxes(svg: str) -> list[tuple[float, float, float, float]]:
    """The bounding box of each node's outline (polygon or ellipse) in the SVG."""
    boxes = []
    for group in svg_root(svg).iter(f"{SVG_NS}g"):
        if group.get("class") != "node":
            continue
        shape = group.find(f"{SVG_NS}polygon")
        if shape is None:
            shape = group.find(f"{SVG_NS}path")
        if shape is not None and shape.get("points"):
            nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", shape.get("points"))]
            xs, ys = nums[0::2], nums[1::2]
            boxes.append((min(xs), min(ys), max(xs), max(ys)))
        ellipse = group.find(f"{SVG_NS}ellipse")
        if ellipse is not None:
            cx, cy, rx, ry = (float(ellipse.get(k)) for k in ("cx", "cy", "rx", "ry"))
            boxes.append((cx - rx, cy - ry, cx + rx, cy + ry))
    return boxes


def test_mlp_with_params_is_legible_at_a_glance(renderer):
    loss, params, _ = mlp_like([2, 4, 4, 1], [0.5, -1.0])
    svg = draw(loss, params=params).svg()
    root = svg_root(svg)
    width, height = (float(root.get(k).removesuffix("pt")) for k in ("width", "height"))
    assert width < 1800 and height < 400  # fits a notebook cell at full font size
    assert svg_text(svg).count("neuron") >= 9
    boxes = node_boxes(svg)
    assert len(boxes) < 40
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap = min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1
            assert not overlap, f"nodes overlap: {a} {b}"


def test_real_mlp_draws_with_its_neurons_folded(renderer):
    nn = pytest.importorskip("nn")
    model = nn.MLP(2, [4, 4, 1], rng=0)
    out = model([Value(0.5, "x0"), Value(-1.0, "x1")])
    loss = (out - 1.0) ** 2
    loss.backward()
    graph = draw(loss, params=model)
    assert "9 neurons drawn as boxes, with 37 parameters inside" in graph.source
    text = svg_text(graph.svg())
    assert text.count("neuron") >= 9
    assert f"data {number(loss.data)}" in text


# -- safe labels: whatever the text, the DOT parses, the SVG is XML, and the label is text ----------

labels = st.text(min_size=1, max_size=20) | st.sampled_from(
    ['"', "<script>alert(1)</script>", "a\\Nb", "{a|b}", "line\nbreak", "]] -> x [color=red]", "&lt;"]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=labels, op_name=labels)
def test_any_label_is_shown_as_text(renderer, label, op_name):
    import autograd

    custom = autograd.op(op_name, lambda x: 2 * x, lambda x: 2.0)
    y = custom(Value(1.5, label))
    svg = draw(y).svg()
    root = svg_root(svg)  # well-formed XML, else this raises
    text = svg_text(svg)
    assert " ".join(display_text(label).split()) in text
    assert " ".join(display_text(op_name, 16).split()) in text
    assert all(el.tag.startswith(SVG_NS) for el in root.iter())
    assert not any(el.tag.endswith("script") for el in root.iter())
    assert {"v0", "v1", "op0"} <= svg_ids(svg)


# -- the renderer is bounded: in time, in output, and in the processes it leaves behind ------------


def fake_renderer(tmp_path, monkeypatch, body: str):
    """A Python script standing in for `dot`, made the renderer for this test."""
    script = tmp_path / "fake-dot"
    script.write_text(f"#!{sys.executable}\nimport os, sys, time\n{textwrap.dedent(body)}")
    script.chmod(0o755)
    monkeypatch.setenv("GRADWALK_DOT", str(script))
    return script


#: A renderer that starts a daemon (a child that calls setsid, then a grandchild whose parent
#: exits, with stdio closed) and writes "renderer-pid daemon-pid" to PIDS once both run.
ESCAPING_RENDERER = """
PIDS = {pids!r}
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for fd in (0, 1, 2):
            os.close(fd)
        with open(PIDS + ".daemon", "w") as f:
            f.write(str(os.getpid()))
        time.sleep(300)
    os._exit(0)
while not os.path.exists(PIDS + ".daemon") or not open(PIDS + ".daemon").read():
    time.sleep(0.01)
with open(PIDS + ".tmp", "w") as f:
    f.write(f"{{os.getpid()}} {{open(PIDS + '.daemon').read()}}")
os.replace(PIDS + ".tmp", PIDS)
{then}
"""


def running(pid: int) -> bool:
    """Whether the process exists and is not a zombie (an orphan's zombie may wait for init)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def gone(pids, within: float = 5.0) -> bool:
    """Whether every pid stops running within `within` seconds (SIGKILL is delivered at once)."""
    end = time.monotonic() + within
    while any(running(p) for p in pids):
        if time.monotonic() > end:
            return False
        time.sleep(0.02)
    return True


def read_pids(path) -> list[int]:
    end = time.monotonic() + 10.0
    while not path.exists():
        assert time.monotonic() < end, "the test renderer did not start"
        time.sleep(0.01)
    return [int(p) for p in path.read_text().split()]


needs_proc = pytest.mark.skipif(sys.platform != "linux", reason="finding the processes needs Linux's /proc")


@needs_proc
def test_ctrl_c_during_a_render_stops_the_renderer_and_what_it_started(monkeypatch, tmp_path):
    pids_file = tmp_path / "pids"
    fake_renderer(
        tmp_path, monkeypatch, ESCAPING_RENDERER.format(pids=str(pids_file), then="time.sleep(300)")
    )
    main = threading.main_thread().ident

    def press_ctrl_c():  # once the renderer and its daemon both run
        read_pids(pids_file)
        signal.pthread_kill(main, signal.SIGINT)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    presser = threading.Thread(target=press_ctrl_c)
    try:
        start = time.perf_counter()
        presser.start()
        with pytest.raises(KeyboardInterrupt):
            draw(Value(1.0), timeout=None).svg()  # no timeout: only the interrupt can end it
        presser.join()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert time.perf_counter() - start < 10.0
    renderer_pid, daemon_pid = read_pids(pids_file)
    assert gone([renderer_pid, daemon_pid])


@needs_proc
def test_a_timeout_stops_what_the_renderer_started(monkeypatch, tmp_path):
    pids_file = tmp_path / "pids"
    fake_renderer(
        tmp_path, monkeypatch, ESCAPING_RENDERER.format(pids=str(pids_file), then="time.sleep(300)")
    )
    with pytest.raises(RenderTimeoutError):
        draw(Value(1.0), timeout=3.0).svg()
    assert gone(read_pids(pids_file))


@needs_proc
def test_a_renderer_that_finishes_leaves_nothing_running(monkeypatch, tmp_path):
    pids_file = tmp_path / "pids"
    then = "sys.stdin.read(); print('<svg xmlns=\"http://www.w3.org/2000/svg\"><text>ok</text></svg>')"
    fake_renderer(tmp_path, monkeypatch, ESCAPING_RENDERER.format(pids=str(pids_file), then=then))
    assert svg_text(draw(Value(1.0)).svg()) == "ok"
    assert gone(read_pids(pids_file))


NOT_UTF8 = """
sys.stdin.buffer.read()
sys.stdout.buffer.write(b'<svg xmlns="http://www.w3.org/2000/svg"><text>\\xff\\xfe</text></svg>')
"""


def test_svg_that_is_not_utf8_is_a_render_error(monkeypatch, tmp_path):
    import autograd

    fake_renderer(tmp_path, monkeypatch, NOT_UTF8)
    x = Value(2.0, "x")
    y = (x * 3.0).tanh()
    with pytest.raises(RenderError, match=r"wrote SVG that is not UTF-8 text.*0xff"):
        draw(y).svg()
    assert "not UTF-8" in draw(y)._repr_mimebundle_()[0]["text/plain"]
    stepper = autograd.Stepper(y)
    page = stepper._repr_html_()  # the player still steps through its explanations
    assert "The graph cannot be drawn" in page and "not UTF-8" in page
    data = re.search(r'<script type="application/json" data-gw="data">(.*?)</script>', page, re.DOTALL)
    assert json.loads(data.group(1))["explain"] == [step.explain() for step in stepper]
    assert len(stepper) == 3


def test_output_past_the_cap_is_refused_without_reading_it_all(monkeypatch, tmp_path):
    from autograd.draw import render

    fake_renderer(
        tmp_path, monkeypatch, "chunk = b'<' * 65536\nwhile True:\n    sys.stdout.buffer.write(chunk)\n"
    )
    monkeypatch.setattr(render, "MAX_OUTPUT_BYTES", 2**20)
    graph = draw(Value(1.0), timeout=None)  # endless output: only the cap ends it
    tracemalloc.start()
    try:
        start = time.perf_counter()
        with pytest.raises(RenderError, match=r"wrote more than 1 MB and was stopped"):
            graph.svg()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 10.0
    assert peak < 4 * 2**20


def test_a_flood_of_errors_is_read_keeping_only_its_end(monkeypatch, tmp_path):
    fake_renderer(tmp_path, monkeypatch, "sys.stderr.write('e' * 20_000_000 + ' the end')\nsys.exit(2)\n")
    graph = draw(Value(1.0))
    tracemalloc.start()
    try:
        with pytest.raises(RenderError, match=r"failed \(exit 2\): e+ the end$"):
            graph.svg()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20  # of the 20 MB written, the last MB is kept


@pytest.mark.parametrize(
    ("timeout", "error", "match"),
    [
        ("5", TypeError, r"draw\(timeout='5'\): expected a number of seconds or None, got str"),
        (True, TypeError, r"draw\(timeout=True\).*got bool"),
        (math.nan, ValueError, r"draw\(timeout=nan\): expected a positive, finite number of seconds"),
        (math.inf, ValueError, r"draw\(timeout=inf\).*None for no limit"),
        (0, ValueError, r"draw\(timeout=0\)"),
        (-1.0, ValueError, r"draw\(timeout=-1\.0\)"),
        (10**400, ValueError, r"draw\(timeout=1000"),
    ],
)
def test_a_bad_timeout_is_refused_naming_it(timeout, error, match):
    with pytest.raises(error, match=match):
        draw(Value(1.0), timeout=timeout)


def test_timeout_none_means_no_limit(renderer):
    graph = draw(Value(1.0, "x"), timeout=None)
    assert graph.timeout is None
    assert "x" in svg_text(graph.svg()).split()
    graph.timeout = "soon"  # checked again when rendering
    graph.digraph.attr(bgcolor="white")
    with pytest.raises(TypeError, match=r"render\(timeout='soon'\)"):
        graph.svg()
