"""Company check: is a unified social credit code registered, and under which name?

The example of docs/sdk.md §3 as the demo runs it (``make run`` loads this folder as its local
plugins, ``DATAMARKET_PLUGINS_DIR``): the same models and handler, reading the dataset the demo
listing grants as ``business_registry``. Two things differ from the guide, both for the demo: its
name (so that a developer following the guide can install their own ``company_check`` beside
it) and its merchant, empty, which makes it one of the platform's own operations that the demo
merchant may sell. Like any plugin, it imports the SDK only, never the platform.

The registry stays on the platform ("available but not visible"): a buyer learns whether the
code is registered, whether the name they hold matches, and the company's status, nothing more.
"""

from __future__ import annotations

from datamarket_sdk import Context, Manifest, Operation, PricingHint, hookimpl
from pydantic import BaseModel, ConfigDict, Field

__version__ = "0.1.0"

PLUGIN_NAME = "demo_company_check"
#: The platform's own (empty): any merchant may sell it; the guide's plugin names its merchant.
MERCHANT = ""
#: The SDK versions this plugin is written against.
SDK_RANGE = ">=0.1,<0.2"
#: The platform-held dataset a listing grants to this operation.
REGISTRY = "business_registry"


class VerifyCompanyInput(BaseModel):
    """What a buyer sends: the code to check and, if they have one, the name they were given."""

    model_config = ConfigDict(extra="forbid")

    credit_code: str = Field(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$",
                             description="The 18-character unified social credit code.")
    name: str | None = Field(default=None, min_length=1, max_length=200,
                             description="The company name to compare with the registry.")


class VerifyCompanyOutput(BaseModel):
    """The answer: match or no match, never the registry's record itself."""

    registered: bool = Field(description="Whether the registry holds the code.")
    name_matches: bool | None = Field(
        description="Whether the name matches; null when no name was sent or the code is unknown.")
    status: str | None = Field(
        description="The company's status, such as active or revoked; null when unknown.")


def verify_company(ctx: Context, request: VerifyCompanyInput) -> VerifyCompanyOutput:
    """Answer from the registry without revealing it."""
    found = ctx.dataset(REGISTRY).lookup("credit_code", request.credit_code)
    if not found:
        return VerifyCompanyOutput(registered=False, name_matches=None, status=None)
    company = found[0]
    name_matches = None if request.name is None else request.name.strip() == company["name"]
    return VerifyCompanyOutput(registered=True, name_matches=name_matches,
                               status=company["status"])


@hookimpl
def datamarket_plugin_manifest() -> Manifest:
    """Identify this plugin to the platform."""
    return Manifest(
        name=PLUGIN_NAME,
        version=__version__,
        merchant=MERCHANT,
        sdk=SDK_RANGE,
        title="Company check",
        description="Verifies companies against the business registry without revealing it.",
    )


@hookimpl
def datamarket_operations() -> list[Operation]:
    """The operations buyers can call once a listing offers them."""
    return [
        Operation(
            name="verify_company",
            summary="Check that a credit code is registered and matches a company name.",
            description="Answers match or no match and the company's status; the registry "
                        "itself is never shown.",
            input_model=VerifyCompanyInput,
            output_model=VerifyCompanyOutput,
            handler=verify_company,
            pricing_hint=PricingHint(model="per_call", unit_price=50, note="0.50 CNY per check"),
            timeout_seconds=2.0,
            example_input={"credit_code": "91350100M000100Y43",
                           "name": "Fuzhou Open Data Co., Ltd."},
        )
    ]
