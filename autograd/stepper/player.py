"""The Stepper's player: one self-contained HTML fragment that steps through a Stepper.

Each graph is drawn ONCE, with stable element ids (see `autograd.draw.draw`) and every number
cell as wide as the widest text it will ever hold; each step is then a small record (the node
taking the step, the parents and edges the values flow along, the cells whose text changes),
which the script applies to that one picture. So the picture holds still: one layout and one
scale for every step, and the page grows with the number of steps, not with steps × graph.

Two forms. `player_html` (a page, `save_html`, `_repr_html_`) holds a static PNG of step 0
and its explanation, which the script replaces with the interactive picture. In a notebook
(`notebook_outputs`, through IPython) the PNG is an output of its own, which every viewer shows
trusted or not and no sanitizer touches; the player follows as an output that shows nothing
until its script runs, and then hides the PNG. Neither needs a kernel, server or network.
"""

from __future__ import annotations

import base64
import html
import json
import re
import struct
import uuid
from importlib import resources
from typing import TYPE_CHECKING

from autograd.draw import RendererNotFoundError, RenderError, draw, elements
from autograd.draw.format import number as draw_number
from autograd.value import Value

if TYPE_CHECKING:
    from autograd.stepper.steps import Step, Stepper, _Names

#: The placeholder in player.js and player.css for the player's unique element id.
PLAYER_ID = "__PLAYER_ID__"

#: A player carries at most this many steps, so that its page stays a few MB at most; past
#: it the player says how to reach the rest (`Stepper.goto`).
MAX_STEPS = 5000

#: Graphs with more Values than this are drawn collapsed (as `draw`'s max_nodes does).
BIG = 300

#: Graphs with at most this many Values get a static picture at twice the screen's resolution.
SHARP = 60

#: Significant digits of the numbers drawn in the picture (the explanations show 6).
DIGITS = 4

#: What each kind of step is called above its explanation.
PHASES = {
    "forward": "forward pass",
    "seed": "backward pass: seed",
    "backward": "backward pass",
    "zero_grad": "zero the grads",
    "update": "update",
}


class _Parts:
    """What both forms of the player are made of: its id, the step records and the pictures,
    the static PNG of step 0 (None when the graph cannot be drawn, with the reason) and notes."""

    def __init__(self, stepper: Stepper) -> None:
        self.pid = f"gw-stepper-{uuid.uuid4().hex[:12]}"
        self.data = player_data(stepper)
        self.png: bytes | None = None
        self.width = 0
        self.problem = ""
        try:
            self.data["svgs"] = [
                _scoped(svg, f"{self.pid}-s{j}-") for j, svg in enumerate(_svgs(stepper, self.data))
            ]
            self.png, self.width = _static_png(stepper, self.data)
        except (RendererNotFoundError, RenderError, UnicodeDecodeError) as error:
            # Without pictures the explanations still step; say why the graph is missing.
            self.data["svgs"] = []
            self.data["graphs"] = [None] * len(self.data["graphs"])
            self.problem = f"The graph cannot be drawn: {_reason(error)}"
        self.last = len(self.data["steps"]) - 1
        self.notes = []
        if stepper.leftover:
            self.notes.append(
                "Leaf grads were not 0 when this Stepper was made: the backward steps add to them "
                "(see step 0)."
            )
        if self.last + 1 < len(stepper):
            self.notes.append(
                f"This player shows steps 0 … {self.last} of {len(stepper) - 1}; "
                "reach the others with Stepper.goto(i)."
            )

    def png_base64(self) -> str:
        return base64.b64encode(self.png or b"").decode("ascii")

    def root_attributes(self) -> str:
        return (
            f'id="{self.pid}" tabindex="0" data-step="0" '
            # JupyterLab leaves keys alone while the focus is inside an element marked like this.
            'data-lm-suppress-shortcuts="true" role="group" aria-label="a training step, step by step"'
        )


def player_html(stepper: Stepper) -> str:
    """The player as one HTML fragment, for a page or a front end that shows only HTML.

    Where its script does not run, it shows the explanation and a PNG of step 0 instead.
    """
    parts = _Parts(stepper)
    data = parts.data
    heading = f"step 0 / {parts.last} · {data['phase'][0]}"
    if parts.png is not None:
        static = (
            f'<img src="data:image/png;base64,{parts.png_base64()}" width="{parts.width}" '
            'alt="the graph at step 0" style="max-width:100%;height:auto">'
        )
    else:
        static = f'<p class="gw-note">{html.escape(parts.problem)}</p>'
    return "\n".join(
        [
            f'<div {parts.root_attributes()} class="gw-stepper">',
            f"<style>{_asset('player.css', parts.pid)}</style>",
            *(f'<p class="gw-warn">{html.escape(note)}</p>' for note in parts.notes),
            f'<div data-gw="phase" class="gw-phase">{html.escape(heading)}</div>',
            f'<pre data-gw="explain" class="gw-explain">{html.escape(data["explain"][0])}</pre>',
            # Replaced by the interactive picture when the script runs.
            f'<div data-gw="static" class="gw-static">{static}</div>',
            f'<script type="application/json" data-gw="data">{script_json(data)}</script>',
            f"<script>{_asset('player.js', parts.pid)}</script>",
            "</div>",
        ]
    )


def player_page(stepper: Stepper) -> str:
    """The player as a whole HTML page that opens straight in a browser."""
    title = html.escape(f"Stepping through {stepper.name(stepper.root)}")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n</head>\n<body>\n{player_html(stepper)}\n</body>\n</html>\n"
    )


def mimebundle(stepper: Stepper) -> dict[str, str]:
    """One bundle, for front ends that ask an object for one: the player with its static step-0
    picture inside, and a text line. (IPython shows `notebook_outputs` instead.)

    No image/svg+xml: an untrusted front end would show it in place of the player with no steps.
    """
    return {"text/html": player_html(stepper), "text/plain": repr(stepper)}


#: Classes that hide an element in JupyterLab and Notebook 7 (lumino's `.lm-Widget.lm-mod-hidden`),
#: in nbconvert's lab template (the same CSS) and in classic Notebook and nbconvert's classic
#: template (bootstrap's `.hidden`). Class is the one attribute every sanitizer keeps on a div.
HIDDEN = "lm-Widget lm-mod-hidden hidden"


def notebook_outputs(stepper: Stepper) -> list[tuple[dict[str, str], dict[str, dict[str, object]]]]:
    """The two outputs a notebook stores for a Stepper, as (data, metadata) pairs.

    1. The picture of step 0: image/png (with its width in CSS pixels, as `Graph` gives) and a
       text line. Every front end shows it, trusted or not, and no sanitizer touches it.
    2. The interactive player as text/html that shows nothing until its script runs: a hidden
       div (`hidden`, and classes each front end's CSS hides; the one thing nbconvert's sanitizer
       keeps is a div's class) holding the data in an HTML comment (which sanitizers drop) and
       the script. Where the script runs it builds the player, shows it, and hides output 1.
    """
    parts = _Parts(stepper)
    text = repr(stepper)
    if parts.png is None:
        picture: tuple[dict[str, str], dict[str, dict[str, object]]] = (
            {"text/plain": f"{text}\n{parts.problem}"},
            {},
        )
    else:
        png = parts.png_base64()
        picture = ({"image/png": png, "text/plain": text}, {"image/png": {"width": parts.width}})
        # A stretch from the middle of the PNG's base64 finds this picture's <img> on the page.
        middle = len(png) // 2
        parts.data["picture"] = png[middle : middle + PICTURE_MARK]
    parts.data["css"] = _asset("player.css", parts.pid)
    parts.data["notes"] = parts.notes
    parts.data["problem"] = parts.problem
    player = "\n".join(
        [
            f'<div {parts.root_attributes()} class="gw-stepper gw-pending {HIDDEN}" hidden>',
            f"<!--{comment_json(parts.data)}-->",
            f"<script>{_asset('player.js', parts.pid)}</script>",
            "</div>",
        ]
    )
    return [picture, ({"text/html": player}, {})]


#: How many base64 characters of the static PNG the script looks for to find its <img>.
PICTURE_MARK = 64


def comment_json(value: object) -> str:
    """value as JSON that can sit in an HTML comment: no "--" (which could end it), no "<"."""
    # "--" occurs only inside JSON strings, where "-\u002d" reads back the same.
    return script_json(value).replace("--", "-\\u002d")


def script_json(value: object) -> str:
    """value as JSON that cannot end or comment out the <script> element it sits in."""
    # Written as \u003c, a "<" can open neither "</script>" nor "<!--"; JSON.parse reads it back.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


# -- the step records --------------------------------------------------------------------------------


def player_data(stepper: Stepper) -> dict:
    """Everything the script needs, as JSON-ready data (no pictures yet).

    - `explain[i]`, `phase[i]`: step i's explanation and its heading;
    - `steps[i] = [graph, node, parents, edges, cells]`: the graph (iteration) the step is
      drawn on, the element id of the node taking the step, those of the parents (or inputs)
      it passes to (reads from), the edge and op ids between them, and the cells it changes as
      `[cell, new text, old text]`, where a cell is `v{k}-d` (data) or `v{k}-g` (grad);
    - `base[g]`: every cell's text in graph g before its first step;
    - `widest[g]`: the widest text each cell of graph g ever shows, for drawing it.
    """
    graphs = stepper._graphs
    views = [_View(root, order, names, stepper.params) for root, order, names in graphs]
    shown = stepper[:MAX_STEPS]
    start = stepper.index
    try:
        stepper.goto(-1)  # the state the records start from
        data = {node: node.data for view in views for node in view.cells}
        grad = {node: node.grad for view in views for node in view.cells}
    finally:
        stepper.goto(start)
    computed: set[Value] = set()
    if not stepper.forward:
        computed.update(node for view in views for node in view.cells)
    texts: list[dict[str, str]] = [{} for _ in views]
    base: list[dict[str, str] | None] = [None] * len(views)
    records = []
    for step in shown:
        g = step.iteration
        view = views[g]
        if base[g] is None:
            texts[g] = {c: t for node in view.cells for c, t in view.texts(node, data, grad, computed)}
            base[g] = dict(texts[g])
            for cell, text in texts[g].items():
                view.saw(cell, text)
        touched = [w.node for w in step.writes]
        for w in step.writes:
            (data if w.attr == "data" else grad)[w.node] = w.after
        if step.kind == "forward":
            computed.add(step.node)  # type: ignore[arg-type]
            touched.append(step.node)  # type: ignore[arg-type]
        changes = []
        for node in dict.fromkeys(touched):
            if node in view.cells:
                for cell, text in view.texts(node, data, grad, computed):
                    old = texts[g][cell]
                    if text != old:
                        texts[g][cell] = text
                        changes.append([cell, text, old])
                        view.saw(cell, text)
        records.append([g, *view.highlights(step), changes])
    return {
        "explain": [step.explain() for step in shown],
        "phase": [_phase(step, stepper) for step in shown],
        "steps": records,
        "base": [b or {} for b in base],
        "widest": [view.widest for view in views],
        "graphs": list(range(len(views))),
        "total": len(stepper),
    }


def _phase(step: Step, stepper: Stepper) -> str:
    text = PHASES[step.kind]
    if len(stepper.roots) > 1:
        loss = stepper.losses[step.iteration]
        text = f"iteration {step.iteration + 1} of {len(stepper.roots)} (loss {_cell_number(loss)}) · {text}"
    return text


class _View:
    """One graph as the player draws it: which Values have cells, and which element shows each."""

    def __init__(self, root: Value, order: list[Value], names: _Names, params: object) -> None:
        self.root = root
        self.order = order
        self.names = names
        self.index = {node: k for k, node in enumerate(order)}
        #: The drawing's options: a model's neurons fold into boxes (as draw does for params=model);
        #: parameters given as Values are only coloured, unless the graph is too big to draw whole.
        model = callable(getattr(params, "parameters", None))
        self.options = {"params": params, "collapse": None if model or len(order) > BIG else False}
        self.element = elements(root, **self.options)
        # A Value has number cells when it is drawn as itself, or is the output a neuron box shows.
        self.cells = {node: f"v{k}" for k, node in enumerate(order) if self.element[node] == f"v{k}"}
        self.widest: dict[str, str] = {}

    def texts(self, node: Value, data: dict, grad: dict, computed: set[Value]) -> list[tuple[str, str]]:
        """The (cell, text) pairs node shows: its value (? until computed) and its grad."""
        name = self.cells[node]
        shown = _cell_number(data[node]) if node.is_leaf or node in computed else "?"
        return [(f"{name}-d", shown), (f"{name}-g", _cell_number(grad[node]))]

    def saw(self, cell: str, text: str) -> None:
        if _width(text) > _width(self.widest.get(cell, "")):
            self.widest[cell] = text

    def highlights(self, step: Step) -> list[object]:
        """[node element, parent elements, edge and op ids] for the step."""
        node = step.node
        if node is None:
            return [None, [], []]
        own = self.element[node]
        if step.kind not in ("forward", "backward"):
            return [own, [], []]
        parents = list(dict.fromkeys(self.element[p] for p in node.parents if self.element[p] != own))
        k = self.index[node]
        if own == f"v{k}":  # drawn as itself: its op, the op's output edge and each operand's edge
            edges = [f"op{k}", f"e{k}"]
            edges += [f"e{k}_{i}" for i, x in enumerate(node.operands) if isinstance(x, Value)]
        else:  # folded into a box: the box's edges from the parents outside it
            edges = [f"{own}_in_{p}" for p in parents]
        return [own, parents, edges]


def _cell_number(x: float) -> str:
    """A number for the picture, never a negative zero."""
    return draw_number(0.0 if x == 0.0 else x, DIGITS)


#: Rough widths of characters in the drawing's font (Helvetica), in 1/1000 em.
_NARROW = {".": 278, "-": 333, " ": 278, "?": 556, "e": 556}


def _width(text: str) -> int:
    return sum(_NARROW.get(c, 556) for c in text)


# -- the pictures ------------------------------------------------------------------------------------


def _svgs(stepper: Stepper, data: dict) -> list[str]:
    """Each graph's picture, drawn once with the widest texts, ids on its number cells and its
    tooltips naming what the text names. Graphs drawn alike (iterations of one model) share one."""
    svgs: list[str] = []
    index: dict[str, int] = {}
    for g, (root, order, names) in enumerate(stepper._graphs):
        options = _View(root, order, names, stepper.params).options
        widest = data["widest"][g]
        cell_text = {}
        for k, node in enumerate(order):
            if f"v{k}-d" in widest:
                cell_text[node] = (widest[f"v{k}-d"], widest[f"v{k}-g"])
        picture = draw(root, names=dict(names.items()), cell_text=cell_text, digits=DIGITS, **options)
        svg = _with_cell_ids(picture.svg())
        svg = _with_tooltips(svg, order, names)
        if svg not in index:
            index[svg] = len(svgs)
            svgs.append(svg)
        data["graphs"][g] = index[svg]
    return svgs


_NODE_GROUP = re.compile(r'(<g id="(v\d+)" class="node">)(.*?)(</g>)', re.DOTALL)
_TEXT = re.compile(r"<text\b([^>]*)>([^<]*)</text>")


def _with_cell_ids(svg: str) -> str:
    """The SVG with `id="v{k}-d"` / `id="v{k}-g"` on the text of node v{k}'s data and grad cells."""

    def mark(m: re.Match[str]) -> str:
        name, body = m.group(2), m.group(3)
        texts = list(_TEXT.finditer(body))
        ids = {}
        for prefix, suffix in (("data ", "d"), ("out ", "d"), ("grad ", "g")):
            hits = [t for t in texts if html.unescape(t.group(2)).startswith(prefix)]
            if hits:
                ids[hits[-1].start()] = f"{name}-{suffix}"  # the cells come after the name
        out, at = [], 0
        for t in texts:
            if t.start() in ids:
                out.append(body[at : t.start()])
                out.append(f'<text id="{ids[t.start()]}"{t.group(1)}>{t.group(2)}</text>')
                at = t.end()
        out.append(body[at:])
        return m.group(1) + "".join(out) + m.group(4)

    return _NODE_GROUP.sub(mark, svg)


_TITLE = re.compile(r'(<g id="([^"]*)" class="(node|edge)">\s*<title>)(.*?)(</title>)', re.DOTALL)


def _with_tooltips(svg: str, order: list[Value], names: _Names) -> str:
    """Tooltips that say what the explanations say: names, not the drawing's internal ids."""

    def say(dot_name: str) -> str:
        m = re.fullmatch(r"(v|op|c|skip)(\d+)(?:_\d+)?", dot_name)
        if m is None:
            return "values not drawn" if dot_name == "more" else dot_name
        kind, k = m.group(1), int(m.group(2))
        node = order[k] if k < len(order) else None
        if node is None:
            return dot_name
        if kind == "v":
            return names[node]
        if kind == "op":
            return f"{node.op} → {names[node]}"
        if kind == "c":
            return f"a constant of {names[node]}"
        return "a chain of ops, shortened"

    def retitle(m: re.Match[str]) -> str:
        title = html.unescape(m.group(4))
        ends = title.split("->") if m.group(3) == "edge" else [title]
        return m.group(1) + html.escape(" → ".join(say(e) for e in ends)) + m.group(5)

    return _TITLE.sub(retitle, svg)


def _static_png(stepper: Stepper, data: dict) -> tuple[bytes, int]:
    """Step 0 as a PNG, and its width in CSS pixels: what shows where scripts never run."""
    step = stepper[0]
    g = step.iteration
    root, order, names = stepper._graphs[g]
    texts = dict(data["base"][g])
    for cell, new, _ in data["steps"][0][4]:
        texts[cell] = new
    cell_text = {}
    for k, node in enumerate(order):
        if f"v{k}-d" in texts:
            cell_text[node] = (texts[f"v{k}-d"], texts[f"v{k}-g"])
    highlight = (step.node,) if step.node is not None else ()
    picture = draw(
        root,
        **_View(root, order, names, stepper.params).options,
        names=dict(names.items()),
        cell_text=cell_text,
        digits=DIGITS,
        highlight=highlight,
    )
    # Twice the CSS resolution, sharp at its natural size; a big graph at one, to bound the page.
    scale = 2 if len(order) <= SHARP else 1
    picture.digraph.graph_attr["dpi"] = str(96 * scale)
    picture.digraph.graph_attr["size"] = "40,40"  # inches at most: shrinks only a huge graph
    png = picture.render("png")
    width = struct.unpack(">I", png[16:20])[0] // scale  # the PNG header's width, in CSS pixels
    return png, width


def _reason(error: BaseException) -> str:
    if isinstance(error, UnicodeDecodeError):
        return f"the renderer's output is not UTF-8 ({error.reason})"
    return str(error)


# -- SVG made fit to sit inline, several to a page --------------------------------------------------

_TAG = re.compile(r"<[^<>]*>")
_ID = re.compile(r'\bid="([^"]*)"')
_REF = re.compile(r'(\bhref="#|url\(#)([^")]*)')


def _scoped(svg: str, prefix: str) -> str:
    """svg with every id, and every reference to one, prefixed, so that the players on a page
    never share an id. Only markup is touched: the text of labels stays as written."""

    def scope(m: re.Match[str]) -> str:
        tag = _ID.sub(lambda n: f'id="{prefix}{n.group(1)}"', m.group(0))
        return _REF.sub(lambda n: f"{n.group(1)}{prefix}{n.group(2)}", tag)

    return _TAG.sub(scope, svg)


def _asset(name: str, pid: str) -> str:
    """A file shipped next to this module, with the player's id filled in."""
    text = resources.files("autograd.stepper").joinpath(name).read_text(encoding="utf-8")
    return text.replace(PLAYER_ID, pid)
