"""Another merchant's plugin: its operation must not be offered to, or tried by, Acme."""

from __future__ import annotations

from datamarket_sdk import Context, Manifest, Operation, hookimpl
from pydantic import BaseModel


class Question(BaseModel):
    text: str


class Answer(BaseModel):
    text: str


def rival_lookup(ctx: Context, question: Question) -> Answer:
    return Answer(text=question.text[::-1])


@hookimpl
def datamarket_plugin_manifest() -> Manifest:
    return Manifest(name="rival_tools", version="0.3.0", merchant="91110108MAD272HD0J",
                    sdk=">=0.1,<0.2", title="Rival tools")


@hookimpl
def datamarket_operations() -> list[Operation]:
    return [Operation(name="rival_lookup", summary="The rival's own lookup.",
                      input_model=Question, output_model=Answer, handler=rival_lookup)]
