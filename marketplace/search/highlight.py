"""Highlighted titles and snippets, made from the database's text (never the index's copy).

The text is analysed exactly as the index analyses it, and every word whose index term the
query looked for is wrapped in ``<mark>``; everything else is escaped, so a merchant's text can
never inject markup through a search result.
"""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

from marketplace.search.analysis import text_analyzer

SNIPPET_CHARS = 180


def _spans(text: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for token in text_analyzer()(text, chars=True):
        if token.text in terms:
            if spans and spans[-1][1] == token.startchar:
                spans[-1] = (spans[-1][0], token.endchar)  # neighbouring Chinese tiles
            else:
                spans.append((token.startchar, token.endchar))
    return spans


def _marked(text: str, spans: Iterable[tuple[int, int]], start: int = 0,
            end: int | None = None) -> Markup:
    end = len(text) if end is None else end
    out = []
    cursor = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        out.append(escape(text[cursor:span_start]))
        out.append(Markup("<mark>%s</mark>") % text[span_start:span_end])
        cursor = span_end
    out.append(escape(text[cursor:end]))
    return Markup("").join(out)


def highlight(text: str, terms: frozenset[str]) -> Markup:
    """All of ``text``, with the words the query looked for marked."""
    if not terms or not text:
        return escape(text or "")
    return _marked(text, _spans(text, terms))


def snippet(text: str, terms: frozenset[str], length: int = SNIPPET_CHARS) -> Markup:
    """A window of about ``length`` characters of ``text`` around its first matching word."""
    text = " ".join((text or "").split())
    spans = _spans(text, terms) if terms else []
    if len(text) <= length:
        return _marked(text, spans)
    first = spans[0][0] if spans else 0
    start = max(0, min(first - length // 4, len(text) - length))
    end = start + length
    body = _marked(text, spans, start, end)
    return (Markup("…") if start else Markup("")) + body + Markup("…")
