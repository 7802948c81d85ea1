"""The dependency rules of DESIGN.md §3, checked on the syntax tree of every .py file.

- ``sdk/`` and ``plugins/`` never import ``marketplace``;
- ``sdk/`` never imports Flask (``flask`` or a ``flask_*`` extension);
- a ``services.py`` under ``marketplace/`` imports no ``views`` or ``api`` module and never
  ``flask.request``;
- inside ``marketplace/``, only ``marketplace/plugins/`` imports ``pluggy``;
- inside ``marketplace/``, only ``marketplace/commerce/`` imports ``stripe``.

Imports inside functions and ``TYPE_CHECKING`` blocks count too, and so do
``importlib.import_module("...")`` and ``__import__("...")`` with a literal name.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGINS_PACKAGE, COMMERCE_PACKAGE = "marketplace/plugins/", "marketplace/commerce/"
SKIPPED_DIRS = {"__pycache__", "node_modules", "build", "dist", "instance", "venv", "env"}

RULE_PLATFORM = "sdk/ and plugins/ must not import marketplace (plugins get a Context, not the app)"
RULE_SDK_FLASK = "sdk/ must not import Flask"
RULE_SERVICES_VIEWS = "services.py must not import views or api modules (views call services)"
RULE_SERVICES_REQUEST = "services.py must not use flask.request (pass values in as arguments)"
RULE_PLUGGY = "only marketplace/plugins/ may import pluggy"
RULE_STRIPE = "only marketplace/commerce/ may import stripe (through its one adapter)"


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule} ({self.detail})"


def module_name(path: str) -> str:
    """The dotted module of a repo-relative path: ``marketplace/a/b.py`` is ``marketplace.a.b``."""
    parts = path[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    # sdk/ and plugins/<dist>/ hold distributions; their importable packages start one level down.
    if parts[0] == "sdk":
        parts = parts[1:]
    elif parts[0] == "plugins":
        parts = parts[2:]
    return ".".join(parts)


def _resolve(path: str, node: ast.ImportFrom) -> str:
    """The absolute module of a ``from ... import``, resolving relative imports."""
    if not node.level:
        return node.module or ""
    package = module_name(path).split(".")
    if not path.endswith("__init__.py"):
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imports(path: str, tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) for every module a file imports, including ``from pkg import module``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(path, node)
            found.append((node.lineno, base))
            # ``from marketplace.catalog import views`` imports the module ``...catalog.views``.
            found.extend((node.lineno, f"{base}.{alias.name}" if base else alias.name)
                         for alias in node.names if alias.name != "*")
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _flask_request_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """``from flask import request`` (any alias) and ``flask.request`` through any alias."""
    uses: list[tuple[int, str]] = []
    flask_aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in {"flask", "flask.globals"}:
            uses.extend((node.lineno, f"from {node.module} import request")
                        for alias in node.names if alias.name == "request")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "flask":
                    flask_aliases.add(alias.asname or "flask")
                elif alias.name == "flask.globals" and alias.asname:
                    flask_aliases.add(alias.asname)
                elif alias.name.startswith("flask.") and alias.asname is None:
                    flask_aliases.add("flask")  # ``import flask.json`` binds ``flask``
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "request"
            and (
                (isinstance(node.value, ast.Name) and node.value.id in flask_aliases)
                or (  # flask.globals.request
                    isinstance(node.value, ast.Attribute)
                    and node.value.attr == "globals"
                    and isinstance(node.value.value, ast.Name)
                    and node.value.value.id in flask_aliases
                )
            )
        ):
            uses.append((node.lineno, "flask.request"))
    return uses


def _is(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def check_source(path: str, source: str) -> list[Violation]:
    """Every layering violation in ``source``, the text of the repo-relative file ``path``."""
    tree = ast.parse(source, filename=path)
    top = path.split("/", 1)[0]
    in_marketplace = top == "marketplace"
    violations: list[Violation] = []
    for line, module in _imports(path, tree):
        if top in {"sdk", "plugins"} and _is(module, "marketplace"):
            violations.append(Violation(path, line, RULE_PLATFORM, f"imports {module}"))
        if top == "sdk" and (_is(module, "flask") or module.split(".")[0].startswith("flask_")):
            violations.append(Violation(path, line, RULE_SDK_FLASK, f"imports {module}"))
        if (
            in_marketplace
            and path.endswith("/services.py")
            and _is(module, "marketplace")
            and {"views", "api"} & set(module.split(".")[1:])
        ):
            violations.append(Violation(path, line, RULE_SERVICES_VIEWS, f"imports {module}"))
        if in_marketplace and _is(module, "pluggy") and not path.startswith(PLUGINS_PACKAGE):
            violations.append(Violation(path, line, RULE_PLUGGY, f"imports {module}"))
        if in_marketplace and _is(module, "stripe") and not path.startswith(COMMERCE_PACKAGE):
            violations.append(Violation(path, line, RULE_STRIPE, f"imports {module}"))
    if in_marketplace and path.endswith("/services.py"):
        violations.extend(Violation(path, line, RULE_SERVICES_REQUEST, detail)
                          for line, detail in _flask_request_uses(tree))
    # ``from a import b`` is reported once per rule and line, not for ``a`` and ``a.b`` both.
    first: dict[tuple[int, str], Violation] = {}
    for violation in violations:
        first.setdefault((violation.line, violation.rule), violation)
    return sorted(first.values(), key=lambda v: (v.line, v.rule))


def python_files(root: Path = ROOT) -> list[str]:
    files = []
    for path in root.rglob("*.py"):
        relative = path.relative_to(root)
        if any(part.startswith(".") or part in SKIPPED_DIRS or part.endswith(".egg-info")
               for part in relative.parts[:-1]):
            continue
        files.append(relative.as_posix())
    return sorted(files)


def check_repository(root: Path = ROOT) -> list[Violation]:
    violations: list[Violation] = []
    for path in python_files(root):
        violations.extend(check_source(path, (root / path).read_text(encoding="utf-8")))
    return violations


# ---------------------------------------------------------------------------- the repository


def test_repository_follows_the_dependency_rules():
    violations = check_repository()
    assert not violations, "layering violations:\n" + "\n".join(map(str, violations))


def test_the_checker_reads_the_code_it_guards():
    files = python_files()
    assert any(f.startswith("sdk/datamarket_sdk/") for f in files)
    assert any(f.startswith("plugins/") for f in files)
    assert "marketplace/catalog/services.py" in files
    assert sum(f.endswith("/services.py") for f in files) >= 3
    assert not any(".egg-info" in f or "/." in f for f in files)


# ---------------------------------------------------------------------------- the checker itself


VIOLATING = [
    ("sdk/datamarket_sdk/types.py", "import marketplace.db\n", RULE_PLATFORM),
    ("sdk/datamarket_sdk/types.py", "from marketplace import policy\n", RULE_PLATFORM),
    ("plugins/governance_tools/datamarket_governance_tools/plugin.py",
     "def f():\n    from marketplace.catalog.models import Listing\n", RULE_PLATFORM),
    ("plugins/ai_models/tests/test_x.py",
     "import importlib\nimportlib.import_module('marketplace')\n", RULE_PLATFORM),
    ("plugins/ai_models/datamarket_ai_models/plugin.py", "m = __import__('marketplace.db')\n",
     RULE_PLATFORM),
    ("sdk/datamarket_sdk/testing.py", "from flask import Flask\n", RULE_SDK_FLASK),
    ("sdk/datamarket_sdk/testing.py", "import flask.json\n", RULE_SDK_FLASK),
    ("sdk/datamarket_sdk/testing.py", "from flask_login import current_user\n", RULE_SDK_FLASK),
    ("marketplace/catalog/services.py", "from marketplace.catalog.views import blp\n",
     RULE_SERVICES_VIEWS),
    ("marketplace/catalog/services.py", "from marketplace.catalog import views\n",
     RULE_SERVICES_VIEWS),
    ("marketplace/catalog/services.py", "from . import api\n", RULE_SERVICES_VIEWS),
    ("marketplace/catalog/services.py", "from .views import blp\n", RULE_SERVICES_VIEWS),
    ("marketplace/catalog/services.py", "from ..storefront.views import home\n",
     RULE_SERVICES_VIEWS),
    ("marketplace/commerce/services.py", "import marketplace.api\n", RULE_SERVICES_VIEWS),
    ("marketplace/catalog/services.py", "from flask import request\n", RULE_SERVICES_REQUEST),
    ("marketplace/catalog/services.py", "from flask import g, request as rq\n",
     RULE_SERVICES_REQUEST),
    ("marketplace/catalog/services.py", "import flask\n\ndef f():\n    return flask.request.args\n",
     RULE_SERVICES_REQUEST),
    ("marketplace/catalog/services.py", "import flask as fl\nx = fl.request\n",
     RULE_SERVICES_REQUEST),
    ("marketplace/catalog/services.py", "from flask.globals import request\n",
     RULE_SERVICES_REQUEST),
    ("marketplace/catalog/services.py", "import pluggy\n", RULE_PLUGGY),
    ("marketplace/__init__.py", "from pluggy import PluginManager\n", RULE_PLUGGY),
    ("marketplace/catalog/services.py", "import stripe\n", RULE_STRIPE),
    ("marketplace/delivery/api.py", "from stripe import StripeClient\n", RULE_STRIPE),
]


@pytest.mark.parametrize(("path", "source", "rule"), VIOLATING,
                         ids=[f"{p}:{s.strip()}" for p, s, _r in VIOLATING])
def test_checker_catches(path, source, rule):
    violations = check_source(path, source)
    assert rule in {v.rule for v in violations}, violations
    assert all(str(v).startswith(f"{path}:") for v in violations)


def test_violation_names_file_line_and_rule():
    source = '"""Doc."""\n\nimport json\n\nfrom marketplace.catalog.views import blp\n'
    [violation] = check_source("marketplace/catalog/services.py", source)
    assert str(violation).startswith("marketplace/catalog/services.py:5: " + RULE_SERVICES_VIEWS)


ALLOWED = [
    ("marketplace/plugins/manager.py", "import pluggy\nfrom pluggy import PluginManager\n"),
    ("marketplace/commerce/stripe_adapter.py", "import stripe\n"),
    ("marketplace/commerce/services.py", "from marketplace.commerce.stripe_adapter import x\n"),
    ("marketplace/catalog/views.py", "from flask import request\nfrom . import services\n"),
    ("marketplace/catalog/api.py", "from marketplace.catalog import services\n"),
    ("marketplace/catalog/services.py",
     "from flask import current_app\nfrom flask_babel import lazy_gettext\n"
     "from marketplace.catalog.viewsets import x\nrequest = 1\n"),
    ("sdk/datamarket_sdk/hookspecs.py", "import pluggy\nfrom datamarket_sdk import hookspec\n"),
    ("plugins/ai_models/datamarket_ai_models/plugin.py",
     "from datamarket_sdk import hookimpl\nimport marketplace_helpers\n"),
    ("tests/unit/test_x.py", "import stripe\nimport pluggy\nimport marketplace\n"),
]


@pytest.mark.parametrize(("path", "source"), ALLOWED, ids=[p for p, _s in ALLOWED])
def test_checker_allows(path, source):
    assert check_source(path, source) == []


def test_relative_imports_resolve_to_the_right_module():
    tree = ast.parse("from . import views\nfrom ..api import x\n")
    modules = {m for _line, m in _imports("marketplace/catalog/services.py", tree)}
    assert {"marketplace.catalog.views", "marketplace.api.x"} <= modules
