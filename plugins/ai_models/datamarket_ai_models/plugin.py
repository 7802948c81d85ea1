"""The hook implementations that the `datamarket` entry point registers."""

from datamarket_sdk import hookimpl

from datamarket_ai_models import __version__

PLUGIN_NAME = "ai_models"
MERCHANT = "Datamarket AI Models"
#: The SDK versions this plugin is written against.
SDK_RANGE = ">=0.1,<0.2"


@hookimpl
def datamarket_plugin_manifest() -> dict:
    """Identify this plugin to the platform."""
    return {
        "name": PLUGIN_NAME,
        "version": __version__,
        "merchant": MERCHANT,
        "sdk": SDK_RANGE,
    }
