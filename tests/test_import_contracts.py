"""The import rules of docs/architecture.md are import-linter contracts in pyproject.toml.

The first test runs them over the project (so `make test`, and CI, fail on a wrong import). The
others show the check can fail: the same contracts, run over a copy of the code with one wrong
import added, report that import by name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = {
    "marketplace": ROOT / "marketplace",
    "datamarket_sdk": ROOT / "sdk" / "datamarket_sdk",
    "datamarket_governance_tools": ROOT / "plugins/governance_tools/datamarket_governance_tools",
    "datamarket_ai_models": ROOT / "plugins/ai_models/datamarket_ai_models",
}


def lint_imports(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_code_keeps_every_import_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def code_copy(tmp_path_factory) -> Path:
    """The project's packages and contracts, copied where a test may add a wrong import."""
    copy = tmp_path_factory.mktemp("contracts")
    for name, source in PACKAGES.items():
        shutil.copytree(source, copy / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.mo", "templates",
                                                      "translations", "static"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("marketplace/catalog/_wrong.py", "from marketplace.commerce import models\n",
     "Catalog never reaches into commerce"),
    ("marketplace/plugins/_wrong.py", "from marketplace.notifications import services\n",
     "The plugin runtime announces; it never imports accounts or notifications"
     " (its rules ask accounts who belongs where; the owner's page reads the signed-in"
     " merchant's organization)"),
    ("datamarket_sdk/_wrong.py", "import flask\n",
     "The SDK stands alone: no marketplace, no Flask"),
    ("marketplace/delivery/_wrong.py", "from marketplace.commerce.orders import cart\n",
     "Delivery is granted by commerce and never imports it"),
    ("marketplace/web/_wrong.py", "from marketplace.catalog import labels\n",
     "The web package knows no domain"),
    ("marketplace/commerce/account_views.py", "from marketplace.storefront import views\n",
     "No page module imports another blueprint's pages (shared parts are modules both import)"),
])
def test_a_wrong_import_breaks_its_contract(code_copy, module, line, contract):
    wrong = code_copy / module  # a new module, or an existing one given one more import
    before = wrong.read_text() if wrong.exists() else None
    wrong.write_text((before or "") + line)
    try:
        result = lint_imports(code_copy, pythonpath=code_copy)
    finally:
        if before is None:
            wrong.unlink()
        else:
            wrong.write_text(before)
    assert result.returncode != 0, result.stdout
    assert f"{contract} BROKEN" in " ".join(result.stdout.split())
    importer = module.removesuffix(".py").replace("/", ".")
    assert importer in result.stdout
