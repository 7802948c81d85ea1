"""``datamarket watermark identify``: the candidates come from the database, the verdict names
the entitlement and its buyer, and the lookup is audited."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace.audit.models import AuditEntry
from marketplace.plugins import get_runtime
from tests.factories import make_user
from tests.gateway_support import buy, gateway_config, make_world
from tests.unit.exports.support import export_to, shuffle_drop_and_convert


@pytest.fixture
def app_config(app_config):
    return gateway_config(app_config)


@pytest.fixture
def app(app):
    yield app
    get_runtime(app).close()


@pytest.fixture
def holders(app, db):
    world = make_world(app, db)
    first, second = make_user(db), make_user(db)
    return world, buy(db, world, first), first, buy(db, world, second), second


def identify(app, *args):
    return app.test_cli_runner().invoke(args=["watermark", "identify", *map(str, args)])


def test_a_leaked_file_names_its_entitlement_and_buyer(app, db, holders, tmp_path):
    world, first_entitlement, first, second_entitlement, second = holders
    for entitlement, buyer in ((first_entitlement, first), (second_entitlement, second)):
        delivered = tmp_path / f"{entitlement.id}.csv"
        export_to(delivered, entitlement.id, "csv")
        leaked = tmp_path / f"{entitlement.id}.xlsx"
        shuffle_drop_and_convert(delivered, leaked, "rate")
        result = identify(app, leaked, "--listing", world.listing.id)
        assert result.exit_code == 0, result.output
        assert f"Issued under entitlement {entitlement.id} (buyer {buyer.email})" in result.output
        assert result.output.count("Issued under") == 1
    entries = db.exec(select(AuditEntry).where(AuditEntry.action == "watermark.identify")
                      .order_by(AuditEntry.id)).all()
    assert [entry.details["named"] for entry in entries] == [[first_entitlement.id],
                                                             [second_entitlement.id]]


def test_a_file_exported_under_no_candidate_names_nobody(app, holders, tmp_path):
    world, first_entitlement, *_ = holders
    path = tmp_path / "other.csv"
    export_to(path, first_entitlement.id + 100, "csv")
    result = identify(app, path)
    assert result.exit_code == 1
    assert "Names nobody: no compared entitlement's mark" in result.output


def test_only_the_named_entitlements_are_compared(app, holders, tmp_path):
    _world, first_entitlement, _first, second_entitlement, _second = holders
    path = tmp_path / "a.parquet"
    export_to(path, first_entitlement.id, "parquet")
    assert identify(app, path, "--entitlement", second_entitlement.id).exit_code == 1
    named = identify(app, path, "--entitlement", first_entitlement.id)
    assert named.exit_code == 0 and "1 entitlement(s) compared" in named.output


def test_a_file_that_is_not_a_table_is_refused_with_a_message(app, holders, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    result = identify(app, path)
    assert result.exit_code == 1
    assert "could not be read as CSV, XLSX or Parquet" in result.output
