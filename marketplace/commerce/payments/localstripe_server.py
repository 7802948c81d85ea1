"""Start localstripe, the local stand-in for Stripe, on 127.0.0.1 only.

``python -m marketplace.commerce.payments.localstripe_server --port 8420 \
--state-file instance/ls.pickle``

localstripe's own ``start()`` listens on every interface (``::``) and keeps its state in
``/tmp/localstripe.pickle``, shared by every user and every run of the machine. This launcher
serves localstripe's own aiohttp app and handlers, unchanged, but binds the given host (loopback
only) and keeps the state in the file given, or in memory with ``--state-file ''``. It prints one
line, ``localstripe listening on http://127.0.0.1:PORT``, once the socket accepts connections
(``--port 0`` picks a free port, which that line names) and stops cleanly on SIGTERM or SIGINT.

Everything localstripe is imported inside :func:`main`: importing this module costs nothing and
brings no third-party warnings into the process that imports it.
"""

from __future__ import annotations

import argparse
import asyncio
import builtins
import ipaddress
import logging
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

# The file localstripe's Store reads and writes, spelled exactly as in localstripe/resources.py.
LOCALSTRIPE_STATE_FILE = "/tmp/localstripe.pickle"
LOOPBACK = "127.0.0.1"


def register_webhook(api_base: str, url: str, secret: str, *, name: str = "datamarket",
                     wait: float = 15.0) -> None:
    """Have the localstripe at ``api_base`` sign every event with ``secret`` and post it to
    ``url`` (localstripe's ``/_config/webhooks/<name>``), waiting up to ``wait`` seconds for it
    to answer. Registering the same ``name`` again replaces the endpoint.

    :raises ConnectionError: localstripe did not answer in time.
    """
    body = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
    deadline = time.monotonic() + wait
    while True:
        try:
            with urllib.request.urlopen(f"{api_base}/_config/webhooks/{name}", data=body,
                                        timeout=5):
                return
        except urllib.error.HTTPError:
            raise
        except OSError as error:
            if time.monotonic() >= deadline:
                raise ConnectionError(
                    f"localstripe at {api_base} does not answer: {error}") from error
            time.sleep(0.2)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m marketplace.commerce.payments.localstripe_server",
        description="Run localstripe (a fake Stripe API) on a loopback address.",
    )
    parser.add_argument("--port", type=int, default=8420,
                        help="TCP port (0 picks a free one; the ready line names it)")
    parser.add_argument("--host", default=LOOPBACK,
                        help="loopback address to bind (default: 127.0.0.1)")
    parser.add_argument("--state-file", default="instance/localstripe.pickle",
                        help="where localstripe keeps its objects; '' keeps them in memory only")
    parser.add_argument("--quiet", action="store_true",
                        help="do not log every request and webhook delivery to stderr")
    args = parser.parse_args(argv)
    try:
        loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        parser.error(f"--host must be a loopback address such as 127.0.0.1, not {args.host!r}: "
                     "localstripe accepts any API key and must not be reachable from the network.")
    return args


def keep_state_in(resources, state_file: Path | None) -> None:
    """Point localstripe's store at ``state_file``, or keep it in memory when None.

    localstripe's ``Store`` opens the literal path ``/tmp/localstripe.pickle`` through the module's
    global name ``open``. Giving ``localstripe.resources`` an ``open`` of its own that maps that
    one path to ``state_file`` keeps localstripe's loading and saving code as it is.
    """
    if state_file is None:
        # An instance attribute shadows the method: nothing is ever written.
        resources.store.dump_to_disk = lambda: None
        return

    def open_state_file(file, *args, **kwargs):
        if file == LOCALSTRIPE_STATE_FILE:
            file = state_file
        return builtins.open(file, *args, **kwargs)

    resources.open = open_state_file
    resources.store.try_load_from_disk()


def add_clock_control(server, resources) -> None:
    """Add ``POST /_config/datamarket/subscriptions/{id}/next_period`` to localstripe's app.

    localstripe counts a subscription's period from its start date forever, so a renewal invoice
    would bill the first period again. This moves the start to the current period's end, as
    time passing would on Stripe (where test clocks do this), and sends
    ``customer.subscription.updated``. Under ``/_config/`` like localstripe's own controls.
    """

    async def start_next_period(request):
        subscription = resources.Subscription._api_retrieve(request.match_info["id"])
        subscription.start_date = subscription.current_period_end
        resources.schedule_webhook(
            resources.Event("customer.subscription.updated", subscription))
        return server.json_response(subscription._export())

    server.app.router.add_post(
        "/_config/datamarket/subscriptions/{id}/next_period", start_next_period)


async def serve(app, host: str, port: int, access_log: logging.Logger | None) -> None:
    """Serve ``app`` on host:port until SIGTERM or SIGINT."""
    from aiohttp import web

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    runner = web.AppRunner(app, access_log=access_log, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_address=True)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        if ":" in bound_host:  # IPv6 (::1)
            bound_host = f"[{bound_host}]"
        print(f"localstripe listening on http://{bound_host}:{bound_port}", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    state_file = Path(args.state_file).resolve() if args.state_file else None
    if state_file is not None:
        state_file.parent.mkdir(parents=True, exist_ok=True)

    with warnings.catch_warnings():
        # localstripe registers plain (non-async) handlers, which aiohttp deprecates; that is
        # localstripe's business, not something to show on every start.
        warnings.simplefilter("ignore", DeprecationWarning)
        from localstripe import resources, server

    keep_state_in(resources, state_file)
    add_clock_control(server, resources)

    access_log = None
    if not args.quiet:
        # localstripe logs webhook deliveries on this logger too.
        access_log = logging.getLogger("aiohttp.access")
        access_log.setLevel(logging.INFO)
        access_log.addHandler(logging.StreamHandler(sys.stderr))

    asyncio.run(serve(server.app, args.host, args.port, access_log))
    return 0


if __name__ == "__main__":
    sys.exit(main())
