"""The alembic migrations build exactly the schema the models describe, and undo it.

On SQLite, and on PostgreSQL too when ``DATAMARKET_TEST_DATABASE_URL`` is set (each test gets
an empty database there: conftest's ``empty_database_url``).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, create_engine, inspect, text

import marketplace.models  # noqa: F401  (every table on the metadata)
from marketplace import migrate
from marketplace.models import metadata


@pytest.fixture
def url(empty_database_url):
    return empty_database_url


def schema_differences(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_exactly_one_head():
    heads = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"several migration heads, merge them: {heads}"


def test_upgrade_head_gives_the_models_schema(url):
    migrate.upgrade(url)
    assert migrate.current_revision(url) == ScriptDirectory.from_config(
        migrate.alembic_config(url)).get_current_head()
    differences = schema_differences(url)
    assert differences == [], (
        "the migrations and the models disagree; write a migration "
        f"(alembic revision --autogenerate): {differences}"
    )
    assert table_names(url) == set(metadata.tables) | {"alembic_version"}


def test_upgrade_seeds_the_audit_chain_head(url):
    migrate.upgrade(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, last_seq, last_hash FROM audit_chain_head")).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [(1, 0, "0" * 64)]


def test_published_listing_index_is_partial_and_unique(url):
    migrate.upgrade(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = ("SELECT indexdef FROM pg_indexes WHERE indexname = :name"
                     if conn.dialect.name == "postgresql"
                     else "SELECT sql FROM sqlite_master WHERE name = :name")
            sql = conn.execute(text(query),
                               {"name": "uq_listing_one_published_per_product"}).scalar_one()
    finally:
        engine.dispose()
    assert "UNIQUE" in sql.upper()
    assert "state = 'published'" in sql or "state)::text = 'published'" in sql


def test_downgrade_to_base_removes_everything_and_upgrade_again_works(url):
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    assert table_names(url) <= {"alembic_version"}
    assert migrate.current_revision(url) is None
    migrate.upgrade(url)
    assert schema_differences(url) == []


def test_each_revision_steps_down_and_up(url):
    """Walk every revision one at a time, so a broken downgrade in the middle shows."""
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    for revision in revisions:
        migrate.upgrade(url, revision)
        assert migrate.current_revision(url) == revision
    for revision in reversed(revisions):
        previous = script.get_revision(revision).down_revision or "base"
        migrate.downgrade(url, previous)
        assert migrate.current_revision(url) == (None if previous == "base" else previous)


def _insert_required(conn, table_name: str, **values) -> None:
    """Insert a row of ``table_name`` as the database has it now, giving each required column
    without a server default a plain value of its type (``values`` win)."""
    table = Table(table_name, MetaData(), autoload_with=conn)
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.server_default is not None:
            continue
        python_type = column.type.python_type
        row[column.name] = {int: 0, bool: False, str: "x",
                            datetime: datetime(2026, 1, 1)}.get(python_type, "x")
    conn.execute(table.insert().values(**row))


def test_0009_sells_each_listings_one_operation_as_its_first(url):
    migrate.upgrade(url, "0008")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            # What the listings point at (PostgreSQL checks the foreign keys).
            _insert_required(conn, "user_account", id=1, email="m@example.com")
            _insert_required(conn, "merchant_organization", id=1, credit_code="x" * 18)
            _insert_required(conn, "product", id=1, organization_id=1, created_by_id=1)
            for listing_id, plugin, operation in ((1, "kyb", "verify"), (2, None, None)):
                conn.execute(text(
                    "INSERT INTO listing (id, product_id, organization_id, version, state, "
                    "title, summary, description_md, product_type, delivery_form, scenario, "
                    "tags, classification_level, data_dictionary, sample_rows, plugin_name, "
                    "operation_name, created_at, updated_at) VALUES (:id, 1, 1, :v, 'draft', "
                    "'t', '', '', 'raw_dataset', 'query_api', 'finance', '[]', 1, '[]', '[]', "
                    ":plugin, :operation, '2026-01-01', '2026-01-01')"),
                    {"id": listing_id, "v": f"1.{listing_id}", "plugin": plugin,
                     "operation": operation})
        migrate.upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT listing_id, plugin_name, operation_name, position "
                                     "FROM listing_operation")).all()
            flags = conn.execute(text("SELECT requires_application FROM listing")).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [(1, "kyb", "verify", 0)]
    assert [bool(flag) for (flag,) in flags] == [False, False]


def test_0014_offers_no_trial_on_existing_listings_and_its_downgrade_leaves_no_sandbox_key(url):
    migrate.upgrade(url, "0012")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            _insert_required(conn, "user_account", id=1, email="b@example.com")
            _insert_required(conn, "merchant_organization", id=1, credit_code="x" * 18)
            _insert_required(conn, "product", id=1, organization_id=1, created_by_id=1)
            _insert_required(conn, "listing", id=1, product_id=1, organization_id=1,
                             tags=[], data_dictionary=[], sample_rows=[])
        migrate.upgrade(url, "0014")
        with engine.begin() as conn:
            trials = conn.execute(text("SELECT trial_calls FROM listing")).scalars().all()
            _insert_required(conn, "sandbox_trial", id=1, buyer_id=1, product_id=1)
            _insert_required(conn, "api_key", id=1, buyer_id=1, prefix="abcd1234", trial_id=1,
                             entitlement_ids=[], allowed_networks=[])
            _insert_required(conn, "usage_record", id=1, trial_id=1, api_key_id=1,
                             request_id="r1", kind="sandbox")
        migrate.downgrade(url, "0016")
        with engine.connect() as conn:
            records = conn.execute(text("SELECT COUNT(*) FROM usage_record")).scalar()
            revoked = conn.execute(text("SELECT revoked_at FROM api_key")).scalar()
    finally:
        engine.dispose()
    assert trials == [0]
    # a sandbox key without its trial would cover every entitlement of its buyer: revoked
    assert records == 0 and revoked is not None


def test_0024_keeps_listings_text_as_the_chinese_version_with_no_english(url):
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    migrate.upgrade(url, script.get_revision("0024").down_revision)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            _insert_required(conn, "user_account", id=1, email="m@example.com")
            _insert_required(conn, "merchant_organization", id=1, credit_code="x" * 18)
            _insert_required(conn, "product", id=1, organization_id=1, created_by_id=1)
            _insert_required(conn, "listing", id=1, product_id=1, organization_id=1,
                             title="企业信用", summary="摘要", description_md="说明",
                             tags=[], data_dictionary=[], sample_rows=[])
        migrate.upgrade(url, "0024")
        with engine.connect() as conn:
            row = conn.execute(text(
                "SELECT title, summary, description_md, title_en, summary_en, "
                "description_md_en FROM listing")).one()
    finally:
        engine.dispose()
    assert tuple(row) == ("企业信用", "摘要", "说明", "", "", "")
