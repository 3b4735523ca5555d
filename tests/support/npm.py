"""`npm ci` for the pinned Node.js tool folders (tools/<name>/, tests/...), at most once per folder and run."""

import fcntl
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.support.tools import require_tool

NPM_TIMEOUT = 600
_done: set[Path] = set()


def _stale(folder: Path) -> bool:
    # npm ci writes node_modules/.package-lock.json last: older than the lock file means another install is due.
    installed = folder / "node_modules" / ".package-lock.json"
    return not installed.is_file() or installed.stat().st_mtime < (folder / "package-lock.json").stat().st_mtime


def npm_ci(folder: Path) -> Path:
    """Install `folder`'s locked packages when its node_modules is missing or older than its lock file."""
    folder = Path(folder).resolve()
    if folder in _done:
        return folder
    npm = require_tool("npm", f"to install the packages locked in {folder}")
    # Two test runs on one machine must not run npm ci in the same folder at once.
    lock_name = "course-api-npm-" + "-".join(folder.parts[-2:]) + ".lock"
    with open(Path(tempfile.gettempdir()) / lock_name, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if _stale(folder):
            command = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"]
            try:
                run = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=NPM_TIMEOUT)
            except subprocess.TimeoutExpired as exc:
                pytest.fail(f"npm ci in {folder} did not finish within {NPM_TIMEOUT} s:\n{exc.stdout}\n{exc.stderr}")
            if run.returncode != 0:
                pytest.fail(f"npm ci in {folder} failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
    _done.add(folder)
    return folder
