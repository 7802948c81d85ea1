"""The trivial operation ``bench/gateway_overhead.py`` calls through the gateway: it answers
its input's text and length, so what is measured is the gateway, not the plugin."""

from __future__ import annotations

from datamarket_sdk import Context, Manifest, Operation, hookimpl
from pydantic import BaseModel, Field


class Text(BaseModel):
    text: str = Field(max_length=200, description="Any short text.")


class Echo(BaseModel):
    text: str = Field(description="The text sent.")
    length: int = Field(description="Its length in characters.")


def echo(ctx: Context, request: Text) -> Echo:
    return Echo(text=request.text, length=len(request.text))


@hookimpl
def datamarket_plugin_manifest() -> Manifest:
    return Manifest(name="bench_echo", version="1.0.0", merchant="", sdk=">=0.1,<0.2",
                    title="Benchmark echo")


@hookimpl
def datamarket_operations() -> list[Operation]:
    return [Operation(name="echo", summary="Answer the text sent.", input_model=Text,
                      output_model=Echo, handler=echo, example_input={"text": "hello"})]
