"""The localstripe launcher: loopback only, state only where it is told, clean stops."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.commerce_support import LAUNCHER, ROOT, LocalstripeControl, LocalstripeServer

SHARED_STATE = Path("/tmp/localstripe.pickle")  # where localstripe alone would write


def fingerprint(path: Path):
    """Enough of a file's state to tell whether anything wrote to it."""
    return (path.stat().st_mtime_ns, path.stat().st_size) if path.exists() else None


def non_loopback_addresses() -> list[str]:
    """This machine's own non-loopback IPv4 address, if it has one (no packet is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.255", 9))
        address = probe.getsockname()[0]
    except OSError:
        return []
    finally:
        probe.close()
    return [] if address.startswith("127.") else [address]


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on ``port`` (Linux /proc)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def refused(address: str, port: int, family=socket.AF_INET) -> bool:
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(2)
            sock.connect((address, port))
    except OSError:
        return True
    return False


@pytest.fixture
def server(tmp_path):
    started = LocalstripeServer.start(state_file=tmp_path / "state" / "localstripe.pickle",
                                      log_file=tmp_path / "localstripe.log")
    yield started
    if started.process.poll() is None:
        started.stop()


def test_it_listens_on_127_0_0_1_only(server):
    assert server.base_url.startswith("http://127.0.0.1:")
    port = int(server.base_url.rsplit(":", 1)[1])
    assert not refused("127.0.0.1", port)
    if os.path.exists("/proc/net/tcp"):
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, and no IPv6 socket
    for address in non_loopback_addresses():
        assert refused(address, port), f"localstripe answers on {address}"
    if socket.has_ipv6:
        assert refused("::1", port, socket.AF_INET6)


def test_state_goes_to_the_given_file_and_survives_a_restart(server, tmp_path):
    shared_before = fingerprint(SHARED_STATE)
    control = LocalstripeControl(server.base_url)
    customer = control.request("POST", "/v1/customers", {"email": "kept@example.com"})

    state_file = tmp_path / "state" / "localstripe.pickle"
    assert customer["id"].encode() in state_file.read_bytes()
    assert server.stop() == 0
    assert fingerprint(SHARED_STATE) == shared_before

    again = LocalstripeServer.start(state_file=state_file)
    try:
        kept = LocalstripeControl(again.base_url).request("GET", f"/v1/customers/{customer['id']}")
        assert kept["email"] == "kept@example.com"
    finally:
        assert again.stop() == 0


def test_in_memory_state_writes_no_file(tmp_path):
    watched = [SHARED_STATE, ROOT / "instance" / "localstripe.pickle"]
    before = [fingerprint(path) for path in watched]
    memory = LocalstripeServer.start(state_file=None)
    try:
        LocalstripeControl(memory.base_url).request("POST", "/v1/customers", {"email": "m@e.com"})
    finally:
        memory.stop()
    assert [fingerprint(path) for path in watched] == before


def test_ctrl_c_stops_it_cleanly(server):
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(timeout=15) == 0
    server.process.stdout.close()


def test_it_refuses_to_listen_beyond_loopback():
    result = subprocess.run(
        [sys.executable, "-m", LAUNCHER, "--host", "0.0.0.0", "--state-file", ""],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "must be a loopback address" in result.stderr
