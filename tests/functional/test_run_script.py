"""``scripts/run-with-localstripe`` (what ``make run`` starts) runs the jobs' worker beside the
server and stops it with the server: on Ctrl-C, and when the server exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.jobs_support import BIN, ROOT, wait_for

SCRIPT = ROOT / "scripts" / "run-with-localstripe"
# The "server": a process that runs until the file named in its argument appears.
SERVER = [sys.executable, "-c", "import os, sys, time\n"
          "while not os.path.exists(sys.argv[1]): time.sleep(0.05)", ]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def run_script(app_config, tmp_path):
    started: list[subprocess.Popen] = []

    def start(stop_file: Path) -> tuple[subprocess.Popen, int]:
        env = {**os.environ, "BIN": str(BIN), "STRIPE_API_BASE": "",
               "DATAMARKET_INSTANCE_PATH": str(tmp_path / "instance"),
               "DATABASE_URL": app_config["DATABASE_URL"], "SECRET_KEY": "test-secret-key",
               "MAIL_FOLDER": str(tmp_path / "mail"), "RUN_PARENT_PID": str(os.getpid())}
        env.pop("JOBS_IMMEDIATE", None)
        with (tmp_path / "run.log").open("w") as log:
            # As from a terminal: Ctrl-C's signal handled by default. A test runner's worker
            # may ignore SIGINT, and a shell that starts with it ignored cannot trap it.
            process = subprocess.Popen([str(SCRIPT), *SERVER, str(stop_file)], cwd=ROOT,
                                       env=env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True, preexec_fn=_default_sigint)
        started.append(process)
        line = wait_for(lambda: next((text for text in (tmp_path / "run.log").read_text()
                                      .splitlines() if "worker started (pid" in text), None),
                        what="the script starting the worker")
        worker = int(line.rsplit("pid ", 1)[1].rstrip(")"))
        # Signalled only once it consumes (its own signal handlers installed).
        wait_for(lambda: "Datamarket worker:" in (tmp_path / "run.log").read_text(),
                 timeout=60, what="the worker starting")
        assert _alive(worker)
        return process, worker

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def test_ctrl_c_stops_the_worker_with_the_server(run_script, tmp_path):
    script, worker = run_script(tmp_path / "never")
    os.killpg(script.pid, signal.SIGINT)  # what the terminal sends to the whole group
    assert script.wait(60) == 130
    wait_for(lambda: not _alive(worker), what="the worker stopping")


def test_the_worker_stops_when_the_server_exits(run_script, tmp_path):
    stop_file = tmp_path / "stop-server"
    script, worker = run_script(stop_file)
    stop_file.touch()
    assert script.wait(60) == 0
    wait_for(lambda: not _alive(worker), what="the worker stopping")
