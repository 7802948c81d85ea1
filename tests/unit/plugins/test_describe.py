"""Discovery describes plugins in a child process: no plugin code runs in the platform process
until an operation of a trusted plugin is called."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from datamarket_sdk import Scope
from sqlmodel import select

from marketplace import create_app
from marketplace.db import get_engine, new_session
from marketplace.plugins import get_runtime, services
from marketplace.plugins.describe import describe_candidates
from marketplace.plugins.errors import PluginFault
from marketplace.plugins.manager import fingerprinted_candidates
from marketplace.plugins.models import PluginIncident

SAMPLES = Path(__file__).resolve().parents[2] / "plugin_samples"
ISOLATION = SAMPLES / "isolation"
BUYER = {"buyer": "buyer-7f3a", "scope": Scope(operations=frozenset({"whoami"}))}


@pytest.fixture
def plugins_dir(tmp_path) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir()
    return folder


@pytest.fixture
def app_config(app_config, plugins_dir):
    return {**app_config, "DATAMARKET_PLUGINS_DIR": str(plugins_dir)}


def add_sample(folder: Path, sample: str) -> Path:
    return Path(shutil.copy(ISOLATION / sample, folder / sample))


def importers(plugin: Path) -> list[int]:
    marker = plugin.with_suffix(".imports")
    if not marker.exists():
        return []
    return [int(line) for line in marker.read_text(encoding="utf-8").split()]


def modules_from(path: Path) -> list[str]:
    return [name for name, module in list(sys.modules.items())
            if getattr(module, "__file__", None) == str(path)]


@pytest.fixture
def marker_plugin(plugins_dir) -> Path:
    path = add_sample(plugins_dir, "import_marker.py")
    yield path
    for name in modules_from(path.resolve()):
        del sys.modules[name]


def set_trusted(app, name: str, trusted: bool) -> None:
    session = new_session(get_engine(app))
    try:
        row = services.find(session, name)
        row.trusted = trusted
        session.add(row)
        session.commit()
    finally:
        session.close()


def test_discovery_imports_a_plugin_in_another_process_and_trusted_calls_import_it_here(
        marker_plugin, app_config):
    plugin = marker_plugin.resolve()
    app = create_app(app_config)
    runtime = get_runtime(app)
    try:
        [describer] = importers(plugin)
        assert describer != os.getpid(), "described in a child process"
        assert modules_from(plugin) == [], "the platform process never imported the plugin"
        info = runtime.operation("import_marker", "whoami")
        assert info.output_schema["required"] == ["pid"]
        assert info.example_input == {}
        runtime.sync()

        # Untrusted: it runs in its worker, still never here.
        answer = runtime.invoke("import_marker", "whoami", {}, **BUYER)
        assert answer["pid"] not in (os.getpid(), describer)
        assert modules_from(plugin) == []
        assert importers(plugin) == [describer, answer["pid"]]

        # Trusted by an admin: imported here on its first call, then reused.
        set_trusted(app, "import_marker", True)
        assert runtime.invoke("import_marker", "whoami", {}, **BUYER) == {"pid": os.getpid()}
        assert runtime.invoke("import_marker", "whoami", {}, **BUYER) == {"pid": os.getpid()}
        assert len(modules_from(plugin)) == 1
        assert importers(plugin) == [describer, answer["pid"], os.getpid()]
    finally:
        runtime.close()
        get_engine(app).dispose()


def test_descriptions_are_cached_until_the_plugin_changes(marker_plugin, app_config):
    plugin = marker_plugin.resolve()
    apps = [create_app(app_config) for _ in range(3)]
    assert len(importers(plugin)) == 1, "one child described it for all three apps"
    assert all("import_marker" in get_runtime(app).plugins for app in apps)

    source = plugin.read_text(encoding="utf-8")
    plugin.write_text(source.replace('version="1.0.0"', 'version="1.0.1"'), encoding="utf-8")
    os.utime(plugin, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    changed = create_app(app_config)
    assert len(importers(plugin)) == 2
    assert get_runtime(changed).plugins["import_marker"].manifest.version == "1.0.1"
    assert modules_from(plugin) == []
    for app in [*apps, changed]:
        get_engine(app).dispose()


def test_a_plugin_whose_import_hangs_is_failed_within_the_timeout(plugins_dir):
    hangs = add_sample(plugins_dir, "hangs_at_import.py")
    after = add_sample(plugins_dir, "import_marker.py")
    # Long enough for a fresh child to start and import the next plugin on a loaded machine.
    timeout = 4.0
    started = time.monotonic()
    described = {d.name: d for d in describe_candidates(
        fingerprinted_candidates(plugins_dir, autoload=True), timeout=timeout)}
    elapsed = time.monotonic() - started
    assert elapsed < 3 * timeout + 10, "failed at its describe timeout, not left hanging"
    hung = described["hangs_at_import"]
    assert hung.failed
    assert hung.error == ("It could not be imported: it did not finish loading within "
                          "4 seconds.")
    pid = int(hangs.with_suffix(".pid").read_text(encoding="utf-8"))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the describing child was killed
    # The plugins after it were described by a fresh child.
    assert not described["import_marker"].failed
    assert len(importers(after.resolve())) == 1


def test_a_plugin_that_ends_the_describing_process_is_failed_and_the_rest_described(
        plugins_dir, app_config):
    add_sample(plugins_dir, "exits_at_import.py")
    add_sample(plugins_dir, "import_marker.py")
    app = create_app(app_config)
    try:
        runtime = get_runtime(app)
        exited = runtime.plugins["exits_at_import"]
        assert exited.error == ("It could not be imported: the process describing it exited "
                                "with status 7")
        assert ("import_marker", "whoami") in {(op.plugin, op.name)
                                               for op in runtime.operations()}
        assert runtime.records()["exits_at_import"].state == "failed"
    finally:
        get_engine(app).dispose()


def test_the_platform_checks_an_untrusted_workers_output_against_the_full_schema(
        plugins_dir, app_config):
    add_sample(plugins_dir, "lying_worker.py")
    app = create_app(app_config)
    runtime = get_runtime(app)
    try:
        with app.app_context():
            runtime.sync()
            with pytest.raises(PluginFault) as caught:
                runtime.invoke("lying_worker", "score", {}, buyer="buyer-7f3a",
                               scope=Scope(operations=frozenset({"score"})))
        session = new_session(get_engine(app))
        incident = session.exec(
            select(PluginIncident).where(PluginIncident.incident == caught.value.incident)
        ).one()
        session.close()
        assert incident.kind == "bad_output"
        assert "score: 7 is greater than the maximum of 1" in incident.message
    finally:
        runtime.close()
        get_engine(app).dispose()
