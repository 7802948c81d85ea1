"""The ``datamarket`` command line."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import select

from marketplace import create_app, migrate
from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEntry
from marketplace.db import get_engine
from tests.factories import make_user


def test_create_admin_creates_an_audited_admin(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "Ops@Example.com", "--name", "Ops",
              "--password", "a-long-password"]
    )
    assert result.exit_code == 0, result.output
    assert "ops@example.com is an admin." in result.output
    admin = db.exec(select(User).where(User.email == "ops@example.com")).one()
    assert admin.role == Role.ADMIN
    change = db.exec(select(AuditEntry).where(AuditEntry.action == "user.role_change")).one()
    assert change.details == {"from": "buyer", "to": "admin"}
    assert change.actor_id is None  # the platform itself, from the command line


def test_create_admin_promotes_an_existing_account(app, db):
    buyer = make_user(db, Role.BUYER)
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", buyer.email, "--password", "ignored-for-existing"]
    )
    assert result.exit_code == 0, result.output
    db.refresh(buyer)
    assert buyer.role == Role.ADMIN


def test_create_admin_rejects_a_short_password(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "x@example.com", "--password", "short"]
    )
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    assert db.exec(select(User)).all() == []


def test_db_upgrade_builds_an_empty_database_from_migrations(tmp_path, app_config):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    fresh = create_app({**app_config, "DATABASE_URL": url})
    result = fresh.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    head = ScriptDirectory.from_config(migrate.alembic_config(url)).get_current_head()
    assert f"Database is at {head}." in result.output
    tables = set(inspect(get_engine(fresh)).get_table_names())
    assert {"user_account", "listing", "audit_entry", "audit_chain_head", "installed_plugin",
            "plugin_incident"} <= tables
    get_engine(fresh).dispose()


def test_mail_flush_sends_the_outbox(app, db, tmp_path):
    make_user(db, Role.ADMIN)  # set_role queues a "your role is now admin" e-mail
    result = app.test_cli_runner().invoke(args=["mail", "flush"])
    assert result.exit_code == 0
    assert "1 e-mail(s) sent." in result.output
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1


def test_reindex_rebuilds_the_search_index_from_the_database(app, db):
    import shutil

    from marketplace.catalog.models import ListingState
    from marketplace.search import get_index
    from marketplace.search.query import SearchRequest
    from marketplace.search.services import find
    from tests.factories import make_listing, make_merchant

    merchant, org = make_merchant(db)
    admin = make_user(db, Role.ADMIN)
    on_sale = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin,
                           title="Harbour crane telemetry")
    make_listing(db, merchant, org, state=ListingState.SUSPENDED, admin=admin,
                 title="Harbour crane archive")
    # The index is lost (a disk replaced, a folder deleted by hand).
    shutil.rmtree(get_index(app).root)
    result = app.test_cli_runner().invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert "Search index rebuilt: 1 product(s) on sale" in result.output
    fresh = type(get_index(app))(get_index(app).root)
    hits, _request = find(fresh, SearchRequest(q="crane"))
    assert hits.product_ids == [on_sale.product_id]
