"""Every example in docs/sdk.md runs, in order, as a reader following the guide would run it: the
tutorial, from ``datamarket plugin new`` to a buyer's metered call through the gateway.

The guide's fenced blocks are executed top to bottom in a temporary working folder:

- ```` ```python ```` blocks run in one namespace for the whole document (a module registered in
  ``sys.modules``, so pydantic models defined in the guide resolve their annotations);
  ```` ```python file=PATH ```` blocks are also written to PATH (relative to the current folder)
  first, which is how the guide edits the files of the plugin it generated;
- ```` ```python no-run ```` blocks are shown, never run (kept for platform-only steps);
- ```` ```console ```` blocks run each ``$`` line, which must succeed, and what the guide shows a
  ``datamarket`` command printing it must print. They are the reader's shell commands, counted:
  from an installed platform to an approved listing, and then the buyer's call. A
  ```` ```console aside ```` block (an alternative or a look around, such as ``whoami``) runs
  the same way but is not a step; a ```` ```console install ```` block installs the platform
  itself, which the tutorial starts from, and is only shown.

Commands that change the reader's environment or the platform's processes are played on a test
platform (tests/docs/tutorial_support.py): ``pip install -e .`` installs into a folder of the
test's own, ``make ... run`` restarts the platform (a new app that discovers the plugin), and
``curl`` runs as written against that platform served on a free port, with the test platform's
address and product number in place of the guide's. Between the commands, when the reader
reaches the buyer's section, the browser steps the guide describes (the listing editor, Check
now, submitting, the admin's approval, buying, the keys page) are made over the platform's HTTP
routes.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from marketplace.cli import main as datamarket
from tests.docs.tutorial_support import Platform

REPO_ROOT = Path(__file__).resolve().parents[2]
GUIDE = REPO_ROOT / "docs" / "sdk.md"
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^## (?P<title>.+)$", re.MULTILINE)
#: The section where the buyer calls; the reader's steps before it end at an approved listing.
BUYER_SECTION = "10. The buyer's call"
#: Shell commands from an installed platform to an approved listing (issue 17's goal).
MAX_STEPS = 5
#: The platform's address and the product's number in the guide's curl line.
GUIDE_ADDRESS = "http://127.0.0.1:8000"
GUIDE_PRODUCT = "/api/v1/gateway/1/"


@dataclass(frozen=True)
class Block:
    language: str
    body: str
    line: int
    flags: frozenset[str] = frozenset()
    options: dict[str, str] = field(default_factory=dict)
    section: str = ""


def read_blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown document, with their info-string words and the
    ``##`` section each is in."""
    blocks = []
    spans = [(m.start(), m.end()) for m in FENCE.finditer(text)]
    headings = [(m.start(), m.group("title").strip()) for m in HEADING.finditer(text)
                if not any(start < m.start() < end for start, end in spans)]
    for match in FENCE.finditer(text):
        language, *words = match.group("info").split() or [""]
        blocks.append(Block(
            language=language,
            body=match.group("body"),
            line=text.count("\n", 0, match.start()) + 1,
            flags=frozenset(w for w in words if "=" not in w),
            options=dict(w.split("=", 1) for w in words if "=" in w),
            section=next((title for at, title in reversed(headings) if at < match.start()), ""),
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


@dataclass
class Reader:
    """The reader's shell: where the commands run, and those counted as the tutorial's steps."""

    monkeypatch: pytest.MonkeyPatch
    platform: Platform
    steps: list[str] = field(default_factory=list)
    buyer_steps: list[str] = field(default_factory=list)
    product: int | None = None
    answers: list[subprocess.CompletedProcess] = field(default_factory=list)


def run_console(block: Block, reader: Reader) -> None:
    if "install" in block.flags:
        return  # installing the platform itself: where the tutorial starts from
    for command, shown in console_commands(block):
        if "aside" not in block.flags:
            counted = reader.buyer_steps if block.section == BUYER_SECTION else reader.steps
            counted.append(command)
        words = shlex.split(command)
        where = f"docs/sdk.md line {block.line}: $ {command}"
        if words[0] == "datamarket":
            run_datamarket(words[1:], shown, where)
        elif words[0] == "cd":
            reader.monkeypatch.chdir(Path(words[1]))
            reader.monkeypatch.syspath_prepend(str(Path.cwd()))
        elif words[:3] == ["python", "-m", "pytest"]:
            completed = subprocess.run([sys.executable, *words[1:], "-p", "no:cacheprovider"],
                                       capture_output=True, text=True, timeout=300,
                                       env=_subprocess_environment())
            assert completed.returncode == 0, f"{where}\n{completed.stdout}\n{completed.stderr}"
        elif words[:5] == ["python", "-m", "pip", "install", "-e"] and words[5:] == ["."]:
            reader.platform.install(Path.cwd())
        elif words[0] == "make" and words[-1] == "run":
            reader.platform.restart()
        elif words[0] == "curl":
            reader.answers.append(run_curl(command, shown, reader, where))
        else:
            pytest.fail(f"{where}: the guide shows a command this runner cannot play")


def run_datamarket(args: list[str], shown: list[str], where: str) -> None:
    result = CliRunner().invoke(datamarket, args, catch_exceptions=False)
    assert result.exit_code == 0, f"{where}\n{result.output}"
    printed = {line.strip() for line in result.output.splitlines()}
    # What the guide shows the command printing, it prints.
    missing = [line for line in shown if line not in printed]
    assert not missing, f"{where}: the guide shows lines it did not print: {missing}\n" \
        f"it printed:\n{result.output}"
    # and every warning it prints, the guide shows (and explains).
    unshown = [line for line in printed if line.startswith(("!", "✗")) and line not in shown]
    assert not unshown, f"{where}: the guide does not show the warnings {unshown}"


def run_curl(command: str, shown: list[str], reader: Reader,
             where: str) -> subprocess.CompletedProcess:
    """The guide's curl line, run by a shell as written, with the test platform's address and
    product number in place of the guide's and the buyer's key in ``DATAMARKET_KEY``."""
    assert shutil.which("curl"), "curl is needed to run the guide's buyer's call"
    assert GUIDE_ADDRESS in command and GUIDE_PRODUCT in command, where
    line = command.replace(GUIDE_ADDRESS, reader.platform.serve()).replace(
        GUIDE_PRODUCT, f"/api/v1/gateway/{reader.product}/")
    completed = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=60,
                               env={**_subprocess_environment(),
                                    "DATAMARKET_KEY": reader.platform.key})
    assert completed.returncode == 0, f"{where}\n{completed.stderr}"
    printed = [line.strip() for line in completed.stdout.splitlines()]
    missing = [line for line in shown if line not in printed]
    assert not missing, f"{where}: the guide shows lines it did not print: {missing}\n" \
        f"it printed:\n{completed.stdout}"
    return completed


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
    assert any(b.language == "console" and b.section == BUYER_SECTION and "curl" in b.body
               for b in blocks)


@pytest.fixture
def forget_modules_imported_from(tmp_path):
    """The guide imports the plugin it writes; drop those modules from sys.modules afterwards."""
    yield
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None) or ""
        if location.startswith(str(tmp_path)):
            del sys.modules[name]


@pytest.fixture
def platform(app_config, db, monkeypatch, tmp_path, localstripe):
    platform = Platform(app_config, db, monkeypatch, tmp_path / "site").set_up()
    yield platform
    platform.stop()


def test_the_tutorial_runs_as_written_to_a_metered_call(tmp_path, monkeypatch, platform,
                                                         forget_modules_imported_from):
    """From ``datamarket plugin new`` to a buyer's metered call through the gateway with a key,
    in at most five shell commands to an approved listing, plus the buyer's call."""
    workdir = tmp_path / "reader"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    module = types.ModuleType("sdk_guide")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    reader = Reader(monkeypatch, platform)
    for block in read_blocks(GUIDE.read_text(encoding="utf-8")):
        if block.section == BUYER_SECTION and reader.product is None:
            # The reader has followed §8 and §9 in the browser; the buyer §10's first steps.
            platform.list_and_get_approved()
            reader.product = platform.buy_and_make_key()
        if block.language == "console":
            run_console(block, reader)
        elif block.language == "python" and "no-run" not in block.flags:
            run_python(block, module)
        elif "file" in block.options:  # a file the reader writes, such as the README
            target = Path(block.options["file"])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.body, encoding="utf-8")

    assert reader.steps[0].startswith("datamarket plugin new"), reader.steps
    assert len(reader.steps) <= MAX_STEPS, \
        f"{len(reader.steps)} shell commands to an approved listing: {reader.steps}"
    assert [step.split()[0] for step in reader.buyer_steps] == ["curl"]
    # The call was metered: a usage record, and the quota header one lower on the next call.
    assert len(reader.answers) == 1 and platform.usage_records() == 1
    again = run_curl(reader.buyer_steps[0], ["X-Quota-Remaining: 998"], reader,
                     "the buyer's call, made again")
    assert '"registered":true' in again.stdout
    assert platform.usage_records() == 2


def test_the_block_reader_sees_languages_flags_options_and_sections():
    text = ("## Intro\n\n```python\nx = 1\n```\n\n```python no-run\nboom()\n```\n\n"
            "## 2. Next\n\n```python file=pkg/mod.py\ny = 2\n```\n\n"
            "```markdown\n## not a section\n```\n\n```console aside\n$ ls\n```\n")
    first, second, third, fourth, fifth = read_blocks(text)
    assert (first.language, first.body, first.line) == ("python", "x = 1\n", 3)
    assert "no-run" in second.flags
    assert third.options == {"file": "pkg/mod.py"}
    assert [b.section for b in (first, second, third)] == ["Intro", "Intro", "2. Next"]
    assert fifth.section == "2. Next" and "aside" in fifth.flags  # not the block's heading


def test_console_blocks_split_into_commands_and_their_output():
    block = Block("console", "$ cd x\n$ datamarket plugin check .  # the comment\n✓ fine\n\n",
                  1)
    assert console_commands(block) == [("cd x", []), ("datamarket plugin check .", ["✓ fine"])]
