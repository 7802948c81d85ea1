"""The kinds of job the platform knows, registered by the modules that define them.

``marketplace/tasks.py`` lists those modules, so the web processes and every worker know the
same kinds; ``JOBS_IMPORT`` adds more.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask
    from sqlmodel import Session


@dataclass(frozen=True)
class JobKind:
    """A kind of job: its name, its function, and how often and how patiently it is retried
    (``None``: the deployment's ``JOBS_MAX_ATTEMPTS`` and ``JOBS_RETRY_DELAY``)."""

    name: str
    run: Callable[..., None]
    max_attempts: int | None = None
    retry_delay: float | None = None
    #: The setting (an ``app.config`` name) giving the seconds between two runs the worker
    #: asks for by itself; None: the kind runs only when asked.
    every: str | None = None


@dataclass
class RunningJob:
    """What a job's function gets as its first argument, beside the arguments it was asked with.

    :param session: the job's own database session. What the function leaves uncommitted is
        committed together with the job's success, and rolled back if it fails.
    :param attempt: 1 for the first try, 2 for the first retry, and so on.
    """

    id: int
    kind: str
    attempt: int
    asked_by: int | None
    session: Session
    app: Flask
    token: str = field(repr=False)


#: kind name -> kind. Filled by ``@job`` when the modules listed in ``marketplace/tasks.py``
#: are imported.
KINDS: dict[str, JobKind] = {}


class DuplicateJobKind(RuntimeError):
    """Two different functions registered under one kind name."""


def job(name: str, *, max_attempts: int | None = None, retry_delay: float | None = None,
        every: str | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Decorator: make the function the job kind ``name``, run as ``function(job, **args)``
    where ``job`` is a :class:`RunningJob` and ``args`` are what :func:`enqueue` was given.

    :param every: a setting's name; its value (seconds, 0 for never) makes the workers ask
        for one run, without arguments, per period (:func:`marketplace.jobs.services.
        enqueue_periodic`), however many workers there are.

    A job may run more than once (a retry, or a worker killed halfway): its effects must be
    safe to repeat, or be guarded with :func:`marketplace.jobs.effect_once`.
    """

    def decorate(function: Callable[..., None]) -> Callable[..., None]:
        known = KINDS.get(name)
        if known is not None and _qualified(known.run) != _qualified(function):
            raise DuplicateJobKind(f"the job kind {name!r} is already "
                                   f"{_qualified(known.run)}; {_qualified(function)} cannot "
                                   "be registered under it too.")
        KINDS[name] = JobKind(name, function, max_attempts, retry_delay, every)
        return function

    return decorate


def _qualified(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def import_kinds(modules: Iterable[str]) -> None:
    """Import the modules that define job kinds (``JOBS_IMPORT``), naming one that fails."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ImportError(f"JOBS_IMPORT names {module!r}, which could not be imported: "
                              f"{exc}") from exc
