"""The breaking-change gate of the spec (tools/spec-diff, `make spec-diff`).

A small spec, written in the anchor form the real one started with, is changed one way at a time:
every kind of breaking change must fail the diff, and harmless edits (including the move from
anchors to $ref/allOf) must pass it. Then the gate itself: how it finds its base in
openapi/CHANGELOG.md with and without tags, and that the work tree passes against the last release.
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.npm import npm_ci
from tests.support.tools import require_tool

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIFF = ROOT / "tools" / "spec-diff"
NODE_TIMEOUT = 60

_spec = importlib.util.spec_from_file_location("spec_diff_bundle", SPEC_DIFF / "bundle.py")
bundle = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bundle)

# The paths both fixtures share, and their first schema.
_HEAD = """\
openapi: 3.0.3
info: {title: Spec diff fixture, version: 1.0.0}
paths:
  /course/:
    get:
      operationId: listCourses
      description: Every course.
      parameters:
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 50}}
        - name: statuses
          in: query
          schema: {type: array, items: {$ref: '#/components/schemas/Role'}}
      responses:
        '200':
          description: The courses.
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Course'}}
    post:
      operationId: createCourse
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/CourseInput'}
      responses:
        '201':
          description: Created.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Course'}
  /course/{id}/:
    parameters:
      - {name: id, in: path, required: true, schema: {type: integer}}
    delete:
      operationId: deleteCourse
      responses:
        '204': {description: Deleted.}
components:
  schemas:
    Role: {type: string, enum: [creator, manager, joined]}
"""

# Anchors and a merge key, as openapi/v2.yaml had them: the response repeats the writable fields.
BASE = (
    _HEAD
    + """\
    Course:
      type: object
      required: [id, name]
      properties:
        <<: &writable
          name: {type: string, maxLength: 100}
          seats: {type: integer, minimum: 0, maximum: 500}
          role: {$ref: '#/components/schemas/Role'}
        id: {type: integer}
    CourseInput:
      type: object
      additionalProperties: false
      required: [name]
      properties: *writable
"""
)

# The same contract in the $ref/allOf form: the response's fields live in an allOf member.
BASE_AS_ALL_OF = (
    _HEAD
    + """\
    CourseFields:
      type: object
      properties:
        name: {$ref: '#/components/schemas/Name'}
        seats: {$ref: '#/components/schemas/Seats'}
        role: {$ref: '#/components/schemas/Role'}
    Name: {type: string, maxLength: 100}
    Seats: {type: integer, minimum: 0, maximum: 500}
    Course:
      allOf:
        - $ref: '#/components/schemas/CourseFields'
        - type: object
          required: [id, name]
          properties:
            id: {type: integer}
    CourseInput:
      type: object
      additionalProperties: false
      required: [name]
      properties:
        name: {$ref: '#/components/schemas/Name'}
        seats: {$ref: '#/components/schemas/Seats'}
        role: {$ref: '#/components/schemas/Role'}
"""
)


@pytest.fixture(scope="module")
def node():
    path = require_tool("node", "to run api-smart-diff (tools/spec-diff/diff.mjs)")
    npm_ci(SPEC_DIFF)
    return path


def edited(change) -> str:
    """BASE loaded, changed in place by `change(document)`, written out again (anchors expanded)."""
    # Through JSON: the aliases of BASE share their objects, and a change must touch one place only.
    document = json.loads(json.dumps(yaml.safe_load(BASE)))
    change(document)
    return yaml.safe_dump(document, sort_keys=False)


def compare(node, tmp_path, after: str, before: str = BASE):
    """Run diff.mjs on the two texts; its exit code, report and changes."""
    files = []
    for name, text in (("before", before), ("after", after)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(bundle.dereference(bundle.load(text))))
        files.append(str(path))
    changes_file = tmp_path / "changes.json"
    done = subprocess.run(
        [node, str(SPEC_DIFF / "diff.mjs"), *files, "--json", str(changes_file)],
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
    )
    assert done.returncode in (0, 1), f"diff.mjs failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.returncode, done.stdout, json.loads(changes_file.read_text())


def schemas(document):
    return document["components"]["schemas"]


def operation(document, path, method):
    return document["paths"][path][method]


def add_required_field(document):
    schemas(document)["CourseInput"]["properties"]["level"] = {"type": "string"}
    schemas(document)["CourseInput"]["required"].append("level")


def add_required_parameter(document):
    operation(document, "/course/", "get")["parameters"].append(
        {"name": "category", "in": "query", "required": True, "schema": {"type": "integer"}}
    )


def remove_response_only_property(document):
    del schemas(document)["Course"]["properties"]["id"]
    schemas(document)["Course"]["required"].remove("id")


def restrict_response_role(document):
    # A response-only copy of the enum, so that only the response side narrows.
    schemas(document)["Course"]["properties"]["role"] = {"type": "string", "enum": ["creator", "joined"]}


BREAKING = {
    "removed operation": (
        lambda d: d["paths"]["/course/{id}/"].pop("delete"),
        "$.paths['/course/{id}/'].delete",
        None,
    ),
    "removed required response property": (
        remove_response_only_property,
        "$.paths['/course/'].get.responses['200'].content['application/json'].schema.items.properties.id",
        None,
    ),
    "removed optional response property": (
        lambda d: schemas(d)["Course"]["properties"].pop("seats"),
        "$.paths['/course/'].get.responses['200'].content['application/json'].schema.items.properties.seats",
        "response-property-removed",
    ),
    "removed enum value in a response": (
        restrict_response_role,
        "$.paths['/course/'].post.responses['201'].content['application/json'].schema.properties.role.enum[1]",
        "enum-value-removed",
    ),
    "removed enum value in a query parameter": (
        lambda d: schemas(d)["Role"]["enum"].remove("manager"),
        "$.paths['/course/'].get.parameters[1].schema.items.enum[1]",
        None,
    ),
    "removed enum value in a request body": (
        lambda d: schemas(d)["Role"]["enum"].remove("manager"),
        "$.paths['/course/'].post.requestBody.content['application/json'].schema.properties.role.enum[1]",
        None,
    ),
    "narrowed maxLength of a request field": (
        lambda d: schemas(d)["CourseInput"]["properties"]["name"].update(maxLength=80),
        "$.paths['/course/'].post.requestBody.content['application/json'].schema.properties.name.maxLength",
        None,
    ),
    "narrowed maximum of a request field": (
        lambda d: schemas(d)["CourseInput"]["properties"]["seats"].update(maximum=100),
        "$.paths['/course/'].post.requestBody.content['application/json'].schema.properties.seats.maximum",
        None,
    ),
    "narrowed maximum of a query parameter": (
        lambda d: operation(d, "/course/", "get")["parameters"][0]["schema"].update(maximum=20),
        "$.paths['/course/'].get.parameters[0].schema.maximum",
        None,
    ),
    "new required request field": (
        add_required_field,
        "$.paths['/course/'].post.requestBody.content['application/json'].schema.required[1]",
        None,
    ),
    "new required parameter": (
        add_required_parameter,
        "$.paths['/course/'].get.parameters[2]",
        None,
    ),
    "optional parameter made required": (
        lambda d: operation(d, "/course/", "get")["parameters"][0].update(required=True),
        "$.paths['/course/'].get.parameters[0].required",
        None,
    ),
    "removed property of a closed request body": (
        lambda d: schemas(d)["CourseInput"]["properties"].pop("seats"),
        "$.paths['/course/'].post.requestBody.content['application/json'].schema.properties.seats",
        "closed-request-property-removed",
    ),
    "renamed operationId": (
        lambda d: operation(d, "/course/", "get").update(operationId="getCourses"),
        "$.paths['/course/'].get.operationId",
        "operation-id-changed",
    ),
    "changed type of a response field": (
        lambda d: schemas(d)["Course"]["properties"]["id"].update(type="string"),
        "$.paths['/course/'].post.responses['201'].content['application/json'].schema.properties.id.type",
        "response-type-changed",
    ),
}


@pytest.mark.parametrize("kind", BREAKING)
def test_a_breaking_change_fails_the_diff(node, tmp_path, kind):
    change, where, rule = BREAKING[kind]
    code, report, changes = compare(node, tmp_path, edited(change))
    assert code == 1, report
    breaking = {row["jsonPath"]: row for row in changes if row["type"] == "breaking"}
    assert where in breaking, f"{kind}: nothing breaking at {where}:\n{report}"
    assert breaking[where].get("rule") == rule, breaking[where]
    assert "FAILED" in report and where in report


def reorder(document):
    document["paths"] = dict(reversed(list(document["paths"].items())))
    course = schemas(document)["Course"]
    course["properties"] = dict(reversed(list(course["properties"].items())))
    operation(document, "/course/", "get")["parameters"].reverse()


def add_operation(document):
    document["paths"]["/course/{id}/"]["get"] = {
        "operationId": "getCourse",
        "responses": {"200": {"description": "One course.", "content": {"application/json": {"schema": {}}}}},
    }
    operation(document, "/course/{id}/", "get")["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/Course"
    }


HARMLESS = {
    "new optional request field": lambda d: schemas(d)["CourseInput"]["properties"].update(
        summary={"type": "string", "maxLength": 200}
    ),
    "new response field": lambda d: schemas(d)["Course"]["properties"].update(slug={"type": "string"}),
    "new operation": add_operation,
    "edited description": lambda d: operation(d, "/course/", "get").update(description="All the courses there are."),
    "reordered paths, properties and parameters": reorder,
    "widened limit of a request field": lambda d: schemas(d)["CourseInput"]["properties"]["name"].update(maxLength=200),
    "new enum value in a request only": lambda d: operation(d, "/course/", "get")["parameters"][1]["schema"].update(
        items={"type": "string", "enum": ["creator", "manager", "joined", "invited"]}
    ),
}


@pytest.mark.parametrize("kind", HARMLESS)
def test_a_harmless_change_passes_the_diff(node, tmp_path, kind):
    code, report, changes = compare(node, tmp_path, edited(HARMLESS[kind]))
    assert code == 0, report
    assert not [row for row in changes if row["type"] == "breaking"]
    assert "OK: no breaking change." in report


def test_anchors_turned_into_refs_and_all_of_change_nothing(node, tmp_path):
    """The restructuring under way in main: fields moved into an allOf member are not removed."""
    code, report, changes = compare(node, tmp_path, BASE_AS_ALL_OF)
    assert code == 0, report
    assert changes == [], report


def test_a_property_removed_from_an_all_of_member_is_still_caught(node, tmp_path):
    seats = "        seats: {$ref: '#/components/schemas/Seats'}\n"
    after = BASE_AS_ALL_OF.replace(seats, "", 1)  # the first is CourseFields', the response's member
    assert after != BASE_AS_ALL_OF
    code, report, changes = compare(node, tmp_path, after, before=BASE_AS_ALL_OF)
    assert code == 1, report
    assert {row["rule"] for row in changes if row["type"] == "breaking"} == {"response-property-removed"}


def test_report_names_operations_and_values(node, tmp_path):
    code, report, _ = compare(node, tmp_path, edited(lambda d: schemas(d)["Role"]["enum"].remove("manager")))
    assert code == 1
    assert "BREAKING (" in report
    assert "  GET /course/ (listCourses)" in report
    assert '"manager" removed' in report


# --- bundle.py ------------------------------------------------------------------------------------


def test_bundle_expands_merge_keys_and_refs():
    bundled = bundle.dereference(bundle.load(BASE))
    response = bundled["paths"]["/course/"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert list(response["properties"]) == ["name", "seats", "role", "id"]
    assert response["properties"]["role"] == {"type": "string", "enum": ["creator", "manager", "joined"]}
    assert "components" not in bundled  # no security schemes, no recursion: nothing left to name
    assert "$ref" not in json.dumps(bundled)


def test_bundle_keeps_a_recursive_ref_and_its_target():
    document = bundle.load(
        """
openapi: 3.0.3
info: {title: t, version: 1.0.0}
paths:
  /tree/:
    get:
      responses:
        '200':
          description: A tree.
          content: {application/json: {schema: {$ref: '#/components/schemas/Node'}}}
components:
  schemas:
    Node:
      type: object
      properties:
        children: {type: array, items: {$ref: '#/components/schemas/Node'}}
"""
    )
    bundled = bundle.dereference(document)
    schema = bundled["paths"]["/tree/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["properties"]["children"]["items"] == {"$ref": "#/components/schemas/Node"}
    node = bundled["components"]["schemas"]["Node"]
    assert node["properties"]["children"]["items"] == {"$ref": "#/components/schemas/Node"}


def test_bundle_refuses_external_and_dangling_refs():
    for ref in ("other.yaml#/components/schemas/X", "#/components/schemas/Missing"):
        document = {"openapi": "3.0.3", "paths": {"/x/": {"get": {"responses": {"200": {"$ref": ref}}}}}}
        with pytest.raises(bundle.BundleError, match="external|names nothing"):
            bundle.dereference(document)


def test_bundle_keeps_dates_as_written():
    assert bundle.load("example: 2026-12-02T10:00:00Z\n") == {"example": "2026-12-02T10:00:00Z"}


# --- gate.py: the base, the changelog and the tags ------------------------------------------------

CHANGELOG = """\
# Changelog

## Unreleased

## {version}

- Tag: `spec-v{version}`
- Commit: `{commit}`
"""


def git(repo: Path, *args: str) -> str:
    command = ["git", "-C", str(repo), "-c", "user.name=Spec Diff", "-c", "user.email=spec-diff@127.0.0.1", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def commit_spec(repo: Path, text: str, message: str) -> str:
    (repo / "openapi").mkdir(parents=True, exist_ok=True)
    (repo / "openapi" / "v2.yaml").write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def released(tmp_path):
    """A repository whose first commit is release 1.0.0 of BASE, written in its changelog."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit = commit_spec(repo, BASE, "release 1.0.0")
    (repo / "openapi" / "CHANGELOG.md").write_text(CHANGELOG.format(version="1.0.0", commit=commit))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "changelog")
    return repo, commit


def gate(repo: Path, *args: str):
    command = [sys.executable, str(SPEC_DIFF / "gate.py"), "--repo", str(repo), "--out", str(repo / "out"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=NODE_TIMEOUT)


def test_gate_finds_the_release_by_its_commit_without_tags(node, released):
    repo, commit = released
    done = gate(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"release 1.0.0 (spec-v1.0.0 = {commit[:12]}" in done.stdout


def test_gate_fails_on_a_breaking_change_in_the_work_tree(node, released):
    repo, _ = released
    (repo / "openapi" / "v2.yaml").write_text(edited(lambda d: schemas(d)["Role"]["enum"].remove("joined")))
    done = gate(repo)
    assert done.returncode == 1, done.stdout + done.stderr
    assert '"joined" removed' in done.stdout


def test_gate_with_an_explicit_base(node, released):
    repo, commit = released
    commit_spec(repo, edited(lambda d: schemas(d)["Role"]["enum"].remove("joined")), "narrow")
    assert gate(repo, "--base", "HEAD").returncode == 0
    assert gate(repo, "--base", commit).returncode == 1
    assert gate(repo, "--base", "no-such-ref").returncode == 2


def test_gate_accepts_a_tag_that_agrees(node, released):
    repo, commit = released
    git(repo, "tag", "spec-v1.0.0", commit)
    assert gate(repo).returncode == 0
    assert gate(repo, "--base", "spec-v1.0.0").returncode == 0


def test_gate_refuses_a_tag_that_disagrees_with_the_changelog(node, released):
    repo, commit = released
    git(repo, "tag", "spec-v1.0.0", "HEAD")  # the changelog commit, not the release commit
    for args in ((), ("--base", "spec-v1.0.0")):
        done = gate(repo, *args)
        assert done.returncode == 2
        assert "tag spec-v1.0.0 points at" in done.stderr and commit in done.stderr


def test_gate_refuses_a_version_the_spec_does_not_carry(node, released):
    repo, commit = released
    (repo / "openapi" / "CHANGELOG.md").write_text(CHANGELOG.format(version="1.1.0", commit=commit))
    done = gate(repo)
    assert done.returncode == 2
    assert "info.version '1.0.0'" in done.stderr


def test_gate_refuses_a_commit_missing_from_the_clone(node, released):
    repo, _ = released
    (repo / "openapi" / "CHANGELOG.md").write_text(CHANGELOG.format(version="1.0.0", commit="0" * 40))
    done = gate(repo)
    assert done.returncode == 2
    assert "not in this clone" in done.stderr


def test_gate_uses_the_kept_bundle_when_the_commit_is_missing(node, released):
    repo, commit = released
    kept = repo / "openapi" / "releases" / "1.0.0.json"
    kept.parent.mkdir()
    run = [sys.executable, str(SPEC_DIFF / "bundle.py"), commit, "--repo", str(repo), "-o", str(kept)]
    subprocess.run(run, check=True, timeout=NODE_TIMEOUT)
    assert gate(repo).returncode == 0
    (repo / "openapi" / "CHANGELOG.md").write_text(CHANGELOG.format(version="1.0.0", commit="0" * 40))
    (repo / "openapi" / "v2.yaml").write_text(edited(lambda d: schemas(d)["Role"]["enum"].remove("joined")))
    done = gate(repo)
    assert done.returncode == 1, done.stdout + done.stderr
    assert '"joined" removed' in done.stdout


def test_gate_refuses_a_kept_bundle_that_is_not_the_release(node, released):
    repo, _ = released
    kept = repo / "openapi" / "releases" / "1.0.0.json"
    kept.parent.mkdir()
    kept.write_text("{}")
    done = gate(repo)
    assert done.returncode == 2
    assert "is not the bundle of release 1.0.0" in done.stderr


def test_gate_refuses_a_changelog_without_a_release(node, released):
    repo, _ = released
    (repo / "openapi" / "CHANGELOG.md").write_text("# Changelog\n\n## Unreleased\n")
    done = gate(repo)
    assert done.returncode == 2
    assert "no release" in done.stderr


# --- the real thing -------------------------------------------------------------------------------


def test_the_work_tree_keeps_the_contract_of_the_last_release(node, tmp_path):
    command = [sys.executable, str(SPEC_DIFF / "gate.py"), "--repo", str(ROOT), "--out", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=NODE_TIMEOUT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: no breaking change." in done.stdout
