"""`Graph`: a drawn computation graph, as DOT text, SVG, or a file; shows itself in notebooks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from autograd.draw import render

if TYPE_CHECKING:
    import graphviz

#: File formats `save` writes, by suffix; .dot and .gv are the DOT text itself.
SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}

#: The XML prolog, DOCTYPE (which names an external DTD) and comments of the renderer's SVG.
_SVG_PREAMBLE = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->\s*", re.DOTALL)


class Graph:
    """A drawing of a computation graph.

    `source` is the DOT text, `svg()` the rendered picture, `save(path)` writes a file, and
    `digraph` is the underlying `graphviz.Digraph`, to restyle before rendering.
    """

    def __init__(self, digraph: graphviz.Digraph, *, timeout: float | None = 30.0) -> None:
        self.digraph = digraph
        self.timeout = render.check_timeout(timeout)
        self._svg_cache: tuple[str, str] | None = None

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

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        """The SVG for Jupyter and VS Code, or the reason it cannot be drawn."""
        try:
            return {"image/svg+xml": self.svg()}
        except render.RenderError as error:
            return {"text/plain": f"{self!r}\ncannot render: {error}"}
        except render.RendererNotFoundError as error:
            return {"text/plain": f"{self!r}\ncannot render: {error}"}

    def __repr__(self) -> str:
        lines = self.source.splitlines()
        edges = sum(" -> " in line for line in lines)
        nodes = sum(line.startswith("\t") and " [" in line and " -> " not in line for line in lines) - 3
        return f"<Graph: {nodes} nodes, {edges} edges; .svg(), .save(path), .source, .digraph>"
