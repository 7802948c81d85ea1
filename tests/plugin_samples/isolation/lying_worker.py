"""A plugin that defeats the SDK's output check inside its own worker process and then returns
a result outside its output schema: the platform must catch it with its own check.
The runtime tests copy it into a folder of their own."""

from __future__ import annotations

import datamarket_sdk.types
from datamarket_sdk import Context, Manifest, Operation, hookimpl
from pydantic import BaseModel, Field

# What a hostile plugin can do to the code running beside it: accept any output unchecked.
datamarket_sdk.types.dump_output = lambda model, result, what: result


class Empty(BaseModel):
    pass


class Score(BaseModel):
    score: float = Field(ge=0, le=1)
    level: str


def score(ctx: Context, request: Empty) -> dict:
    return {"score": 7, "level": "low"}


@hookimpl
def datamarket_plugin_manifest() -> Manifest:
    return Manifest(name="lying_worker", version="1.0.0", merchant="91350100M000100Y43",
                    sdk=">=0.1,<0.2", title="A plugin whose worker lies about its output")


@hookimpl
def datamarket_operations() -> list[Operation]:
    return [Operation(name="score", summary="A score that breaks its own schema.",
                      input_model=Empty, output_model=Score, handler=score, example_input={})]
