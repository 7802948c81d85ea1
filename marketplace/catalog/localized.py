"""Which language version of a merchant's text a page shows.

A listing's text columns hold the Chinese version (the title is required) and the ``*_en``
columns the optional English one; a data dictionary field has ``description`` and, optionally,
``description_en``. A page in English shows the English version where the merchant gave one and
falls back to the Chinese; a page in Chinese shows the Chinese (or the English, for an optional
text the merchant wrote only in English). A fallback is marked with the
language it is in, so that a screen reader reads Chinese text on an English page as Chinese.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import get_locale
from markupsafe import Markup, escape

#: The BCP 47 tag of the text columns without a suffix.
CHINESE = "zh-Hans"
ENGLISH = "en"
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
#: The texts of a listing that have an English version (``<field>_en``).
BILINGUAL_FIELDS = ("title", "summary", "description_md")


@dataclass(frozen=True)
class LocalText:
    """One language version of a merchant's text, as a page shows it.

    ``lang`` is set when the text is not in the page's language (the fallback): the element
    that shows it carries ``lang``. In a template ``{{ text }}`` prints the escaped text, wrapped
    in ``<span lang="…">`` when it is a fallback; ``text.text`` is the bare string (for
    attributes and ``<title>``) and ``text.lang_attr`` the attribute for an element of one's own.
    """

    text: str
    lang: str | None = None

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text.strip())

    def __html__(self) -> Markup:
        if self.lang:
            return Markup('<span lang="%s">%s</span>') % (self.lang, self.text)
        return escape(self.text)

    @property
    def lang_attr(self) -> Markup:
        return Markup(' lang="%s"') % self.lang if self.lang else Markup("")


def wants_english(locale: Any) -> bool:
    """Whether a page in ``locale`` (a Babel locale or its name) shows English versions."""
    return str(locale or "").split("_")[0].split("-")[0].lower() == "en"


def choose(chinese: str | None, english: str | None, locale: Any) -> LocalText:
    """The version of one text a page in ``locale`` shows."""
    chinese, english = chinese or "", english or ""
    if wants_english(locale):
        if english.strip():
            return LocalText(english)
        # An English page showing the Chinese text says so; text written in the Chinese fields
        # without a Chinese character (listings from before the English fields) is left as the
        # page's language, so a screen reader does not read English with a Chinese voice.
        return LocalText(chinese, CHINESE if _HAN.search(chinese) else None)
    if not chinese.strip() and english.strip():  # an optional text given only in English
        return LocalText(english, ENGLISH)
    return LocalText(chinese)


def listing_text(listing: Any, field: str, locale: Any) -> LocalText:
    """``field`` (title, summary or description_md) of ``listing`` for a page in ``locale``."""
    if field not in BILINGUAL_FIELDS:
        raise ValueError(f"{field!r} has no language versions; one of {BILINGUAL_FIELDS}")
    return choose(getattr(listing, field), getattr(listing, f"{field}_en", ""), locale)


def title_for_page(listing: Any) -> str:
    """The listing's title in the language of the page being answered, for messages written
    in Python (flashes, refusals); templates use ``listing_text``."""
    return listing_text(listing, "title", get_locale()).text


def field_description(field: dict[str, Any], locale: Any) -> LocalText:
    """The description of one data dictionary field for a page in ``locale``."""
    return choose(field.get("description"), field.get("description_en"), locale)
