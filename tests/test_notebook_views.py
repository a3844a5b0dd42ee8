"""Drawings and players in notebooks, where people read them: a real JupyterLab and nbconvert's HTML.

The committed notebooks are opened as a reader would get them: copied into a fresh JupyterLab
whose trust database is empty (so they are untrusted, as after a clone), and converted by
nbconvert with and without `sanitize_html`. Each picture output must show as a loaded image of
non-zero size that fits its cell, never as `<Graph: …>` text or escaped markup. A notebook made
here from `Graph._repr_mimebundle_` adds a drawing far wider than a cell.

A Stepper is stored as two outputs (see `autograd.stepper.player.notebook_outputs`): a PNG of
step 0, and the interactive player, which shows nothing until its script runs and then hides
the PNG. So where scripts run (a trusted notebook, nbconvert's HTML unsanitized, offline) the
player works and its PNG is hidden; elsewhere the PNG shows and nothing of the player does.

Uses the system Chromium (GRADWALK_CHROMIUM names another) driven by Playwright.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from components import chromium_path, require

import autograd
from autograd import Value

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PICTURES = ("image/png", "image/jpeg", "image/svg+xml")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
#: Seconds JupyterLab may take to start on a loaded CI machine.
SERVER_START = 90.0

#: The images in output areas, with what a reader sees of each: loaded, drawn size, room in the cell.
IMAGES_JS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output img, body > main .jp-OutputArea-output img'
)].map(img => {
    const box = img.getBoundingClientRect();
    const area = img.closest('.jp-OutputArea-output');
    return {complete: img.complete, natural: img.naturalWidth, width: box.width, height: box.height,
            room: area.getBoundingClientRect().width, src: img.src.slice(0, 30),
            hiddenBy: img.closest('[data-gw-hidden-by]')?.getAttribute('data-gw-hidden-by') || ''};
})"""

#: The players on the page: wired by their script or not, their size and step, and the output
#: each one hid (it must be the output just before the player's own).
PLAYERS_JS = """(scope) => {
    const within = document.querySelector(scope) || document.body;
    const players = [...within.querySelectorAll('.gw-stepper')].map(p => {
        const box = p.getBoundingClientRect();
        return {id: p.id, ready: p.getAttribute('data-gw-ready') === '1', width: box.width,
                height: box.height, step: p.getAttribute('data-step'),
                text: p.innerText, buttons: p.querySelectorAll('button').length};
    });
    const hidden = [...within.querySelectorAll('[data-gw-hidden-by]')].map(area => {
        const next = area.nextElementSibling;
        const by = area.getAttribute('data-gw-hidden-by');
        return {by, height: area.getBoundingClientRect().height,
                before: !!(next && next.querySelector('#' + by))};
    });
    return {players, hidden};
}"""

#: Base64 or other unbroken runs of this many letters and digits are markup shown as text.
LONG_RUN = re.compile(r"[A-Za-z0-9+/=]{120,}")


#: The notebook on show in JupyterLab (other panels are hidden).
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"


@pytest.fixture(scope="module")
def browser():
    require(importlib.util.find_spec("playwright") is not None, "the playwright package is not installed")
    path = chromium_path()
    require(path is not None, "no Chromium found (install chromium or set GRADWALK_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def player_outputs(nb: dict) -> int:
    """How many outputs of the notebook are a Stepper's interactive player."""
    return sum(
        "gw-stepper" in "".join(out.get("data", {}).get("text/html", ""))
        for cell in nb["cells"]
        if cell["cell_type"] == "code"
        for out in cell["outputs"]
    )


def picture_outputs(nb: dict) -> int:
    """How many outputs of the notebook are pictures (a drawing, a plot)."""
    return sum(
        any(kind in out.get("data", {}) for kind in PICTURES)
        for cell in nb["cells"]
        if cell["cell_type"] == "code"
        for out in cell["outputs"]
    )


def wide_drawing_notebook() -> dict:
    """A notebook whose one output is what Jupyter would store for a drawing ~3,000 px wide."""
    xs = [Value(float(i), f"x{i}") for i in range(40)]
    graph = autograd.draw(autograd.sum(xs), rankdir="TB")
    assert graph.size()[0] > 2500
    data, metadata = graph._repr_mimebundle_()
    output = {"output_type": "display_data", "data": data, "metadata": metadata}
    cell = {"cell_type": "code", "execution_count": 1, "id": "wide-0", "metadata": {}, "source": "g"}
    cell["outputs"] = [output]
    return {
        "cells": [cell],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def notebooks_in(directory: Path) -> dict[str, dict]:
    """The committed notebooks and the wide-drawing one, written into directory, by file name."""
    found = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in NOTEBOOKS}
    found["wide_drawing.ipynb"] = wide_drawing_notebook()
    for name, nb in found.items():
        (directory / name).write_text(json.dumps(nb), encoding="utf-8")
    return found


def wait_for_images(page, expected: int) -> None:
    """Wait (a while) until `expected` output images are there and loaded; the asserts say what is not."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    ready = f"""(() => {{
        const shown = ({IMAGES_JS})();
        return shown.length >= {expected} && shown.every(i => i.complete);
    }})()"""
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(ready, timeout=15_000)


def assert_pictures_shown(images: list[dict], expected: int, where: str) -> None:
    assert len(images) >= expected, f"{where}: {len(images)} images shown, {expected} picture outputs"
    for image in images:
        assert image["complete"] and image["natural"] > 0, f"{where}: an image did not load: {image}"
        assert image["width"] > 10 and image["height"] > 10, f"{where}: an image is not visible: {image}"
        assert image["width"] <= image["room"] + 1, f"{where}: an image is wider than its cell: {image}"


def assert_no_text_in_place_of_pictures(text: str, where: str) -> None:
    for shown in ("<Graph:", "cannot render", "Cannot display an untrusted SVG"):
        assert shown not in text, f"{where}: the page shows {shown!r} where a picture belongs"
    for markup in ("<img", "<svg", "<script", "<style", "data:image", "gw-stepper"):
        assert markup not in text, f"{where}: markup shown as text: {markup!r}"
    run = LONG_RUN.search(text)
    assert run is None, f"{where}: a run of base64 shown as text: {run.group(0)[:40]}…"


def assert_static_players(view: dict, expected: int, where: str) -> None:
    """Where scripts do not run: no player wired, and nothing of one visible."""
    assert len(view["players"]) == expected, f"{where}: {view['players']}"
    for player in view["players"]:
        assert not player["ready"], f"{where}: a player's script ran: {player}"
        # Its text may hold the script, escaped by a sanitizer, but none of it takes any room.
        assert player["width"] == player["height"] == 0, f"{where}: a player is visible: {player}"
    assert view["hidden"] == [], f"{where}: a picture was hidden: {view['hidden']}"


def assert_live_players(view: dict, expected: int, where: str) -> None:
    """Where scripts run: every player wired and shown, each having hidden its own static PNG."""
    players = view["players"]
    assert len(players) == expected, f"{where}: {len(players)} players, {expected} player outputs"
    for player in players:
        assert player["ready"] and player["buttons"] >= 2, f"{where}: a player is not wired: {player}"
        assert player["width"] > 300 and player["height"] > 200, f"{where}: a player is not shown: {player}"
    hidden = view["hidden"]
    assert sorted(h["by"] for h in hidden) == sorted(p["id"] for p in players), f"{where}: {hidden}"
    for h in hidden:
        assert h["before"] and h["height"] == 0, f"{where}: not the player's own picture hidden: {h}"


def assert_steps(page, scope: str, where: str) -> None:
    """The first player in scope steps on with its Next button, and its explanation changes."""
    player = page.locator(f"{scope} .gw-stepper").first
    before = player.locator("[data-gw=explain]").inner_text()
    player.locator("[data-gw=next]").click()
    assert player.get_attribute("data-step") == "1", f"{where}: Next did not step"
    assert player.locator("[data-gw=explain]").inner_text() != before, f"{where}: the explanation stayed"


# -- JupyterLab --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 over a temporary copy of the notebooks, with no trust."""
    require(importlib.util.find_spec("jupyterlab") is not None, "jupyterlab is not installed (test extra)")
    home = tmp_path_factory.mktemp("lab")
    work = home / "notebooks"
    work.mkdir()
    notebooks = notebooks_in(work)
    settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Every cell in the page at once, so each output can be measured without scrolling.
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    env = {
        **os.environ,
        "JUPYTER_DATA_DIR": str(home / "data"),  # an empty trust database: the notebooks are untrusted
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "PYTHONPATH": str(ROOT),
    }
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",  # CI runs as root
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={work}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",  # no index of extensions to fetch
        "--ServerApp.terminals_enabled=False",
    ]
    log = (home / "server.log").open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_START
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"JupyterLab did not start:\n{(home / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield base, token, notebooks, env, work
    finally:
        server.terminate()  # the server stops the kernels it started
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


@pytest.mark.parametrize("name", [*(p.name for p in NOTEBOOKS), "wide_drawing.ipynb"])
def test_jupyterlab_shows_every_picture_of_an_untrusted_notebook(jupyterlab, page, name):
    base, token, notebooks, env, _ = jupyterlab
    nb = notebooks[name]
    import nbformat
    from nbformat.sign import NotebookNotary

    notary = NotebookNotary(data_dir=env["JUPYTER_DATA_DIR"])
    assert not notary.check_signature(nbformat.from_dict(nb)), "the notebook must be opened untrusted"
    expected = picture_outputs(nb)
    assert expected > 0 or name.startswith("03"), f"{name} has no picture outputs"
    # A workspace of its own, so the page holds this notebook alone.
    page.goto(f"{base}/lab/workspaces/{name.split('.')[0]}/tree/{name}?token={token}")
    cells = f"{NOTEBOOK} .jp-Cell"
    page.wait_for_function(f"document.querySelectorAll({cells!r}).length >= {len(nb['cells'])}")
    wait_for_images(page, expected)
    where = f"JupyterLab, {name}"
    assert_pictures_shown(page.evaluate(IMAGES_JS), expected, where)
    assert_no_text_in_place_of_pictures(page.inner_text(NOTEBOOK), where)
    assert_static_players(page.evaluate(PLAYERS_JS, NOTEBOOK), player_outputs(nb), where)


def test_jupyterlab_runs_the_players_of_a_trusted_notebook(jupyterlab, page):
    """Notebook 01, signed in the server's trust database as if its reader had run it."""
    base, token, notebooks, env, work = jupyterlab
    import nbformat
    from nbformat.sign import NotebookNotary

    name = "trusted_01.ipynb"
    nb = notebooks[NOTEBOOKS[0].name]
    (work / name).write_text(json.dumps(nb), encoding="utf-8")
    notary = NotebookNotary(data_dir=env["JUPYTER_DATA_DIR"])
    notary.sign(nbformat.read(work / name, as_version=4))
    assert notary.check_signature(nbformat.read(work / name, as_version=4))
    players = player_outputs(nb)
    assert players >= 2, "notebook 01 has players"
    page.goto(f"{base}/lab/workspaces/trusted/tree/{name}?token={token}")
    page.wait_for_function(
        f"document.querySelectorAll({NOTEBOOK!r} + ' .gw-stepper[data-gw-ready=\"1\"]').length >= {players}"
    )
    where = "JupyterLab trusted, notebook 01"
    page.wait_for_function(
        f"document.querySelectorAll('[data-gw-hidden-by]').length >= {players}", timeout=15_000
    )
    assert_live_players(page.evaluate(PLAYERS_JS, NOTEBOOK), players, where)
    # The drawings still show; the players' PNGs do not (the players show step 0 themselves).
    images = page.evaluate(IMAGES_JS)
    assert_pictures_shown([i for i in images if not i["hiddenBy"]], picture_outputs(nb) - players, where)
    assert len([i for i in images if i["hiddenBy"]]) == players
    assert_steps(page, NOTEBOOK, where)


# -- nbconvert -----------------------------------------------------------------------------------


@pytest.mark.parametrize("sanitize", [False, True], ids=["plain", "sanitized"])
def test_nbconvert_html_shows_every_picture(page, tmp_path, sanitize):
    require(importlib.util.find_spec("nbconvert") is not None, "nbconvert is not installed (test extra)")
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(sanitize_html=sanitize)
    # Offline: the page asks a CDN for require.js and MathJax, which nothing here needs.
    page.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort()
    )
    for name, nb in notebooks_in(tmp_path).items():
        body, _ = exporter.from_notebook_node(nbformat.reads(json.dumps(nb), as_version=4))
        html = tmp_path / f"{name}.html"
        html.write_text(body, encoding="utf-8")
        page.goto(html.as_uri())
        where = f"nbconvert{' (sanitized)' if sanitize else ''}, {name}"
        pictures, players = picture_outputs(nb), player_outputs(nb)
        view = page.evaluate(PLAYERS_JS, "body")
        images = page.evaluate(IMAGES_JS)
        if sanitize:  # no script runs: the players' PNGs show
            wait_for_images(page, pictures)
            assert_pictures_shown(page.evaluate(IMAGES_JS), pictures, where)
            assert_static_players(view, players, where)
        else:  # each player runs, shows step 0 and hides its PNG
            assert_live_players(view, players, where)
            assert_pictures_shown([i for i in images if not i["hiddenBy"]], pictures - players, where)
            if players:
                assert_steps(page, "body", where)
        assert_no_text_in_place_of_pictures(page.inner_text("body"), where)
