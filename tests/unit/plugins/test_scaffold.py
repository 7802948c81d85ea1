"""``datamarket plugin new``: names, generated files, refusals, and tests that pass at once."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from marketplace.cli import main as datamarket
from marketplace.plugins.scaffold import ScaffoldError, create_plugin, plugin_names

CREDIT_CODE = "91350100M000100Y43"


def _pytest_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT_TEST"))}


def test_a_plugin_name_gives_its_distribution_package_and_title():
    names = plugin_names("company-lookup")
    assert names.name == "company_lookup"
    assert names.distribution == "datamarket-company-lookup"
    assert names.package == "datamarket_company_lookup"
    assert names.title == "Company Lookup"
    assert plugin_names("risk_score2").distribution == "datamarket-risk-score2"


@pytest.mark.parametrize(("raw", "says"), [
    ("", "2 to 64 lowercase letters"),
    ("x", "2 to 64 lowercase letters"),
    ("Caps", "2 to 64 lowercase letters"),
    ("1st", "starting with a letter"),
    ("has space", "2 to 64 lowercase letters"),
    ("dotted.name", "2 to 64 lowercase letters"),
    ("a" * 65, "2 to 64 lowercase letters"),
    ("double__sep", "single underscore or hyphen"),
    ("trailing-", "do not end with one"),
    ("datamarket-lookup", "Leave out the 'datamarket-' prefix: 'datamarket plugin new lookup'"),
])
def test_a_bad_name_is_refused_with_a_reason(raw, says):
    with pytest.raises(ScaffoldError) as refused:
        plugin_names(raw)
    assert says in str(refused.value)


def test_the_generated_distribution_has_entry_point_module_readme_and_tests(tmp_path):
    folder = create_plugin("company-lookup", tmp_path / "out", CREDIT_CODE)

    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files == [
        ".gitignore",
        "README.md",
        "datamarket_company_lookup/__init__.py",
        "datamarket_company_lookup/plugin.py",
        "pyproject.toml",
        "tests/test_plugin.py",
    ]
    project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
    assert project["name"] == "datamarket-company-lookup"
    assert project["dependencies"] == ["datamarket-sdk>=0.1,<0.2"]
    assert project["entry-points"]["datamarket"] == {
        "company_lookup": "datamarket_company_lookup.plugin"}
    module = (folder / "datamarket_company_lookup" / "plugin.py").read_text()
    package = (folder / "datamarket_company_lookup" / "__init__.py").read_text()
    # The code sits apart from the plugin's code: replacing plugin.py keeps whose plugin it is.
    assert f'MERCHANT = "{CREDIT_CODE}"' in package and "MERCHANT =" not in module
    assert "from datamarket_company_lookup import MERCHANT, __version__" in module
    assert 'PLUGIN_NAME = "company_lookup"' in module
    for path in folder.rglob("*"):
        if path.is_file():
            assert "$name" not in path.read_text() and "$package" not in path.read_text(), path


def test_the_default_folder_is_named_after_the_distribution(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert create_plugin("geo") == Path("datamarket-geo")
    assert (tmp_path / "datamarket-geo" / "datamarket_geo" / "plugin.py").is_file()


def test_an_empty_folder_is_used_but_a_non_empty_one_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    assert create_plugin("geo", tmp_path / "empty") == tmp_path / "empty"

    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    with pytest.raises(ScaffoldError, match="already exists and is not empty"):
        create_plugin("geo", tmp_path / "taken")
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]


def test_the_generated_tests_pass_straight_after_generation(tmp_path):
    folder = create_plugin("company-lookup", tmp_path / "plugin", CREDIT_CODE)

    completed = subprocess.run([sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider"],
                               cwd=folder, capture_output=True, text=True, timeout=120,
                               env=_pytest_environment(), encoding="utf-8")

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "8 passed" in completed.stdout
    # A Chinese input reads as written in the test's id, not as \u6d59a12345.
    assert "test_echo_upper_keeps_chinese_text[浙a12345] PASSED" in completed.stdout


def test_plugin_new_on_the_command_line(tmp_path):
    result = CliRunner().invoke(datamarket, [
        "plugin", "new", "company-lookup", "--directory", str(tmp_path / "p"),
        "--merchant", CREDIT_CODE.lower(),
    ])
    assert result.exit_code == 0, result.output
    assert f"Created the plugin company-lookup in {tmp_path / 'p'}." in result.output
    assert "datamarket plugin check ." in result.output
    package = (tmp_path / "p" / "datamarket_company_lookup" / "__init__.py").read_text()
    assert f'MERCHANT = "{CREDIT_CODE}"' in package  # stored in its compact, upper-case form


def test_plugin_new_refuses_a_bad_credit_code_before_writing_anything(tmp_path):
    result = CliRunner().invoke(datamarket, [
        "plugin", "new", "geo", "--directory", str(tmp_path / "p"), "--merchant", "12345"])
    assert result.exit_code == 2
    assert "--merchant" in result.output and "18 characters" in result.output
    assert not (tmp_path / "p").exists()


def test_plugin_new_refuses_a_bad_name_with_the_reason(tmp_path):
    result = CliRunner().invoke(datamarket, [
        "plugin", "new", "Geo Data", "--directory", str(tmp_path / "p")])
    assert result.exit_code == 1
    assert "'Geo Data' cannot name a plugin" in result.output
    assert not (tmp_path / "p").exists()


def test_plugin_new_says_to_set_the_merchant_when_none_is_given(tmp_path):
    result = CliRunner().invoke(datamarket, [
        "plugin", "new", "geo", "--directory", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert "Set MERCHANT" in result.output


def test_the_plugin_commands_are_also_on_the_apps_command_line(app, tmp_path):
    result = app.test_cli_runner().invoke(args=[
        "plugin", "new", "geo", "--directory", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
