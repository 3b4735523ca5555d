"""The fence around upstream internals (api/serving/upstream.py): versions, fingerprints, completeness.

When a fingerprint fails, read the new upstream source against the module the message names, carry
over what changed, then update the digest in api/serving/upstream.py.
"""

import ast
import configparser
import hashlib
import importlib
import inspect
import pkgutil
import re
from importlib.metadata import version
from pathlib import Path

import pytest

import api
from api.serving import upstream

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = tuple(upstream.PINNED)
FENCE = Path("api/serving")


def resolve(name: str):
    """The object a dotted name names: the longest importable module, then attributes."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
        for attribute in parts[end:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(name)


def unwrap(obj):
    """The function behind a property, a static or class method."""
    if isinstance(obj, property):
        return obj.fget
    return getattr(obj, "__func__", obj)


def digest(obj) -> str:
    return hashlib.sha256(inspect.getsource(unwrap(obj)).encode()).hexdigest()[:16]


def package_of(name: str) -> str:
    return name.split(".", 1)[0]


FINGERPRINTS = [use for use in upstream.USES if use.digest is not None]


# (a) versions


@pytest.mark.parametrize("package", PACKAGES)
def test_the_installed_version_is_the_pinned_one(package):
    assert version(package) == upstream.PINNED[package], (
        f"{package} {version(package)} is installed, api/serving/upstream.py was read against "
        f"{upstream.PINNED[package]}: re-read every row of {package} against upstream, then update PINNED and setup.cfg"
    )


def test_setup_cfg_pins_the_same_versions():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    pins = {}
    for line in config["options"]["install_requires"].split("\n"):
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?==(\S+)", line.strip())
        if match:
            pins[match[1].lower()] = match[3]
    assert {package: pins.get(package) for package in PACKAGES} == upstream.PINNED


# (b) fingerprints


@pytest.mark.parametrize("use", FINGERPRINTS, ids=[f"{use.module}:{use.name}" for use in FINGERPRINTS])
def test_the_upstream_code_we_rely_on_is_unchanged(use):
    package = package_of(use.name)
    assert digest(resolve(use.name)) == use.digest, (
        f"{use.name} changed upstream: re-read {use.module} against upstream "
        f"({package} {upstream.PINNED[package]} -> {version(package)})"
    )


def test_every_row_that_needs_a_fingerprint_has_one():
    missing = [use for use in upstream.USES if use.how in upstream.FINGERPRINTED and use.digest is None]
    assert missing == []


def test_every_row_names_a_module_of_ours_and_a_package_of_the_fence():
    assert [use for use in upstream.USES if not (ROOT / use.module).is_file()] == []
    assert [use for use in upstream.USES if package_of(use.name) not in PACKAGES] == []


def _our_classes():
    for info in pkgutil.walk_packages(api.__path__, "api."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__:
                yield value


def _is_upstream(cls: type) -> bool:
    return package_of(cls.__module__) in PACKAGES


def _overridden():
    """(our class, method name, upstream function) for every upstream method a class of ours defines again."""
    for cls in _our_classes():
        mro = cls.__mro__
        for index, ours in enumerate(mro):
            if _is_upstream(ours) or ours.__module__ == "builtins":
                continue
            for name, value in vars(ours).items():
                if not inspect.isfunction(inspect.unwrap(unwrap(value))):
                    continue
                base = next((b for b in mro[index + 1 :] if _is_upstream(b) and name in vars(b)), None)
                if base is not None:
                    yield ours, name, unwrap(vars(base)[name])


def test_every_upstream_method_we_override_is_fingerprinted():
    fingerprinted = {unwrap(resolve(use.name)) for use in FINGERPRINTS}
    missing = sorted(
        {
            f"{ours.__module__}.{ours.__qualname__}.{name} overrides {function.__module__}.{function.__qualname__}"
            for ours, name, function in _overridden()
            if function not in fingerprinted
        }
    )
    assert missing == [], "fingerprint these in api/serving/upstream.py"


# (c) nothing outside api/serving/ reaches into upstream unlisted


def _defined_names(trees) -> set[str]:
    """Every name our own code defines: functions, classes, assigned names and attributes."""
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return names


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _dotted(node) -> list[str] | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


class _Scan(ast.NodeVisitor):
    """Private names and undocumented imports of the fenced packages in one module of ours."""

    def __init__(self, ours: set[str]):
        self.ours = ours
        self.imported: dict[str, str] = {}  # local name -> upstream qualified name
        self.modules: set[str] = set()  # local names bound to an upstream module
        self.classes: dict[str, tuple[list[str], set[str]]] = {}  # our class -> (upstream bases, names it defines)
        self.found: list[tuple[int, str, str]] = []
        self._class: str | None = None

    def _report(self, node, name: str, why: str):
        self.found.append((node.lineno, name, why))

    def visit_Import(self, node):
        for alias in node.names:
            if package_of(alias.name) in PACKAGES:
                if any(_private(part) for part in alias.name.split(".")):
                    self._report(node, alias.name, "private module")
                local = alias.asname or alias.name.split(".")[0]
                self.imported[local] = alias.name if alias.asname else local
                self.modules.add(local)

    def visit_ImportFrom(self, node):
        if node.module is None or package_of(node.module) not in PACKAGES:
            return
        for alias in node.names:
            name = f"{node.module}.{alias.name}"
            self.imported[alias.asname or alias.name] = name
            if any(_private(part) for part in name.split(".")):
                self._report(node, name, "private name")
            elif not upstream.documented(name):
                self._report(node, name, "undocumented name")

    def _upstream_bases(self, node: ast.ClassDef) -> list[str]:
        bases = []
        for base in node.bases:
            dotted = _dotted(base)
            if dotted is None:
                continue
            if dotted[0] in self.imported:
                bases.append(".".join([self.imported[dotted[0]], *dotted[1:]]))
            elif len(dotted) == 1 and dotted[0] in self.classes:
                bases.extend(self.classes[dotted[0]][0])  # a class of ours from the same module
        return bases

    def _inherited_names(self, node: ast.ClassDef) -> set[str]:
        names = set()
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id in self.classes:
                names |= self.classes[base.id][1]
        return names

    def visit_ClassDef(self, node):
        bases = self._upstream_bases(node)
        defined = self._inherited_names(node)
        for item in ast.walk(node):
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) or (
                isinstance(item, ast.Attribute) and isinstance(item.ctx, ast.Store)
            ):
                defined.add(item.name if not isinstance(item, ast.Attribute) else item.attr)
            elif isinstance(item, ast.Name) and isinstance(item.ctx, ast.Store):
                defined.add(item.id)
        self.classes[node.name] = (bases, defined)
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and _private(item.name):
                base = self._base_with(bases, item.name)
                if base is not None:
                    self._report(item, f"{base}.{item.name}", "overrides a private method")
        outer, self._class = self._class, node.name
        self.generic_visit(node)
        self._class = outer

    @staticmethod
    def _base_with(bases: list[str], name: str) -> str | None:
        return next((base for base in bases if hasattr(resolve(base), name)), None)

    def visit_Attribute(self, node):
        dotted = _dotted(node)
        if dotted is not None and dotted[0] in self.imported and len(dotted) >= 2:
            qualified = ".".join([self.imported[dotted[0]], *dotted[1:]])
            if any(_private(part) for part in dotted[1:]):
                self._report(node, qualified, "private name")
            elif dotted[0] in self.modules and len(dotted) == 2 and not upstream.documented(qualified):
                self._report(node, qualified, "undocumented name")
        elif _private(node.attr):
            self._private_attribute(node)
        self.generic_visit(node)

    def _private_attribute(self, node: ast.Attribute):
        value = node.value
        is_super = isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super"
        is_self = isinstance(value, ast.Name) and value.id in ("self", "cls")
        if (is_self or is_super) and self._class is not None:
            bases, defined = self.classes[self._class]
            if not bases or (is_self and node.attr in defined):
                return  # a class of ours only, or a name of our own
            base = self._base_with(bases, node.attr) or bases[0]
            self._report(node, f"{base}.{node.attr}", "private attribute")
        elif not (is_self or is_super) and node.attr not in self.ours:
            self._report(node, f"<{ast.unparse(value)}>.{node.attr}", "private attribute of no code of ours")


def _sources():
    for path in sorted((ROOT / "api").rglob("*.py")):
        yield path.relative_to(ROOT), ast.parse(path.read_text(), str(path))


def scan(sources) -> list[str]:
    """file:line lines for every use outside the fence that upstream.USES does not list."""
    sources = list(sources)
    ours = _defined_names(tree for _, tree in sources) | _defined_names(
        ast.parse(path.read_text()) for path in (ROOT / "models").rglob("*.py")
    )
    listed = {(use.module, use.name) for use in upstream.USES}
    unlisted = []
    for path, tree in sources:
        if path.is_relative_to(FENCE):
            continue
        visitor = _Scan(ours)
        visitor.visit(tree)
        for line, name, why in visitor.found:
            if (path.as_posix(), name) not in listed:
                unlisted.append(f"{path.as_posix()}:{line}: {name} ({why})")
    return unlisted


def test_nothing_outside_the_fence_reaches_into_upstream_unlisted():
    unlisted = scan(_sources())
    assert unlisted == [], "move these into api/serving/, or list them in api/serving/upstream.py:\n" + "\n".join(
        unlisted
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("from connexion.security import _secret", "connexion.security._secret (private name)"),
        ("from connexion.middleware.main import ConnexionMiddleware", "ConnexionMiddleware (undocumented name)"),
        ("import connexion\nconnexion.FlaskApp\nconnexion.utils", "connexion.utils (undocumented name)"),
        ("def f(app):\n    return app._middleware_app", "<app>._middleware_app (private attribute of no code of ours)"),
        (
            "from connexion.validators import JSONRequestBodyValidator\n"
            "class V(JSONRequestBodyValidator):\n    def f(self):\n        return self._nullable",
            "connexion.validators.JSONRequestBodyValidator._nullable (private attribute)",
        ),
        (
            "from connexion.validators import FormDataValidator\n"
            "class V(FormDataValidator):\n    def _insert_body(self):\n        pass",
            "connexion.validators.FormDataValidator._insert_body (overrides a private method)",
        ),
    ],
)
def test_the_scan_finds_what_it_looks_for(code, expected):
    found = scan([(Path("api/example.py"), ast.parse(code))])
    assert len(found) == 1 and found[0].endswith(expected), found


def test_the_scan_leaves_documented_and_own_names_alone():
    code = (
        "import connexion\n"
        "from starlette.datastructures import Headers\n"
        "class Ours:\n    def __init__(self):\n        self._mine = 1\n    def get(self):\n        return self._mine\n"
        "app = connexion.FlaskApp(__name__)\n"
    )
    assert scan([(Path("api/example.py"), ast.parse(code))]) == []
