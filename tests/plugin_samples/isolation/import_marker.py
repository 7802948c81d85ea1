"""A plugin that notes every process that imports it: one line with the process id, appended to
``<this file>.imports`` at import time. The discovery tests copy it into a folder of their own."""

from __future__ import annotations

import os
from pathlib import Path

from datamarket_sdk import Context, Manifest, Operation, hookimpl
from pydantic import BaseModel

with Path(__file__).with_suffix(".imports").open("a", encoding="utf-8") as marker:
    marker.write(f"{os.getpid()}\n")


class Empty(BaseModel):
    pass


class Pid(BaseModel):
    pid: int


def whoami(ctx: Context, request: Empty) -> Pid:
    return Pid(pid=os.getpid())


@hookimpl
def datamarket_plugin_manifest() -> Manifest:
    return Manifest(name="import_marker", version="1.0.0", merchant="91350100M000100Y43",
                    sdk=">=0.1,<0.2", title="Import marker test plugin")


@hookimpl
def datamarket_operations() -> list[Operation]:
    return [Operation(name="whoami", summary="The process id the operation runs in.",
                      input_model=Empty, output_model=Pid, handler=whoami,
                      example_input={})]
