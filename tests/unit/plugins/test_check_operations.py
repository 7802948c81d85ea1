"""``datamarket plugin check`` calls each operation on its example input in the plugin's worker
process, under the operation's deadline, and names what breaks the output schema."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from marketplace.accounts.services import validate_credit_code
from marketplace.plugins import check
from marketplace.plugins.scaffold import create_plugin

check_plugin = functools.partial(check.check_plugin, validate_merchant=validate_credit_code)

CREDIT_CODE = "91350100M000100Y43"
#: Far above what any check below needs (the slowest waits for a 1 s deadline): a check that
#: hangs fails here instead of blocking the suite.
CHECK_TIMEOUT = 120

PLATE_PLUGIN = '''\
    """A licence-plate checker whose handler is broken in the way each test says."""

    import time
    from typing import Literal

    from datamarket_sdk import Manifest, NotFound, Operation, hookimpl
    from pydantic import BaseModel

    MODE = "{mode}"


    class PlateInput(BaseModel):
        plate: str


    class PlateFinding(BaseModel):
        kind: Literal["format", "region"]
        note: str


    class PlateOutput(BaseModel):
        valid: bool
        findings: list[PlateFinding]


    def lookup(ctx, request):
        if MODE == "bad_output":
            return {{"valid": False, "findings": [{{"kind": "x", "note": "odd"}}]}}
        if MODE == "sleeps":
            time.sleep(60)
        if MODE == "raises":
            return {{"valid": request.plate[99]}}
        if MODE == "not_found":
            raise NotFound(f"no vehicle with the plate {{request.plate}}")
        return {{"valid": True, "findings": []}}


    @hookimpl
    def datamarket_plugin_manifest():
        return Manifest(name="geo", version="0.1.0", merchant="{merchant}", sdk=">=0.1,<0.2",
                        title="Plates")


    @hookimpl
    def datamarket_operations():
        return [Operation(name="lookup", summary="Check a licence plate.",
                          input_model=PlateInput, output_model=PlateOutput, handler=lookup,
                          timeout_seconds={timeout}, example_input={{"plate": "浙A12345"}})]
'''


@pytest.fixture
def plugin(tmp_path) -> Path:
    return create_plugin("geo", tmp_path / "datamarket-geo", CREDIT_CODE)


def write_plate_plugin(plugin: Path, mode: str, timeout: float = 1.0) -> None:
    source = textwrap.dedent(PLATE_PLUGIN).format(mode=mode, merchant=CREDIT_CODE,
                                                  timeout=timeout)
    (plugin / "datamarket_geo" / "plugin.py").write_text(source, encoding="utf-8")


def run_check(plugin: Path, *options: str) -> subprocess.CompletedProcess:
    """``datamarket plugin check`` as a merchant runs it, in a process of its own."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT_TEST"))}
    return subprocess.run(
        [sys.executable, "-c", "from marketplace.cli import main; main()",
         "plugin", "check", *options, str(plugin)],
        capture_output=True, text=True, timeout=CHECK_TIMEOUT, env=env)


def failures(report) -> list[str]:
    return [str(f) for f in report.findings if f.status == "fail"]


def test_a_fresh_plugins_operation_answers_its_example_within_the_schema(plugin):
    report = check_plugin(plugin, run_tests=False)

    assert report.ok, failures(report)
    [line] = [str(f) for f in report.findings if "on its example input" in f.message]
    assert line.startswith("✓ operation 'echo_upper' on its example input: answered in ")
    assert line.endswith(" s, and the answer matches the output schema")


@pytest.mark.parametrize(("mistake", "expected"), [
    ("bad_output",
     "✗ operation 'lookup' on its example input: the answer breaks the output schema: "
     "output.findings[0].kind: Input should be 'format' or 'region', not 'x' — return what "
     "the output model declares (or change the model, if the answer is right)"),
    ("sleeps",
     "✗ lookup gave no answer within 1 s; the check stopped it as the platform would (the "
     "buyer gets an error, not billed) — make the handler answer within timeout_seconds=1: "
     "call ctx.check_deadline() in long loops, move slow work (network, large files) out of "
     "the call, or raise timeout_seconds if the work truly needs longer"),
    ("import_error",
     "✗ entry point 'geo' = 'datamarket_geo.plugin' does not import: ZeroDivisionError: "
     "division by zero (at datamarket_geo/plugin.py, line 1)"),
])
def test_each_mistake_is_reported_with_its_fix_by_the_command(plugin, mistake, expected):
    if mistake == "import_error":
        (plugin / "datamarket_geo" / "plugin.py").write_text("RATE = 1 / 0\n")
    else:
        write_plate_plugin(plugin, mistake)

    completed = run_check(plugin, "--skip-tests")

    assert completed.returncode == 1, completed.stdout + completed.stderr
    printed = completed.stdout.splitlines()
    assert any(line.startswith(expected) for line in printed), completed.stdout
    assert "1 problem(s) to fix" in completed.stderr


def test_a_handler_that_raises_is_shown_with_its_line(plugin):
    write_plate_plugin(plugin, "raises")

    [failure] = failures(check_plugin(plugin, run_tests=False))

    assert failure.startswith("✗ operation 'lookup' on its example input: the handler raised "
                              "IndexError: string index out of range "
                              "(at datamarket_geo/plugin.py, line 32) — fix the error at the "
                              "line shown")


def test_not_found_for_the_example_is_a_warning_that_names_the_datasets_way(plugin):
    write_plate_plugin(plugin, "not_found")

    report = check_plugin(plugin, run_tests=False)

    assert report.ok
    assert "! operation 'lookup' on its example input: it answered 'not found': no vehicle " \
        "with the plate 浙A12345 — give an example input that finds something" \
        in "\n".join(str(f) for f in report.findings)


def test_operations_are_not_run_when_the_plugin_would_not_load(plugin):
    source = (plugin / "datamarket_geo" / "plugin.py").read_text()
    (plugin / "datamarket_geo" / "plugin.py").write_text(
        source.replace('SDK_RANGE = ">=0.1,<0.2"', 'SDK_RANGE = ">=0.2,<0.3"'))

    report = check_plugin(plugin, run_tests=False)

    assert not any("on its example input:" in f.message for f in report.findings)
    assert "! the operations were not run on their example inputs, because the plugin would " \
        "not load as it is" in "\n".join(str(f) for f in report.findings)


def test_an_operation_reading_a_granted_dataset_is_a_warning_pointing_to_the_tests(plugin):
    source = (plugin / "datamarket_geo" / "plugin.py").read_text()
    (plugin / "datamarket_geo" / "plugin.py").write_text(source.replace(
        "    ctx.check_deadline()\n", "    ctx.dataset('plates')\n", 1))

    report = check_plugin(plugin, run_tests=False)

    assert report.ok
    assert "! operation 'echo_upper' on its example input: not run to the end, because it " \
        "reads the dataset 'plates', which only a listing grants — your tests give it rows: " \
        "call_operation(..., datasets={...})" in [str(f) for f in report.findings]


def test_a_hung_handler_fails_its_own_tests_at_the_deadline_too(plugin):
    write_plate_plugin(plugin, "sleeps")
    (plugin / "tests" / "test_plugin.py").write_text(textwrap.dedent("""\
        from datamarket_geo import plugin


        def test_lookup(call_operation):
            assert call_operation(plugin, "lookup", {"plate": "浙A12345"})["valid"]
    """), encoding="utf-8")

    # The handler sleeps 60 s; the check (its own call, then the plugin's test) ends well
    # before, each call stopped at the 1 s deadline.
    completed = run_check(plugin)

    assert completed.returncode == 1
    assert "✗ lookup gave no answer within 1 s" in completed.stdout
    assert "✗ tests: 1 failed" in completed.stdout
    assert "tests.test_plugin.test_lookup: datamarket_sdk.errors.DeadlineExceeded: operation " \
        "'lookup' gave no answer within 1 s" in completed.stdout


def test_a_readme_still_describing_the_scaffold_is_flagged(plugin):
    write_plate_plugin(plugin, "fine")

    report = check_plugin(plugin, run_tests=False)

    assert report.ok
    assert "! README.md still describes the example operation echo_upper, which the plugin no " \
        "longer has — describe your own operations (lookup) in README.md: it is the " \
        "distribution's description" in [str(f) for f in report.findings]


def test_a_readme_about_the_plugins_own_operations_is_not_flagged(plugin):
    write_plate_plugin(plugin, "fine")
    (plugin / "README.md").write_text("# Plates\n\n`lookup` checks a licence plate.\n")

    report = check_plugin(plugin, run_tests=False)

    assert not any("README" in f.message for f in report.findings)
    assert [f.status for f in report.findings].count("warn") == 0


def suggested_command(failure: str) -> str:
    return failure.split(": ", 1)[1].split("meets it: ", 1)[1] if "meets it: " in failure \
        else failure.split("to see it fail: ", 1)[1]


def test_the_import_hint_runs_a_command_that_fails_the_same_way_from_the_plugin_folder(plugin):
    # Reading a file relative to the working folder works in the plugin's folder only.
    (plugin / "datamarket_geo" / "plates.txt").write_text("浙A\n", encoding="utf-8")
    (plugin / "datamarket_geo" / "plugin.py").write_text(
        "PREFIXES = open('datamarket_geo/plates.txt').read().split()\n")

    [failure] = failures(check_plugin(plugin, run_tests=False))

    assert "does not import: FileNotFoundError: [Errno 2] No such file or directory: " \
        "'datamarket_geo/plates.txt' (at datamarket_geo/plugin.py, line 1) — the platform " \
        "does not run the plugin from its folder: open 'datamarket_geo/plates.txt' relative " \
        "to the module, as Path(__file__).parent / ...; to see it fail: " in failure
    shown = subprocess.run(suggested_command(failure), shell=True, cwd=plugin, text=True,
                           capture_output=True, timeout=CHECK_TIMEOUT)
    assert shown.returncode == 1
    assert "FileNotFoundError" in shown.stderr
    assert 'plugin.py", line 1' in shown.stderr


def test_a_missing_dependency_is_named_with_how_to_install_it(plugin):
    (plugin / "datamarket_geo" / "plugin.py").write_text("import plate_tables  # noqa\n")

    [failure] = failures(check_plugin(plugin, run_tests=False))

    assert failure.endswith("— plate_tables is not installed next to the platform: list it in "
                            f"[project] dependencies and install the plugin with "
                            f"{sys.executable} -m pip install -e .")


class AnsweringWorker:
    """A worker that claims an answer: what the platform re-checks against the schema."""

    def __init__(self, answer):
        self.answer = answer

    def call(self, request, timeout):
        return self.answer


def test_an_answer_the_worker_passed_is_still_checked_against_the_schema(tmp_path):
    from marketplace.plugins.check_run import run_example

    schema = {"type": "object", "required": ["findings"], "properties": {"findings": {
        "type": "array", "items": {"type": "object", "properties": {
            "kind": {"enum": ["format", "region"]}}}}}}
    example = {"operation": "lookup", "timeout": 1, "payload": {}, "output_schema": schema}

    finding = run_example(AnsweringWorker({"outcome": "ok", "result": {
        "findings": [{"kind": "x"}]}}), example, tmp_path)

    assert str(finding).startswith(
        "✗ operation 'lookup' on its example input: the answer breaks the output schema: "
        "output.findings[0].kind: 'x' is not one of ['format', 'region'] — ")
