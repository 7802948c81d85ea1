"""Plugins: discovery, the records of what is installed, and calling plugin operations safely.

This package is the only part of the platform that imports pluggy or touches plugin objects;
everything else asks the :class:`~marketplace.plugins.runtime.PluginRuntime` kept on the app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from marketplace.plugins.runtime import PluginRuntime

EXTENSION_KEY = "datamarket.plugins"


def init_app(app: Flask) -> None:
    """Discover the plugins and keep the runtime on the app.

    Never fails because of a plugin: one that does not load is recorded as failed. The database
    is not touched here (the tables may not exist yet); plugins are recorded on first use.
    """
    from marketplace.plugins.runtime import PluginRuntime

    app.extensions[EXTENSION_KEY] = PluginRuntime.from_app(app)


def get_runtime(app: Flask | None = None) -> PluginRuntime:
    """The plugin runtime of ``app`` (the current app by default)."""
    return (app or current_app).extensions[EXTENSION_KEY]
