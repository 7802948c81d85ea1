"""Search as a buyer uses it: the demo catalog's queries, facets, filters, sorts, suggestions,
pinyin, similar products, and the index following every change of the database.

The queries in ``test_what_a_new_buyer_types`` are those the search was rebuilt for: each of them
found nothing in the old LIKE search on the same demo catalog.
"""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlmodel import select

from marketplace import create_app
from marketplace.accounts import services as accounts
from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEntry
from marketplace.catalog import services as catalog
from marketplace.catalog.lifecycle import Transition
from marketplace.catalog.models import Listing, ListingState, Product
from marketplace.commerce.orders import cart, fulfilment
from marketplace.db import get_engine, new_session
from marketplace.demo.seed import seed
from marketplace.models import metadata
from marketplace.search import get_index
from marketplace.search.models import SearchOutbox
from marketplace.search.query import SearchRequest
from marketplace.search.services import find, search
from tests.factories import (
    forget,
    logged_in_client,
    make_listing,
    make_merchant,
    make_user,
    plans,
)


def card_titles(page: str) -> list[str]:
    return [html.unescape(re.sub(r"</?mark>", "", title))
            for title in re.findall(r'<h3><a href="/products/\d+">(.*?)</a></h3>', page)]


def facet_counts(page: str, facet: str) -> dict[str, int]:
    found = re.findall(
        rf'data-facet="{facet}" data-value="([^"]+)"[^>]*>\s*<span class="facet-label">.*?'
        r'</span>\s*<span class="facet-count">(\d+)</span>', page, re.S)
    return {value: int(count) for value, count in found}


# ---------------------------------------------------------------------------- the demo catalog


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("search-demo")
    application = create_app({
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{folder / 'demo.db'}",
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_PATH": str(folder / "instance"),
        "MAIL_FOLDER": str(folder / "mail"),
        "SMTP_HOST": "",
        "WTF_CSRF_ENABLED": False,
        "JOBS_IMMEDIATE": True,
        "SEARCH_POLL_SECONDS": 0,
    })
    metadata.create_all(get_engine(application))
    with application.test_request_context():
        session = new_session(get_engine(application))
        assert seed(session) is True
        session.close()
    yield application
    get_engine(application).dispose()


@pytest.fixture
def demo_client(demo_app):
    return demo_app.test_client()


def titles_for(client, query: str) -> list[str]:
    response = client.get("/products", query_string={"q": query})
    assert response.status_code == 200
    return card_titles(response.text)


def test_the_seed_built_the_index_through_the_outbox(demo_app):
    with demo_app.app_context():
        session = new_session(get_engine(demo_app))
        assert session.exec(select(SearchOutbox)).all() == []
        live = session.exec(select(Listing).where(Listing.state == ListingState.PUBLISHED)).all()
        session.close()
        hits, _request = find(get_index(demo_app), SearchRequest(per_page=100))
    assert sorted(hits.product_ids) == sorted(listing.product_id for listing in live)


@pytest.mark.parametrize(("query", "expected"), [
    # Two words, and the same two typed as one compound: 企业信用风险模型 is on sale.
    ("企业 信用", "Enterprise credit risk model"),
    ("企业信用", "Enterprise credit risk model"),
    # Pinyin for Chinese titles.
    ("xinyong", "Enterprise credit risk model"),
    ("qiye", "Enterprise blacklist verification"),
    # English: a phrase, and a plural finding the singular.
    ('"credit risk"', "Enterprise credit risk model"),
    ("models", "Enterprise credit risk model"),
])
def test_what_a_new_buyer_types(demo_client, query, expected):
    assert expected in titles_for(demo_client, query)


def test_a_compound_query_finds_only_what_has_both_words_together(demo_client):
    assert titles_for(demo_client, "企业信用") == ["Enterprise credit risk model"]
    assert titles_for(demo_client, '"credit risk"') == [
        "Enterprise credit risk model"]


def test_a_scenario_name_finds_its_products(demo_client):
    # 医疗 is the Chinese name of the medical scenario (医疗健康), in no title or tag.
    found = titles_for(demo_client, "医疗")
    assert sorted(found) == sorted([
        "Notifiable disease epidemiology statistics",
        "Hospital operations indicators",
        "Personal health assessment model",
    ])


def test_a_tag_finds_the_products_tagged_with_it(demo_client):
    assert sorted(titles_for(demo_client, "KYB")) == [
        "Enterprise blacklist verification",
        "Enterprise four-element verification",
    ]


def test_a_typo_shows_the_results_of_its_correction(demo_client):
    page = demo_client.get("/products", query_string={"q": "credt"}).text
    assert "Showing results for <strong>credit</strong>" in page
    assert "Enterprise credit risk model" in card_titles(page)
    api = demo_client.get("/api/v1/products", query_string={"q": "credt"})
    assert json.loads(api.headers["X-Search"])["corrected_query"] == "credit"
    assert any(item["title"].startswith("企业信用风险模型") for item in api.json)


def test_matching_words_are_highlighted(demo_client):
    page = demo_client.get("/products", query_string={"q": "credit"}).text
    assert "Enterprise <mark>credit</mark> risk model" in page
    demo_client.post("/language", data={"lang": "zh_Hans"})
    page = demo_client.get("/products", query_string={"q": "信用"}).text
    assert "企业<mark>信用</mark>风险模型" in page


def test_facets_count_what_each_choice_would_give(demo_client):
    page = demo_client.get("/products", query_string={"q": "企业"}).text
    scenarios = facet_counts(page, "scenario")
    assert scenarios and sum(scenarios.values()) == len(card_titles(page))
    # Choosing a scenario keeps the other scenarios' counts (each facet ignores its own filter).
    chosen = demo_client.get("/products", query_string={"q": "企业", "scenario": "finance"}).text
    assert facet_counts(chosen, "scenario") == scenarios
    assert len(card_titles(chosen)) == scenarios["finance"]
    # ... and narrows every other facet.
    assert sum(facet_counts(chosen, "product_type").values()) == scenarios["finance"]


def test_two_facets_combine(demo_client):
    both = demo_client.get("/products", query_string={"scenario": "finance",
                                                      "pricing_model": "membership"}).text
    finance = set(card_titles(demo_client.get("/products?scenario=finance").text))
    membership = set(card_titles(demo_client.get(
        "/products?pricing_model=membership").text))
    assert set(card_titles(both)) == finance & membership and finance & membership


def test_the_facet_links_keep_the_query_in_the_address(demo_client):
    page = demo_client.get("/products", query_string={"q": "企业", "sort": "price_asc"}).text
    link = re.search(r'href="([^"]+)"\s+class="facet-link"\s+data-facet="scenario" '
                     r'data-value="finance"', page).group(1)
    assert "q=%E4%BC%81%E4%B8%9A" in link and "scenario=finance" in link
    assert "sort=price_asc" in link


@pytest.mark.parametrize("sort", ["price_asc", "price_desc", "newest", "title"])
def test_every_sort_orders_the_whole_result(demo_app, sort):
    with demo_app.test_request_context():
        session = new_session(get_engine(demo_app))
        results = search(session, get_index(demo_app),
                         SearchRequest(sort=sort, per_page=100))
        session.close()
    items = results.items
    keys = {
        "price_asc": lambda item: min_price(item.facts),
        "price_desc": lambda item: -min_price(item.facts),
        "newest": lambda item: -item.listing.published_at.timestamp(),
        "title": lambda item: item.listing.title.casefold(),
    }
    assert len(items) == results.total > 10
    assert items == sorted(items, key=keys[sort])


def min_price(facts) -> int:
    from marketplace.search.documents import lowest_price

    return lowest_price(facts.plans)


def test_the_api_searches_like_the_page_and_reports_facet_counts(demo_client):
    response = demo_client.get("/api/v1/products", query_string={"q": "企业 信用",
                                                                 "page_size": 2})
    assert response.status_code == 200
    assert [item["title"] for item in response.json][0].startswith("企业信用风险模型")
    pagination = json.loads(response.headers["X-Pagination"])
    metadata = json.loads(response.headers["X-Search"])
    assert pagination["total"] == sum(metadata["facets"]["scenario"].values()) >= 2
    assert set(metadata["facets"]) == {"scenario", "product_type", "delivery_form",
                                       "pricing_model", "price", "classification_level",
                                       "merchant"}
    item = response.json[0]
    assert {"rating", "sales", "lowest_price", "pricing_plans", "merchant"} <= set(item)


def test_the_api_keeps_its_old_filters_and_paging(demo_client):
    everything = demo_client.get("/api/v1/products?page_size=100").json
    finance = demo_client.get("/api/v1/products?scenario=finance&page_size=100").json
    assert {item["id"] for item in finance} == {
        item["id"] for item in everything if item["scenario"] == "finance"}
    newest = [item["published_at"] for item in everything]
    assert newest == sorted(newest, reverse=True)
    second = demo_client.get("/api/v1/products?page=2&page_size=5")
    assert [item["id"] for item in second.json] == [item["id"] for item in everything[5:10]]
    by_title = [item["title"] for item in demo_client.get(
        "/api/v1/products?sort=title&page_size=100").json]
    assert by_title == sorted(by_title, key=str.casefold)


@pytest.mark.parametrize("query", ["scenario=moon", "sort=cheapest", "price=free-ish",
                                   "min_price=-1", "merchant=0", "q=" + "x" * 201])
def test_the_api_refuses_bad_search_arguments_clearly(demo_client, query):
    response = demo_client.get(f"/api/v1/products?{query}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert query.split("=")[0] in response.json["errors"]["query"]


def test_the_openapi_document_describes_the_search(demo_client):
    spec = demo_client.get("/api/openapi.json").json
    operation = spec["paths"]["/api/v1/products"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"q", "scenario", "pricing_model", "price", "min_price", "max_price", "merchant",
            "sort", "page", "page_size"} <= names
    assert "X-Search" in operation["responses"]["200"]["headers"]


def test_similar_products_are_on_the_product_page(demo_app, demo_client):
    with demo_app.app_context():
        session = new_session(get_engine(demo_app))
        model = session.exec(select(Listing).where(
            Listing.state == ListingState.PUBLISHED,
            Listing.title.startswith("企业信用风险模型"))).one()
        session.close()
    page = demo_client.get(f"/products/{model.product_id}").text
    similar = page.split('id="similar"')[1]
    titles = card_titles(similar)
    assert 1 <= len(titles) <= 4
    assert model.title_en not in titles
    assert "SME risk level model" in titles


# ---------------------------------------------------------------------------- following changes


@pytest.fixture
def shop(db):
    merchant, org = make_merchant(db)
    return merchant, org, make_user(db, Role.ADMIN)


def publish(db, shop, **content):
    merchant, org, admin = shop
    return make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin, **content)


def found(app, db, query: str = "", **filters) -> list[int]:
    return [item.listing.product_id for item in search(
        db, get_index(app), SearchRequest(q=query, filters=filters, per_page=100)).items]


def test_publish_suspend_reinstate_and_retire_reach_search_at_once(app, db, client, shop):
    merchant, org, admin = shop
    listing = publish(db, shop, title="Harbour crane telemetry", tags=["港口"])
    assert found(app, db, "crane") == [listing.product_id]
    assert "Harbour crane telemetry" in card_titles(client.get("/products?q=港口").text)

    catalog.suspend(db, admin, listing, "Under investigation.")
    db.commit()
    assert found(app, db, "crane") == []
    assert card_titles(client.get("/products?q=crane").text) == []
    assert client.get("/api/v1/products?q=crane").json == []

    catalog.reinstate(db, admin, listing)
    db.commit()
    assert found(app, db, "crane") == [listing.product_id]

    catalog.retire(db, admin, listing)
    db.commit()
    assert found(app, db, "crane") == []
    assert db.exec(select(SearchOutbox)).all() == []


def test_a_stale_index_never_shows_a_suspended_product(app, db, shop, monkeypatch):
    merchant, org, admin = shop
    listing = publish(db, shop, title="Harbour crane telemetry")
    # The index update fails (another process holds the lock, a disk error...): the suspension
    # is committed, its outbox row waits, and the index still has the product.
    index = get_index(app)
    with index.write_lock():
        catalog.suspend(db, admin, listing, "Under investigation.")
        db.commit()
    hits, _request = find(index, SearchRequest(q="crane"))
    assert hits.product_ids == [listing.product_id]
    results = search(db, index, SearchRequest(q="crane"))
    assert results.items == [] and results.hidden == 1
    assert len(db.exec(select(SearchOutbox)).all()) == 1


def test_a_new_version_replaces_the_old_one_in_search(app, db, shop):
    merchant, org, admin = shop
    listing = publish(db, shop, title="Harbour crane telemetry")
    draft = catalog.start_new_version(db, merchant, db.get(Product, listing.product_id))
    catalog.update_listing(db, merchant, draft, {**draft.model_dump(),
                                                 "title": "Harbour gantry telemetry"})
    catalog.submit(db, merchant, draft)
    catalog.decide(db, admin, draft, Transition.APPROVE)
    db.commit()
    assert found(app, db, "gantry") == [listing.product_id]
    assert found(app, db, "crane") == []


def test_a_sale_counts_for_most_bought(app, db, shop):
    first = publish(db, shop, title="First product", plans=plans("one_time"))
    second = publish(db, shop, title="Second product", plans=plans("one_time"))
    buyer = make_user(db)
    plan = catalog.plans_for(db, first.id)[0]
    cart.add(db, buyer, plan.id)
    order = cart.checkout(db, buyer, attempt="sale")
    fulfilment.record_charge(db, order, amount=order.total, provider_ref="pi_sale")
    db.commit()
    by_sales = [item.listing.product_id for item in search(
        db, get_index(app), SearchRequest(sort="sales")).items]
    assert by_sales == [first.product_id, second.product_id]
    assert search(db, get_index(app), SearchRequest(q="First")).items[0].facts.sales == 1


def test_a_merchants_new_name_reaches_its_documents(app, db, shop):
    merchant, org, admin = shop
    listing = publish(db, shop, title="Harbour crane telemetry")
    assert found(app, db, "Ningbo") == []
    client = logged_in_client(app, merchant)
    saved = client.post("/account/organization", data={
        "name": "宁波港口数据有限公司 Ningbo Port Data Co.", "contact_email": org.contact_email,
        "description": org.description})
    assert saved.status_code == 302
    assert found(app, db, "Ningbo") == [listing.product_id]
    assert found(app, db, "宁波") == [listing.product_id]
    assert found(app, db, "ningbo") == [listing.product_id]
    assert db.exec(select(SearchOutbox)).all() == []
    forget(db)
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "organization.update")).one()
    assert entry.details["name"]["to"] == "宁波港口数据有限公司 Ningbo Port Data Co."


def test_a_merchants_verification_withdrawn_rewrites_its_documents(app, db, shop):
    merchant, org, admin = shop
    publish(db, shop, title="Harbour crane telemetry")
    index = get_index(app)
    before = index.generation()
    accounts.reject_organization(db, admin, org, "The credit code belongs to someone else.")
    db.commit()
    assert db.exec(select(SearchOutbox)).all() == []
    assert index.generation() > before
