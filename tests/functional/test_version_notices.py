"""Version notices: publishing a product's new version tells each holder of an active
entitlement once (bell and e-mail), with the data dictionary's added, removed and changed
fields; holders of revoked entitlements and the merchant's other products hear nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace.catalog import services as catalog
from marketplace.catalog.lifecycle import Transition
from marketplace.catalog.models import Product
from marketplace.delivery import entitlements
from marketplace.delivery.models import EntitlementState
from marketplace.monitoring.models import VersionNotice
from marketplace.monitoring.notices import dictionary_changes, send_version_notices
from marketplace.notifications.models import Notification, OutboundEmail
from marketplace.plugins import get_runtime
from tests.factories import make_user
from tests.gateway_support import buy, gateway_config, make_world


def _publish_new_version(db, world):
    product = db.get(Product, world.listing.product_id)
    draft = catalog.start_new_version(db, world.merchant, product)
    content = draft.model_dump(include={"version", "title", "title_en", "summary", "description_md",
                                        "product_type", "delivery_form", "scenario", "tags",
                                        "classification_level", "sample_rows"})
    content["version"] = "1.1"
    content["title_en"] = "Enterprise blacklist check"
    content["data_dictionary"] = [
        {"name": "credit_code", "type": "string", "description": "USCC", "sensitivity": "none"},
        {"name": "listed", "type": "string", "description": "yes or no", "sensitivity": "none"},
        {"name": "removed_on", "type": "date", "description": "Removal date",
         "sensitivity": "none"}]
    content["sample_rows"] = [{"credit_code": "91350100M000100Y43", "listed": "no",
                               "removed_on": None}]
    catalog.update_listing(db, world.merchant, draft, content)
    catalog.submit(db, world.merchant, draft)
    catalog.decide(db, world.admin, draft, Transition.APPROVE)
    db.commit()
    return draft


@pytest.fixture
def app_config(app_config):
    return gateway_config(app_config)


@pytest.fixture
def app(app):
    yield app
    get_runtime(app).close()


def test_holders_are_told_once_with_the_dictionary_changes(app, db):
    world = make_world(app, db)
    holder = world.buyer
    buy(db, world, holder)
    revoked = make_user(db)
    gone = buy(db, world, revoked)
    entitlements.change_state(db, gone, EntitlementState.REVOKED, reason="Refunded.")
    db.commit()
    assert send_version_notices(db) == 0  # no new version yet
    new = _publish_new_version(db, world)

    told = send_version_notices(db)
    db.commit()

    assert told == 1
    [note] = db.exec(select(Notification).where(Notification.user_id == holder.id,
                                                Notification.kind == "product.new_version")
                     ).all()
    assert note.params["version"] == "1.1" and note.params["previous"] == "1.0"
    assert note.params["title_en"] == "Enterprise blacklist check", "English readers get it"
    assert (note.params["added"], note.params["removed"], note.params["changed"]) == (
        "removed_on", "—", "listed")
    mail = db.exec(select(OutboundEmail).where(OutboundEmail.to_address == holder.email)
                   .order_by(OutboundEmail.id.desc())).first()
    assert "1.1" in mail.subject and "removed_on" in mail.body
    assert not db.exec(select(Notification).where(Notification.user_id == revoked.id,
                                                  Notification.kind == "product.new_version")
                       ).all()
    # repeated sweeps tell nobody twice
    assert send_version_notices(db) == 0
    db.commit()
    assert len(db.exec(select(VersionNotice).where(VersionNotice.listing_id == new.id)).all()) == 1


def test_dictionary_changes_by_field_name():
    old = [{"name": "a", "type": "string"}, {"name": "b", "type": "int"},
           {"name": "c", "type": "string", "description": "x"}]
    new = [{"name": "a", "type": "string"}, {"name": "c", "type": "string", "description": "y"},
           {"name": "d", "type": "date"}]
    changes = dictionary_changes(old, new)
    assert (changes.added, changes.removed, changes.changed) == (["d"], ["b"], ["c"])
    assert changes.as_params() == {"added": "d", "removed": "b", "changed": "c"}
