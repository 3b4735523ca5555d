"""The quality gate of openapi/v2.yaml, the source of truth of this API.

(a) openapi-spec-validator accepts the document; (b) every operation is named, documented and
tagged the one way we use, and every request body and JSON answer carries an example; (c) every
example is valid against the schema it illustrates; (d) Redocly CLI (pinned in tools/redocly/,
configured by redocly.yaml) reports no error and no warning.
"""

import importlib
import inspect
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from jsonschema.exceptions import ValidationError
from jsonschema.validators import extend
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from openapi_spec_validator import validate as validate_spec

from api.app import SPEC_PATH, load_spec
from api.serving import routes
from tests.support.npm import npm_ci
from tests.support.tools import require_tool

ROOT = Path(__file__).resolve().parent.parent
SPEC = load_spec()
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# The official SDK's method names are lowerCamelCase; redocly.yaml's rule/operation-id-form says the same.
OPERATION_ID = re.compile(r"^[a-z][a-zA-Z]+$")
REDOCLY_DIR = ROOT / "tools" / "redocly"
REDOCLY_BIN = REDOCLY_DIR / "node_modules" / ".bin" / "redocly"
LINT_TIMEOUT = 120


def resolve(node):
    """Follow local `$ref`s (`#/...`) to the object they name."""
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/") and ref not in seen, f"unsupported or circular $ref {ref!r}"
        seen.add(ref)
        node = SPEC
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def operations():
    for path, item in SPEC["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


OPERATIONS = dict(operations())


def is_json(media_type: str) -> bool:
    essence = media_type.split(";")[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


# --- (a) the document is valid OpenAPI 3.0 ---------------------------------------------------------


def test_spec_is_valid_openapi():
    assert SPEC["openapi"].startswith("3.0.")
    validate_spec(SPEC)


# --- (b) every operation is named, documented, tagged and illustrated -------------------------------


@pytest.mark.parametrize("label", OPERATIONS)
def test_operation_id_is_public_and_has_a_handler_of_its_tag(label):
    operation = OPERATIONS[label]
    operation_id = operation.get("operationId", "")
    assert OPERATION_ID.match(operation_id), f"{label}: operationId {operation_id!r} is not lowerCamelCase"
    handler = routes.HANDLERS.get(operation_id)
    assert handler is not None, f"{label}: no handler for {operation_id} in api/serving/routes.py"
    tags = operation.get("tags")
    assert tags == [handler.__module__.removeprefix("api.")], (
        f"{label}: tagged {tags}, but its handler lives in {handler.__module__} (one module per tag)"
    )


def test_every_handler_answers_an_operation():
    """A public function of a tag's module is a handler; each must answer some operation of the spec."""
    operation_ids = {operation["operationId"] for operation in OPERATIONS.values()}
    assert routes.HANDLERS.keys() <= operation_ids, f"not in the spec: {sorted(routes.HANDLERS.keys() - operation_ids)}"
    answered = set(routes.HANDLERS.values())
    # A trait tag (x-traitTag) is a section of notes, with no operation and no module.
    for tag in (tag for tag in SPEC["tags"] if not tag.get("x-traitTag")):
        module = importlib.import_module(f"api.{tag['name']}")
        for name, function in vars(module).items():
            if inspect.isfunction(function) and function.__module__ == module.__name__ and not name.startswith("_"):
                assert function in answered, f"{module.__name__}.{name} answers no operation (api/serving/routes.py)"


def test_the_document_names_no_code():
    """Module paths in the published document would make our layout part of the contract."""
    text = SPEC_PATH.read_text()
    assert "InfoFunc" not in text
    assert not re.search(r"\bapi\.[a-z_]+\.[a-z_]+", text), "a Python path is written in the spec"


def test_conditional_and_idempotency_headers_have_no_example():
    """Swagger UI and Schemathesis send a parameter's example as a real value: a stale tag, a used key."""
    parameters = SPEC["components"]["parameters"]
    for name in ("IfMatch", "IfNoneMatch", "IdempotencyKey"):
        assert "example" not in parameters[name] and "examples" not in parameters[name], name
        assert "example" not in parameters[name]["schema"], name


def test_operation_ids_are_unique():
    ids = [operation.get("operationId") for operation in OPERATIONS.values()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("label", OPERATIONS)
def test_operation_is_documented(label):
    operation = OPERATIONS[label]
    for field in ("summary", "description"):
        value = operation.get(field)
        assert isinstance(value, str) and value.strip(), f"{label}: no {field}"
    tags = operation.get("tags")
    assert isinstance(tags, list) and len(tags) == 1, f"{label}: needs exactly one tag, has {tags}"
    assert tags[0] in {tag["name"] for tag in SPEC["tags"]}, f"{label}: tag {tags[0]!r} is not declared in `tags`"


def has_example(media_type_object) -> bool:
    return "example" in media_type_object or bool(media_type_object.get("examples"))


@pytest.mark.parametrize("label", OPERATIONS)
def test_bodies_and_json_answers_have_examples(label):
    operation = OPERATIONS[label]
    missing = []
    if "requestBody" in operation:
        for media_type, content in resolve(operation["requestBody"])["content"].items():
            if not has_example(content):
                missing.append(f"request body {media_type}")
    for status, response in operation["responses"].items():
        for media_type, content in resolve(response).get("content", {}).items():
            if is_json(media_type) and not has_example(content):
                missing.append(f"response {status} {media_type}")
    assert not missing, f"{label}: no example for {', '.join(missing)}"


# --- (c) every example is valid against its own schema -------------------------------------------


def _required(validator, required, instance, schema):
    """`required` as in JSON Schema: OAS30Validator lets read-only and write-only names go missing."""
    if validator.is_type(instance, "object"):
        for name in required:
            if name not in instance:
                yield ValidationError(f"{name!r} is a required property")


# OpenAPI 3.0 schemas: `nullable` admits null, formats are checked, readOnly/writeOnly are ignored.
ExampleValidator = extend(OAS30Validator, {"required": _required})


def describe(error):
    path = "/".join(map(str, error.absolute_path)) or "<root>"
    if error.context:  # anyOf/oneOf: its message prints the whole instance; say why each alternative fails instead
        branches = {}
        for sub_error in error.context:
            branches.setdefault(sub_error.relative_schema_path[0], []).append(describe(sub_error))
        reasons = "; ".join(f"[{index}] {', '.join(messages)}" for index, messages in sorted(branches.items()))
        return f"{path}: fits none of its {error.validator} schemas: {reasons}"
    return f"{path}: {error.message}"


def schema_errors(instance, schema):
    """Messages of `instance` against an OpenAPI 3.0 schema whose `$ref`s point into this document."""
    # The components ride along in the root schema so that `#/components/...` resolves; no keyword reads them.
    validator = ExampleValidator({**schema, "components": SPEC["components"]}, format_checker=oas30_format_checker)
    return sorted(describe(error) for error in validator.iter_errors(instance))


def illustrated(where, node):
    """(where, schema, example) for the `example` and each of the `examples` of a media type, parameter or header."""
    node = resolve(node)
    if "schema" not in node:
        for media_type, content in node.get("content", {}).items():
            yield from illustrated(f"{where} {media_type}", content)
        return
    if "example" in node:
        yield where, node["schema"], node["example"]
    for name, example in node.get("examples", {}).items():
        reference = example.get("$ref", "")
        example = resolve(example)
        assert "value" in example, f"{where}: example {name!r} has no `value` (externalValue is not checked)"
        yield f"{where} examples.{name}{f' ({reference})' if reference else ''}", node["schema"], example["value"]


def examples():
    """Every example of the document, each with the schema it illustrates, where it is used."""
    for path, item in SPEC["paths"].items():
        for parameter in item.get("parameters", []):
            yield from illustrated(f"{path} parameter {resolve(parameter)['name']}", parameter)
        for label, operation in ((f"{m.upper()} {path}", item[m]) for m in HTTP_METHODS if m in item):
            for parameter in operation.get("parameters", []):
                yield from illustrated(f"{label} parameter {resolve(parameter)['name']}", parameter)
            if "requestBody" in operation:
                yield from illustrated(f"{label} request", operation["requestBody"])
            for status, response in operation["responses"].items():
                for name, header in resolve(response).get("headers", {}).items():
                    yield from illustrated(f"{label} {status} header {name}", header)
                yield from illustrated(f"{label} {status}", response)


EXAMPLES = {where: (schema, example) for where, schema, example in examples()}


def test_examples_are_collected():
    """Guard against a vacuous pass: request and response examples, forms and shared ones are all found."""
    places = " ".join(EXAMPLES)
    for expected in (
        "POST /course/ request application/json",
        "POST /course/ request application/x-www-form-urlencoded",
        "GET /course/ 200 application/json examples.coursePage (#/components/examples/CoursePage)",
        "application/problem+json",
        "header ETag",
        "GET /media/course/{course_id}/{file} parameter file",
    ):
        assert expected in places, expected


@pytest.mark.parametrize("where", EXAMPLES, ids=list(EXAMPLES))
def test_example_matches_its_schema(where):
    schema, example = EXAMPLES[where]
    assert schema_errors(example, schema) == []


def test_every_shared_example_is_checked():
    used = {where.rsplit("(", 1)[1].rstrip(")") for where in EXAMPLES if where.endswith(")")}
    assert used == {f"#/components/examples/{name}" for name in SPEC["components"].get("examples", {})}


def test_example_validator_follows_openapi_30():
    """The checks above mean something: what the validator refuses and what it lets through."""
    course = resolve({"$ref": "#/components/examples/Course"})["value"]
    ref = {"$ref": "#/components/schemas/Course"}
    assert schema_errors(course, ref) == []
    # nullable: true admits null; without it null is refused.
    assert schema_errors({**course, "og_title": None}, ref) == []
    assert schema_errors({**course, "name": None}, ref) != []
    # readOnly does not excuse a missing required field of an answer.
    assert schema_errors({k: v for k, v in course.items() if k != "revision"}, ref) != []
    # $refs are followed into nested schemas; formats are checked.
    assert schema_errors({**course, "created_by": {**course["created_by"], "id": 0}}, ref) != []
    assert schema_errors({**course, "created_at": "yesterday"}, ref) != []
    # Request schemas: additionalProperties false holds, read-only names are accepted and writeOnly ignored.
    patch = {"$ref": "#/components/schemas/CoursePatch"}
    assert schema_errors({"nmae": "typo"}, patch) != []
    assert schema_errors({"revision": 3, "image_original": None}, patch) == []


# --- (d) Redocly CLI lints clean ------------------------------------------------------------------


def _run(command, *, cwd, timeout, env):
    try:
        return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`{' '.join(map(str, command))}` did not finish within {timeout} s")


def test_redocly_lint_is_clean():
    require_tool("node", "to run Redocly CLI on the spec (Node.js >= 20.19)")
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_COLOR": "1"}
    pinned = json.loads((REDOCLY_DIR / "package.json").read_text())["devDependencies"]["@redocly/cli"]
    npm_ci(REDOCLY_DIR)
    spec = SPEC_PATH.relative_to(ROOT)
    command = [REDOCLY_BIN, "lint", spec, "--config", "redocly.yaml", "--format", "json"]
    linted = _run(command, cwd=ROOT, timeout=LINT_TIMEOUT, env=env)
    try:
        report = json.loads(linted.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"Redocly printed no JSON report (exit {linted.returncode}):\n{linted.stdout}\n{linted.stderr}")
    assert report["version"] == pinned
    problems = "\n".join(
        f"{p['severity']} {p['ruleId']} at {p['location'][0]['pointer']}: {p['message']}" for p in report["problems"]
    )
    assert linted.returncode == 0, f"redocly lint exited {linted.returncode}:\n{problems}\n{linted.stderr}"
    # `ignored` counts problems hidden by a .redocly.lint-ignore.yaml; we turn rules off in redocly.yaml, with a reason.
    assert report["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}, f"{report['totals']}\n{problems}"
    assert report["problems"] == []
    # Problems of redocly.yaml itself (unknown or unused rules...) are only printed to stderr. The framed
    # notice Redocly prints about the Node.js version is about this machine, not the spec: it is left out.
    log = [line for line in linted.stderr.splitlines() if not any(frame in line for frame in "╔║╚")]
    assert not [line for line in log if re.search(r"warn|error", line, re.IGNORECASE)], "\n".join(log)
