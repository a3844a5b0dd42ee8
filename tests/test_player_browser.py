"""The Stepper's HTML player in a real browser: headless Chromium, driven by Playwright.

Uses the system Chromium (GRADWALK_CHROMIUM names another); Playwright's own browsers are never
downloaded. One browser serves the whole module; each test gets a fresh page.
"""

from __future__ import annotations

import html
import importlib.util
import os
import re
import shutil
from pathlib import Path

import pytest
from components import require

import autograd as ag
from autograd import Value
from autograd.graph import topological_order
from autograd.stepper import Stepper
from autograd.stepper.player import frame_svgs, player_html

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    named = os.environ.get("GRADWALK_CHROMIUM", "")
    return shutil.which(named or "chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    require(importlib.util.find_spec("playwright") is not None, "the playwright package is not installed")
    path = chromium_path()
    require(path is not None, "no Chromium found (install chromium or set GRADWALK_CHROMIUM)")
    require(_renderer_available(), "no Graphviz renderer to draw the player's graphs")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A page that fails the test if the player logs an error or throws."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(5000)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    # Everything is inline: a request for anything but the page's own file is a bug.
    page.on("request", lambda r: None if r.url.startswith("file:") else errors.append(f"request: {r.url}"))
    yield page
    context.close()
    assert errors == []


def _renderer_available() -> bool:
    from autograd.draw.render import RendererNotFoundError, find_renderer

    try:
        find_renderer()
    except RendererNotFoundError:
        return False
    return True


def neuron(label_suffix: str = "") -> Value:
    """tanh(w1·x1 + w2·x2 + b), squared: a small graph with a shared node and a hostile label."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "</script><!-- b <i>" + label_suffix)
    n = ag.dot([x1, x2, b], [w1, w2, 1.0])
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    L = o * o
    L.label = "L"
    return L


def open_player(page, tmp_path: Path, root: Value) -> Stepper:
    s = Stepper(root)
    path = s.save_html(tmp_path / "player.html")
    page.goto(path.as_uri())
    return s


def shown(page, player="") -> dict:
    """What the player shows: counter, explanation, and the shown picture's highlighted node and texts."""
    return page.evaluate(
        """(selector) => {
            const root = document.querySelector(selector);
            const frames = [...root.querySelectorAll('[data-gw-step]')].filter(f => !f.hidden);
            const one = frames.length === 1 ? frames[0] : document.createElement('div');
            const lit = [...one.querySelectorAll('g.node')].filter(
                g => [...g.querySelectorAll('polygon, path, ellipse')].some(
                    s => s.getAttribute('stroke-width') === '3'));
            return {
                counter: root.querySelector('[data-gw=counter]').textContent,
                explain: root.querySelector('[data-gw=explain]').textContent,
                frames: frames.map(f => f.dataset.gwStep + ':' + f.querySelectorAll('svg').length),
                lit: lit.map(g => g.id),
                texts: [...one.querySelectorAll('text')].map(t => t.textContent),
                visible: one.getBoundingClientRect().height > 0,
            };
        }""",
        player or ".gw-stepper",
    )


class Expected:
    """What a player should show at each step, worked out from its Stepper and its own drawings."""

    def __init__(self, s: Stepper, player_id: str) -> None:
        self.s = s
        self.player_id = player_id
        self.texts = [[html.unescape(t) for t in TEXT.findall(svg)] for svg in frame_svgs(s)]

    def __call__(self, k: int) -> dict:
        s = self.s
        position = topological_order(s.root).index(s[k].node)
        return {
            "counter": f"step {k} / {len(s) - 1}",
            "explain": s[k].explain(),
            "frames": [f"{k}:1"],
            "lit": [f"{self.player_id}-v{position}"],
            "texts": self.texts[k],
            "visible": True,
        }


TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.DOTALL)


def player_id(page, n: int = 0) -> str:
    return page.eval_on_selector_all(".gw-stepper", "(els, n) => els[n].id", n)


def test_next_and_prev_show_each_step_and_highlight_its_node(page, tmp_path):
    s = open_player(page, tmp_path, neuron())
    expected = Expected(s, player_id(page))
    assert shown(page) == expected(0)
    assert shown(page)["explain"] == "∂L/∂L = 1"
    for k in range(1, len(s)):
        page.click("[data-gw=next]")
        assert shown(page) == expected(k)
    page.click("[data-gw=next]", force=True)  # past the end (the button says it is disabled): no move
    assert shown(page) == expected(len(s) - 1)
    page.click("[data-gw=prev]")
    assert shown(page) == expected(len(s) - 2)
    # The hostile label is shown as text, never parsed as markup.
    assert "</script><!-- b <i>" in s[-1].explain()
    assert page.locator("i").count() == 0


def test_slider_and_arrow_keys(page, tmp_path):
    s = open_player(page, tmp_path, neuron())
    expected = Expected(s, player_id(page))
    slider = page.locator("[data-gw=slider]")
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert shown(page) == expected(2)
    slider.evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", str(len(s) - 1))
    assert shown(page) == expected(len(s) - 1)
    page.click("[data-gw=explain]")  # focus the player itself
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    assert shown(page) == expected(1)
    page.keyboard.press("ArrowLeft")
    assert shown(page) == expected(0)
    page.keyboard.press("End")
    assert shown(page) == expected(len(s) - 1)


def test_two_players_on_one_page_do_not_interfere(page, tmp_path):
    a, b = Stepper(neuron(" A")), Stepper(Value(3.0, "x").tanh() * 2.0)
    html = f"<!DOCTYPE html><meta charset=utf-8><body>{player_html(a)}<p>between</p>{player_html(b)}</body>"
    (tmp_path / "two.html").write_text(html, encoding="utf-8")
    page.goto((tmp_path / "two.html").as_uri())
    ida, idb = player_id(page, 0), player_id(page, 1)
    assert ida != idb
    expected_a, expected_b = Expected(a, ida), Expected(b, idb)
    page.click(f"#{ida} [data-gw=next]")
    page.click(f"#{ida} [data-gw=next]")
    page.click(f"#{idb} [data-gw=next]")
    assert shown(page, f"#{ida}") == expected_a(2)
    assert shown(page, f"#{idb}") == expected_b(1)
    page.click(f"#{idb} [data-gw=explain]")  # keys go to the focused player only
    page.keyboard.press("ArrowLeft")
    assert shown(page, f"#{ida}") == expected_a(2)
    assert shown(page, f"#{idb}") == expected_b(0)
    ids = page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)")
    assert len(ids) == len(set(ids)), "an id is used twice on the page"


def test_without_scripts_step_0_is_still_shown(browser, tmp_path):
    s = Stepper(neuron())
    path = s.save_html(tmp_path / "player.html")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(path.as_uri())
    view = shown(page)
    context.close()
    assert view["explain"] == s[0].explain()
    assert view["frames"] == ["0:1"]
    assert view["visible"]


INSERT_LIKE_NOTEBOOKS = """([lab, classic]) => {
    // JupyterLab and VS Code: the output is set as innerHTML, then each script is re-created to run.
    const labOutput = document.createElement('div');
    document.body.appendChild(labOutput);
    labOutput.innerHTML = lab;
    for (const old of labOutput.querySelectorAll('script')) {
        const fresh = document.createElement('script');
        for (const a of old.attributes) fresh.setAttribute(a.name, a.value);
        fresh.textContent = old.textContent;
        old.replaceWith(fresh);
    }
    // Classic Notebook (jQuery): scripts run from <head> while the output is not yet attached.
    const classicOutput = document.createElement('div');
    classicOutput.innerHTML = classic;
    for (const old of classicOutput.querySelectorAll('script:not([type])')) {
        const run = document.createElement('script');
        run.text = old.textContent;
        document.head.appendChild(run).remove();
    }
    setTimeout(() => document.body.appendChild(classicOutput), 150);
}"""


def test_player_works_when_inserted_the_way_notebook_front_ends_do(page):
    a, b = Stepper(neuron(" A")), Stepper(neuron(" B"))
    page.set_content("<!DOCTYPE html><meta charset=utf-8><body></body>")
    page.evaluate(INSERT_LIKE_NOTEBOOKS, [player_html(a), player_html(b)])
    page.wait_for_function("document.querySelectorAll('[data-gw-ready=\"1\"]').length === 2")
    ida, idb = player_id(page, 0), player_id(page, 1)
    for player, s in ((ida, a), (idb, b)):
        page.click(f"#{player} [data-gw=next]")
        assert shown(page, f"#{player}") == Expected(s, player)(1)
