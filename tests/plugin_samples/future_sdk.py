"""A plugin built for an SDK this platform does not provide."""

from datamarket_sdk import Manifest, hookimpl


@hookimpl
def datamarket_plugin_manifest() -> Manifest:
    return Manifest(name="future_sdk", version="3.0.0", merchant="91350100M000100Y43",
                    sdk=">=0.2,<0.3")
