"""Datasets: what a data package sells, uploaded by its merchant and kept immutable.

Layout, top to bottom: ``views`` (the listing's dataset page and its upload), ``services``
(receiving, reading and recording an upload), then what other packages may use without a
cycle: ``lookup`` (each granted dataset as a read-only SQLite file for plugins' lookups),
``reader`` (the one read API: :func:`~marketplace.datasets.reader.read_batches` and
:func:`~marketplace.datasets.reader.schema`), ``dictionary`` (the data dictionary checked
against the columns), ``ingest`` and ``column_types`` (files into Parquet), ``storage`` and
``s3`` (where files live), ``models``. Only ``services`` and ``views`` know the catalog.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from marketplace.datasets.lookup import LookupStores
from marketplace.datasets.storage import DatasetStore, StoreSettings, build_store

STORE_KEY = "datamarket.dataset_store"
LOOKUP_KEY = "datamarket.lookup_stores"
SETTINGS_KEY = "datamarket.dataset_settings"


def init_app(app: Flask) -> None:
    """Choose the app's dataset store from its settings (see :mod:`.storage`)."""
    store_settings = StoreSettings.from_config(app.config)
    app.extensions[SETTINGS_KEY] = store_settings
    app.extensions[STORE_KEY] = build_store(store_settings)
    app.extensions[LOOKUP_KEY] = LookupStores(Path(app.config["LOOKUP_STORES_DIR"]),
                                              app.extensions[STORE_KEY])


def get_store(app: Flask | None = None) -> DatasetStore:
    """The dataset store of ``app`` (the current app when not given)."""
    return (app or current_app).extensions[STORE_KEY]


def lookup_stores(app: Flask | None = None) -> LookupStores:
    """The lookup stores plugins' granted datasets are read from (see :mod:`.lookup`)."""
    return (app or current_app).extensions[LOOKUP_KEY]


def store_settings(app: Flask | None = None) -> StoreSettings:
    """The dataset settings of ``app`` (the current app when not given)."""
    return (app or current_app).extensions[SETTINGS_KEY]
