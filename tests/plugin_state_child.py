"""A second server process for the tests of plugin state across processes: an app of its own on
the test's database, answering commands read from stdin, one line each.

    python -m tests.plugin_state_child DATABASE_URL [REDIS_URL]

``call`` invokes ``governance_tools.pii_scan`` on its example input and answers ``ok trusted``
or ``ok worker`` (where it ran), or the name of the error it raised; ``quit`` ends.
"""

from __future__ import annotations

import sys

from datamarket_sdk import Scope

from marketplace import create_app
from marketplace.plugins import get_runtime
from marketplace.plugins.errors import InvocationError

PLUGIN, OPERATION = "governance_tools", "pii_scan"


def main(argv: list[str]) -> int:
    config = {"TESTING": True, "DATABASE_URL": argv[0], "SECRET_KEY": "child",
              "SEARCH_POLL_SECONDS": 0, "REDIS_URL": argv[1] if len(argv) > 1 else ""}
    app = create_app(config)
    runtime = get_runtime(app)
    payload = runtime.operation(PLUGIN, OPERATION).example_input or {}
    print("ready", flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            break
        with app.app_context():
            try:
                runtime.invoke(PLUGIN, OPERATION, payload, buyer="child",
                               scope=Scope(frozenset({OPERATION})))
            except InvocationError as exc:
                print(type(exc).__name__, flush=True)
                continue
        print("ok", "worker" if runtime.worker_pid(PLUGIN) else "trusted", flush=True)
    runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
