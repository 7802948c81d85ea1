"""A plugin that loads fine and offers one operation per way an operation can go wrong."""

from __future__ import annotations

import os
import time

from datamarket_sdk import BadInput, Context, Manifest, NotFound, Operation, hookimpl
from pydantic import BaseModel


class Empty(BaseModel):
    pass


class Text(BaseModel):
    text: str


class Flaky(BaseModel):
    fail: bool


class Seconds(BaseModel):
    seconds: float = 5.0


class Megabytes(BaseModel):
    megabytes: int


class Names(BaseModel):
    names: list[str]


class Pid(BaseModel):
    pid: int


class Done(BaseModel):
    done: bool


def echo(ctx: Context, request: Text) -> Text:
    return Text(text=request.text)


def explode(ctx: Context, request: Empty) -> Text:
    raise RuntimeError("kaboom: the secret sauce recipe leaked into a traceback")


def flaky(ctx: Context, request: Flaky) -> Text:
    if request.fail:
        raise RuntimeError("flaky failed as asked")
    return Text(text="fine")


def sleepy(ctx: Context, request: Seconds) -> Text:
    time.sleep(request.seconds)  # ignores ctx.check_deadline() on purpose
    return Text(text="woke up too late")


def bad_output(ctx: Context, request: Empty) -> dict:
    return {"wrong": 1}


def refuse(ctx: Context, request: Empty) -> Text:
    raise BadInput("The number must be positive.")


def missing(ctx: Context, request: Empty) -> Text:
    raise NotFound("No company is registered under that code.")


def burn(ctx: Context, request: Empty) -> Text:
    total = 0
    while True:  # pure CPU, never checks the deadline
        total += 1


def hog(ctx: Context, request: Megabytes) -> Done:
    block = bytearray(request.megabytes * 1024 * 1024)
    return Done(done=len(block) > 0)


def environment(ctx: Context, request: Empty) -> Names:
    return Names(names=sorted(os.environ))


def pid(ctx: Context, request: Empty) -> Pid:
    return Pid(pid=os.getpid())


def die(ctx: Context, request: Empty) -> Text:
    os._exit(3)  # only ever called untrusted: it ends the process it runs in


def chatty(ctx: Context, request: Text) -> Text:
    print("plugins print things; this must not reach the protocol")
    ctx.logger.info("logged by the chatty plugin")
    return Text(text=request.text)


@hookimpl
def datamarket_plugin_manifest() -> Manifest:
    return Manifest(name="faulty", version="1.0.0", merchant="91350100M000100Y43",
                    sdk=">=0.1,<0.2", title="Faulty test plugin")


def _operation(name: str, handler, input_model, output_model, timeout: float = 5.0) -> Operation:
    return Operation(name=name, summary=f"The {name} test operation.", input_model=input_model,
                     output_model=output_model, handler=handler, timeout_seconds=timeout)


@hookimpl
def datamarket_operations() -> list[Operation]:
    return [
        _operation("echo", echo, Text, Text),
        _operation("explode", explode, Empty, Text),
        _operation("flaky", flaky, Flaky, Text),
        _operation("sleepy", sleepy, Seconds, Text, timeout=0.5),
        _operation("bad_output", bad_output, Empty, Text),
        _operation("refuse", refuse, Empty, Text),
        _operation("missing", missing, Empty, Text),
        _operation("burn", burn, Empty, Text, timeout=30.0),
        _operation("hog", hog, Megabytes, Done),
        _operation("environment", environment, Empty, Names),
        _operation("pid", pid, Empty, Pid),
        _operation("die", die, Empty, Text),
        _operation("chatty", chatty, Text, Text),
    ]
