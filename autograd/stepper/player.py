"""The Stepper's player: one self-contained HTML fragment with every step's graph drawn inline.

Each step is drawn once, as the graph stands after it (its node highlighted, the grads so far
filled in). Step 0's SVG sits in the page as it is, so with scripts stripped the page still shows
it; every later step is stored as a line patch on the step before it (consecutive pictures share
almost every line), which the script applies to show that step. The page needs no kernel, server
or network.
"""

from __future__ import annotations

import difflib
import html
import json
import re
import uuid
from importlib import resources
from itertools import groupby, pairwise
from typing import TYPE_CHECKING

from autograd.draw import RendererNotFoundError, RenderError, draw

if TYPE_CHECKING:
    from autograd.stepper.steps import Stepper

#: The placeholder in player.js and player.css for the player's unique element id.
PLAYER_ID = "__PLAYER_ID__"

#: A patch turns one picture's lines into the next: a positive int n copies the next n lines,
#: a negative int -n skips n lines, and a string is a new line.
Patch = list[int | str]


def player_html(stepper: Stepper) -> str:
    """The player as an HTML fragment, for a notebook output or any page."""
    pid = f"gw-stepper-{uuid.uuid4().hex[:12]}"
    try:
        frames = [_scoped(svg, f"{pid}-").splitlines() for svg in frame_svgs(stepper)]
    except (RendererNotFoundError, RenderError) as error:
        # Without pictures the explanations still step; say why the graph is missing.
        note = f'<p class="gw-note">The graph cannot be drawn: {html.escape(str(error))}</p>'
        frames = [[note]] * len(stepper)
    explanations = [step.explain() for step in stepper]
    data = {
        "explain": explanations,
        "first": frames[0],
        "patches": [line_patch(a, b) for a, b in pairwise(frames)],
    }
    last = len(frames) - 1
    return "\n".join(
        [
            f'<div id="{pid}" class="gw-stepper" tabindex="0" data-step="0" '
            # JupyterLab leaves keys alone while the focus is inside an element marked like this.
            'data-lm-suppress-shortcuts="true" role="group" aria-label="backward pass, step by step">',
            f"<style>{_asset('player.css', pid)}</style>",
            '<div class="gw-controls">',
            '<button type="button" data-gw="prev" aria-disabled="true" title="previous step (←)">'
            "◀ Prev</button>",
            f'<input type="range" data-gw="slider" class="gw-slider" min="0" max="{last}" value="0" '
            'step="1" aria-label="step">',
            '<button type="button" data-gw="next" title="next step (→)">Next ▶</button>',
            f'<span data-gw="counter" class="gw-counter">step 0 / {last}</span>',
            '<span class="gw-hint">click, then ← → to step</span>',
            "</div>",
            f'<pre data-gw="explain" class="gw-explain">{html.escape(explanations[0])}</pre>',
            '<div data-gw="frame" class="gw-frame" data-gw-step="0">',
            *frames[0],
            "</div>",
            f'<script type="application/json" data-gw="data">{script_json(data)}</script>',
            f"<script>{_asset('player.js', pid)}</script>",
            "</div>",
        ]
    )


def player_page(stepper: Stepper) -> str:
    """The player as a whole HTML page that opens straight in a browser."""
    title = html.escape(f"Backward pass of {stepper.name(stepper.root)}")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n</head>\n<body>\n{player_html(stepper)}\n</body>\n</html>\n"
    )


def frame_svgs(stepper: Stepper) -> list[str]:
    """Each step's picture: the graph after that step, with the step's node highlighted.

    The Stepper is moved through every step to draw it, then put back where it was.
    """
    start = stepper.index
    frames = []
    try:
        for i, step in enumerate(stepper):
            stepper.goto(i)
            frames.append(draw(stepper.root, highlight=(step.node,), params=stepper.params).svg())
    finally:
        stepper.goto(start)
    return frames


def line_patch(a: list[str], b: list[str]) -> Patch:
    """The patch that turns lines a into lines b (see `Patch`)."""
    patch: Patch = []
    if len(a) == len(b):
        # The usual case: the same elements in the same order, some with new numbers.
        at = 0
        for same, run in groupby(x == y for x, y in zip(a, b, strict=True)):
            n = sum(1 for _ in run)
            patch += [n] if same else [-n, *b[at : at + n]]
            at += n
        return patch
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            patch.append(i2 - i1)
            continue
        if i2 > i1:
            patch.append(i1 - i2)
        patch += b[j1:j2]
    return patch


def apply_patch(a: list[str], patch: Patch) -> list[str]:
    """Lines a with patch applied: what player.js does to show the next step."""
    out: list[str] = []
    at = 0
    for op in patch:
        if isinstance(op, str):
            out.append(op)
        elif op > 0:
            out += a[at : at + op]
            at += op
        else:
            at -= op
    return out


def script_json(value: object) -> str:
    """value as JSON that cannot end or comment out the <script> element it sits in."""
    # Written as \u003c, a "<" can open neither "</script>" nor "<!--"; JSON.parse reads it back.
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


# -- SVG made fit to sit inline, many to a page -----------------------------------------------------

_PROLOGUE = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", re.DOTALL)
_ID = re.compile(r'\bid="([^"]*)"')
_REF = re.compile(r'(\bhref="#|url\(#)([^")]*)')


def _scoped(svg: str, prefix: str) -> str:
    """svg without its XML prologue and comments, with every id (and reference to one) prefixed,
    so that the many copies of the graph on a page never share an id."""
    svg = _PROLOGUE.sub("", svg).strip()
    svg = _ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', svg)
    return _REF.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", svg)


def _asset(name: str, pid: str) -> str:
    """A file shipped next to this module, with the player's id filled in."""
    text = resources.files("autograd.stepper").joinpath(name).read_text(encoding="utf-8")
    return text.replace(PLAYER_ID, pid)
