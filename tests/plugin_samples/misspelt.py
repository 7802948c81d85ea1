"""A plugin with a misspelt hook: check_pending() must fail it, not the platform."""

from datamarket_sdk import Manifest, hookimpl


@hookimpl
def datamarket_plugin_manifest() -> Manifest:
    return Manifest(name="misspelt", version="1.0.0", merchant="91350100M000100Y43",
                    sdk=">=0.1,<0.2")


@hookimpl
def datamarket_operatoins() -> list:
    return []
