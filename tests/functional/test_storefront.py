"""The buyer-facing storefront: home, browse, product and merchant pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from marketplace.accounts.models import Role
from marketplace.catalog import services as catalog
from marketplace.catalog.lifecycle import Transition
from marketplace.catalog.models import ListingState, Product
from marketplace.db import get_engine
from tests.dataset_support import attach_dataset
from tests.factories import (
    PASSWORD,
    make_listing,
    make_merchant,
    make_organization,
    make_user,
    plans,
)


@pytest.fixture
def seller(db):
    """A verified merchant, its organization, and an admin to review its listings."""
    merchant, org = make_merchant(db)
    return merchant, org, make_user(db, Role.ADMIN)


def publish(db, seller, **content):
    merchant, org, admin = seller
    return make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin, **content)


def card_titles(html: str) -> list[str]:
    """The titles of the product cards on a page, in order (highlighting removed)."""
    return [re.sub(r"</?mark>", "", title)
            for title in re.findall(r'<h3><a href="/products/\d+">(.*?)</a></h3>', html)]


# ---------------------------------------------------------------------------- home


def test_home_shows_published_products_by_scenario_and_nothing_unpublished(db, client, seller):
    merchant, org, admin = seller
    publish(db, seller, title="Live finance product", scenario="finance")
    publish(db, seller, title="Live transport product", scenario="transport")
    hidden = {
        ListingState.DRAFT: "Hidden draft",
        ListingState.SUBMITTED: "Hidden submitted",
        ListingState.REJECTED: "Hidden rejected",
        ListingState.SUSPENDED: "Hidden suspended",
        ListingState.RETIRED: "Hidden retired",
    }
    for state, title in hidden.items():
        make_listing(db, merchant, org, state=state, admin=admin, title=title, scenario="finance")

    response = client.get("/")
    html = response.text
    assert response.status_code == 200
    assert "Authorized public data, delivered under platform control" in html
    assert 'action="/products"' in html and 'name="q"' in html
    finance = html.split('id="scenario-finance"')[1].split('id="scenario-transport"')[0]
    transport = html.split('id="scenario-transport"')[1].split('id="scenario-medical"')[0]
    medical = html.split('id="scenario-medical"')[1].split('id="scenario-social_governance"')[0]
    assert card_titles(finance) == ["Live finance product"]
    assert card_titles(transport) == ["Live transport product"]
    assert card_titles(medical) == []
    assert "No products in this scenario yet." in medical
    assert 'href="/products?scenario=finance"' in finance
    for title in hidden.values():
        assert title not in html
    assert "How it works" in html and "Apply for authorization" in html


def test_home_shows_the_four_newest_per_scenario(db, client, seller):
    for n in range(5):
        publish(db, seller, title=f"Finance {n}", scenario="finance")
    html = client.get("/").text
    finance = html.split('id="scenario-finance"')[1].split('id="scenario-transport"')[0]
    assert card_titles(finance) == ["Finance 4", "Finance 3", "Finance 2", "Finance 1"]
    assert "See all 5 products" in finance


def test_home_query_count_does_not_grow_with_the_number_of_cards(app, db, client):
    def queries_for_home() -> int:
        statements: list[str] = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        engine = get_engine(app)
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    # Each card from a different merchant, so merchants cannot be cached by identity.
    admin = make_user(db, Role.ADMIN)
    for scenario in ("finance", "transport", "medical", "social_governance"):
        merchant, org = make_merchant(db)
        make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin,
                     scenario=scenario)
    few = queries_for_home()
    for scenario in ("finance", "transport", "medical", "social_governance"):
        for _ in range(3):
            merchant, org = make_merchant(db)
            make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin,
                         scenario=scenario)
    assert queries_for_home() == few


# ---------------------------------------------------------------------------- browse


def test_browse_filters_by_each_filter(db, client, seller):
    merchant, org, admin = seller
    publish(db, seller, title="Alpha credit risk", scenario="finance",
            product_type="modelized_data", delivery_form="service_api", classification_level=2)
    publish(db, seller, title="Beta driver check", scenario="transport",
            product_type="desensitized_dataset", delivery_form="verification_api",
            classification_level=3, summary="Three-element verification of drivers.")
    # Level 2, not 1: its sample holds credit codes, which the compliance scan grades internal.
    free = make_listing(db, merchant, org, title="Gamma epidemiology", scenario="medical",
                        product_type="raw_dataset", delivery_form="data_package",
                        classification_level=2)
    catalog.update_listing(db, merchant, free, free.model_dump(), plans("free"))
    attach_dataset(db, merchant, free)
    catalog.submit(db, merchant, free)
    catalog.decide(db, admin, free, Transition.APPROVE)
    db.commit()
    everything = {"Alpha credit risk", "Beta driver check", "Gamma epidemiology"}

    cases = {
        "": everything,
        "q=driver": {"Beta driver check"},
        "q=three-element": {"Beta driver check"},  # matches the summary
        "q=100%25": set(),  # LIKE wildcards are searched for literally
        "scenario=finance": {"Alpha credit risk"},
        "product_type=raw_dataset": {"Gamma epidemiology"},
        "delivery_form=verification_api": {"Beta driver check"},
        "classification_level=3": {"Beta driver check"},
        "pricing_model=free": {"Gamma epidemiology"},
        "pricing_model=membership": {"Alpha credit risk", "Beta driver check"},
        "scenario=finance&classification_level=3": set(),
    }
    for query, expected in cases.items():
        response = client.get(f"/products?{query}")
        assert response.status_code == 200, query
        assert set(card_titles(response.text)) == expected, query
        if not expected:
            assert "No products match these filters." in response.text

    by_title = card_titles(client.get("/products?sort=title").text)
    assert by_title == sorted(everything)
    newest = card_titles(client.get("/products").text)
    assert newest == ["Gamma epidemiology", "Beta driver check", "Alpha credit risk"]
    # The chosen filter stays selected in the sidebar, as a link that removes it.
    html = client.get("/products?scenario=transport").text
    chosen = re.search(r'<a href="([^"]*)"\s+class="facet-link selected"\s+'
                       r'data-facet="scenario" data-value="transport"', html)
    assert chosen and chosen.group(1) == "/products"


def test_browse_paginates_and_keeps_filters_in_page_links(db, client, seller):
    for n in range(26):
        publish(db, seller, title=f"Finance product {n:02d}", scenario="finance")
    publish(db, seller, title="Transport product", scenario="transport")

    first = client.get("/products?scenario=finance&sort=title")
    assert first.status_code == 200
    assert len(card_titles(first.text)) == 24
    assert "26 products found" in first.text
    assert "/products?page=2&amp;scenario=finance&amp;sort=title" in first.text
    second = client.get("/products?scenario=finance&sort=title&page=2")
    assert card_titles(second.text) == ["Finance product 24", "Finance product 25"]
    assert "Transport product" not in second.text
    assert "/products?page=1&amp;scenario=finance&amp;sort=title" in second.text


def test_browse_ignores_invalid_filter_values(db, client, seller):
    publish(db, seller, title="Only product", scenario="finance", classification_level=2)
    for query in (
        "scenario=nonsense",
        "page=-3",
        "page=abc",
        "page=999",
        "classification_level=9",
        "classification_level=two",
        "product_type=%3Cscript%3E",
        "delivery_form=x&pricing_model=y&sort=price",
        "q=" + "x" * 500,
        "scenario=nonsense&page=-3&classification_level=9",
    ):
        response = client.get(f"/products?{query}")
        assert response.status_code == 200, query
        assert card_titles(response.text) == ["Only product"], query
    notice = "Some filters in the address were not recognized and were ignored."
    assert notice in client.get("/products?scenario=nonsense").text
    assert notice not in client.get("/products?scenario=finance").text


def test_browse_with_no_products_says_so(client):
    response = client.get("/products")
    assert response.status_code == 200
    assert "No products are on sale yet." in response.text


# ---------------------------------------------------------------------------- product page


def test_product_page_shows_what_a_buyer_decides_on(db, client, seller):
    merchant, org, admin = seller
    listing = publish(
        db, seller,
        title="Driver three-element verification",
        scenario="transport",
        delivery_form="verification_api",
        tags=["driver", "licence"],
        classification_level=2,
        data_dictionary=[
            {"name": "name", "type": "string", "description": "Driver name",
             "sensitivity": "personal"},
            {"name": "id_number", "type": "string", "description": "Resident ID number",
             "sensitivity": "sensitive_personal"},
            {"name": "match", "type": "boolean", "description": "All three match",
             "sensitivity": "none"},
        ],
        # Written in another order than the dictionary: the table follows the dictionary.
        sample_rows=[{"match": True, "id_number": "110101********1234", "name": "张*"}],
    )
    response = client.get(f"/products/{listing.product_id}")
    html = response.text
    assert response.status_code == 200
    assert "<h1" in html and "Driver three-element verification" in html
    assert f'href="/merchants/{org.id}"' in html and org.name in html
    assert "Verification API (match / no match)" in html and "Transport" in html
    assert "Level 2 · internal" in html and "Version" in html and "1.0" in html
    assert "driver" in html and "licence" in html
    # Every pricing plan, headline and details.
    assert "Pay as you go" in html and "Monthly" in html
    assert "The first 100 calls each month are free; the tiers below count" in html
    assert "Includes 50,000 calls per period." in html
    # Data dictionary with translated sensitivity labels.
    assert "Resident ID number" in html and "Sensitive personal information" in html
    assert "Personal information" in html
    # Sample columns in dictionary order.
    sample = html.split('id="sample"')[1]
    assert re.findall(r"<th scope=\"col\"><code>(\w+)</code></th>", sample) == [
        "name", "id_number", "match"]
    # Masked as delivered, by the governance plugin: the merchant's own masking is not trusted.
    assert "张*" not in sample and "110101********1234" not in sample
    assert "<td>**</td>" in sample and "<td>1****************4</td>" in sample
    assert "fields the merchant marks as sensitive are masked" in sample
    assert "You are viewing version 1.0" in html
    # Anonymous buyers are offered to sign in, coming back here afterwards.
    assert "Sign in to buy" in html
    assert f'href="/login?next=/products/{listing.product_id}"' in html
    assert "authorization application from the merchant" not in html


def test_product_page_signed_in_buyer_sees_the_buy_forms(db, client, seller):
    listing = publish(db, seller, title="Some product")
    buyer = make_user(db)
    login = client.post("/login", data={"email": buyer.email, "password": PASSWORD})
    assert login.status_code == 302
    html = client.get(f"/products/{listing.product_id}").text
    assert 'action="/cart/items"' in html and "Add to cart" in html
    assert "Sign in to buy" not in html


def test_product_page_explains_authorization_for_levels_3_and_4(db, client, seller):
    listing = publish(db, seller, classification_level=4)
    html = client.get(f"/products/{listing.product_id}").text
    assert "This is a level 4 product" in html
    assert "approved authorization application" in html


def test_product_page_sanitizes_merchant_content(db, client, seller):
    admin = seller[2]
    org = make_organization(db, name="Acme <b>Data</b>")
    own_merchant = make_user(db, Role.MERCHANT, organization=org)
    listing = make_listing(
        db, own_merchant, org, state=ListingState.PUBLISHED, admin=admin,
        title="<i>Shiny</i> title",
        description_md="Intro\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) "
                       "and [ok](https://example.com)",
    )
    html = client.get(f"/products/{listing.product_id}").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, never run
    assert not re.search(r"href=[\"']?\s*javascript:", html, re.IGNORECASE)
    assert 'href="https://example.com"' in html
    assert "&lt;i&gt;Shiny&lt;/i&gt; title" in html and "<i>Shiny</i>" not in html
    assert "Acme &lt;b&gt;Data&lt;/b&gt;" in html and "<b>Data</b>" not in html


@pytest.mark.parametrize("state", [ListingState.SUSPENDED, ListingState.RETIRED,
                                   ListingState.SUBMITTED, ListingState.DRAFT])
def test_product_page_is_404_unless_published(db, client, seller, state):
    merchant, org, admin = seller
    listing = make_listing(db, merchant, org, state=state, admin=admin)
    assert client.get(f"/products/{listing.product_id}").status_code == 404
    # Not even its owner sees it here (owners preview in the dashboard).
    client.post("/login", data={"email": merchant.email, "password": PASSWORD})
    assert client.get(f"/products/{listing.product_id}").status_code == 404


def test_product_page_is_404_for_unknown_product(client):
    assert client.get("/products/999999").status_code == 404


def test_product_with_a_new_version_in_review_still_shows_the_published_one(db, client, seller):
    merchant, org, admin = seller
    old = publish(db, seller, title="Version one title")
    new = catalog.start_new_version(db, merchant, db.get(Product, old.product_id))
    catalog.update_listing(db, merchant, new, {**new.model_dump(), "title": "Version two title"})
    catalog.submit(db, merchant, new)
    db.commit()
    assert new.state == ListingState.SUBMITTED

    html = client.get(f"/products/{old.product_id}").text
    assert "Version one title" in html and "Version two title" not in html
    assert "You are viewing version 1.0" in html
    assert card_titles(client.get("/products").text) == ["Version one title"]


# ---------------------------------------------------------------------------- merchant page


def test_merchant_page_lists_only_published_products(db, client, seller):
    merchant, org, admin = seller
    publish(db, seller, title="On sale")
    make_listing(db, merchant, org, state=ListingState.SUSPENDED, admin=admin, title="Halted")
    make_listing(db, merchant, org, title="Still a draft")
    other_merchant, other_org = make_merchant(db)
    make_listing(db, other_merchant, other_org, state=ListingState.PUBLISHED, admin=admin,
                 title="Someone else's")

    response = client.get(f"/merchants/{org.id}")
    assert response.status_code == 200
    assert org.name in response.text and "Verified merchant" in response.text
    assert card_titles(response.text) == ["On sale"]


def test_merchant_page_of_a_merchant_with_nothing_on_sale(db, client):
    org = make_organization(db)
    response = client.get(f"/merchants/{org.id}")
    assert response.status_code == 200
    assert "This merchant has no products on sale right now." in response.text


def test_merchant_page_is_404_for_unverified_or_unknown_organizations(db, client):
    pending = make_organization(db, verified=False)
    assert client.get(f"/merchants/{pending.id}").status_code == 404
    assert client.get("/merchants/999999").status_code == 404


# ---------------------------------------------------------------------------- languages


def test_pages_render_in_chinese(db, client, seller):
    listing = publish(db, seller, title="企业黑名单核验")
    response = client.post("/language", data={"lang": "zh_Hans", "next": "/"})
    assert response.status_code == 302
    for url in ("/", f"/products/{listing.product_id}", "/products?scenario=finance"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert 'lang="zh-Hans"' in page.text, url
    assert "企业黑名单核验" in client.get(f"/products/{listing.product_id}").text
