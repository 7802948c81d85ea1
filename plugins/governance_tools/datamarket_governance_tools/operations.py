"""The operations this plugin offers: ``pii_scan``, which finds personal data in text values."""

from __future__ import annotations

from typing import Annotated

from datamarket_sdk import Context, Operation, PricingHint
from pydantic import BaseModel, ConfigDict, Field

from datamarket_governance_tools.detectors import PiiKind, find_pii, mask

MAX_VALUES = 1000
MAX_VALUE_LENGTH = 4096
#: How many values are scanned between two deadline checks.
DEADLINE_CHECK_EVERY = 100


class PiiScanInput(BaseModel):
    """The texts to scan, e.g. the cells of one column of a sample."""

    model_config = ConfigDict(extra="forbid")

    values: list[Annotated[str, Field(max_length=MAX_VALUE_LENGTH)]] = Field(
        max_length=MAX_VALUES,
        description=f"Up to {MAX_VALUES} texts of at most {MAX_VALUE_LENGTH} characters each.",
    )


class PiiFinding(BaseModel):
    """One piece of personal data found in one value."""

    index: int = Field(ge=0, description="The position of the value in the input list.")
    kind: PiiKind = Field(description="resident_id, mobile or email.")
    value_masked: str = Field(description="What was found, masked, so it can be located.")


class PiiScanOutput(BaseModel):
    """Everything found, in input order."""

    findings: list[PiiFinding]


def pii_scan(ctx: Context, request: PiiScanInput) -> PiiScanOutput:
    """Find resident ID numbers, mainland mobile numbers and e-mail addresses in each value."""
    findings = []
    for index, value in enumerate(request.values):
        if index % DEADLINE_CHECK_EVERY == 0:
            ctx.check_deadline()
        findings += [PiiFinding(index=index, kind=match.kind, value_masked=mask(match))
                     for match in find_pii(value)]
    return PiiScanOutput(findings=findings)


PII_SCAN = Operation(
    name="pii_scan",
    summary="Find resident ID numbers, mobile numbers and e-mail addresses in text values.",
    description=(
        "Scans each value for Chinese resident ID numbers (check digit, birth date and region "
        "validated), 11-digit mainland mobile numbers (with or without +86 and separators) and "
        "e-mail addresses, and reports each one masked, with the position of its value."
    ),
    input_model=PiiScanInput,
    output_model=PiiScanOutput,
    handler=pii_scan,
    pricing_hint=PricingHint(model="free", note="Free for merchants preparing their listings."),
    timeout_seconds=5.0,
    example_input={"values": ["联系人手机 138 0013 8000", "zhang.wei@example.com",
                              "110105199003071239", "no personal data here"]},
)
