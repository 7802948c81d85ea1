"""Storefront read throughput against two reference endpoints, in one run.

    .venv/bin/python bench/storefront.py [--seconds 10] [--connections 16] [--client auto]

It makes a SQLite database with the demo data in a temporary folder, builds the search index,
and serves it with gunicorn exactly as ``make run`` does (2 ``gthread`` workers, 4 threads,
127.0.0.1). Load comes from ``wrk`` (Debian's package, installed by this script with apt-get
when it is missing and the script runs as root; ``--client python`` uses a small keep-alive
client instead, which takes CPU from the server on a small machine). Each endpoint gets a warm-up,
then ``--seconds`` of load.

The references are a separate, minimal Flask app (``bench/reference_app.py``) under the same
gunicorn settings: a bare JSON response, and one SQLModel primary-key select on the same
database. Then the marketplace's home page, browse page, a search with a facet, a product page
and the list API, each followed by a primary-key run: its ratio is to that neighbouring run
(the load of a shared machine drifts), and the reference row shows their median. For each it
prints requests per second, that ratio, latency percentiles, the database queries one request
makes, and the time one request takes in the process when nothing is cached ("cold"). Figures in
``docs/performance.md`` come from this script.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

SEARCH = "/products?" + urllib.parse.urlencode({"q": "企业 信用", "scenario": "finance"})


@dataclass
class Measured:
    name: str
    path: str
    rps: float
    p50_ms: float
    p99_ms: float
    queries: int | None = None
    cold_ms: float | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_wrk() -> str | None:
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk from Debian's packages...", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
        if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], **quiet).returncode:
            subprocess.run(["apt-get", "update", "-qq"], **quiet)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], **quiet)
    return shutil.which("wrk")


# ---------------------------------------------------------------------------- the data


def prepare(folder: Path) -> tuple[dict[str, str], dict[str, tuple[int, float]], int]:
    """The demo database and index in ``folder``; the server's environment, queries and cold
    time of each page (measured in this process), and the product page's product id."""
    from sqlmodel import select

    from marketplace import create_app, migrate
    from marketplace.catalog.models import Listing, ListingState
    from marketplace.db import get_engine, new_session
    from marketplace.demo.seed import seed
    from marketplace.search import get_index
    from marketplace.search.outbox import rebuild

    env = {
        "DATAMARKET_INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
        "SECRET_KEY": "bench-secret-key",
        "STRIPE_API_BASE": "http://127.0.0.1:9",
        "SEARCH_POLL_SECONDS": "0.5",
    }
    os.environ.update(env)
    migrate.upgrade(env["DATABASE_URL"])
    app = create_app({"SEARCH_POLL_SECONDS": 0})
    with app.test_request_context():
        session = new_session(get_engine(app))
        seed(session)
        product_id = session.exec(select(Listing.product_id).where(
            Listing.state == ListingState.PUBLISHED,
            Listing.title.startswith("企业信用风险模型"))).one()
        session.close()
    rebuild(get_engine(app), get_index(app))
    costs = {path: cold_cost(app, path) for path in pages(product_id).values()}
    get_engine(app).dispose()
    return env, costs, product_id


def cold_cost(app, path: str) -> tuple[int, float]:
    """(queries, milliseconds) of one request made with every cache of the app emptied."""
    from sqlalchemy import event

    from marketplace.db import get_engine

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    client = app.test_client()
    client.get(path)  # the first request of a process loads templates and jieba
    for clear in getattr(app, "extensions", {}).get("datamarket.page_caches", []):
        clear()
    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, (path, response.status_code)
    return len(statements), elapsed


def pages(product_id: int) -> dict[str, str]:
    return {
        "home page": "/",
        "browse": "/products",
        "search + facet": SEARCH,
        "product page": f"/products/{product_id}",
        "list API": "/api/v1/products",
    }


# ---------------------------------------------------------------------------- the server


class Server:
    def __init__(self, app_spec: str, env: dict[str, str], pythonpath: str | None = None):
        self.port = free_port()
        command = [str(BIN / "gunicorn"), "--workers", "2", "--worker-class", "gthread",
                   "--threads", "4", "--bind", f"127.0.0.1:{self.port}", "--log-level",
                   "warning"]
        if pythonpath:
            command += ["--pythonpath", pythonpath]
        self.process = subprocess.Popen([*command, app_spec], cwd=ROOT,
                                        env={**os.environ, **env},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait(self, path: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.process.stderr.read().decode()}")
            try:
                with urllib.request.urlopen(self.base + path, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server did not answer {path} within {timeout:g} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()


# ---------------------------------------------------------------------------- the load


def load_wrk(wrk: str, url: str, seconds: float, connections: int) -> tuple[float, float, float]:
    out = subprocess.run([wrk, "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s",
                          "--latency", url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def percentile(label: str) -> float:
        match = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)\b", out)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} failed responses")
    return rps, percentile("50"), percentile("99")


def load_python(url: str, seconds: float, connections: int, method: str = "GET",
                body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[float, float, float]:
    """A keep-alive client per connection, each on a thread, for ``seconds``."""
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine = []
        while time.monotonic() < deadline:
            started = time.perf_counter()
            conn.request(method, target, body=body, headers=headers or {})
            response = conn.getresponse()
            answer = response.read()
            if response.status != 200:
                with lock:
                    failures.append(f"{response.status} {answer[:200]!r}")
                break
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{url}: {failures[0]}")
    latencies.sort()
    elapsed = time.monotonic() - started
    return (len(latencies) / elapsed, latencies[len(latencies) // 2],
            latencies[max(0, int(len(latencies) * 0.99) - 1)] if latencies else 0.0)


def measure(server: Server, name: str, path: str, args, wrk: str | None) -> Measured:
    url = server.base + path
    warm = max(0.2, args.seconds / 5)
    run = (lambda s: load_wrk(wrk, url, s, args.connections)) if wrk else (
        lambda s: load_python(url, s, args.connections))
    run(warm)
    rps, p50, p99 = run(args.seconds)
    print(f"  {name}: {rps:,.0f} req/s", file=sys.stderr, flush=True)
    return Measured(name, path, rps, p50, p99)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="Load per endpoint.")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto",
                        help="wrk (installed from Debian when missing, as root) or a Python "
                             "client; auto prefers wrk.")
    args = parser.parse_args(argv)
    wrk = None if args.client == "python" else ensure_wrk()
    if args.client == "wrk" and wrk is None:
        parser.error("wrk is not installed and could not be installed")
    with tempfile.TemporaryDirectory(prefix="bench-storefront-") as folder:
        env, costs, product_id = prepare(Path(folder))
        results: list[Measured] = []
        ratios: list[float] = []
        reference = Server("reference_app:create_app()", env, pythonpath=str(ROOT / "bench"))
        server = Server("marketplace:create_app()", env)
        try:
            reference.wait("/pk")
            server.wait("/")
            results.append(measure(reference, "bare JSON (reference)", "/json", args, wrk))
            # Each page is measured right before a primary-key run, and compared with it: on a
            # shared machine the load drifts, and a ratio of neighbours drifts much less.
            pk_runs = []
            for name, path in pages(product_id).items():
                measured = measure(server, name, path, args, wrk)
                measured.queries, measured.cold_ms = costs[path]
                pk_runs.append(measure(reference, "primary key", "/pk", args, wrk))
                ratios.append(measured.rps / pk_runs[-1].rps)
                results.append(measured)
        finally:
            reference.stop()
            server.stop()
    pk_runs.sort(key=lambda run: run.rps)
    reference_pk = pk_runs[len(pk_runs) // 2]
    reference_pk.name = "primary-key select (reference)"
    results.insert(1, reference_pk)
    ratios = [results[0].rps / reference_pk.rps, 1.0, *ratios]
    print(f"Storefront reads: gunicorn as `make run` starts it (2 gthread workers x 4 threads), "
          f"{args.connections} connections, {args.seconds:g} s each, load from "
          f"{'wrk' if wrk else 'a Python client'}")
    print(f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
          f"Python {platform.python_version()}; {datetime.date.today().isoformat()}")
    print()
    header = ["endpoint", "req/s", "x primary key", "p50 ms", "p99 ms", "queries", "cold ms"]
    rows = [[r.name, f"{r.rps:,.0f}", f"{ratio:.2f}", f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}",
             "" if r.queries is None else str(r.queries),
             "" if r.cold_ms is None else f"{r.cold_ms:.1f}"]
            for r, ratio in zip(results, ratios, strict=True)]
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
