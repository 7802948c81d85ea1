"""``datamarket plugin check``: every problem named with its fix, and a broken plugin contained."""

from __future__ import annotations

import functools
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from marketplace.accounts.services import validate_credit_code
from marketplace.cli import main as datamarket
from marketplace.plugins import check
from marketplace.plugins.scaffold import create_plugin

# As the ``datamarket plugin check`` command calls it.
check_plugin = functools.partial(check.check_plugin, validate_merchant=validate_credit_code)

CREDIT_CODE = "91350100M000100Y43"


@pytest.fixture
def plugin(tmp_path) -> Path:
    """A freshly generated plugin, which each test then breaks in its own way."""
    return create_plugin("geo", tmp_path / "datamarket-geo", CREDIT_CODE)


def write_module(plugin: Path, source: str) -> None:
    (plugin / "datamarket_geo" / "plugin.py").write_text(textwrap.dedent(source))


def lines(report) -> list[str]:
    return [str(finding) for finding in report.findings]


def failures(report) -> list[str]:
    return [str(f) for f in report.findings if f.status == "fail"]


def test_a_freshly_generated_plugin_passes_every_check(plugin):
    result = CliRunner().invoke(datamarket, ["plugin", "check", str(plugin)])

    assert result.exit_code == 0, result.output
    assert "✗" not in result.output
    assert "✓ pyproject.toml declares the entry point geo = datamarket_geo.plugin" in result.output
    assert "✓ manifest: geo 0.1.0, SDK >=0.1,<0.2" in result.output
    assert f"✓ manifest merchant {CREDIT_CODE} is a valid credit code" in result.output
    assert "✓ operation 'echo_upper': summary, input and output schemas" in result.output
    assert "✓ tests: 8 passed" in result.output
    assert "Every check passed" in result.output


def test_a_folder_without_pyproject_is_refused_and_its_tests_are_not_run(tmp_path):
    (tmp_path / "test_other.py").write_text("def test_never_run():\n    raise SystemExit\n")

    result = CliRunner().invoke(datamarket, ["plugin", "check", str(tmp_path)])

    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"✗ no pyproject.toml in {tmp_path} — run the check on the plugin's own folder, or "
        "start one with 'datamarket plugin new NAME'")
    assert "tests:" not in result.output


def test_a_pyproject_without_the_entry_point_or_sdk_dependency(plugin):
    (plugin / "pyproject.toml").write_text(textwrap.dedent("""\
        [project]
        name = "datamarket-geo"
        version = "0.1.0"
        dependencies = ["datamarket"]
    """))

    report = check_plugin(plugin, run_tests=False)

    assert not report.ok
    assert failures(report) == [
        "✗ pyproject.toml declares no 'datamarket' entry point, so the platform would never "
        "find the plugin — add a [project.entry-points.datamarket] table with a line such as "
        'my_plugin = "datamarket_my_plugin.plugin"',
        "✗ the plugin depends on the platform (datamarket) — depend on datamarket-sdk only; "
        "the platform installs it",
        "✗ the plugin does not depend on datamarket-sdk — add \"datamarket-sdk>=0.1,<0.2\" to "
        "[project] dependencies",
    ]


def test_an_import_error_is_shown_with_its_line_and_the_checker_survives(plugin):
    write_module(plugin, """\
        from datamarket_sdk import hookimpl

        RATE = 1 / 0
    """)

    report = check_plugin(plugin, run_tests=False)

    assert failures(report) == [
        "✗ entry point 'geo' = 'datamarket_geo.plugin' does not import: ZeroDivisionError: "
        "division by zero (at datamarket_geo/plugin.py, line 3) — fix the error; to see the "
        f"full traceback as the platform meets it: cd / && PYTHONPATH={plugin} "
        f"{sys.executable} -c 'import datamarket_geo.plugin'"
    ]


def test_a_syntax_error_names_the_file_and_line(plugin):
    write_module(plugin, "def broken(:\n    pass\n")

    [failure] = failures(check_plugin(plugin, run_tests=False))

    assert "does not import: SyntaxError: invalid syntax (at datamarket_geo/plugin.py, line 1)" \
        in failure


def test_a_plugin_that_kills_its_process_at_import_cannot_kill_the_check(plugin):
    write_module(plugin, "import os\nos._exit(3)\n")

    result = CliRunner().invoke(datamarket, ["plugin", "check", "--skip-tests", str(plugin)])

    assert result.exit_code == 1
    assert "✗ importing the plugin stopped the checker (exit code 3)" in result.output


def test_a_plugin_that_imports_the_platform_is_told_to_use_the_sdk(plugin):
    source = (plugin / "datamarket_geo" / "plugin.py").read_text()
    write_module(plugin, source + "\nimport flask  # noqa: E402, F401\n")

    assert failures(check_plugin(plugin, run_tests=False)) == [
        "✗ importing 'datamarket_geo.plugin' imports flask — a plugin imports datamarket_sdk "
        "only; everything a call may know comes in its Context"
    ]


def test_a_plugin_without_a_manifest(plugin):
    write_module(plugin, """\
        from datamarket_sdk import hookimpl


        @hookimpl
        def datamarket_operations():
            return []
    """)

    report = check_plugin(plugin, run_tests=False)

    assert "✗ no datamarket_plugin_manifest: every plugin must say who it is — add @hookimpl " \
        "def datamarket_plugin_manifest() -> Manifest" in "\n".join(failures(report))


BROKEN_EVERYWHERE = """\
    from typing import Callable

    from datamarket_sdk import Manifest, Operation, hookimpl
    from pydantic import BaseModel, ConfigDict


    class Ask(BaseModel):
        code: str


    class Hooked(BaseModel):
        model_config = ConfigDict(arbitrary_types_allowed=True)
        callback: Callable[[int], int]


    class Answer(BaseModel):
        name: str


    def lookup(ctx, request):
        return {"name": "Acme"}


    @hookimpl
    def datamarket_plugin_manifest():
        return Manifest(name="geo", version="0.1.0", merchant="12345", sdk=">=0.2,<0.3",
                        title="Geo")


    @hookimpl
    def datamarket_operations():
        return [
            Operation(name="lookup", summary="Look a company up.", input_model=Ask,
                      output_model=Answer, handler=lookup, example_input={"code": 5}),
            Operation(name="lookup", summary="Again.", input_model=Ask, output_model=Answer,
                      handler=lookup, example_input={"code": "A1"}),
            Operation(name="hooked", summary="Not JSON.", input_model=Hooked,
                      output_model=Answer, handler=lookup, example_input={}),
        ]


    @hookimpl
    def datamarket_operation():
        return []


    def datamarket_models():
        return []


    @hookimpl
    def datamarket_order_paid(order):
        pass


    @hookimpl
    def datamarket_entitlement_granted(event=None):
        pass
"""


def test_every_problem_is_reported_at_once_each_with_its_fix(plugin):
    write_module(plugin, BROKEN_EVERYWHERE)

    report = check_plugin(plugin, run_tests=False)
    text = "\n".join(failures(report))

    assert len(failures(report)) == 10, text
    for expected in [
        "✗ datamarket_entitlement_granted gives a default value to event: the platform never "
        "passes a parameter that has a default — remove the default value",
        "✗ datamarket_models in geo is not marked as a hook implementation, so it would never be "
        "called — put @hookimpl (from datamarket_sdk import hookimpl) on the line above it",
        "✗ datamarket_operation in geo is not a Datamarket hook — did you mean "
        "datamarket_operations?",
        "✗ datamarket_order_paid(order) asks for order, which the hook does not pass — "
        "datamarket_order_paid is given event: take any of those, by the same names",
        "✗ manifest SDK range: plugin needs SDK >=0.2,<0.3 but this platform provides 0.1.2",
        "✗ manifest merchant '12345': A unified social credit code has 18 characters; this one "
        "has 5.",
        "✗ operation 'lookup': example_input does not validate (code: Input should be a valid "
        "string) — change example_input so that the input model accepts it",
        "✗ operation 'lookup' is defined twice — give every operation a name of its own",
        "✗ operation 'hooked': the input model does not produce a JSON Schema: "
        "PydanticInvalidForJsonSchema:",
        "✗ operation 'hooked': example_input does not validate (callback: Field required)",
    ]:
        assert expected in text, f"missing: {expected}\nin:\n{text}"
    # What is right is said too, so the merchant sees what was checked.
    assert "✓ hooks registered and checked by pluggy: datamarket_operations, " \
        "datamarket_plugin_manifest" in lines(report)


def test_an_invalid_manifest_value_is_reported_with_the_sdks_reason(plugin):
    source = (plugin / "datamarket_geo" / "plugin.py").read_text()
    write_module(plugin, source.replace('PLUGIN_NAME = "geo"', 'PLUGIN_NAME = "Geo-Data"'))

    [failure] = failures(check_plugin(plugin, run_tests=False))

    assert failure.startswith("✗ datamarket_plugin_manifest() raised ValueError: plugin name "
                              "'Geo-Data' must be 2 to 64 lower case letters")
    assert "(at datamarket_geo/plugin.py, line" in failure


def test_warnings_do_not_fail_the_check(plugin):
    package = plugin / "datamarket_geo" / "__init__.py"
    package.write_text(package.read_text().replace(f'MERCHANT = "{CREDIT_CODE}"',
                                                   'MERCHANT = ""'))
    source = (plugin / "datamarket_geo" / "plugin.py").read_text()
    write_module(plugin, source.replace('example_input={"text": "hello, data"},', ""))

    report = check_plugin(plugin, run_tests=False)

    assert report.ok
    assert "! the manifest names no merchant" in "\n".join(lines(report))
    assert "! operation 'echo_upper' has no example_input" in "\n".join(lines(report))


def test_failing_tests_are_counted_and_named(plugin):
    with (plugin / "tests" / "test_plugin.py").open("a") as tests:
        tests.write("\n\ndef test_wrong_length(call_operation):\n"
                    "    assert call_operation(plugin, 'echo_upper', {'text': 'ab'})"
                    "['length'] == 3, 'two letters'\n")

    result = CliRunner().invoke(datamarket, ["plugin", "check", str(plugin)])

    assert result.exit_code == 1
    assert f"✗ tests: 8 passed, 1 failed — run 'python -m pytest' in {plugin} to see the " \
        "failures" in result.output
    assert "\n    tests.test_plugin.test_wrong_length: AssertionError: two letters\n" \
        in result.output
    assert "1 problem(s) to fix" in result.output


def test_a_plugin_without_tests_is_told_to_write_some(plugin):
    (plugin / "tests" / "test_plugin.py").unlink()

    report = check_plugin(plugin)

    assert failures(report) == [
        "✗ the plugin has no tests — add tests/test_plugin.py; 'datamarket plugin new' shows "
        "one written with the SDK's fixtures"
    ]


@pytest.mark.parametrize(("old", "new", "says"), [
    ('name="echo_upper"', 'name="Echo Upper"',
     "ValueError: operation name 'Echo Upper' must be lower case letters, digits or _"),
    ('summary="Put a text in capitals and count its characters."', 'summary=""',
     "ValueError: operation 'echo_upper' needs a summary"),
])
def test_an_operation_the_sdk_refuses_is_reported_with_the_sdks_reason(plugin, old, new, says):
    source = (plugin / "datamarket_geo" / "plugin.py").read_text()
    assert old in source
    write_module(plugin, source.replace(old, new))

    [failure] = failures(check_plugin(plugin, run_tests=False))

    assert failure.startswith(f"✗ datamarket_operations() raised {says}")
    assert "(at datamarket_geo/plugin.py, line" in failure
    assert "— correct what the error says, at the line shown" in failure
