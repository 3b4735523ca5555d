"""The Schemathesis CLI against the service served the production way, as a consumer would run it.

Two runs: a fixed seed, so a failure reproduces, and a random one (printed), so each run explores
new cases. Reports (JUnit, JSON) go to build/contract/.
"""

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from api.app import load_spec
from tests.support.databases import BACKEND
from tests.support.live import live_service
from tests.support.tokens import make_token

ROOT = Path(__file__).resolve().parent.parent
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
FIXED_SEED = 20261126
SPEC_OPERATIONS = [
    f"{method.upper()} {path}"
    for path, item in load_spec()["paths"].items()
    for method in item
    if method in ("get", "put", "post", "patch", "delete")
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    users = [{"username": "contract", "is_staff": True}]
    with live_service("contract_cli", tmp_path_factory.mktemp("contract-cli"), users) as (live, _engine):
        yield live


@pytest.mark.parametrize("seed", [FIXED_SEED, random.randrange(2**31)], ids=["fixed-seed", "random-seed"])
def test_schemathesis_cli_finds_nothing(server, seed):
    print(f"Schemathesis seed: {seed}")
    reports = ROOT / "build" / "contract" / f"{BACKEND}-{seed}"
    command = [
        str(SCHEMATHESIS), "run", f"{server.url}/openapi.json",
        "--checks", "all",
        "--seed", str(seed), "--max-examples", "50",
        "--report", "junit,json", "--report-dir", str(reports),
    ]  # fmt: skip
    # Nothing but schemathesis.toml configures the run, as for a consumer running it stock.
    env = {**os.environ, "CONTRACT_TOKEN": make_token(1, ttl=86400)}
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    output = run.stdout + run.stderr

    assert run.returncode == 0, output[-8000:]
    summary = json.loads(next(reports.glob("json-*.json")).read_text())
    # Every operation of the spec, none skipped.
    assert summary["operations"]["tested"] == summary["operations"]["total"] == len(SPEC_OPERATIONS), summary[
        "operations"
    ]
    assert summary["failures"] == [] and summary["errors"] == []
    assert all(phase["status"] == "success" for phase in summary["phases"].values()), summary["phases"]
    assert summary["warnings"]["missing_auth"] == []
    links = re.search(r"API Links:\s+(\d+) covered", output)
    assert links and int(links.group(1)) > 0, "stateful testing covered no link"
    cases = re.search(r"\d+ generated, [^\n]*", output).group(0)
    with open(ROOT / "build" / "contract" / "runs.log", "a") as log:
        log.write(f"{BACKEND} seed {seed}: {cases}; API links covered: {links.group(1)}; reports in {reports}\n")
