"""External programs (node, npm, chromium...) that some tests need but Python cannot install."""

import os
import shutil

import pytest


def require_tool(name: str, why: str) -> str:
    """The path of the program `name`; without it the test is skipped, or fails when REQUIRE_TOOLS=1 (as in CI)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not on PATH; it is needed {why}"
        if os.environ.get("REQUIRE_TOOLS") == "1":
            pytest.fail(f"{message} (REQUIRE_TOOLS=1)", pytrace=False)
        pytest.skip(message)
    return path
