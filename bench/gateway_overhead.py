"""Calls through the delivery gateway against a bare primary-key endpoint, in one run.

    .venv/bin/python bench/gateway_overhead.py [--seconds 10] [--connections 16] [--workers 2]
                                               [--client auto] [--database-url URL]

It makes a database (SQLite in a temporary folder, or a fresh PostgreSQL database named after
``--database-url`` with ``_gwbench`` appended), migrated to head, with a merchant whose listing
sells the trivial operation ``bench_echo.echo`` (``bench/plugins``, trusted), a buyer who bought
a pack of calls (paid through the real cart and ``record_charge``) and an API key. Then it
serves the marketplace and the reference app (``bench/reference_app.py``, ``GET /pk``: one
SQLModel primary-key select on the same database) with the same gunicorn settings (``--workers``
gthread workers x 4 threads, 127.0.0.1), and loads them in turns: gateway, primary key,
gateway... Each gateway run is compared with the primary-key run after it (the load of a shared
machine drifts; neighbours drift much less) and the table shows the median ratio.

One gateway call is everything a buyer's call costs: the key (keyed hash lookup), the
entitlement and its scope, the rate limit, the quota (an atomic reservation), the plugin's
operation through the runtime (state from memory, a pool thread), the output policy, the usage
record and its batch of the audit chain, and the answer with ``X-Request-Id`` and
``X-Quota-Remaining``. The per-key rate limit is raised for the run so that it never refuses.
Before the servers, both apps also run in this process behind Flask's test client, and the CPU
time per request of each is printed: what a call costs the processor, apart from the waits
(database locks, commits reaching the disk) a loaded server adds.

Goal (issue 11): the gateway at 0.6 x the primary-key endpoint or better. Figures in
``docs/performance.md`` come from this script.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

from storefront import (  # noqa: E402  (bench/storefront.py)
    BIN,
    Server,
    ensure_wrk,
    free_port,
    load_python,
)

PLUGINS = BENCH / "plugins"
BODY = {"text": "hello, gateway"}


def _fresh_postgres(url: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_gwbench"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def prepare(folder: Path, database_url: str | None) -> tuple[dict[str, str], str, str]:
    """The database with a listing, a paid entitlement and a key; the servers' environment,
    the gateway path and the key."""
    from marketplace import create_app, migrate
    from marketplace.accounts.models import Role
    from marketplace.catalog.services import plans_for
    from marketplace.commerce.orders import cart, fulfilment
    from marketplace.db import get_engine, new_session
    from marketplace.delivery import entitlements, keys
    from marketplace.plugins import get_runtime
    from marketplace.plugins import services as plugin_services
    from tests.factories import make_listing, make_organization, make_user, plans

    url = _fresh_postgres(database_url) if database_url else f"sqlite:///{folder / 'gw.db'}"
    env = {
        "DATAMARKET_INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret-key",
        "STRIPE_API_BASE": "http://127.0.0.1:9",
        "SEARCH_POLL_SECONDS": "0.5",
        "DATAMARKET_PLUGINS_DIR": str(PLUGINS),
        "GATEWAY_RATE_LIMIT": "100000000/minute",
    }
    os.environ.update(env)
    migrate.upgrade(url)
    app = create_app({"SEARCH_POLL_SECONDS": 0})
    with app.test_request_context():
        db = new_session(get_engine(app))
        buyer = make_user(db)  # user 1: what the reference app's /pk reads
        org = make_organization(db)
        merchant = make_user(db, Role.MERCHANT, organization=org)
        admin = make_user(db, Role.ADMIN)
        get_runtime(app).sync()
        plugin_services.set_trusted(db, admin, plugin_services.find(db, "bench_echo"), True)
        db.commit()
        listing = make_listing(db, merchant, org, state="published", admin=admin,
                               plans=plans("per_call"), operation="bench_echo.echo")
        plan = plans_for(db, listing.id)[0]
        cart.add(db, buyer, plan.id, pack_calls=1000)
        db.commit()
        order = cart.checkout(db, buyer, attempt=secrets.token_hex(8))
        db.commit()
        fulfilment.record_charge(db, order, amount=order.total, provider_ref=f"pi_{order.id}")
        db.commit()
        entitlement = entitlements.for_order(db, order.id)[0]
        entitlement.quota = 10**9  # a pack that a run never spends
        db.add(entitlement)
        db.commit()
        token = keys.create(db, app.config["SECRET_KEY"], buyer.id, name="bench").token
        db.commit()
        path = f"/api/v1/gateway/{listing.product_id}/bench_echo/echo"
        db.close()
    get_runtime(app).close()
    get_engine(app).dispose()
    return env, path, token


def cpu_per_call(path: str, token: str, calls: int, rounds: int) -> tuple[float, float]:
    """CPU milliseconds per request of the gateway and of the primary-key endpoint, each app in
    this process behind Flask's test client (no server, no network): what a call costs the
    processor, whatever waits a loaded server adds. Every thread of the process counts (the
    gateway's plugin pool thread included). Medians of ``rounds`` alternating runs."""
    import time
    from statistics import median

    import reference_app

    from marketplace import create_app
    from marketplace.plugins import get_runtime

    gateway_app = create_app({"SEARCH_POLL_SECONDS": 0})
    gateway_client, reference_client = (gateway_app.test_client(),
                                        reference_app.create_app().test_client())
    headers = {"Authorization": f"Bearer {token}"}

    def gateway_call():
        response = gateway_client.post(path, json=BODY, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)

    def primary_key():
        assert reference_client.get("/pk").status_code == 200

    def cpu_ms(request) -> float:
        started = time.process_time()
        for _ in range(calls):
            request()
        return (time.process_time() - started) * 1000 / calls

    for request in (gateway_call, primary_key):
        for _ in range(max(10, calls // 10)):  # warm: imports, compiled statements, pools
            request()
    measured = [(cpu_ms(gateway_call), cpu_ms(primary_key)) for _ in range(rounds)]
    get_runtime(gateway_app).close()
    return median(g for g, _ in measured), median(p for _, p in measured)


class Gunicorn(Server):
    """gunicorn with ``workers`` gthread workers x 4 threads (the same for both apps)."""

    def __init__(self, app_spec: str, env: dict[str, str], workers: int,
                 pythonpath: str | None = None):
        self.port = free_port()
        command = [str(BIN / "gunicorn"), "--workers", str(workers), "--worker-class",
                   "gthread", "--threads", "4", "--bind", f"127.0.0.1:{self.port}",
                   "--log-level", "warning"]
        if pythonpath:
            command += ["--pythonpath", pythonpath]
        self.process = subprocess.Popen([*command, app_spec], cwd=ROOT,
                                        env={**os.environ, **env},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


# ---------------------------------------------------------------------------- the load


def load_wrk(wrk: str, url: str, seconds: float, connections: int, folder: Path,
             method: str = "GET", body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[float, float, float]:
    from storefront import load_wrk as run_wrk

    if method == "GET":
        return run_wrk(wrk, url, seconds, connections)
    script = folder / "post.lua"
    lines = [f"wrk.method = {json.dumps(method)}", f"wrk.body = {json.dumps(body.decode())}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    script.write_text("\n".join(lines) + "\n")
    out = subprocess.run([wrk, "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s",
                          "--latency", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} failed responses")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def percentile(label: str) -> float:
        match = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)\b", out)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return rps, percentile("50"), percentile("99")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="Load per run.")
    parser.add_argument("--rounds", type=int, default=3, help="Gateway/primary-key pairs.")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of each app.")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--cpu-calls", type=int, default=1000,
                        help="Requests per in-process CPU run (0: skip that measurement).")
    parser.add_argument("--database-url", default="",
                        help="A PostgreSQL URL whose role may create databases (default: "
                             "SQLite in a temporary folder).")
    args = parser.parse_args(argv)
    wrk = None if args.client == "python" else ensure_wrk()
    if args.client == "wrk" and wrk is None:
        parser.error("wrk is not installed and could not be installed")
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as name:
        folder = Path(name)
        env, path, token = prepare(folder, args.database_url or None)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        body = json.dumps(BODY).encode()
        cpu = cpu_per_call(path, token, args.cpu_calls, args.rounds) if args.cpu_calls else None
        reference = Gunicorn("reference_app:create_app()", env, args.workers,
                             pythonpath=str(BENCH))
        server = Gunicorn("marketplace:create_app()", env, args.workers)
        try:
            reference.wait("/pk")
            server.wait("/")

            def run(target: Gunicorn, url_path: str, seconds: float, post: bool):
                url = target.base + url_path
                options = {"method": "POST", "body": body, "headers": headers} if post else {}
                if wrk:
                    return load_wrk(wrk, url, seconds, args.connections, folder, **options)
                return load_python(url, seconds, args.connections, **options)

            warm = max(0.2, args.seconds / 5)
            run(server, path, warm, True)
            run(reference, "/pk", warm, False)
            pairs = []
            for _ in range(max(1, args.rounds)):
                gateway = run(server, path, args.seconds, True)
                primary = run(reference, "/pk", args.seconds, False)
                print(f"  gateway {gateway[0]:,.0f} req/s, primary key {primary[0]:,.0f} req/s",
                      file=sys.stderr, flush=True)
                pairs.append((gateway[0] / primary[0], gateway, primary))
        finally:
            reference.stop()
            server.stop()
    pairs.sort(key=lambda pair: pair[0])
    ratio, gateway, primary = pairs[len(pairs) // 2]
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"Gateway overhead: gunicorn, {args.workers} gthread workers x 4 threads each app, "
          f"{args.connections} connections, {args.seconds:g} s per run, {len(pairs)} rounds "
          f"(median ratio shown), {database}, load from {'wrk' if wrk else 'a Python client'}")
    print(f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
          f"Python {platform.python_version()}; {datetime.date.today().isoformat()}")
    print()
    rows = [["primary-key select (reference)", f"{primary[0]:,.0f}", "1.00",
             f"{primary[1]:.1f}", f"{primary[2]:.1f}"],
            ["gateway call (bench_echo.echo)", f"{gateway[0]:,.0f}", f"{ratio:.2f}",
             f"{gateway[1]:.1f}", f"{gateway[2]:.1f}"]]
    header = ["endpoint", "req/s", "x primary key", "p50 ms", "p99 ms"]
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    print()
    print(f"ratio {ratio:.2f} (goal: 0.60 or more)")
    if cpu:
        print(f"CPU per request in one process (test client, {args.cpu_calls} requests, median "
              f"of {args.rounds}): gateway {cpu[0]:.2f} ms, primary key {cpu[1]:.2f} ms, "
              f"ratio {cpu[1] / cpu[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
