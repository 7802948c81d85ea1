"""Merchants' text in Chinese (required) and English (optional): the editor saves both, pages
show the page language's version with the Chinese as a marked fallback, search finds either,
the API gives both, and a new version keeps both."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from marketplace.accounts.models import Role
from marketplace.catalog import services as catalog
from marketplace.catalog.localized import choose, listing_text
from marketplace.catalog.models import Listing, ListingState, Product
from marketplace.notifications.models import OutboundEmail
from marketplace.search import get_index
from marketplace.search.query import SearchRequest
from marketplace.search.services import search
from tests.factories import log_in, make_listing, make_merchant, make_user, page_text
from tests.functional.test_merchant import editor_data, listings_of

BILINGUAL = dict(
    title="港口集装箱吞吐量",
    title_en="Harbour container throughput",
    summary="各港口每日集装箱吞吐量。",
    summary_en="Daily container volumes of every harbour.",
    description_md="## 数据内容\n\n按港口与日期统计。",
    description_md_en="## What you get\n\nCounted per harbour and day, **gantry** cranes included.",
)

PORT_SAMPLE = [{"port": "宁波"}]


@pytest.fixture
def shop(db):
    merchant, org = make_merchant(db)
    return merchant, org, make_user(db, Role.ADMIN)


def publish(db, shop, **content) -> Listing:
    merchant, org, admin = shop
    return make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin, **content)


def in_language(client, url: str, lang: str) -> str:
    client.post("/language", data={"lang": lang})
    response = client.get(url)
    assert response.status_code == 200
    return page_text(response)


# ---------------------------------------------------------------------------- choosing


@pytest.mark.parametrize(("chinese", "english", "locale", "expected"), [
    ("信用", "Credit", "en", ("Credit", None)),
    ("信用", "", "en", ("信用", "zh-Hans")),
    ("信用", "  ", "en", ("信用", "zh-Hans")),
    ("信用", "Credit", "zh_Hans", ("信用", None)),
    ("", "", "en", ("", None)),
    ("", "Only English", "zh_Hans", ("Only English", "en")),
])
def test_the_page_language_chooses_the_version_and_marks_a_fallback(chinese, english, locale,
                                                                     expected):
    text = choose(chinese, english, locale)
    assert (text.text, text.lang) == expected


def test_a_fallback_prints_in_an_element_naming_its_language_and_escapes_the_text():
    fallback = choose("<b>信用</b>", "", "en")
    assert str(fallback.__html__()) == '<span lang="zh-Hans">&lt;b&gt;信用&lt;/b&gt;</span>'
    assert str(choose("<b>x</b>", "", "zh_Hans").__html__()) == "&lt;b&gt;x&lt;/b&gt;"


def test_only_the_bilingual_fields_have_versions(db, shop):
    listing = publish(db, shop, **BILINGUAL)
    with pytest.raises(ValueError):
        listing_text(listing, "tags", "en")


# ---------------------------------------------------------------------------- the editor


def test_the_editor_saves_both_versions_and_shows_them_again(db, client):
    user, org = make_merchant(db)
    log_in(client, user)
    response = client.post("/merchant/listings/new", data=editor_data(
        title="驾驶员三要素核验", title_en="Driver three-element verification",
        summary="核验姓名、身份证号与驾驶证号是否一致。",
        summary_en="Checks that a name, ID number and licence number belong together.",
        description_md="## 覆盖范围\n\n全国。", description_md_en="## Coverage\n\nAll provinces.",
        **{"data_dictionary-0-description_en": "Driver's name, in English"}))
    assert response.status_code == 302
    [listing] = listings_of(db, org)
    assert (listing.title, listing.title_en) == ("驾驶员三要素核验",
                                                 "Driver three-element verification")
    assert listing.summary_en.startswith("Checks that a name")
    assert listing.description_md_en == "## Coverage\n\nAll provinces."
    assert listing.data_dictionary[0]["description_en"] == "Driver's name, in English"
    assert "description_en" not in listing.data_dictionary[1]  # none given: none stored
    page = page_text(client.get(f"/merchant/listings/{listing.id}/edit"))
    assert 'value="Driver three-element verification"' in page
    assert "## Coverage\n\nAll provinces." in page
    assert 'value="Driver\'s name, in English"' in page
    assert "Title in Chinese" in page and "Title in English (optional)" in page


def test_the_english_version_is_optional_and_the_chinese_title_required(db, client):
    user, org = make_merchant(db)
    log_in(client, user)
    assert client.post("/merchant/listings/new", data=editor_data(
        title="企业黑名单核验", title_en="")).status_code == 302
    response = client.post("/merchant/listings/new", data=editor_data(
        title="", title_en="Only an English title"))
    assert response.status_code == 422
    assert "Give the product a title." in page_text(response)
    assert len(listings_of(db, org)) == 1


@pytest.mark.parametrize(("field", "length", "message"), [
    ("title_en", 201, "Keep the English title within 200 characters."),
    ("summary_en", 501, "Keep the English summary within 500 characters."),
    ("description_md_en", 50_001, "Keep the English description within 50,000 characters."),
])
def test_english_texts_have_the_chinese_ones_limits(db, client, field, length, message):
    user, org = make_merchant(db)
    log_in(client, user)
    response = client.post("/merchant/listings/new", data=editor_data(**{field: "a" * length}))
    assert response.status_code == 422
    assert message in page_text(response)
    assert listings_of(db, org) == []


def test_a_nul_byte_in_an_english_text_is_refused(db, client):
    user, org = make_merchant(db)
    log_in(client, user)
    response = client.post("/merchant/listings/new", data=editor_data(title_en="Bad\x00title"))
    assert response.status_code == 422
    assert listings_of(db, org) == []


# ---------------------------------------------------------------------------- showing


def test_the_product_page_in_english_shows_the_english_version(db, client, shop):
    listing = publish(db, shop, **BILINGUAL)
    page = in_language(client, f"/products/{listing.product_id}", "en")
    assert '<h1 id="product-title">Harbour container throughput</h1>' in page
    assert '<p class="lead">Daily container volumes of every harbour.</p>' in page
    assert "<strong>gantry</strong> cranes included" in page
    assert "<title>Harbour container throughput" in page
    assert "港口集装箱吞吐量" not in page and "按港口与日期统计" not in page


def test_the_product_page_in_english_falls_back_to_chinese_marked_as_chinese(db, client, shop):
    listing = publish(db, shop, **{**BILINGUAL, "summary_en": "", "description_md_en": ""},
                      data_dictionary=[{"name": "port", "type": "string",
                                        "description": "港口名称", "sensitivity": "none"}],
                      sample_rows=PORT_SAMPLE)
    page = in_language(client, f"/products/{listing.product_id}", "en")
    assert '<h1 id="product-title">Harbour container throughput</h1>' in page
    assert '<p class="lead" lang="zh-Hans">各港口每日集装箱吞吐量。</p>' in page
    assert re.search(r'<div class="prose" lang="zh-Hans">\s*<h4>数据内容</h4>', page)
    assert '<td><span lang="zh-Hans">港口名称</span></td>' in page


def test_the_product_page_in_chinese_shows_the_chinese_version(db, client, shop):
    listing = publish(db, shop, **BILINGUAL, data_dictionary=[
        {"name": "port", "type": "string", "description": "港口名称",
         "description_en": "Harbour name", "sensitivity": "none"}],
        sample_rows=PORT_SAMPLE)
    page = in_language(client, f"/products/{listing.product_id}", "zh_Hans")
    assert '<h1 id="product-title">港口集装箱吞吐量</h1>' in page
    assert "各港口每日集装箱吞吐量。" in page and "按港口与日期统计" in page
    assert "<td>港口名称</td>" in page
    assert "Harbour container throughput" not in page
    english = in_language(client, f"/products/{listing.product_id}", "en")
    assert "<td>Harbour name</td>" in english


def test_cards_and_the_cart_follow_the_page_language(db, client, shop):
    listing = publish(db, shop, **BILINGUAL)
    publish(db, shop, title="仅中文的产品", summary="只有中文摘要。")
    home = in_language(client, "/products", "en")
    assert ">Harbour container throughput</a></h3>" in home
    assert '<span lang="zh-Hans">仅中文的产品</span>' in home
    assert '<span lang="zh-Hans">只有中文摘要。</span>' in home
    assert ">港口集装箱吞吐量</a></h3>" in in_language(client, "/products", "zh_Hans")

    buyer = make_user(db)
    log_in(client, buyer)
    plan_id = catalog.plans_for(db, listing.id)[0].id
    client.post("/cart/items", data={"plan_id": plan_id})
    assert "Harbour container throughput" in in_language(client, "/cart", "en")
    assert "港口集装箱吞吐量" in in_language(client, "/cart", "zh_Hans")
    # The order keeps the title in both languages as it was bought.
    response = client.post("/checkout", data={"attempt": "attempt-1"})
    order_page = response.headers["Location"].removesuffix("/pay")
    assert "Harbour container throughput" in in_language(client, "/orders", "en")
    assert "Harbour container throughput" in in_language(client, order_page, "en")
    assert "港口集装箱吞吐量" in in_language(client, order_page, "zh_Hans")


def test_merchant_and_review_pages_follow_the_page_language(db, client, shop):
    merchant, org, admin = shop
    listing = make_listing(db, merchant, org, state=ListingState.SUBMITTED, admin=admin,
                           **BILINGUAL)
    log_in(client, merchant)
    assert "Harbour container throughput" in in_language(client, "/merchant", "en")
    assert "港口集装箱吞吐量" in in_language(client, "/merchant", "zh_Hans")
    log_in(client, admin)
    review = in_language(client, f"/admin/reviews/{listing.id}", "en")
    assert "<h1>Harbour container throughput</h1>" in review
    # The reviewer sees both versions, whatever the page's language.
    assert '<span lang="zh-Hans">港口集装箱吞吐量</span>' in review
    assert '<div class="prose" lang="zh-Hans"><h4>数据内容</h4>' in review


# ---------------------------------------------------------------------------- search and API


def found(app, db, query: str) -> list[int]:
    return [item.listing.product_id for item in search(
        db, get_index(app), SearchRequest(q=query, per_page=100)).items]


def test_search_finds_a_product_by_an_english_only_word_and_by_a_chinese_word(app, db, shop):
    listing = publish(db, shop, **BILINGUAL)
    publish(db, shop, title="其他产品", summary="无关。")
    # "gantry" is only in the English description, 吞吐量 only in the Chinese title.
    assert found(app, db, "gantry") == [listing.product_id]
    assert found(app, db, "cranes") == [listing.product_id]  # stemmed like the rest
    assert found(app, db, "吞吐量") == [listing.product_id]
    assert found(app, db, '"container throughput"') == [listing.product_id]


def test_search_results_show_the_page_language_version_highlighted(db, client, shop):
    publish(db, shop, **BILINGUAL)
    page = in_language(client, "/products?q=harbour", "en")
    assert "<mark>Harbour</mark> container throughput" in page
    chinese = in_language(client, "/products?q=harbour", "zh_Hans")
    assert ">港口集装箱吞吐量</a></h3>" in chinese


def test_the_api_gives_both_versions_and_the_one_of_the_request_language(db, client, shop):
    listing = publish(db, shop, **{**BILINGUAL, "summary_en": ""}, data_dictionary=[
        {"name": "port", "type": "string", "description": "港口名称",
         "description_en": "Harbour name", "sensitivity": "none"}],
        sample_rows=PORT_SAMPLE)
    item = client.get(f"/api/v1/products/{listing.product_id}",
                      headers={"Accept-Language": "en"}).json
    assert (item["title"], item["title_en"]) == (BILINGUAL["title"], BILINGUAL["title_en"])
    assert item["summary_en"] == "" and item["description_md_en"] == BILINGUAL[
        "description_md_en"]
    assert item["data_dictionary"][0]["description_en"] == "Harbour name"
    assert item["localized"]["title"] == "Harbour container throughput"
    assert item["localized"]["summary"] == BILINGUAL["summary"]
    assert item["localized"]["languages"] == {"title": "en", "summary": "zh-Hans",
                                              "description_md": "en"}
    listed = client.get("/api/v1/products", headers={"Accept-Language": "zh-CN"}).json
    assert listed[0]["localized"]["title"] == "港口集装箱吞吐量"
    assert listed[0]["title_en"] == "Harbour container throughput"


# ---------------------------------------------------------------------------- versions


def test_a_new_version_copies_both_versions(app, db, shop):
    merchant, org, admin = shop
    listing = publish(db, shop, **BILINGUAL, data_dictionary=[
        {"name": "port", "type": "string", "description": "港口名称",
         "description_en": "Harbour name", "sensitivity": "none"}],
        sample_rows=PORT_SAMPLE)
    draft = catalog.start_new_version(db, merchant, db.get(Product, listing.product_id))
    for field in ("title", "summary", "description_md"):
        assert getattr(draft, field) == BILINGUAL[field]
        assert getattr(draft, f"{field}_en") == BILINGUAL[f"{field}_en"]
    assert draft.data_dictionary[0]["description_en"] == "Harbour name"
    catalog.update_listing(db, merchant, draft, {**draft.model_dump(),
                                                 "title_en": "Harbour box throughput"})
    catalog.submit(db, merchant, draft)
    catalog.decide(db, admin, draft, catalog.Transition.APPROVE)
    db.commit()
    assert found(app, db, "box") == [listing.product_id]
    assert found(app, db, "吞吐量") == [listing.product_id]


def test_notifications_quote_the_title_in_the_readers_language(app, db, shop):
    merchant, org, admin = shop
    merchant.locale, admin.locale = "en", "zh_Hans"
    db.add_all([merchant, admin])
    listing = make_listing(db, merchant, org, state=ListingState.SUBMITTED, admin=admin,
                           **BILINGUAL)
    catalog.decide(db, admin, listing, catalog.Transition.APPROVE)
    db.commit()
    # Each reader's latest mail (by id: the order SQLite happens to return is not PostgreSQL's).
    mails = {mail.to_address: mail
             for mail in db.exec(select(OutboundEmail).order_by(OutboundEmail.id))}
    assert "Harbour container throughput" in mails[merchant.email].body
    assert "港口集装箱吞吐量" in mails[admin.email].body  # submitted, told to the admins

