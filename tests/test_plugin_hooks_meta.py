"""Every ``datamarket_*`` hook is documented in the SDK guide and has a test, as Datasette's own
meta-tests require (``test_plugin_hooks_are_documented``, ``test_plugin_hooks_have_tests``)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
from datamarket_sdk import hookspecs

REPO_ROOT = Path(__file__).resolve().parent.parent
GUIDE = REPO_ROOT / "docs" / "sdk.md"
SCRIPT = REPO_ROOT / "scripts" / "gen_hook_reference.py"
TEST_ROOTS = [REPO_ROOT / "tests", REPO_ROOT / "sdk" / "tests",
              *sorted((REPO_ROOT / "plugins").glob("*/tests"))]
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("datamarket_"))


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_hook_reference", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


gen_hook_reference = _load_generator()


def _reference_section() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start, end = text.find(gen_hook_reference.START), text.find(gen_hook_reference.END)
    assert 0 <= start < end, "docs/sdk.md lost its hook-reference markers"
    return text[start:end]


def _test_sources() -> dict[Path, str]:
    """The text of every test module the suites run, except this one."""
    here = Path(__file__).resolve()
    return {path: path.read_text(encoding="utf-8")
            for root in TEST_ROOTS for path in sorted(root.rglob("test_*.py"))
            if path.resolve() != here}


def test_the_hookspec_module_declares_hooks():
    assert "datamarket_plugin_manifest" in HOOKS
    assert len(HOOKS) >= 8


@pytest.mark.parametrize("hook", HOOKS)
def test_plugin_hooks_are_documented(hook):
    headings = re.findall(r"^### (\w+)$", _reference_section(), re.MULTILINE)
    assert hook in headings, (
        f"{hook} is missing from the hook reference in docs/sdk.md; "
        "run python scripts/gen_hook_reference.py"
    )


def test_the_hook_reference_is_up_to_date():
    current = GUIDE.read_text(encoding="utf-8")
    reference = gen_hook_reference.render_reference(gen_hook_reference.read_hookspecs())
    assert gen_hook_reference.replace_reference(current, reference) == current, (
        "the hook reference in docs/sdk.md is stale; run python scripts/gen_hook_reference.py"
    )


def test_the_reference_is_read_from_the_module_the_platform_uses():
    assert sorted(h.name for h in gen_hook_reference.read_hookspecs()) == HOOKS
    assert Path(hookspecs.__file__).resolve() == gen_hook_reference.HOOKSPECS.resolve()


@pytest.mark.parametrize("hook", HOOKS)
def test_plugin_hooks_have_tests(hook):
    mentioned_in = [path for path, text in _test_sources().items()
                    if re.search(rf"\b{hook}\b", text)]
    assert mentioned_in, (
        f"{hook} has no test: no test_*.py under tests/, sdk/tests or plugins/*/tests "
        "mentions it. Add a test that makes a plugin implement it and checks what the "
        "platform does with the result."
    )


def test_the_check_would_notice_a_hook_without_tests():
    sources = _test_sources()
    assert sources, "no test modules found"
    assert not any(re.search(r"\bdatamarket_no_such_hook\b", text) for text in sources.values())
