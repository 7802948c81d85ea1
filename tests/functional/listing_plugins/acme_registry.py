"""A merchant's plugin: a company lookup with a nested schema, and operations that misbehave."""

from __future__ import annotations

import time

from datamarket_sdk import Context, Manifest, NotFound, Operation, PricingHint, hookimpl
from pydantic import BaseModel, Field

MERCHANT = "91350100M000100Y43"


class Address(BaseModel):
    city: str = Field(description="City of registration.", max_length=40)
    district: str | None = Field(default=None, description="District, when known.")


class CompanyQuery(BaseModel):
    credit_code: str = Field(description="The company's unified social credit code.",
                             min_length=18, max_length=18, pattern=r"^[0-9A-Z]{18}$")
    include_history: bool = Field(default=False, description="Add earlier names.")
    address: Address | None = Field(default=None, description="Where to look first.")


class Score(BaseModel):
    kind: str = Field(description="What the score measures.")
    value: float = Field(ge=0, le=1, description="From 0 (worst) to 1 (best).")


class CompanyAnswer(BaseModel):
    listed: bool = Field(description="Whether the company is on the blacklist.")
    name: str = Field(description="The registered name.")
    scores: list[Score] = Field(default_factory=list, description="Risk scores.")


class Empty(BaseModel):
    pass


def company_lookup(ctx: Context, query: CompanyQuery) -> CompanyAnswer:
    if query.credit_code.startswith("0"):
        raise NotFound(f"No company is registered under {query.credit_code}.")
    return CompanyAnswer(listed=query.credit_code.endswith("X"), name="Fuzhou Example Co., Ltd.",
                         scores=[Score(kind="credit", value=0.82)])


def explode(ctx: Context, request: Empty) -> CompanyAnswer:
    raise RuntimeError("kaboom: internal secret detail")


def slow(ctx: Context, request: Empty) -> CompanyAnswer:
    time.sleep(5)
    return CompanyAnswer(listed=False, name="too late")


@hookimpl
def datamarket_plugin_manifest() -> Manifest:
    return Manifest(name="acme_registry", version="1.2.0", merchant=MERCHANT, sdk=">=0.1,<0.2",
                    title="Acme registry")


@hookimpl
def datamarket_operations() -> list[Operation]:
    return [
        Operation(name="company_lookup", summary="Look up a company by its credit code.",
                  description="Answers whether the company is blacklisted, with risk scores.",
                  input_model=CompanyQuery, output_model=CompanyAnswer, handler=company_lookup,
                  pricing_hint=PricingHint(model="per_call", unit_price=5),
                  example_input={"credit_code": "91350100M000100Y43"}),
        Operation(name="explode", summary="Always fails.", input_model=Empty,
                  output_model=CompanyAnswer, handler=explode),
        Operation(name="slow", summary="Never answers in time.", input_model=Empty,
                  output_model=CompanyAnswer, handler=slow, timeout_seconds=0.5),
    ]
