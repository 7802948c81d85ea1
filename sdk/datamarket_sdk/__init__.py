"""The Datamarket plugin SDK: the markers plugins implement hooks with, and the SDK version.

A plugin marks its hook implementations with :data:`hookimpl`; the platform collects the
specifications in :mod:`datamarket_sdk.hookspecs`, which are marked with :data:`hookspec`.
"""

import pluggy

__version__ = "0.1.0"
SDK_VERSION = __version__

#: The project name that ties hook specifications and implementations together.
PROJECT_NAME = "datamarket"

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
hookspec = pluggy.HookspecMarker(PROJECT_NAME)

__all__ = ["PROJECT_NAME", "SDK_VERSION", "__version__", "hookimpl", "hookspec"]
