"""Import a plugin and inspect it, in a process of its own: the live half of ``plugin check``.

``marketplace.plugins.check`` runs this file as a script (``python -P probe.py FOLDER REPORT
NAME=VALUE...``), so a plugin that crashes, hangs or calls ``sys.exit`` at import takes this
process down, never the command line. It imports nothing of the platform, only the SDK, pluggy and
pydantic, as the platform's runtime would see the plugin. The findings are written as JSON to the
REPORT file, because the plugin itself may print to stdout.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import json
import os
import shlex
import sys
import traceback
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pluggy
from datamarket_sdk import GovernanceStep, Manifest, ModelSpec, Operation, hookimpl, hookspecs
from datamarket_sdk.compat import check_sdk_compatibility
from packaging.version import InvalidVersion, Version
from pydantic import ValidationError

PROJECT = hookimpl.project_name
#: Modules a plugin must not bring in: it gets a Context, never the platform or its web stack.
PLATFORM_MODULES = ("marketplace", "flask")


class Findings:
    """What the probe found: each finding is passed, failed or a warning, with how to fix it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.items: list[dict[str, str]] = []
        self.facts: dict[str, Any] = {}

    def passed(self, message: str) -> None:
        self.items.append({"status": "pass", "message": message, "fix": ""})

    def failed(self, message: str, fix: str) -> None:
        self.items.append({"status": "fail", "message": message, "fix": fix})

    def warned(self, message: str, fix: str) -> None:
        self.items.append({"status": "warn", "message": message, "fix": fix})


def new_plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(hookspecs)
    return manager


def hook_names() -> list[str]:
    return sorted(n for n in dir(hookspecs) if n.startswith(f"{PROJECT}_"))


def exception_line(exc: BaseException, folder: Path) -> str:
    """``ExcType: first line of the message (at path/file.py, line N)``, the line being the
    innermost one inside the plugin's folder."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return (f"{type(exc).__name__}: {exc.msg} "
                f"(at {_relative(Path(exc.filename), folder)}, line {exc.lineno})")
    message = (str(exc).strip().splitlines() or [""])[0]
    summary = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if Path(f.filename).resolve().is_relative_to(folder)]
    if frames:
        summary += f" (at {_relative(Path(frames[-1].filename), folder)}, line {frames[-1].lineno})"
    return summary


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.resolve().relative_to(folder).as_posix()
    except ValueError:
        return str(path)


def import_fix(exc: BaseException, module: str, folder: Path) -> str:
    """How to fix an import failure, with a command that fails the same way: the platform's
    Python, importing from another folder than the plugin's, as the platform does."""
    paths = os.pathsep.join(str(p) for p in (folder / "src", folder) if p.is_dir())
    command = (f"cd / && PYTHONPATH={shlex.quote(paths)} {shlex.quote(sys.executable)} "
               f"-c 'import {module}'")
    if isinstance(exc, FileNotFoundError) and exc.filename \
            and not Path(str(exc.filename)).is_absolute():
        return (f"the platform does not run the plugin from its folder: open '{exc.filename}' "
                "relative to the module, as Path(__file__).parent / ...; to see it fail: "
                + command)
    if isinstance(exc, ModuleNotFoundError) and exc.name \
            and not any((root / exc.name.split(".")[0]).exists()
                        for root in (folder, folder / "src")):
        return (f"{exc.name} is not installed next to the platform: list it in [project] "
                f"dependencies and install the plugin with {shlex.quote(sys.executable)} -m pip "
                "install -e .")
    return f"fix the error; to see the full traceback as the platform meets it: {command}"


def import_entry_point(name: str, value: str, folder: Path, findings: Findings) -> Any | None:
    """The object the entry point names, or None after recording why it could not be imported."""
    module_name, _, attribute = value.partition(":")
    before = set(sys.modules)
    try:
        target = importlib.import_module(module_name.strip())
        for part in filter(None, attribute.strip().split(".")):
            target = getattr(target, part)
    except BaseException as exc:  # noqa: BLE001 - a plugin may raise anything, even SystemExit
        findings.failed(
            f"entry point '{name}' = '{value}' does not import: {exception_line(exc, folder)}",
            import_fix(exc, module_name.strip(), folder),
        )
        return None
    brought_in = sorted({m.split(".")[0] for m in set(sys.modules) - before}
                        & set(PLATFORM_MODULES))
    if brought_in:
        findings.failed(
            f"importing '{value}' imports {', '.join(brought_in)}",
            "a plugin imports datamarket_sdk only; everything a call may know comes in its Context",
        )
    else:
        findings.passed(f"entry point '{name}' imports {value}")
    return target


def check_hooks(plugin: Any, label: str, findings: Findings) -> SimpleNamespace:
    """Check every hook implementation on its own; return a plugin holding the valid ones."""
    known = hook_names()
    valid: dict[str, Any] = {}
    for attr in sorted(dir(plugin)):
        if not attr.startswith(f"{PROJECT}_"):
            continue
        function = getattr(plugin, attr, None)
        if not callable(function) or inspect.isclass(function):
            continue
        if getattr(function, f"{PROJECT}_impl", None) is None:
            findings.failed(
                f"{attr} in {label} is not marked as a hook implementation, so it would never "
                "be called",
                "put @hookimpl (from datamarket_sdk import hookimpl) on the line above it",
            )
            continue
        if attr not in known:
            close = difflib.get_close_matches(attr, known, n=1)
            hint = f"did you mean {close[0]}?" if close else \
                f"the hooks are: {', '.join(known)}"
            findings.failed(f"{attr} in {label} is not a Datamarket hook", hint)
            continue
        defaults = [p.name for p in inspect.signature(function).parameters.values()
                    if p.default is not inspect.Parameter.empty]
        if defaults:
            findings.failed(
                f"{attr} gives a default value to {', '.join(defaults)}: the platform never "
                "passes a parameter that has a default",
                "remove the default value (take only the parameters you use, without defaults)",
            )
            continue
        manager = new_plugin_manager()
        try:
            manager.register(SimpleNamespace(**{attr: function}), name=label)
            manager.check_pending()
        except pluggy.PluginValidationError as exc:
            findings.failed(*_signature_problem(attr, function, exc))
            continue
        valid[attr] = function
    if valid:
        findings.passed(f"hooks registered and checked by pluggy: {', '.join(sorted(valid))}")
    return SimpleNamespace(**valid)


def _signature_problem(hook: str, function: Any,
                       exc: pluggy.PluginValidationError) -> tuple[str, str]:
    """(problem, fix) for an implementation pluggy refused, in a merchant's words."""
    passed = list(inspect.signature(getattr(hookspecs, hook)).parameters)
    taken = list(inspect.signature(function).parameters)
    unknown = [name for name in taken if name not in passed]
    fix = (f"{hook} is given {', '.join(passed)}: take any of those, by the same names"
           if passed else f"{hook} is given nothing: take no parameters")
    if unknown:
        return (f"{hook}({', '.join(taken)}) asks for {', '.join(unknown)}, which the hook "
                "does not pass", fix)
    return f"pluggy refused {hook}: {' '.join(str(exc).split())}", fix


def call_hook(plugin: SimpleNamespace, hook: str, findings: Findings) -> tuple[bool, Any]:
    """(True, result) of calling the registration hook ``hook``; (False, None) if it raised."""
    try:
        return True, getattr(plugin, hook)()
    except BaseException as exc:  # noqa: BLE001 - a plugin may raise anything
        findings.failed(f"{hook}() raised {exception_line(exc, findings.folder)}",
                        f"correct what the error says, at the line shown: the platform calls "
                        f"{hook}() when it loads the plugin")
        return False, None


def check_manifest(plugin: SimpleNamespace, entry_point: str, findings: Findings) -> None:
    hook = f"{PROJECT}_plugin_manifest"
    if not hasattr(plugin, hook):
        findings.failed(
            f"no {hook}: every plugin must say who it is",
            f"add @hookimpl def {hook}() -> Manifest returning Manifest(name=..., version=..., "
            "merchant=..., sdk=\">=0.1,<0.2\")",
        )
        return
    ok, manifest = call_hook(plugin, hook, findings)
    if not ok:
        return
    if not isinstance(manifest, Manifest):
        findings.failed(
            f"{hook}() returned {type(manifest).__name__}, not a Manifest",
            "return datamarket_sdk.Manifest(name=..., version=..., merchant=..., sdk=...)",
        )
        return
    # Manifest checks its name itself when it is built; the version's form and the SDK range
    # are left to us.
    problems = False
    try:
        Version(str(manifest.version))
    except InvalidVersion:
        problems = True
        findings.failed(f"manifest version {manifest.version!r} is not a version number",
                        "use a PEP 440 version such as \"0.1.0\"")
    incompatible = check_sdk_compatibility(str(manifest.sdk))
    if incompatible:
        problems = True
        findings.failed(f"manifest SDK range: {incompatible}",
                        "set sdk=\">=0.1,<0.2\" and test the plugin against this SDK")
    findings.facts["manifest"] = {
        "name": manifest.name, "version": manifest.version, "merchant": manifest.merchant,
        "sdk": manifest.sdk, "title": manifest.title,
    }
    if not problems:
        findings.passed(f"manifest: {manifest.name} {manifest.version}, SDK {manifest.sdk}")
    if manifest.name != entry_point:
        findings.warned(
            f"the entry point is called '{entry_point}' but the manifest name is "
            f"'{manifest.name}'",
            "give both the same name, so the admin and the merchant see one name",
        )
    if not manifest.title:
        findings.warned("the manifest has no title",
                        "add title=\"...\": admins see it on the plugins page")


def check_operations(plugin: SimpleNamespace, findings: Findings) -> list[Operation]:
    """Check the operations; return those sound enough to be run on their example input."""
    hook = f"{PROJECT}_operations"
    if not hasattr(plugin, hook):
        return []
    ok, operations = call_hook(plugin, hook, findings)
    if not ok:
        return []
    if not isinstance(operations, list | tuple):
        findings.failed(f"{hook}() returned {type(operations).__name__}, not a list",
                        "return a list of datamarket_sdk.Operation")
        return []
    runnable: list[Operation] = []
    seen: set[str] = set()
    for index, operation in enumerate(operations):
        if not isinstance(operation, Operation):
            findings.failed(f"{hook}() item {index} is a {type(operation).__name__}, "
                            "not an Operation", "return datamarket_sdk.Operation(...) objects")
            continue
        findings.facts.setdefault("operations", []).append(operation.name)
        if check_operation(operation, seen, findings) and operation.example_input is not None:
            runnable.append(operation)
        seen.add(operation.name)
    if not operations:
        findings.warned(f"{hook}() returns no operations",
                        "return at least one Operation, or remove the hook")
    return runnable


def check_operation(operation: Operation, seen: set[str], findings: Findings) -> bool:
    """Check what an Operation cannot check when it is built (it checks its own name, summary
    and models): a name unique in the plugin, models JSON Schema can express, and an example
    input that the input model accepts."""
    label = f"operation {operation.name!r}"
    problems_before = sum(item["status"] == "fail" for item in findings.items)
    if operation.name in seen:
        findings.failed(f"{label} is defined twice", "give every operation a name of its own")
    for side in ("input", "output"):
        try:
            json.dumps(getattr(operation, f"{side}_schema")())
        except Exception as exc:  # noqa: BLE001 - pydantic raises several kinds here
            findings.failed(
                f"{label}: the {side} model does not produce a JSON Schema: "
                f"{exception_line(exc, findings.folder)}",
                "use field types JSON can carry (str, int, float, bool, lists, nested models)",
            )
    if operation.example_input is None:
        findings.warned(f"{label} has no example_input",
                        "add example_input={...}: the try-it console and the product page "
                        "show it to buyers")
    else:
        try:
            operation.input_model.model_validate(operation.example_input)
        except ValidationError as exc:
            errors = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in exc.errors()
            )
            findings.failed(f"{label}: example_input does not validate ({errors})",
                            "change example_input so that the input model accepts it")
    if sum(item["status"] == "fail" for item in findings.items) != problems_before:
        return False
    findings.passed(f"{label}: summary, input and output schemas, example input")
    return True


def check_other_capabilities(plugin: SimpleNamespace, findings: Findings) -> None:
    """Governance steps and models: the right types, each with a summary."""
    for hook, kind in (("governance_steps", GovernanceStep), ("models", ModelSpec)):
        full = f"{PROJECT}_{hook}"
        if not hasattr(plugin, full):
            continue
        ok, items = call_hook(plugin, full, findings)
        if not ok:
            continue
        if not isinstance(items, list | tuple) or not all(isinstance(i, kind) for i in items):
            findings.failed(f"{full}() must return a list of {kind.__name__}",
                            f"return [datamarket_sdk.{kind.__name__}(...), ...]")
            continue
        unnamed = [i.name for i in items if not str(i.summary or "").strip()]
        if unnamed:
            findings.failed(f"{full}(): {', '.join(unnamed)} without a summary",
                            "add summary=\"...\" to each")
        else:
            findings.passed(f"{full}(): {len(items)} checked")


def probe(folder: Path, entry_points: list[tuple[str, str]]) -> Findings:
    findings = Findings(folder)
    for path in (folder / "src", folder):
        if path.is_dir():
            sys.path.insert(0, str(path))
    for name, value in entry_points:
        plugin = import_entry_point(name, value, folder, findings)
        if plugin is None:
            continue
        valid = check_hooks(plugin, name, findings)
        check_manifest(valid, name, findings)
        # What ``plugin check`` then runs in the plugin's worker process, one call each.
        findings.facts.setdefault("examples", []).extend(
            {"entry_point": name, "value": value, "operation": operation.name,
             "timeout": operation.timeout_seconds, "payload": operation.example_input,
             "output_schema": operation.output_schema()}
            for operation in check_operations(valid, findings))
        check_other_capabilities(valid, findings)
    return findings


def main(argv: list[str]) -> int:
    folder, report = Path(argv[0]).resolve(), Path(argv[1])
    entry_points = [tuple(arg.split("=", 1)) for arg in argv[2:]]
    findings = probe(folder, entry_points)  # type: ignore[arg-type]
    report.write_text(json.dumps({"findings": findings.items, "facts": findings.facts}),
                      encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
