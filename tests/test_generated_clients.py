"""Consumer test: clients generated from openapi/v2.yaml run the course, section and lesson lifecycle live.

Two generators read the spec file of the repository (not the served /openapi.json, in which
Connexion has expanded every $ref, so each use of a schema would become a model of its own):

* openapi-python-client (test extra) writes a Python package into a temporary folder;
  tests/clients/python/lifecycle.py drives the live service with it.
* openapi-typescript (tools/ts-client, pinned with its lock file) writes the `paths` types;
  tests/clients/ts/lifecycle.ts uses them with openapi-fetch. tsc checks it strictly, then
  compiles it to JavaScript, which node runs against the live service.

Any warning of either generator fails. The service runs the production way (tests/support/live.py).
Nulls are sent in JSON bodies only: see the README ("Generated clients").
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from models import Category, User
from tests.support.live import live_service
from tests.support.npm import npm_ci
from tests.support.tokens import make_token
from tests.support.tools import require_tool

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "v2.yaml"
CLIENTS = ROOT / "tests" / "clients"
TS_TOOLS = ROOT / "tools" / "ts-client"
BIN = TS_TOOLS / "node_modules" / ".bin"
PYTHON_GENERATOR = Path(sys.executable).parent / "openapi-python-client"
TIMEOUT = 300

STEPS = [
    "create course (JSON)",
    "get course",
    "patch course: null and back",
    "patch course (form)",
    "create sections",
    "reorder sections",
    "patch section with If-Match",
    "create lessons",
    "read lesson",
    "complete lesson",
    "publish lesson with If-Match",
    "delete section",
    "delete course",
]


def run(command: list, *, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{command[0]} did not finish within {TIMEOUT} s:\n{exc.stdout}\n{exc.stderr}")


def output_of(result: subprocess.CompletedProcess) -> str:
    return f"exit status {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


@pytest.fixture(scope="module")
def python_client(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The generated Python package course_api_client, in a folder of its own, and the generator's run."""
    assert PYTHON_GENERATOR.is_file(), "openapi-python-client is missing: `make install-test` installs the test extra"
    folder = tmp_path_factory.mktemp("python-client")
    command = [
        PYTHON_GENERATOR, "generate", "--path", SPEC, "--meta", "none",
        "--config", CLIENTS / "python" / "generator.yaml", "--output-path", folder / "course_api_client",
    ]  # fmt: skip
    result = run(command, cwd=folder)
    assert result.returncode == 0, output_of(result)
    return folder, result


@pytest.fixture(scope="module")
def ts_build(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """A build folder with the TypeScript program, the generated schema.d.ts and the pinned packages."""
    node = require_tool("node", "to generate, compile and run the TypeScript client")
    npm_ci(TS_TOOLS)
    folder = tmp_path_factory.mktemp("ts-client")
    for name in ("lifecycle.ts", "tsconfig.json"):
        shutil.copy(CLIENTS / "ts" / name, folder / name)
    # ES modules, as openapi-fetch ships them; node_modules found beside the emitted JavaScript.
    (folder / "package.json").write_text('{"private": true, "type": "module"}\n')
    (folder / "node_modules").symlink_to(TS_TOOLS / "node_modules", target_is_directory=True)
    result = run([node, BIN / "openapi-typescript", SPEC, "--output", folder / "schema.d.ts"], cwd=folder)
    assert result.returncode == 0, output_of(result)
    return folder, result


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The service with one course creator and one category."""
    users = [{"username": "client-creator"}]
    categories = [{"name": "Generated clients", "slug": "generated-clients"}]
    folder = tmp_path_factory.mktemp("clients-live")
    with live_service("generated_clients", folder, users, categories=categories) as (server, engine):
        with engine.connect() as connection:
            creator = connection.scalar(select(User.id).where(User.username == "client-creator"))
            category = connection.scalar(select(Category.id))
        env = {
            **os.environ,
            "CLIENT_BASE_URL": server.url,
            "CLIENT_TOKEN": make_token(creator, ttl=900),
            "CLIENT_CATEGORY_ID": str(category),
        }
        yield env, server.log


def check_lifecycle(result: subprocess.CompletedProcess, language: str, log: Path) -> None:
    server_log = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
    report = f"{output_of(result)}\nserver log (tail):\n{server_log}"
    assert result.returncode == 0, report
    passed = [line[3:] for line in result.stdout.splitlines() if line.startswith("ok ")]
    assert passed == STEPS, report
    assert result.stdout.splitlines()[-1] == f"all steps passed ({language})", report


class TestPythonClient:
    def test_generates_without_warnings(self, python_client):
        folder, result = python_client
        # A clean run prints only "Generating <folder>". Warnings exit 0 as well, so the text decides.
        # The one warning the spec used to cause, no model for the image/webp answer of the media
        # operation, is avoided in tests/clients/python/generator.yaml (read as bytes).
        lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
        assert lines == [f"Generating {folder / 'course_api_client'}"], output_of(result)

    def test_generates_one_model_per_schema(self, python_client):
        folder, _ = python_client
        models = {path.stem for path in (folder / "course_api_client" / "models").glob("*.py")} - {"__init__"}
        # Every component schema is one model; duplicates would come from a spec with its $refs expanded.
        for schema in ("course", "course_detail", "course_minimal", "course_patch", "section", "problem"):
            assert schema in models
        # The enums of the caller's role all come from the one JoinStatus: none is a copy named after
        # the schema that shows it (course_join_status..., as the inlined enum used to give).
        assert [name for name in models if "join_status" in name and not name.startswith("join_status")] == []
        # One model per schema the client needs: none copied into another schema's properties.
        assert not [name for name in models if re.search(r"_(properties|item)_type_\d", name)], sorted(models)

    def test_user_view_parses_as_its_own_model(self, python_client):
        """A `view=user` answer comes out of the client as a CourseUserDetail, its progress typed."""
        folder, _ = python_client
        probe = (
            "import json, sys, httpx\n"
            "from course_api_client import Client\n"
            "from course_api_client.api.courses import get_specific_course_info as op\n"
            "body = json.loads(sys.stdin.read())\n"
            "parsed = op._parse_response(client=Client(base_url='http://x'), response=httpx.Response(200, json=body))\n"
            "print(type(parsed).__name__)\n"
        )
        # The spec's own example of the answer, as the service writes it.
        example = json.dumps(yaml.safe_load(SPEC.read_text())["components"]["examples"]["CourseUserDetail"]["value"])
        result = subprocess.run(
            [sys.executable, "-c", probe],
            input=example,
            env={**os.environ, "PYTHONPATH": str(folder)},
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert result.returncode == 0, output_of(result)
        assert result.stdout.strip() == "CourseUserDetail", output_of(result)

    def test_runs_the_lifecycle(self, python_client, live):
        folder, _ = python_client
        env, log = live
        env = {**env, "PYTHONPATH": str(folder)}
        result = run([sys.executable, CLIENTS / "python" / "lifecycle.py"], cwd=folder, env=env)
        check_lifecycle(result, "python", log)


class TestTypeScriptClient:
    def test_generates_without_warnings(self, ts_build):
        folder, result = ts_build
        lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
        # The banner and the line naming what was written: anything else is a warning or an error.
        assert len(lines) == 2 and "openapi-typescript 7.13.0" in lines[0], output_of(result)
        assert re.search(r"→ .*schema\.d\.ts \[[\d.]+m?s\]$", lines[1]), output_of(result)
        assert (folder / "schema.d.ts").stat().st_size > 0

    def test_compiles_strictly(self, ts_build):
        folder, _ = ts_build
        result = run([BIN / "tsc", "--project", folder, "--noEmit"], cwd=folder)
        assert result.returncode == 0, output_of(result)

    def test_a_type_error_fails_the_compile(self, ts_build, tmp_path):
        """Without its @ts-expect-error, the wrong enum value in lifecycle.ts is an error: the types are real."""
        folder, _ = ts_build
        for name in ("tsconfig.json", "package.json", "schema.d.ts"):
            shutil.copy(folder / name, tmp_path / name)
        (tmp_path / "node_modules").symlink_to(folder / "node_modules", target_is_directory=True)
        source = (folder / "lifecycle.ts").read_text()
        expect_error = re.compile(r"^\s*// @ts-expect-error .*\n", re.MULTILINE)
        assert len(expect_error.findall(source)) == 1
        (tmp_path / "lifecycle.ts").write_text(expect_error.sub("", source))
        result = run([BIN / "tsc", "--project", tmp_path, "--noEmit"], cwd=tmp_path)
        assert result.returncode != 0, output_of(result)
        errors = re.findall(r"error (TS\d+): (.*)", result.stdout)
        assert len(errors) == 1, output_of(result)
        assert errors[0][0] == "TS2322" and '"draft"' in errors[0][1], output_of(result)

    def test_runs_the_lifecycle(self, ts_build, live):
        folder, _ = ts_build
        env, log = live
        compiled = run([BIN / "tsc", "--project", folder], cwd=folder)
        assert compiled.returncode == 0, output_of(compiled)
        node = require_tool("node", "to run the compiled TypeScript client")
        result = run([node, folder / "dist" / "lifecycle.js"], cwd=folder, env=env)
        check_lifecycle(result, "ts", log)
