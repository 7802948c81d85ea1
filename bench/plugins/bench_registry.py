"""The operation ``bench/dataset_lookup.py`` calls: one lookup in the dataset its listing grants
as ``business_registry``, answering the company's name, so what is measured is how the dataset
reaches the call, not the plugin."""

from __future__ import annotations

from datamarket_sdk import Context, Manifest, Operation, hookimpl
from pydantic import BaseModel, Field


class Query(BaseModel):
    credit_code: str = Field(min_length=18, max_length=18, description="The code to look up.")


class Found(BaseModel):
    found: bool = Field(description="Whether the registry holds the code.")
    name: str | None = Field(description="The registered name (null: not found).")


def lookup(ctx: Context, query: Query) -> Found:
    rows = ctx.dataset("business_registry").lookup("credit_code", query.credit_code)
    return Found(found=bool(rows), name=rows[0]["name"] if rows else None)


@hookimpl
def datamarket_plugin_manifest() -> Manifest:
    # A merchant's plugin: untrusted (a worker process) unless the benchmark trusts it.
    return Manifest(name="bench_registry", version="1.0.0", merchant="91350100M000100Y43",
                    sdk=">=0.1,<0.2", title="Benchmark registry lookup")


@hookimpl
def datamarket_operations() -> list[Operation]:
    return [Operation(name="lookup", summary="Look a company up in the granted registry.",
                      input_model=Query, output_model=Found, handler=lookup,
                      timeout_seconds=30.0,
                      example_input={"credit_code": "91350100M000100Y43"})]
