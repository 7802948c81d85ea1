"""The pluggy markers that tie hook specifications and implementations to the Datamarket project."""

import pluggy

#: The project name that ties hook specifications and implementations together.
PROJECT_NAME = "datamarket"

#: Marks a function as the implementation of a ``datamarket_*`` hook.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: Marks a function in :mod:`datamarket_sdk.hookspecs` as a hook specification.
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
