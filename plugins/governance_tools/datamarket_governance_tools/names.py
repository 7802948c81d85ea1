"""Whether a short run of Chinese characters is a personal name: surname, given name, and not a
word.

A name is a common surname (:mod:`.surnames`) followed by one or two given-name characters.
Many everyday words start with a surname character too (高中, 黄金, 安全, 周末), so a
candidate is also looked up in a lexicon of Chinese words, jieba's dictionary (about 350,000
words with their frequency and part of speech, read from the file jieba ships, without
importing jieba): a candidate the dictionary lists, or two listed words one after the other
(黄金价格), is a word, not a name. The dictionary tags many everyday words as names (顾客,
文明), so its tag is believed only for a rare entry whose given name is made of characters
common in the given names of the dictionary's own three-character names (王建国): that is the
given-name model. Given names never use grammatical words (的, 了, 吗...) or 某, which
judgments write in place of a name (张某, 李某某).

This is what :func:`.detectors.is_person_name` decides with; columns add the header and their
neighbours (:mod:`.columns`), free text the words around (:mod:`.free_text`).
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections import Counter
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import NamedTuple

from datamarket_governance_tools.regions import CITIES, PROVINCES, SHORT_NAMES
from datamarket_governance_tools.surnames import COMPOUND_SURNAMES, SINGLE_SURNAMES

#: A word of the lexicon at least this frequent (jieba's counts) is an everyday word...
WORD_FREQUENCY = 3
#: ...unless it is tagged as a name, rarer than this, and its given name is made of
#: characters that appear at least :data:`COMMON_GIVEN_NAME` times in the dictionary's names.
NAME_FREQUENCY = 100
COMMON_GIVEN_NAME = 60
# Characters that a given name does not use: grammatical words, and 某 (a name withheld).
_NOT_IN_GIVEN_NAMES = frozenset("的了吗呢吧啊么们某这那哪谁什怎啥些个着被把很都就")
_HAN = re.compile(r"[\u4e00-\u9fff]{2,4}")
#: Provinces and cities, full and short: place names, not personal names.
_PLACE_NAMES = frozenset({*PROVINCES, *CITIES, *SHORT_NAMES})
# Part-of-speech tags of personal names in jieba's dictionary (nr, nrfg, nrt).
_NAME_TAG = "nr"


def _lexicon_file() -> Path | None:
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "dict.txt"
    return path if path.is_file() else None


class Lexicon(NamedTuple):
    """What the name rule knows of Chinese words and given names.

    :param words: words of two to four characters, frequent enough to count.
    :param rare_names: those of them that the dictionary tags as personal names and that are
        rarer than :data:`NAME_FREQUENCY`.
    :param given_name_characters: how often each character appears in the given names of the
        dictionary's three-character personal names with a common surname.
    """

    words: AbstractSet[str]
    rare_names: AbstractSet[str]
    given_name_characters: Counter[str]


@functools.lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The words and given-name characters of jieba's dictionary (see :class:`Lexicon`); about
    35 MB and half a second to read, once per process."""
    path = _lexicon_file()
    words: set[str] = set()
    rare_names: set[str] = set()
    given: Counter[str] = Counter()
    if path is None:  # pragma: no cover - jieba is a dependency of this distribution
        return Lexicon(words, rare_names, given)
    with path.open(encoding="utf-8") as file:
        for line in file:
            word, frequency, tag = line.split()
            count = int(frequency)
            if not 2 <= len(word) <= 4 or count < WORD_FREQUENCY:
                continue
            words.add(word)
            if tag.startswith(_NAME_TAG):
                if count < NAME_FREQUENCY:
                    rare_names.add(word)
                if len(word) == 3 and word[0] in SINGLE_SURNAMES:
                    given.update(word[1:])
    return Lexicon(words, rare_names, given)


def surname_length(text: str) -> int:
    """How many characters of ``text``'s start are a common surname: 2, 1, or 0 for none."""
    if text[:2] in COMPOUND_SURNAMES and len(text) >= 3:
        return 2
    return 1 if text[:1] in SINGLE_SURNAMES else 0


def _listed_name(text: str, surname: int) -> bool:
    """Whether a dictionary entry is a personal name: the dictionary tags many everyday words
    that start with a surname as names (顾客, 文明), so only a rare entry whose given name is
    made of common given-name characters counts (王建国, 李秀英)."""
    known = lexicon()
    return text in known.rare_names and all(
        known.given_name_characters[character] >= COMMON_GIVEN_NAME
        for character in text[surname:])


def is_word(text: str) -> bool:
    """Whether ``text`` is an everyday word, or two of them, rather than a name: a dictionary
    word that is not a personal name, or two dictionary words of two characters or more."""
    words = lexicon().words
    surname = surname_length(text)
    if text in words:
        return not _listed_name(text, surname)
    # A compound surname and a given name that are words each (西门 + 英明) are still a name.
    compound = 2 if surname == 2 else 0
    return any(text[:cut] in words and text[cut:] in words
               for cut in range(2, len(text) - 1) if cut != compound)


def could_be_name(text: str) -> bool:
    """Whether ``text`` has the shape of a personal name: 2 to 4 Chinese characters, a common
    surname and a given name of one or two characters (四字 names have a compound surname)
    without grammatical words, and not a province or city. Words have that shape too (高中):
    this is what a column whose header says "name" needs of its values."""
    if not _HAN.fullmatch(text) or text in _PLACE_NAMES:
        return False
    surname = surname_length(text)
    return (bool(surname) and len(text) - surname <= 2
            and not any(character in _NOT_IN_GIVEN_NAMES for character in text[surname:]))


def is_chinese_name(text: str) -> bool:
    """Whether ``text`` is a personal name by the rule of this module: it could be one
    (:func:`could_be_name`) and is not an everyday word (:func:`is_word`)."""
    return could_be_name(text) and not is_word(text)
