"""`Graph`: a drawn computation graph, as DOT text, SVG, or a file; shows itself in notebooks."""

from __future__ import annotations

import base64
import re
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from autograd.draw import render

if TYPE_CHECKING:
    import graphviz

#: File formats `save` writes, by suffix; .dot and .gv are the DOT text itself.
SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}

#: The XML prolog, DOCTYPE (which names an external DTD) and comments of the renderer's SVG.
_SVG_PREAMBLE = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->\s*", re.DOTALL)
_SVG_SIZE = re.compile(r'<svg[^>]*?\bwidth="(?P<width>[\d.]+)pt"[^>]*?\bheight="(?P<height>[\d.]+)pt"')

#: Renderer dots per inch for one PNG pixel per CSS pixel.
CSS_DPI = 96
#: The most pixels a notebook PNG gets (about 32 MB decoded), and the longest side (cairo's limit is 32,767).
PNG_PIXEL_LIMIT = 8_000_000
PNG_SIDE_LIMIT = 16_000
#: Notebooks get two pixels per CSS pixel (sharp on high-density screens) while that PNG stays
#: below this size; a drawing dense with lines (an MLP's 16×16 weights) gets one, at half the bytes.
SHARP_PNG_BYTES = 400_000
#: Graphviz's format for a PNG drawn by cairo (antialiased) and written by gd with a palette.
PALETTE_PNG = "png:cairo:gd"


class Graph:
    """A drawing of a computation graph.

    `source` is the DOT text, `svg()` the rendered picture, `save(path)` writes a file, and
    `digraph` is the underlying `graphviz.Digraph`, to restyle before rendering.
    """

    def __init__(self, digraph: graphviz.Digraph, *, timeout: float | None = 30.0) -> None:
        self.digraph = digraph
        self.timeout = render.check_timeout(timeout)
        self.fit = True  # in notebooks: shrink a wide picture to the cell's width
        self._svg_cache: tuple[str, str] | None = None
        self._png_cache: dict[tuple[str, float, str], bytes] = {}

    @property
    def source(self) -> str:
        """The DOT text (needs no renderer)."""
        return self.digraph.source

    def svg(self) -> str:
        """The picture as a self-contained <svg> element: no XML prolog, DOCTYPE or comments."""
        source = self.source
        if self._svg_cache is None or self._svg_cache[0] != source:
            raw = render.run(source, "svg", self.timeout).decode("utf-8")
            self._svg_cache = (source, _SVG_PREAMBLE.sub("", raw).strip() + "\n")
        return self._svg_cache[1]

    def render(self, fmt: str) -> bytes:
        """The picture in a renderer format such as 'png' or 'pdf'."""
        if fmt == "svg":
            return self.svg().encode("utf-8")
        if fmt == "dot":
            return self.source.encode("utf-8")
        return render.run(self.source, fmt, self.timeout)

    def save(self, path: str | Path) -> Path:
        """Write the picture to path, in the format its suffix names (.svg, .png, .pdf, .dot, .gv)."""
        path = Path(path)
        fmt = SUFFIXES.get(path.suffix.lower())
        if fmt is None:
            raise ValueError(
                f"Graph.save({str(path)!r}): unsupported suffix {path.suffix!r}; "
                f"use one of {', '.join(SUFFIXES)}"
            )
        path.write_bytes(self.render(fmt))
        return path

    def png(self, scale: float = 2.0) -> bytes:
        """The picture as PNG with `scale` pixels per CSS pixel (2 is sharp on high-density screens).

        A picture that would pass PNG_PIXEL_LIMIT pixels is drawn with fewer pixels per CSS pixel.
        """
        return self._png(scale, "png")

    def _png(self, scale: float, fmt: str) -> bytes:
        if not (isinstance(scale, (int, float)) and 0 < scale <= 8):
            raise ValueError(f"Graph.png(scale={scale!r}): expected a number in (0, 8]")
        width, height = self.size()
        budget = (PNG_PIXEL_LIMIT / max(width * height, 1.0)) ** 0.5
        scale = min(scale, budget, PNG_SIDE_LIMIT / max(width, height, 1.0))
        dpi = round(CSS_DPI * scale, 2)
        source = self.source
        key = (source, dpi, fmt)
        if key not in self._png_cache:
            self._png_cache = {k: v for k, v in self._png_cache.items() if k[0] == source}  # restyled
            # A graph attribute set before the digraph's own: a dpi the user set on the digraph wins.
            head, brace, rest = source.partition("{\n")
            self._png_cache[key] = render.run(f"{head}{brace}\tdpi={dpi:g}\n{rest}", fmt, self.timeout)
        return self._png_cache[key]

    def _notebook_png(self) -> bytes:
        """The PNG for notebooks: two pixels per CSS pixel, or one if that passes SHARP_PNG_BYTES.

        Graphviz's own `dot` writes it with a 256-colour palette (a quarter of the bytes of full
        colour for a drawing dense with lines); a renderer that cannot writes full colour.
        """
        png = b""
        for scale in (2.0, 1.0):
            try:
                png = self._png(scale, PALETTE_PNG)
            except render.RenderTimeoutError:
                raise
            except render.RenderError:  # this renderer has no palette PNG writer
                png = self._png(scale, "png")
            if len(png) <= SHARP_PNG_BYTES:
                break
        return png

    def size(self) -> tuple[float, float]:
        """The picture's natural width and height in CSS pixels (1 pt = 4/3 px), read from the SVG."""
        match = _SVG_SIZE.search(self.svg())
        if match is None:
            raise render.RenderError("the renderer's SVG has no width and height in pt")
        return float(match["width"]) * 4 / 3, float(match["height"]) * 4 / 3

    def full_size(self) -> Graph:
        """This drawing, shown in notebooks at its full size (scrolling) rather than fitted to the cell."""
        graph = Graph(self.digraph, timeout=self.timeout)
        graph.fit = False
        graph._svg_cache, graph._png_cache = self._svg_cache, self._png_cache
        return graph

    def _repr_mimebundle_(
        self, include: Collection[str] | None = None, exclude: Collection[str] | None = None
    ) -> tuple[dict[str, str], dict[str, dict[str, object]]]:
        """A PNG and its text form, for Jupyter, VS Code, GitHub and nbconvert (see below).

        PNG, not SVG or HTML: it is the one picture every front end shows, trusted or not (an
        untrusted JupyterLab or classic Notebook drops SVG; a sanitizing nbconvert escapes HTML into
        visible markup), and the one JupyterLab fits to the cell's width (its SVG output is not).
        Two pixels per CSS pixel unless that passes SHARP_PNG_BYTES. The metadata's width is the
        natural size in CSS pixels, so a picture is never enlarged, only shrunk to fit;
        `full_size()` marks it unconfined.
        """
        text = repr(self)
        data: dict[str, str] = {"text/plain": text}
        metadata: dict[str, dict[str, object]] = {}
        try:
            png = self._notebook_png()
            width, _ = self.size()
        except (render.RenderError, render.RendererNotFoundError) as error:
            data["text/plain"] = f"{text}\ncannot render: {error}"
        else:
            data["image/png"] = base64.b64encode(png).decode("ascii")
            shown: dict[str, object] = {"width": max(1, round(width))}
            if not self.fit:
                shown["unconfined"] = True
            metadata["image/png"] = shown
        if include:
            data = {k: v for k, v in data.items() if k in include}
        if exclude:
            data = {k: v for k, v in data.items() if k not in exclude}
        return data, {k: v for k, v in metadata.items() if k in data}

    def __repr__(self) -> str:
        lines = self.source.splitlines()
        edges = sum(" -> " in line for line in lines)
        nodes = sum(line.startswith("\t") and " [" in line and " -> " not in line for line in lines) - 3
        return f"<Graph: {nodes} nodes, {edges} edges; .svg(), .save(path), .source, .digraph>"
