"""Bundle one version of openapi/v2.yaml into a single JSON document with no local $ref left.

    python tools/spec-diff/bundle.py [REF] [-o OUT] [--repo DIR] [--spec PATH]

REF is any git ref (a tag, a commit, `main~3`); without one the work tree's file is read. The YAML is
loaded by PyYAML, which expands anchors, aliases and `<<` merge keys itself, so the older anchor form
of the spec and the newer $ref/allOf form give comparable documents. allOf is not merged here:
diff.mjs does that with allof-merge, the library the differ itself is built on.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import yaml

SPEC_PATH = "openapi/v2.yaml"
# Annotations a $ref may carry beside it (OpenAPI 3.1 lets `summary` and `description` override the
# target's; 3.0 ignores every sibling). Validation keywords beside a $ref are ignored by Connexion's
# validator (jsonschema drafts 4 to 7), so they are dropped here too rather than diffed as contract.
REF_SIBLINGS_KEPT = ("summary", "description")
# What stays of `components` once every reference is inlined. Component names are not on the wire;
# comparing them would report the spec's restructuring (an anchor turned into a named schema, a schema
# split for allOf) as changes. Security schemes are named by the operations' `security` lists.
COMPONENTS_KEPT = ("securitySchemes",)


class BundleError(Exception):
    """The document cannot be bundled (an external or dangling $ref, unreadable YAML, unknown ref)."""


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as the strings the spec wrote (JSON has no date type)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_spec(ref: str | None, repo: Path, spec: str = SPEC_PATH) -> str:
    """The text of the spec at `ref`, or in the work tree when `ref` is None."""
    if ref is None:
        return (repo / spec).read_text(encoding="utf-8")
    shown = subprocess.run(
        ["git", "-C", str(repo), "show", f"{ref}:{spec}"], capture_output=True, text=True, encoding="utf-8"
    )
    if shown.returncode != 0:
        raise BundleError(f"cannot read {spec} at {ref!r}: {shown.stderr.strip()}")
    return shown.stdout


def load(text: str, origin: str = "spec"):
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader: no arbitrary objects
    except yaml.YAMLError as exc:
        raise BundleError(f"{origin} is not valid YAML: {exc}") from exc


def _pointer(document, ref: str):
    if not ref.startswith("#"):
        raise BundleError(f"external $ref {ref!r}: only references inside the document are supported")
    node = document
    for raw in ref[1:].split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise BundleError(f"$ref {ref!r} names nothing in the document")
    return node


def dereference(document):
    """A copy of `document` with every local $ref replaced by a copy of its target.

    A reference met again while its own target is being expanded (a recursive schema) stays a $ref;
    the component it names is then kept so that the reference still resolves.
    """
    cyclic: set[str] = set()

    def expand(node, stack: tuple[str, ...]):
        if isinstance(node, list):
            return [expand(item, stack) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in stack:
                cyclic.add(ref)
                return {"$ref": ref}
            target = expand(_pointer(document, ref), (*stack, ref))
            siblings = {key: node[key] for key in REF_SIBLINGS_KEPT if key in node}
            if siblings and isinstance(target, dict):
                target = {**target, **siblings}
            return target
        return {key: expand(value, stack) for key, value in node.items()}

    bundled = expand(document, ())
    components = document.get("components") or {}
    kept = {name: bundled["components"][name] for name in COMPONENTS_KEPT if name in components}
    # Each component still named by a recursive $ref is kept, expanded from itself; expanding it may
    # reveal further cycles, hence the loop.
    done: set[str] = set()
    while cyclic - done:
        ref = sorted(cyclic - done)[0]
        done.add(ref)
        parts = ref[1:].split("/")[1:]
        if len(parts) != 3 or parts[0] != "components":
            raise BundleError(f"recursive $ref {ref!r} must name a component (#/components/<kind>/<name>)")
        _, kind, name = (part.replace("~1", "/").replace("~0", "~") for part in parts)
        kept.setdefault(kind, {})[name] = expand(_pointer(document, ref), (ref,))
    if kept:
        bundled["components"] = kept
    else:
        bundled.pop("components", None)
    return bundled


def bundle(ref: str | None, repo: Path, spec: str = SPEC_PATH) -> dict:
    origin = f"{spec} at {ref}" if ref else f"{spec} (work tree)"
    document = load(read_spec(ref, repo, spec), origin)
    if not isinstance(document, dict) or "openapi" not in document:
        raise BundleError(f"{origin} is not an OpenAPI document")
    return dereference(document)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", nargs="?", help="git ref to read the spec at (default: the work tree)")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="the git repository (default: here)")
    parser.add_argument("--spec", default=SPEC_PATH, help=f"the spec's path in the repository ({SPEC_PATH})")
    args = parser.parse_args(argv)
    try:
        document = bundle(args.ref, args.repo, args.spec)
    except BundleError as exc:
        print(f"bundle: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
