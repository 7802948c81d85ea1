"""Stopgap until import-linter contracts: no module under ``marketplace/plugins/`` imports
``marketplace.accounts`` or ``marketplace.notifications``.

The runtime announces what happened (``marketplace.plugins.signals``) and the app wires who is
told; a plugins module that reached for accounts or notifications would bring back a runtime that
tells people itself. Imports inside functions and ``TYPE_CHECKING`` blocks count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[3] / "marketplace" / "plugins"
FORBIDDEN = ("marketplace.accounts", "marketplace.notifications")


def forbidden_imports(source: str, package: str = "marketplace.plugins") -> list[tuple[int, str]]:
    """(line, module) of each import statement in ``source`` that reaches a forbidden package;
    ``source`` is a module of ``package``, against which relative imports are resolved."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = ".".join(filter(None, [*parts[: len(parts) - node.level + 1], node.module])) \
                if node.level else node.module or ""
            modules = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        forbidden = [module for module in modules
                     if any(module == name or module.startswith(name + ".") for name in FORBIDDEN)]
        if forbidden:
            found.append((node.lineno, forbidden[0]))
    return sorted(found)


def package_of(path: Path) -> str:
    """The dotted package a module file belongs to, e.g. ``marketplace.plugins``."""
    return ".".join(path.parent.relative_to(PLUGINS.parent.parent).parts)


def test_the_check_finds_imports_anywhere_in_a_module():
    source = ("from typing import TYPE_CHECKING\n"
              "if TYPE_CHECKING:\n    from marketplace.accounts.models import User\n"
              "def tell():\n    from marketplace import notifications\n"
              "    import marketplace.notifications.services\n")
    assert forbidden_imports(source) == [
        (3, "marketplace.accounts.models"), (5, "marketplace.notifications"),
        (6, "marketplace.notifications.services")]
    assert forbidden_imports("from ..accounts import services\n") == [
        (1, "marketplace.accounts")]
    assert forbidden_imports("from marketplace.plugins import signals\n"
                             "from . import records\n") == []


def test_no_plugins_module_imports_accounts_or_notifications():
    modules = sorted(PLUGINS.rglob("*.py"))
    assert len(modules) > 10, "the plugins package was not found"
    offending = [f"{path.relative_to(PLUGINS.parent.parent)}:{line} imports {module}"
                 for path in modules
                 for line, module in forbidden_imports(path.read_text(encoding="utf-8"),
                                                       package_of(path))]
    assert offending == []
