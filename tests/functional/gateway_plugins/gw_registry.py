"""A merchant's plugin for the gateway's tests: a lookup with three output fields, a
verification (match or no match), an operation that always fails, one that answers from
the sample a sandbox call gets, and one that looks the company up in the dataset its listing
grants as ``business_registry``."""

from __future__ import annotations

from datamarket_sdk import Context, Manifest, Operation, hookimpl
from pydantic import BaseModel, Field

MERCHANT = "91350100M000100Y43"


class Query(BaseModel):
    credit_code: str = Field(description="The company's unified social credit code.",
                             min_length=18, max_length=18)


class Answer(BaseModel):
    name: str = Field(description="The registered name.")
    listed: bool = Field(description="On the blacklist.")
    score: float = Field(description="Risk score.")


def lookup(ctx: Context, query: Query) -> Answer:
    return Answer(name=f"Company {query.credit_code[-4:]}", listed=query.credit_code.endswith("X"),
                  score=0.82)


class SampleAnswer(BaseModel):
    sample_rows: int = Field(description="Rows of the dataset 'sample' (-1: none given).")
    credit_code: str = Field(description="The code asked for, as the sample row has it.")
    listed: bool | None = Field(description="The sample row's answer (null: not in it).")


def from_sample(ctx: Context, query: Query) -> SampleAnswer:
    sample = ctx.datasets.get("sample")
    if sample is None:
        return SampleAnswer(sample_rows=-1, credit_code=query.credit_code, listed=None)
    rows = sample.lookup("credit_code", query.credit_code)
    return SampleAnswer(sample_rows=len(sample), credit_code=query.credit_code,
                        listed=rows[0]["listed"] if rows else None)


class Registered(BaseModel):
    found: bool = Field(description="Whether the registry has the code.")
    name: str | None = Field(description="The registered name (null: not found).")
    active: bool | None = Field(description="Whether the company is active (null: not found).")
    registry_rows: int = Field(description="Rows of the registry.")


def registry(ctx: Context, query: Query) -> Registered:
    table = ctx.dataset("business_registry")
    rows = table.lookup("credit_code", query.credit_code)
    row = rows[0] if rows else {}
    return Registered(found=bool(rows), name=row.get("name"), active=row.get("active"),
                      registry_rows=len(table))


class Verdict(BaseModel):
    match: bool = Field(description="Whether the code is the registry's own.")


def verify(ctx: Context, query: Query) -> Verdict:
    return Verdict(match=query.credit_code == MERCHANT)


def fail(ctx: Context, query: Query) -> Answer:
    raise RuntimeError("internal failure")


@hookimpl
def datamarket_plugin_manifest() -> Manifest:
    return Manifest(name="gw_registry", version="1.0.0", merchant=MERCHANT, sdk=">=0.1,<0.2",
                    title="Gateway test registry")


@hookimpl
def datamarket_operations() -> list[Operation]:
    return [
        Operation(name="lookup", summary="Look up a company.", input_model=Query,
                  output_model=Answer, handler=lookup,
                  example_input={"credit_code": "91350100M000100Y43"}),
        Operation(name="fail", summary="Always fails.", input_model=Query,
                  output_model=Answer, handler=fail),
        Operation(name="verify", summary="Verify a code (match or no match).",
                  input_model=Query, output_model=Verdict, handler=verify,
                  example_input={"credit_code": "91350100M000100Y43"}),
        Operation(name="from_sample", summary="Answer from the sample dataset.",
                  input_model=Query, output_model=SampleAnswer, handler=from_sample),
        Operation(name="registry", summary="Look a company up in the granted registry.",
                  input_model=Query, output_model=Registered, handler=registry,
                  example_input={"credit_code": "91350100M000100Y43"}),
    ]
