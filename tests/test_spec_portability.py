"""openapi/v2.yaml reads the same in every tool that consumers point at it.

YAML 1.1 and 1.2 differ on merge keys (`<<`), on `yes`/`no`/`on`/`off`, on octal and sexagesimal
numbers; anchors are resolved by some tools and kept as text by others. The source uses none of it,
and the tests below load it with a YAML 1.1 parser (PyYAML, what Connexion uses), a YAML 1.2 parser
(ruamel.yaml, pure Python), Redocly's bundler and Spectral, and demand one document.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from ruamel.yaml import YAML

from tests.support.npm import npm_ci
from tests.support.tools import require_tool

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi" / "v2.yaml"
TOOL_TIMEOUT = 180
QUIET_NODE = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_COLOR": "1"}


def _pyyaml():
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def _plain(value):
    """ruamel's mappings and sequences as plain dicts and lists, for comparison."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def test_the_source_has_no_anchor_alias_or_merge_key():
    found = []
    for event in yaml.parse(SPEC_PATH.read_text(encoding="utf-8")):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            found.append(f"line {line}: alias *{event.anchor}")
        elif getattr(event, "anchor", None):
            found.append(f"line {line}: anchor &{event.anchor}")
        elif isinstance(event, yaml.ScalarEvent) and event.value == "<<" and event.style is None:
            found.append(f"line {line}: merge key")
    assert found == []


def test_a_yaml_1_2_parser_reads_the_same_document():
    strict = YAML(typ="safe", pure=True)
    strict.version = (1, 2)
    assert _plain(strict.load(SPEC_PATH.read_text(encoding="utf-8"))) == _pyyaml()


def _node_tool(folder: str, binary: str, *args: str):
    require_tool("node", f"to run {binary} on the spec")
    tool = npm_ci(ROOT / "tools" / folder) / "node_modules" / ".bin" / binary
    env = {**os.environ, **QUIET_NODE}
    try:
        return subprocess.run([tool, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{binary} {' '.join(args)} did not finish within {TOOL_TIMEOUT} s")


def test_redocly_bundles_the_same_document(tmp_path):
    out = tmp_path / "bundle.json"
    done = _node_tool("redocly", "redocly", "bundle", "openapi/v2.yaml", "--config", "redocly.yaml", "-o", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    # The bundle keeps the document's own $refs; JSON has no dates, and the spec writes none unquoted.
    assert json.loads(out.read_text()) == json.loads(json.dumps(_pyyaml()))


def test_spectral_oas_ruleset_finds_no_error(tmp_path):
    report = tmp_path / "spectral.json"
    done = _node_tool(
        "spectral", "spectral", "lint", "openapi/v2.yaml", "--ruleset", ".spectral.yaml",
        "--format", "json", "--output", str(report), "--fail-severity", "error",
    )  # fmt: skip
    problems = json.loads(report.read_text()) if report.is_file() and report.stat().st_size else []
    errors = [p for p in problems if p["severity"] == 0]
    listed = "\n".join(f"{p['code']} at {'.'.join(map(str, p['path']))}: {p['message']}" for p in problems)
    assert done.returncode == 0 and errors == [], f"exit {done.returncode}\n{listed}\n{done.stderr}"
    # Spectral read the document it lints: a path it reports must exist in what PyYAML reads.
    document = _pyyaml()
    for problem in problems:
        node = document
        for key in problem["path"]:
            node = node[key]


def _undescribed(node, path, schemas) -> list[str]:
    """Schemas under `node` that say nothing: each property, and each named schema, needs a description.

    A property that is only a `$ref` takes the description of the schema it names. Array items,
    allOf members and parameter schemas are described by what holds them.
    """
    found = []
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            target = schemas.get(prop["$ref"].rsplit("/", 1)[-1], {}) if set(prop) == {"$ref"} else prop
            if not isinstance(target, dict) or not target.get("description"):
                found.append(f"{path}/properties/{name}")
        for key, value in node.items():
            if key not in ("example", "examples"):
                found += _undescribed(value, f"{path}/{key}", schemas)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _undescribed(value, f"{path}/{index}", schemas)
    return found


def test_every_schema_and_property_is_described():
    document = _pyyaml()
    schemas = document["components"]["schemas"]
    unnamed = [f"#/components/schemas/{name}" for name, schema in schemas.items() if not schema.get("description")]
    assert unnamed + _undescribed(document, "#", schemas) == []


def test_the_overview_is_short():
    # Swagger UI and Redoc show info.description above the operations; the long notes live in the
    # tags, the security scheme and the header parameters they are about.
    assert len(_pyyaml()["info"]["description"].splitlines()) <= 40


@pytest.mark.parametrize("name", ["openapi.json", "openapi.yaml"])
def test_the_service_serves_the_source_with_its_refs(client, name):
    # Connexion would serve its validation copy, every $ref expanded: a generator reading that makes
    # one model per use of a schema.
    got, head = (client.request(method, f"/api/v2/{name}") for method in ("GET", "HEAD"))

    assert got.status_code == head.status_code == 200
    served = json.loads(got.content) if name.endswith(".json") else yaml.safe_load(got.content)
    assert served == {**_pyyaml(), "servers": [{"url": "/api/v2"}]}
    assert head.content == b"" and head.headers["Content-Length"] == got.headers["Content-Length"]
