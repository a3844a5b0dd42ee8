"""Shared test settings and fixtures: no hypothesis deadlines, since CI machines are shared and
timing is not what these properties are about; `renderer`, which runs a drawing test once with
each renderer."""

import pytest
from components import require
from draw_helpers import pure_renderer, system_dot, without_system_dot
from hypothesis import settings

from autograd.draw.render import find_renderer

settings.register_profile("gradwalk", deadline=None)
settings.load_profile("gradwalk")

RENDERERS = ["system dot", "graphviz-pure"]


@pytest.fixture(params=RENDERERS)
def renderer(request, monkeypatch, tmp_path):
    """Each test runs with the system dot, then with graphviz-pure and no dot on PATH."""
    if request.param == "system dot":
        require(system_dot() is not None, "Graphviz `dot` is not installed")
        monkeypatch.delenv("GRADWALK_DOT", raising=False)
        assert find_renderer() == system_dot()
    else:
        require(pure_renderer() is not None, "graphviz-pure is not installed")
        without_system_dot(monkeypatch, tmp_path)
        assert find_renderer() == pure_renderer()
    return request.param
