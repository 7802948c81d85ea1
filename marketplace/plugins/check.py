"""``datamarket plugin check``: everything wrong with a plugin distribution, and how to fix it.

The checks run in three steps, each in words a merchant can act on:

1. the distribution, read without running it: ``pyproject.toml``, its ``datamarket`` entry points
   and its dependencies;
2. the plugin, imported in a subprocess (``probe.py``) so that a broken plugin cannot crash the
   command: manifest, hooks (through pluggy, with ``check_pending``), operations and schemas;
3. each operation, called on its example input in the plugin's worker process under its declared
   deadline, its answer checked against the output schema (``check_run.py``);
4. the plugin's own tests, run with pytest in another subprocess, with pass and fail counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from marketplace.errors import ValidationFailed
from marketplace.plugins.scaffold import EXAMPLE_OPERATION

PROBE = Path(__file__).resolve().parent / "probe.py"
ENTRY_POINT_GROUP = "datamarket"
PROBE_TIMEOUT_SECONDS = 60
TESTS_TIMEOUT_SECONDS = 600
MARKS = {"pass": "✓", "fail": "✗", "warn": "!", "detail": " "}


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``status`` is "pass", "fail" or "warn" ("detail" lines say more
    about the line before them); ``fix`` says what to do."""

    status: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        line = f"{MARKS[self.status]} {self.message}"
        return f"{line} — {self.fix}" if self.fix else line


@dataclass(frozen=True)
class CheckReport:
    findings: list[Finding]

    @property
    def problems(self) -> int:
        return sum(f.status == "fail" for f in self.findings)

    @property
    def ok(self) -> bool:
        return self.problems == 0


#: Looks a credit code up on the platform this machine runs: (organization name, verified?),
#: or None when no organization has it; raises LookupError when the platform cannot be read.
PlatformMerchant = Callable[[str], "tuple[str, bool] | None"]


def check_plugin(path: Path, *, validate_merchant: Callable[[str], object],
                 platform_merchant: PlatformMerchant | None = None,
                 run_tests: bool = True) -> CheckReport:
    """Check the plugin distribution in the folder ``path``.

    :param validate_merchant: checks the manifest's merchant credit code, raising
        :class:`~marketplace.errors.ValidationFailed` with a message for the merchant (the
        accounts domain owns that rule; the command passes it in).
    :param platform_merchant: where there is a platform to ask, whether the manifest's merchant
        is one of its verified merchants (None: no platform here, not checked).
    """
    folder = Path(path).resolve()
    findings: list[Finding] = []
    entry_points = check_distribution(folder, findings)
    if entry_points:
        facts = probe_plugin(folder, entry_points, findings)
        manifest = (facts or {}).get("manifest")
        if manifest is not None:
            # Shown right after the manifest line it is about.
            after = next((i + 1 for i, f in enumerate(findings)
                          if f.message.startswith("manifest")), len(findings))
            findings[after:after] = check_merchant(manifest.get("merchant", ""),
                                                   validate_merchant, platform_merchant)
        if facts is not None:
            run_operations(folder, facts.get("examples", []), findings)
            check_readme(folder, facts.get("operations", []), findings)
    # Without an entry point this is not a plugin's folder, and its tests are not a plugin's.
    if run_tests and entry_points:
        run_plugin_tests(folder, findings)
    return CheckReport(findings)


def check_distribution(folder: Path, findings: list[Finding]) -> list[tuple[str, str]]:
    """Check ``folder/pyproject.toml``; return its ``datamarket`` entry points as (name, value)."""
    if not folder.is_dir():
        findings.append(Finding("fail", f"{folder} is not a folder",
                                "give the folder that holds the plugin's pyproject.toml"))
        return []
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        findings.append(Finding(
            "fail", f"no pyproject.toml in {folder}",
            "run the check on the plugin's own folder, or start one with "
            "'datamarket plugin new NAME'",
        ))
        return []
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except tomllib.TOMLDecodeError as exc:
        findings.append(Finding("fail", f"pyproject.toml is not valid TOML: {exc}",
                                "fix the line it names"))
        return []
    entry_points = project.get("entry-points", {}).get(ENTRY_POINT_GROUP, {})
    if entry_points:
        names = ", ".join(f"{name} = {value}" for name, value in entry_points.items())
        findings.append(Finding("pass", f"pyproject.toml declares the entry point {names}"))
    else:
        findings.append(Finding(
            "fail", "pyproject.toml declares no 'datamarket' entry point, so the platform "
            "would never find the plugin",
            "add a [project.entry-points.datamarket] table with a line such as "
            "my_plugin = \"datamarket_my_plugin.plugin\"",
        ))
    check_dependencies(project.get("dependencies", []), findings)
    return [(str(name), str(value)) for name, value in entry_points.items()]


def check_dependencies(dependencies: list[str], findings: list[Finding]) -> None:
    names = set()
    for line in dependencies:
        try:
            names.add(Requirement(line).name.lower().replace("_", "-"))
        except InvalidRequirement:
            findings.append(Finding("fail", f"dependency {line!r} is not a valid requirement",
                                    "write it as in 'datamarket-sdk>=0.1,<0.2'"))
    if "datamarket" in names:
        findings.append(Finding("fail", "the plugin depends on the platform (datamarket)",
                                "depend on datamarket-sdk only; the platform installs it"))
    if "datamarket-sdk" not in names:
        findings.append(Finding("fail", "the plugin does not depend on datamarket-sdk",
                                "add \"datamarket-sdk>=0.1,<0.2\" to [project] dependencies"))


def probe_plugin(
    folder: Path, entry_points: list[tuple[str, str]], findings: list[Finding]
) -> dict | None:
    """Import and inspect the plugin in a subprocess; return what it learnt (the manifest's
    fields, the operations' examples), or None if the probe itself did not finish."""
    with tempfile.TemporaryDirectory(prefix="datamarket-check-") as scratch:
        report = Path(scratch) / "report.json"
        command = [sys.executable, "-P", str(PROBE), str(folder), str(report)]
        command += [f"{name}={value}" for name, value in entry_points]
        try:
            completed = subprocess.run(command, cwd=scratch, capture_output=True, text=True,
                                       timeout=PROBE_TIMEOUT_SECONDS,
                                       env=_child_environment(folder))
        except subprocess.TimeoutExpired:
            findings.append(Finding(
                "fail", f"importing the plugin and calling its registration hooks did not "
                f"finish within {PROBE_TIMEOUT_SECONDS} seconds",
                "do no slow work (network, large files) at import time or in those hooks",
            ))
            return None
        if not report.is_file():
            last = (completed.stderr.strip().splitlines() or ["(no output)"])[-1]
            findings.append(Finding(
                "fail", f"importing the plugin stopped the checker (exit code "
                f"{completed.returncode}): {last}",
                "a plugin must not exit or crash the process when it is imported",
            ))
            return None
        data = json.loads(report.read_text(encoding="utf-8"))
    findings.extend(Finding(**item) for item in data["findings"])
    return data["facts"]


def run_operations(folder: Path, examples: list[dict], findings: list[Finding]) -> None:
    """Call each operation on its example input, unless the plugin would not load as it is."""
    from marketplace.plugins.check_run import run_examples  # it builds on this module

    if not examples:
        return
    if any(f.status == "fail" for f in findings):
        findings.append(Finding("warn", "the operations were not run on their example inputs, "
                                "because the plugin would not load as it is",
                                "fix the problems above, then check again"))
        return
    findings.extend(run_examples(folder, examples))


def check_readme(folder: Path, operations: list[str], findings: list[Finding]) -> None:
    """Warn when the README still describes the scaffold's example operation."""
    readme = next((path for path in sorted(folder.glob("README*")) if path.is_file()), None)
    if readme is None or EXAMPLE_OPERATION in operations:
        return
    text = readme.read_text(encoding="utf-8", errors="replace")
    if EXAMPLE_OPERATION in text:
        findings.append(Finding(
            "warn", f"{readme.name} still describes the example operation {EXAMPLE_OPERATION}, "
            "which the plugin no longer has",
            f"describe your own operations ({', '.join(operations) or 'none yet'}) in "
            f"{readme.name}: it is the distribution's description",
        ))


def check_merchant(merchant: str, validate: Callable[[str], object],
                   platform_merchant: PlatformMerchant | None = None) -> list[Finding]:
    """The manifest's merchant must be a unified social credit code, or "" for the platform;
    where a platform can be asked, one of its verified merchants."""
    if not merchant:
        return [Finding(
            "warn", "the manifest names no merchant, so the plugin counts as a platform plugin "
            "and its operations cannot be attached to your listings",
            "set MERCHANT to your organization's unified social credit code",
        )]
    try:
        validate(merchant)
    except ValidationFailed as exc:
        return [Finding("fail", f"manifest merchant {merchant!r}: {exc}",
                        "use your organization's unified social credit code")]
    valid = Finding("pass", f"manifest merchant {merchant} is a valid credit code")
    if platform_merchant is None:
        return [valid]
    return [valid, _merchant_on_platform(merchant, platform_merchant)]


def _merchant_on_platform(merchant: str, platform_merchant: PlatformMerchant) -> Finding:
    """Whether this machine's platform knows the merchant: an operation of a plugin whose
    merchant is nobody's organization appears in no merchant's listing editor."""
    try:
        found = platform_merchant(merchant)
    except LookupError as exc:
        return Finding("warn", f"could not ask the platform whether {merchant} is one of its "
                       f"merchants: {exc}", "check DATABASE_URL")
    if found is None:
        return Finding(
            "warn", f"no merchant organization on this platform has the credit code {merchant},"
            " so the plugin's operations will appear in no merchant's listing editor",
            "set MERCHANT (in the package's __init__.py) to your organization's code: "
            "'datamarket whoami --email EMAIL' prints it")
    name, verified = found
    if not verified:
        return Finding(
            "warn", f"merchant {merchant} is {name}, not verified yet on this platform: you can "
            "attach the operations to a listing, which is published once an admin verifies "
            "the organization", "ask the platform's admins to verify it")
    return Finding("pass", f"merchant {merchant} is {name}, a verified merchant on this platform")


def run_plugin_tests(folder: Path, findings: list[Finding]) -> None:
    """Run the plugin's tests with pytest in a subprocess and report the counts."""
    with tempfile.TemporaryDirectory(prefix="datamarket-check-") as scratch:
        junit = Path(scratch) / "junit.xml"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   f"--junitxml={junit}"]
        try:
            completed = subprocess.run(command, cwd=folder, capture_output=True, text=True,
                                       timeout=TESTS_TIMEOUT_SECONDS,
                                       env=_child_environment(folder))
        except subprocess.TimeoutExpired:
            findings.append(Finding("fail", f"the tests did not finish within "
                                    f"{TESTS_TIMEOUT_SECONDS} seconds",
                                    "look for a test that waits forever"))
            return
        if completed.returncode == 5:  # pytest: no tests collected
            findings.append(Finding("fail", "the plugin has no tests",
                                    "add tests/test_plugin.py; 'datamarket plugin new' shows one "
                                    "written with the SDK's fixtures"))
            return
        counts, failures = _junit_results(junit)
    if counts is None:
        last = (completed.stdout.strip().splitlines() or ["(no output)"])[-1]
        findings.append(Finding("fail", f"pytest could not run the tests: {last}",
                                f"run 'python -m pytest' in {folder} to see why"))
        return
    summary = ", ".join(f"{n} {word}" for word, n in counts.items() if n) or "0 tests"
    if completed.returncode == 0:
        findings.append(Finding("pass", f"tests: {summary}"))
        return
    findings.append(Finding("fail", f"tests: {summary}",
                            f"run 'python -m pytest' in {folder} to see the failures"))
    findings.extend(Finding("detail", f"  {name}: {message}") for name, message in failures)


def _junit_results(junit: Path) -> tuple[dict[str, int] | None, list[tuple[str, str]]]:
    """Counts by outcome and (test, first line of its message) per failure, from JUnit XML."""
    if not junit.is_file():
        return None, []
    root = ET.parse(junit).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    failures: list[tuple[str, str]] = []
    for suite in suites:
        for case in suite.iter("testcase"):
            outcome = next((child for child in case
                            if child.tag in {"failure", "error", "skipped"}), None)
            key = {"failure": "failed", "error": "errors", "skipped": "skipped"}.get(
                outcome.tag if outcome is not None else "", "passed")
            counts[key] += 1
            if key in {"failed", "errors"}:
                message = (outcome.get("message") or "").strip().splitlines() or ["(no message)"]
                failures.append((f"{case.get('classname')}.{case.get('name')}", message[0]))
    return counts, failures


def _child_environment(folder: Path) -> dict[str, str]:
    """This environment, with the plugin folder importable and no trace of a running pytest."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTEST_XDIST", "PYTEST_CURRENT_TEST"))}
    paths = [str(folder / "src"), str(folder)] if (folder / "src").is_dir() else [str(folder)]
    env["PYTHONPATH"] = os.pathsep.join([*paths, *filter(None, [env.get("PYTHONPATH")])])
    return env
