"""Skip a test whose outside component is missing, except in CI, where that is a failure.

`.ci/run` sets GRADWALK_REQUIRE_COMPONENTS=1 so nothing the suite depends on is silently skipped.
"""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRED = os.environ.get("GRADWALK_REQUIRE_COMPONENTS") == "1"


def require(available: bool, reason: str) -> None:
    """Skip (or, in CI, fail) the calling test unless `available`."""
    if available:
        return
    if REQUIRED:
        pytest.fail(f"missing component (GRADWALK_REQUIRE_COMPONENTS=1): {reason}", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    """The system Chromium for the browser tests (GRADWALK_CHROMIUM names another), or None."""
    named = os.environ.get("GRADWALK_CHROMIUM", "")
    return shutil.which(named or "chromium") or shutil.which("chromium-browser")
