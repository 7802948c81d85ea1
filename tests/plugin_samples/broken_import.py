"""A plugin whose import fails: the platform must list it as failed and keep starting."""

import datamarket_module_that_does_not_exist  # noqa: F401
from datamarket_sdk import hookimpl


@hookimpl
def datamarket_plugin_manifest():  # pragma: no cover - never reached
    raise AssertionError("unreachable")
