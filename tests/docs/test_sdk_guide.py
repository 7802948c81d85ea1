"""Every example in docs/sdk.md runs, in order, as a reader following the guide would run it.

The guide's fenced blocks are executed top to bottom in a temporary working folder:

- ```` ```python ```` blocks run in one namespace for the whole document (a module registered in
  ``sys.modules``, so pydantic models defined in the guide resolve their annotations);
  ```` ```python file=PATH ```` blocks are also written to PATH (relative to the current folder)
  first, which is how the guide edits the files of the plugin it generated;
- ```` ```python no-run ```` blocks are shown, never run (kept for platform-only steps);
- ```` ```console ```` blocks run their ``$ datamarket plugin ...``, ``$ cd ...`` and
  ``$ python -m pytest`` lines, each of which must succeed; other commands (``pip install``, the
  web server) change the environment and are only shown.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from marketplace.cli import main as datamarket

REPO_ROOT = Path(__file__).resolve().parents[2]
GUIDE = REPO_ROOT / "docs" / "sdk.md"
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    language: str
    body: str
    line: int
    flags: frozenset[str] = frozenset()
    options: dict[str, str] = field(default_factory=dict)


def read_blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown document, with their info-string words."""
    blocks = []
    for match in FENCE.finditer(text):
        language, *words = match.group("info").split() or [""]
        blocks.append(Block(
            language=language,
            body=match.group("body"),
            line=text.count("\n", 0, match.start()) + 1,
            flags=frozenset(w for w in words if "=" not in w),
            options=dict(w.split("=", 1) for w in words if "=" in w),
        ))
    return blocks


def _subprocess_environment() -> dict[str, str]:
    # The guide's commands run as a merchant's would: not as part of this pytest run.
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT_TEST"))}


def console_commands(block: Block) -> list[tuple[str, list[str]]]:
    """(command, the output lines the guide shows after it) for each ``$`` line of a block."""
    commands: list[tuple[str, list[str]]] = []
    for line in block.body.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:].split("  #", 1)[0].strip(), []))
        elif commands and line.strip():
            commands[-1][1].append(line.strip())
    return commands


def run_console(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    for command, shown in console_commands(block):
        words = shlex.split(command)
        where = f"docs/sdk.md line {block.line}: $ {command}"
        if words[:2] == ["datamarket", "plugin"]:
            result = CliRunner().invoke(datamarket, words[1:], catch_exceptions=False)
            assert result.exit_code == 0, f"{where}\n{result.output}"
            printed = {line.strip() for line in result.output.splitlines()}
            # What the guide shows the command printing, it prints.
            missing = [line for line in shown if line not in printed]
            assert not missing, f"{where}: the guide shows lines it did not print: {missing}\n" \
                f"it printed:\n{result.output}"
            # and every warning it prints, the guide shows (and explains).
            unshown = [line for line in printed if line.startswith(("!", "✗"))
                       and line not in shown]
            assert not unshown, f"{where}: the guide does not show the warnings {unshown}"
        elif words[0] == "cd":
            monkeypatch.chdir(Path(words[1]))
            monkeypatch.syspath_prepend(str(Path.cwd()))
        elif words[:3] == ["python", "-m", "pytest"]:
            completed = subprocess.run([sys.executable, *words[1:], "-p", "no:cacheprovider"],
                                       capture_output=True, text=True, timeout=300,
                                       env=_subprocess_environment())
            assert completed.returncode == 0, f"{where}\n{completed.stdout}\n{completed.stderr}"


def run_python(block: Block, module: types.ModuleType) -> None:
    if "file" in block.options:
        target = Path(block.options["file"])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.body, encoding="utf-8")
    code = compile(block.body, f"docs/sdk.md (block at line {block.line})", "exec")
    exec(code, module.__dict__)  # noqa: S102 - running the guide's examples is the point


def test_the_guide_has_examples_of_each_kind():
    blocks = read_blocks(GUIDE.read_text(encoding="utf-8"))
    python = [b for b in blocks if b.language == "python"]
    assert len(python) >= 5
    assert sum("no-run" in b.flags for b in python) <= 2, "keep no-run blocks rare"
    assert any(b.language == "console" and "datamarket plugin new" in b.body for b in blocks)
    assert any(b.language == "console" and "datamarket plugin check" in b.body for b in blocks)


@pytest.fixture
def forget_modules_imported_from(tmp_path):
    """The guide imports the plugin it writes; drop those modules from sys.modules afterwards."""
    yield
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None) or ""
        if location.startswith(str(tmp_path)):
            del sys.modules[name]


def test_every_example_in_the_guide_runs(tmp_path, monkeypatch, forget_modules_imported_from):
    monkeypatch.chdir(tmp_path)
    module = types.ModuleType("sdk_guide")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    for block in read_blocks(GUIDE.read_text(encoding="utf-8")):
        if block.language == "console":
            run_console(block, monkeypatch)
        elif block.language == "python" and "no-run" not in block.flags:
            run_python(block, module)
        elif "file" in block.options:  # a file the reader writes, such as the README
            target = Path(block.options["file"])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.body, encoding="utf-8")


def test_the_block_reader_sees_languages_flags_and_options():
    text = ("Intro\n\n```python\nx = 1\n```\n\n```python no-run\nboom()\n```\n\n"
            "```python file=pkg/mod.py\ny = 2\n```\n")
    first, second, third = read_blocks(text)
    assert (first.language, first.body, first.line) == ("python", "x = 1\n", 3)
    assert "no-run" in second.flags
    assert third.options == {"file": "pkg/mod.py"}


def test_console_blocks_split_into_commands_and_their_output():
    block = Block("console", "$ cd x\n$ datamarket plugin check .  # the comment\n✓ fine\n\n",
                  1)
    assert console_commands(block) == [("cd x", []), ("datamarket plugin check .", ["✓ fine"])]
