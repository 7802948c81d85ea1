"""No view module imports another blueprint's view module.

A view module is a ``views.py``, ``*_views.py`` or ``*_view.py`` under ``marketplace/``, or a
``views/`` package, which counts as one (``admin/views/orders.py`` may import
``admin/views/__init__.py``). A page part that two areas show lives in a module both import
(``commerce/pages.py``, ``storefront/product_page.py``), never in one of their views.

Only direct imports are read here, including those inside functions; this check becomes an
import-linter ``independence`` contract once the project adopts import-linter.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "marketplace"


def view_unit(module: str) -> str | None:
    """The view module or ``views`` package that ``module`` belongs to, or None."""
    parts = module.split(".")
    if "views" in parts[1:]:
        return ".".join(parts[: parts.index("views", 1) + 1])
    last = parts[-1]
    if len(parts) > 1 and (last == "views" or last.endswith(("_views", "_view"))):
        return module
    return None


def imported_modules(module: str, source: str) -> set[str]:
    """Every module ``source`` imports, ``from a import b`` counting as ``a`` and ``a.b``.

    ``module`` is the importing module's name, used to resolve relative imports.
    """
    package = module.split(".")
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative to the module's package
                base = ".".join([*package[: len(package) - node.level], *filter(None, [base])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def cross_view_imports(modules: dict[str, str]) -> list[str]:
    """``importing module -> imported view unit`` for each view unit another one imports."""
    found = set()
    for module, source in modules.items():
        unit = view_unit(module)
        if unit is None:
            continue
        for imported in imported_modules(module, source):
            other = view_unit(imported)
            if other is not None and other != unit:
                found.add(f"{module} -> {other}")
    return sorted(found)


def marketplace_modules() -> dict[str, str]:
    """Source by module name; a package's is named ``pkg.__init__``, so that its relative
    imports resolve like a module's."""
    return {".".join(path.relative_to(ROOT).with_suffix("").parts): path.read_text("utf-8")
            for path in PACKAGE.rglob("*.py")}


def test_no_view_module_imports_another_blueprints_views():
    modules = marketplace_modules()
    assert "marketplace.admin.views.orders" in modules and "marketplace.commerce.views" in modules
    assert cross_view_imports(modules) == []


def test_the_check_finds_a_view_importing_another_blueprints_views():
    modules = {
        "marketplace.accounts.views": "def page():\n    from marketplace.commerce import views\n",
        "marketplace.commerce.merchant_views": "from ..admin.views.orders import x\n",
        "marketplace.admin.views.orders": "from marketplace.admin.views import blp\n"
                                          "from marketplace.commerce.pages import part\n",
        "marketplace.commerce.pages": "from marketplace.commerce.views import helper\n",
    }
    assert cross_view_imports(modules) == [
        "marketplace.accounts.views -> marketplace.commerce.views",
        "marketplace.commerce.merchant_views -> marketplace.admin.views",
    ]
