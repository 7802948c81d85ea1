"""Search as the storefront and the API use it.

:func:`find` asks the index (no database); :func:`resolve` checks what it found against the
database, so that a product suspended or retired a moment ago is never shown even while the
index still holds it, and loads what a result card shows, in a fixed number of queries however
many results there are. :func:`search` does both for one request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from math import ceil

from markupsafe import Markup
from sqlmodel import Session

from marketplace.catalog.localized import LocalText, listing_text
from marketplace.search import query
from marketplace.search.documents import ProductFacts, live_facts
from marketplace.search.highlight import highlight, snippet
from marketplace.search.index import SearchIndex
from marketplace.search.query import SearchHits, SearchRequest

#: The highest page a result list goes to (ids and pages are bounded).
MAX_PAGE = 100


@dataclass(frozen=True)
class ResultItem:
    facts: ProductFacts
    title: Markup
    snippet: Markup

    @property
    def listing(self):
        return self.facts.listing


@dataclass
class SearchResults:
    request: SearchRequest
    items: list[ResultItem]
    total: int
    facets: dict[str, dict[str, int]]
    corrected_q: str | None = None
    per_page: int = 24
    page: int = 1
    hidden: int = 0  # results the index still had but the database no longer shows

    @property
    def pages(self) -> int:
        return max(1, min(MAX_PAGE, ceil(self.total / self.per_page)))


def find(index: SearchIndex, request: SearchRequest) -> tuple[SearchHits, SearchRequest]:
    """One page of hits from the index, and the request that produced them.

    A page past the last gives the last page; a query that finds nothing but reads like a typo
    gives the results of its correction (``SearchHits.corrected_q`` says which).
    """
    request = replace(request, page=max(1, min(request.page, MAX_PAGE)))
    searcher = index.searcher()
    table = index.table(searcher)
    hits = query.run(searcher, table, request)
    if hits.total == 0 and request.q.strip():
        corrected = query.suggest(searcher, request.q)
        if corrected:
            second = query.run(searcher, table, replace(request, q=corrected))
            if second.total:
                second.corrected_q = corrected
                hits = second
    last = max(1, ceil(hits.total / request.per_page))
    if hits.total and request.page > last:
        request = replace(request, page=last)
        hits = query.run(searcher, table, replace(request, q=hits.corrected_q or request.q))
    return hits, request


def resolve(session: Session, hits: Iterable[SearchHits]) -> dict[int, ProductFacts]:
    """The facts of every product in ``hits`` that is still on sale, checked in the database."""
    return live_facts(session, [pid for page in hits for pid in page.product_ids])


def _in_language(text: LocalText, marked: Markup) -> Markup:
    """``marked`` (made from ``text``) in an element naming its language if it is a fallback."""
    return Markup('<span lang="%s">') % text.lang + marked + Markup("</span>") if text.lang \
        else marked


def results_of(hits: SearchHits, request: SearchRequest,
               facts: dict[int, ProductFacts], locale: str | None = None) -> SearchResults:
    """The result list of ``hits``, keeping only products ``facts`` says are on sale; titles
    and snippets in the version of the listing's text a page in ``locale`` shows."""
    items = []
    for product_id in hits.product_ids:
        found = facts.get(product_id)
        if found is None:
            continue
        listing = found.listing
        title = listing_text(listing, "title", locale)
        body = listing_text(listing, "summary", locale) or listing_text(
            listing, "description_md", locale)
        items.append(ResultItem(found, _in_language(title, highlight(title.text, hits.terms)),
                                _in_language(body, snippet(body.text, hits.terms))))
    return SearchResults(request=request, items=items, total=hits.total, facets=hits.facets,
                         corrected_q=hits.corrected_q, per_page=request.per_page,
                         page=request.page, hidden=len(hits.product_ids) - len(items))


def search(session: Session, index: SearchIndex, request: SearchRequest) -> SearchResults:
    """One page of results for ``request``, checked against the database."""
    hits, request = find(index, request)
    return results_of(hits, request, resolve(session, [hits]))


def similar_products(session: Session, index: SearchIndex, facts: ProductFacts,
                     limit: int = 4) -> list[ProductFacts]:
    """Products on sale that resemble the product of ``facts`` (never itself)."""
    listing = facts.listing
    searcher = index.searcher()
    table = index.table(searcher)
    text = " ".join([listing.title, *listing.tags])
    product_ids = query.similar(searcher, table, listing.product_id, text, listing.scenario,
                                limit + 2)
    found = live_facts(session, product_ids)
    return [found[pid] for pid in product_ids if pid in found and pid != listing.product_id][
        :limit]
