"""The hook implementations that the `datamarket` entry point registers."""

from __future__ import annotations

from datamarket_sdk import Manifest, ModelSpec, Operation, hookimpl

from datamarket_ai_models import __version__
from datamarket_ai_models.credit_risk import CREDIT_RISK_MODEL, CREDIT_RISK_SCORE

PLUGIN_NAME = "ai_models"
#: The SDK versions this plugin is written against.
SDK_RANGE = ">=0.1,<0.2"


@hookimpl
def datamarket_plugin_manifest() -> Manifest:
    """Identify this plugin to the platform; an empty merchant marks the platform's own."""
    return Manifest(
        name=PLUGIN_NAME,
        version=__version__,
        merchant="",
        sdk=SDK_RANGE,
        title="AI models",
        description="Risk and credit models served as APIs, each with a model card.",
    )


@hookimpl
def datamarket_operations() -> list[Operation]:
    """The operations buyers can call."""
    return [CREDIT_RISK_SCORE]


@hookimpl
def datamarket_models() -> list[ModelSpec]:
    """The models, with their model cards."""
    return [CREDIT_RISK_MODEL]
