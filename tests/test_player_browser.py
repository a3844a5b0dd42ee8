"""The Stepper's HTML player in a real browser: headless Chromium, driven by Playwright.

Uses the system Chromium (GRADWALK_CHROMIUM names another); Playwright's own browsers are never
downloaded. One browser serves the whole module; each test gets a fresh page.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from components import chromium_path, require

import autograd as ag
from autograd import Value
from autograd.graph import topological_order
from autograd.stepper import Stepper
from autograd.stepper.player import player_html

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


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


def open_player(page, tmp_path: Path, root: Value, **options) -> Stepper:
    s = Stepper(root, **options)
    path = s.save_html(tmp_path / "player.html")
    page.goto(path.as_uri())
    return s


def shown(page, player="") -> dict:
    """What the player shows: heading, explanation, highlights, the names and cells drawn, and sizes."""
    return page.evaluate(
        """(selector) => {
            const root = document.querySelector(selector);
            const pid = root.id;
            const strip = (e) => e.id.replace(/^gw-stepper-[0-9a-f]+-s\\d+-/, '');
            const ids = (cls) => [...root.querySelectorAll('.' + cls)].map(strip);
            const svg = root.querySelector('[data-gw=frame] svg');
            const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
            const nodes = {};
            for (const g of root.querySelectorAll('g.node')) {
                const texts = [...g.querySelectorAll('text')].map(t => t.textContent);
                nodes[strip(g)] = {texts, title: g.querySelector('title').textContent};
            }
            return {
                phase: root.querySelector('[data-gw=phase]').textContent,
                explain: root.querySelector('[data-gw=explain]').textContent,
                node: ids('gw-node'), parents: ids('gw-parent'), flow: ids('gw-flow'),
                changed: ids('gw-changed'), nodes,
                size: [box.width, box.height],
                explainHeight: root.querySelector('[data-gw=explain]').getBoundingClientRect().height,
                text: root.innerText,
            };
        }""",
        player or ".gw-stepper",
    )


def player_id(page, n: int = 0) -> str:
    return page.eval_on_selector_all(".gw-stepper", "(els, n) => els[n].id", n)


def neuron_with_params():
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    n = ag.dot([x1, x2, b], [w1, w2, 1.0])
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o * o, [w1, w2, b]


def walk(page, s: Stepper) -> list[dict]:
    """What the player shows at each step, from the first to the last."""
    views = [shown(page)]
    for _ in range(len(s) - 1):
        page.click("[data-gw=next]")
        views.append(shown(page))
    return views


def test_each_step_shows_its_explanation_and_highlights_node_parents_and_edges(page, tmp_path):
    s = open_player(page, tmp_path, neuron())
    order = topological_order(s.root)
    views = walk(page, s)
    for k, (step, view) in enumerate(zip(s, views, strict=True)):
        assert view["explain"] == step.explain()
        assert view["phase"].startswith(f"step {k} / {len(s) - 1} · ")
        assert view["node"] == [f"v{order.index(step.node)}"]
        if step.kind == "backward":
            position = order.index(step.node)
            parents = list(dict.fromkeys(f"v{order.index(p)}" for p in step.node.parents))
            assert sorted(view["parents"]) == sorted(parents)
            assert f"e{position}" in view["flow"] and f"op{position}" in view["flow"]
            assert {f"e{position}_{i}" for i in range(len(step.node.parents))} <= set(view["flow"])
            # The parents whose grad changed show the new value, marked.
            final = {c.parent: c.after for c in step.contributions}
            for parent, after in final.items():
                assert view["nodes"][f"v{order.index(parent)}"]["texts"][-1] == f"grad {draw_number(after)}"
    page.click("[data-gw=next]", force=True)  # past the end (the button says it is disabled): no move
    assert shown(page)["explain"] == s[-1].explain()
    page.click("[data-gw=prev]")
    assert shown(page)["explain"] == s[-2].explain()
    # The hostile label is shown as text, never parsed as markup.
    assert "</script><!-- b <i>" in s[-1].explain()
    assert page.locator("i").count() == 0


def draw_number(x: float) -> str:
    from autograd.stepper.player import _cell_number

    return _cell_number(x)


def test_names_on_the_nodes_and_in_tooltips_are_the_names_in_the_explanations(page, tmp_path):
    x, y = Value(1.5, "x"), Value(-2.0, "y")
    h = (x * y).tanh()  # unlabelled nodes: the text calls them mul#2, tanh#1, L
    s = open_player(page, tmp_path, h * h + x)
    order = topological_order(s.root)
    view = shown(page)
    drawn = {}
    for k, node in enumerate(order):
        texts = view["nodes"][f"v{k}"]["texts"]
        drawn[s.name(node)] = texts[0]
        assert texts[0] == s.name(node)
        assert view["nodes"][f"v{k}"]["title"] == s.name(node)  # the tooltip: no v9, no op1
    named = set(re.findall(r"grad\(([^()]+)\)", "\n".join(step.explain() for step in s)))
    assert named and named <= set(drawn)
    assert not any(re.fullmatch(r"(v|op)\d+", t["title"]) for t in view["nodes"].values())


def test_the_picture_holds_still_and_the_text_panel_keeps_its_height(page, tmp_path):
    root, params = neuron_with_params()
    s = open_player(page, tmp_path, root, forward=True, lr=0.1, params=params)
    views = walk(page, s)
    assert {tuple(v["size"]) for v in views} == {tuple(views[0]["size"])}
    assert views[0]["size"][0] > 100
    assert {v["explainHeight"] for v in views} == {views[0]["explainHeight"]}


def test_forward_steps_fill_in_values_and_update_steps_change_the_parameters(page, tmp_path):
    root, (w1, w2, b) = neuron_with_params()
    s = open_player(page, tmp_path, root, forward=True, lr=0.1, params=[w1, w2, b])
    order = topological_order(s.root)
    views = walk(page, s)
    first = views[0]["nodes"]
    n = s[0].node
    assert first[f"v{order.index(n)}"]["texts"][1] == f"data {draw_number(n.data)}"
    assert first[f"v{order.index(s.root)}"]["texts"][1] == "data ?"  # not computed yet
    for step, view in zip(s, views, strict=True):
        if step.kind == "forward":
            assert (
                view["nodes"][f"v{order.index(step.node)}"]["texts"][1] == f"data {draw_number(step.value)}"
            )
            assert "forward pass" in view["phase"]
        if step.kind == "update":
            assert "update" in view["phase"]
            assert (
                view["nodes"][f"v{order.index(step.node)}"]["texts"][1] == f"data {draw_number(step.value)}"
            )
    s.run()
    assert views[-1]["nodes"][f"v{order.index(w1)}"]["texts"][1] == f"data {draw_number(w1.data)}"
    s.reset()
    page.keyboard.press("Home")
    assert shown(page)["nodes"] == first  # undone in the picture too


def test_training_iterations_show_the_loss_falling(page, tmp_path):
    import nn

    model = nn.MLP(1, [1], rng=0)
    s = Stepper.train(lambda: (model([1.5]) - 2.0) ** 2, params=model, lr=0.05, iterations=3)
    path = s.save_html(tmp_path / "train.html")
    page.goto(path.as_uri())
    views = walk(page, s)
    losses = [re.search(r"\(loss ([^)]*)\)", v["phase"]).group(1) for v in views]
    seen = list(dict.fromkeys(losses))
    assert len(seen) == 3 and [float(x) for x in seen] == sorted((float(x) for x in seen), reverse=True)


def test_no_negative_zero_anywhere(page, tmp_path):
    x, w = Value(-0.0, "x"), Value(-1.0, "w")
    x.grad = -0.0
    s = open_player(page, tmp_path, (x * w).relu() * -0.0, forward=True, lr=1.0, params=[x, w])
    for view in walk(page, s):
        text = view["text"] + " ".join(" ".join(n["texts"]) for n in view["nodes"].values())
        found = re.search(r".{30}[−-]0(\.0*)?(?![\d.e]).{10}", text, re.DOTALL)
        assert found is None, found.group(0)


def test_zoom_fit_and_the_current_node_kept_in_view(page, tmp_path):
    x = Value(0.5, "x")
    y = x
    for _ in range(40):
        y = (y * 1.01).tanh()
    s = open_player(page, tmp_path, y)
    width = shown(page)["size"][0]
    page.click("[data-gw=zoom-in]")
    assert shown(page)["size"][0] > width * 1.2
    page.click("[data-gw=fit]")
    view_width = page.eval_on_selector("[data-gw=view]", "v => v.clientWidth")
    assert shown(page)["size"][0] <= view_width
    page.click("[data-gw=actual]")
    page.click("[data-gw=explain]")
    page.keyboard.press("End")  # the last step is at the far left of a long chain
    inside = page.evaluate(
        """() => {
            const v = document.querySelector('[data-gw=view]').getBoundingClientRect();
            const n = document.querySelector('.gw-node').getBoundingClientRect();
            return n.left >= v.left && n.right <= v.right;
        }"""
    )
    assert inside
    assert len(s) == 81


def test_a_models_neurons_are_boxes_and_a_step_inside_one_lights_the_box(page, tmp_path):
    import nn

    model = nn.MLP(2, [3, 1], rng=0)
    loss = (model([0.5, -1.5]) - 1.0) ** 2
    s = open_player(page, tmp_path, loss, params=model)
    views = walk(page, s)
    boxes = [k for k, n in views[0]["nodes"].items() if n["texts"][0].startswith("neuron")]
    assert len(boxes) == 4
    assert any(v["node"] and v["node"][0] in boxes for v in views[2:])
    sizes = [v["nodes"][boxes[0]]["texts"] for v in views]
    assert all(len(t) == len(sizes[0]) for t in sizes)


def test_leftover_grads_are_shown_in_the_player(page, tmp_path):
    root, (w1, _, _) = neuron_with_params()
    w1.grad = 2.0
    open_player(page, tmp_path, root)
    assert "Leaf grads were not 0 when this Stepper was made" in shown(page)["text"]


def test_two_players_on_one_page_do_not_interfere(page, tmp_path):
    a, b = Stepper(neuron(" A")), Stepper(Value(3.0, "x").tanh() * 2.0)
    html = f"<!DOCTYPE html><meta charset=utf-8><body>{player_html(a)}<p>between</p>{player_html(b)}</body>"
    (tmp_path / "two.html").write_text(html, encoding="utf-8")
    page.goto((tmp_path / "two.html").as_uri())
    ida, idb = player_id(page, 0), player_id(page, 1)
    assert ida != idb
    page.click(f"#{ida} [data-gw=next]")
    page.click(f"#{ida} [data-gw=next]")
    page.click(f"#{idb} [data-gw=next]")
    assert shown(page, f"#{ida}")["explain"] == a[2].explain()
    assert shown(page, f"#{idb}")["explain"] == b[1].explain()
    page.click(f"#{idb} [data-gw=explain]")  # keys go to the focused player only
    page.keyboard.press("ArrowLeft")
    assert shown(page, f"#{ida}")["explain"] == a[2].explain()
    assert shown(page, f"#{idb}")["explain"] == b[0].explain()
    ids = page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)")
    assert len(ids) == len(set(ids)), "an id is used twice on the page"


def test_without_scripts_the_static_picture_of_step_0_shows(browser, tmp_path):
    s = Stepper(neuron())
    path = s.save_html(tmp_path / "player.html")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(path.as_uri())
    view = page.evaluate(
        """() => {
            const img = document.querySelector('[data-gw=static] img');
            const r = img.getBoundingClientRect();
            return {explain: document.querySelector('[data-gw=explain]').textContent,
                    loaded: img.complete && img.naturalWidth > 0, width: r.width, height: r.height,
                    svgs: document.querySelectorAll('svg').length,
                    buttons: document.querySelectorAll('button').length,
                    text: document.body.innerText};
        }"""
    )
    context.close()
    assert view["explain"] == s[0].explain()
    assert view["loaded"] and view["width"] > 100 and view["height"] > 50
    assert view["svgs"] == 0 and view["buttons"] == 0  # no dead controls, no markup spilled
    assert len(view["text"]) < 400


def test_a_sanitized_copy_shows_the_picture_not_markup(browser, tmp_path):
    """JupyterLab's sanitizer (untrusted notebooks) drops <script> and <style> with their text."""
    s = Stepper(neuron())
    fragment = re.sub(r"<(script|style)\b.*?</\1>", "", player_html(s), flags=re.DOTALL)
    (tmp_path / "clean.html").write_text(f"<!DOCTYPE html><meta charset=utf-8>{fragment}", encoding="utf-8")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto((tmp_path / "clean.html").as_uri())
    loaded = page.evaluate(
        "() => { const i = document.querySelector('img'); return i.complete && i.naturalWidth > 0; }"
    )
    text = page.evaluate("() => document.body.innerText")
    context.close()
    assert loaded
    assert "gradwalk" not in text and "data " not in text.replace(s[0].explain(), "")


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
        assert shown(page, f"#{player}")["explain"] == s[1].explain()


# -- a notebook's two outputs: the PNG of step 0, then the player that hides it ----------------------

#: Puts each notebook's outputs on the page as its front end does, at its pace. JupyterLab: each
#: output in a `.jp-OutputArea-child`, the player's HTML set and its scripts re-created while
#: the output is still detached, then attached, and the PNG drawn a moment later still.
#: Classic Notebook: `.output_area`s, scripts run from <head> before the outputs are attached.
INSERT_OUTPUTS_LIKE_NOTEBOOKS = """([lab, classic]) => {
    const area = (cls) => {
        const child = document.createElement('div');
        child.className = cls;
        const output = document.createElement('div');
        output.className = cls === 'output_area' ? 'output_subarea' : 'jp-OutputArea-output';
        child.appendChild(output);
        return [child, output];
    };
    const png = (output, data) => {
        const img = document.createElement('img');
        img.src = 'data:image/png;base64,' + data['image/png'];
        output.appendChild(img);
    };
    const labArea = document.createElement('div');
    labArea.className = 'jp-OutputArea';
    document.body.appendChild(labArea);
    for (const [data] of lab) {
        const [child, output] = area('jp-OutputArea-child');
        labArea.appendChild(child);
        if ('image/png' in data) setTimeout(() => png(output, data), 300);
        else {
            output.remove();
            output.innerHTML = data['text/html'];
            for (const old of output.querySelectorAll('script')) {
                const fresh = document.createElement('script');
                fresh.textContent = old.textContent;
                old.replaceWith(fresh);
            }
            setTimeout(() => child.appendChild(output), 150);
        }
    }
    const classicArea = document.createElement('div');
    classicArea.className = 'output';
    for (const [data] of classic) {
        const [child, output] = area('output_area');
        classicArea.appendChild(child);
        if ('image/png' in data) png(output, data);
        else {
            output.innerHTML = data['text/html'];
            for (const old of output.querySelectorAll('script')) {
                const run = document.createElement('script');
                run.text = old.textContent;
                document.head.appendChild(run).remove();
            }
        }
    }
    setTimeout(() => document.body.appendChild(classicArea), 200);
}"""

#: Each player, and the output area that it hid, with what is visible of each picture.
NOTEBOOK_VIEW_JS = """() => ({
    players: [...document.querySelectorAll('.gw-stepper')].map(p => ({
        id: p.id, ready: p.getAttribute('data-gw-ready') === '1', height: p.getBoundingClientRect().height,
        hid: [...document.querySelectorAll('[data-gw-hidden-by]')]
            .filter(a => a.getAttribute('data-gw-hidden-by') === p.id)
            .map(a => a.nextElementSibling && a.nextElementSibling.contains(p)),
    })),
    visibleImages: [...document.querySelectorAll('img')].filter(i => i.getBoundingClientRect().width).length,
    text: document.body.innerText,
})"""


def test_a_notebooks_player_shows_itself_and_hides_its_own_png(page):
    from autograd.stepper.player import notebook_outputs

    a, b = Stepper(neuron(" A")), Stepper(neuron(" B"))
    page.set_content("<!DOCTYPE html><meta charset=utf-8><body></body>")
    # Two players with the same picture in JupyterLab, one in classic Notebook.
    lab = [*notebook_outputs(a), *notebook_outputs(a)]
    page.evaluate(INSERT_OUTPUTS_LIKE_NOTEBOOKS, [lab, notebook_outputs(b)])
    page.wait_for_function("document.querySelectorAll('[data-gw-hidden-by]').length === 3")
    view = page.evaluate(NOTEBOOK_VIEW_JS)
    assert len(view["players"]) == 3
    for player in view["players"]:
        assert player["ready"] and player["height"] > 200
        assert player["hid"] == [True], "each player hides the one PNG just before it"
    assert view["visibleImages"] == 0
    for n, s in enumerate((a, a, b)):
        pid = player_id(page, n)
        assert shown(page, f"#{pid}")["explain"] == s[0].explain()
        page.click(f"#{pid} [data-gw=next]")
        assert shown(page, f"#{pid}")["explain"] == s[1].explain()


def test_without_scripts_a_notebooks_player_shows_nothing_and_its_png_shows(browser):
    from autograd.stepper.player import notebook_outputs

    s = Stepper(neuron())
    (picture, meta), (player, _) = notebook_outputs(s)
    width = meta["image/png"]["width"]
    page_html = (
        "<!DOCTYPE html><meta charset=utf-8><body>"
        f'<div><img src="data:image/png;base64,{picture["image/png"]}" width="{width}"></div>'
        f"<div>{player['text/html']}</div></body>"
    )
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_content(page_html)
    view = page.evaluate(NOTEBOOK_VIEW_JS)
    context.close()
    assert view["visibleImages"] == 1
    assert view["players"][0]["height"] == 0 and not view["players"][0]["ready"]
    assert view["text"].strip() == ""
