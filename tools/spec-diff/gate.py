"""The breaking-change gate: the work tree's spec against a base version, exit 1 on a breaking change.

    python tools/spec-diff/gate.py [--base REF] [--repo DIR] [--out DIR]

Without --base the base is the newest release of openapi/CHANGELOG.md, found by the commit written
there (CI checkouts may have no tags); when its tag exists locally it must name that same commit.
Each release also keeps its bundle in openapi/releases/<version>.json, so that a checkout without
that commit (a shallow clone) still has the base; where the commit is present, the two must agree.
Exit codes: 0 no breaking change, 1 breaking changes, 2 the gate could not run.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import bundle

HERE = Path(__file__).resolve().parent
CHANGELOG = "openapi/CHANGELOG.md"
RELEASES = "openapi/releases"
TAG_PREFIX = "spec-v"
VERSION = r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?"


class GateError(Exception):
    """The gate cannot decide: no usable base, a changelog that disagrees with git, no node."""


@dataclass(frozen=True)
class Release:
    version: str
    tag: str
    commit: str


def releases(text: str) -> list[Release]:
    """Every release entry of the changelog, newest (first written) first."""
    found = []
    sections = re.split(r"^## +", text, flags=re.MULTILINE)[1:]
    for section in sections:
        heading, _, body = section.partition("\n")
        heading = heading.strip()
        if heading.lower() == "unreleased":
            continue
        if not re.fullmatch(VERSION, heading):
            raise GateError(f"{CHANGELOG}: release heading {heading!r} is not a version such as 2.1.0")
        tag = re.search(r"^- Tag: `?([^`\s]+)`?\s*$", body, re.MULTILINE)
        commit = re.search(r"^- Commit: `?([0-9a-f]{40})`?\s*$", body, re.MULTILINE)
        if not tag or not commit:
            raise GateError(f"{CHANGELOG}: release {heading} needs a '- Tag:' line and a '- Commit:' line (40 hex)")
        if tag.group(1) != TAG_PREFIX + heading:
            expected = TAG_PREFIX + heading
            raise GateError(f"{CHANGELOG}: release {heading} is tagged {tag.group(1)!r}, expected {expected!r}")
        found.append(Release(heading, tag.group(1), commit.group(1)))
    return found


def git(repo: Path, *args: str) -> str | None:
    """The stripped output of a git command, or None when it fails."""
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def snapshot(repo: Path, release: Release) -> Path:
    return repo / RELEASES / f"{release.version}.json"


def release_bundle(repo: Path, release: Release) -> dict:
    """The release's bundle: from its commit, checked against its snapshot, or the snapshot alone."""
    kept = snapshot(repo, release)
    saved = json.loads(kept.read_text(encoding="utf-8")) if kept.is_file() else None
    if git(repo, "cat-file", "-e", f"{release.commit}^{{commit}}") is None:
        if saved is None:
            raise GateError(
                f"commit {release.commit} of release {release.version} is not in this clone and {kept} is "
                "missing; a shallow checkout needs its history: git fetch --unshallow (or fetch that commit)"
            )
        return saved
    check_release(repo, release)
    built = bundle.bundle(release.commit, repo)
    if saved is not None and saved != built:
        raise GateError(
            f"{kept} is not the bundle of release {release.version} at {release.commit[:12]}; "
            f"rewrite it: python tools/spec-diff/bundle.py {release.commit} -o {RELEASES}/{release.version}.json"
        )
    return built


def check_release(repo: Path, release: Release) -> None:
    """The changelog entry, the tag (if present) and the spec at that commit must agree."""
    tagged = git(repo, "rev-parse", "--verify", "--quiet", f"refs/tags/{release.tag}^{{commit}}")
    if tagged is not None and tagged != release.commit:
        raise GateError(
            f"tag {release.tag} points at {tagged}, but {CHANGELOG} says {release.commit}: "
            "move the tag or correct the changelog"
        )
    spec = bundle.load(bundle.read_spec(release.commit, repo), f"{bundle.SPEC_PATH} at {release.commit}")
    written = (spec.get("info") or {}).get("version")
    if written != release.version:
        raise GateError(
            f"{CHANGELOG} calls commit {release.commit[:12]} release {release.version}, "
            f"but the spec there says info.version {written!r}"
        )


def resolve_base(repo: Path, base: str | None) -> tuple[dict, str]:
    """The bundle to compare against and a label saying where it came from."""
    changelog = repo / CHANGELOG
    known = releases(changelog.read_text(encoding="utf-8")) if changelog.is_file() else []
    if base is None:
        if not known:
            raise GateError(f"no release in {CHANGELOG}: pass BASE=<git ref> or write the first release entry")
        release = known[0]
        label = f"release {release.version} ({release.tag} = {release.commit[:12]}, from {CHANGELOG})"
        return release_bundle(repo, release), label
    commit = git(repo, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    if commit is None:
        raise GateError(f"BASE={base!r} names no commit here")
    for release in known:
        if base == release.tag:
            check_release(repo, release)
    return bundle.bundle(commit, repo), f"{base} ({commit[:12]})"


def run(repo: Path, base: str | None, out: Path) -> int:
    node = shutil.which("node")
    if node is None:
        raise GateError("node is not on PATH: the diff runs api-smart-diff (install Node.js 20)")
    if not (HERE / "node_modules" / "api-smart-diff").is_dir():
        raise GateError(f"{HERE}/node_modules is missing: run `npm ci --ignore-scripts` there (make spec-diff does)")
    base_bundle, label = resolve_base(repo, base)
    out.mkdir(parents=True, exist_ok=True)
    before, after = out / "base.json", out / "work-tree.json"
    before.write_text(json.dumps(base_bundle), encoding="utf-8")
    after.write_text(json.dumps(bundle.bundle(None, repo)), encoding="utf-8")
    command = [node, str(HERE / "diff.mjs"), str(before), str(after), "--json", str(out / "changes.json")]
    command += ["--before-label", label, "--after-label", f"the work tree ({bundle.SPEC_PATH})"]
    code = subprocess.run(command).returncode
    return code if code in (0, 1) else 2  # a crash of node must not read as "breaking changes found"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="git ref to compare with (default: the newest release in the changelog)")
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="the repository (default: here)")
    parser.add_argument("--out", type=Path, help="folder for the bundles and changes.json (default: build/spec-diff)")
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    try:
        return run(repo, args.base or None, args.out or repo / "build" / "spec-diff")
    except (GateError, bundle.BundleError) as exc:
        print(f"spec-diff: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
