"""``marketplace/web/`` (error answers, form helpers) imports no domain package.

A domain adds its own parts to every page when the app is created (its template labels, its
request hooks); the web package stays what any domain can import without a cycle.
"""

from __future__ import annotations

from tests.test_view_modules_are_independent import PACKAGE, imported_modules


def domain_packages() -> set[str]:
    """Every sub-package of ``marketplace`` but ``web`` itself (accounts, catalog, ...)."""
    return {f"marketplace.{path.parent.name}" for path in PACKAGE.glob("*/__init__.py")
            if path.parent.name != "web"}


def domain_imports(module: str, source: str) -> list[str]:
    domains = domain_packages()
    return sorted(imported for imported in imported_modules(module, source)
                  if any(imported == d or imported.startswith(d + ".") for d in domains))


def test_the_web_package_imports_no_domain():
    found = {path.stem: domain_imports(f"marketplace.web.{path.stem}", path.read_text("utf-8"))
             for path in (PACKAGE / "web").glob("*.py")}
    assert set(found) >= {"__init__", "errors", "forms"}
    assert {name: imports for name, imports in found.items() if imports} == {}


def test_the_check_sees_a_domain_import():
    assert {"marketplace.catalog", "marketplace.notifications"} <= domain_packages()
    source = "from marketplace import policy\ndef f():\n    from ..catalog.labels import money\n"
    assert domain_imports("marketplace.web.errors", source) == [
        "marketplace.catalog.labels", "marketplace.catalog.labels.money"]
