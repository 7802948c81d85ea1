"""Whether a short run of Chinese characters is a personal name: surname, given name, and not a
word.

A name is a common surname (:mod:`.surnames`) followed by one or two given-name characters.
Many everyday words start with a surname character too (高中, 黄金, 安全, 周末), so a
candidate is also looked up in a lexicon of Chinese words, jieba's dictionary (about 350,000
words with their frequency and part of speech, read from the file jieba ships, without
importing jieba): a candidate that is a common word other than a personal name, or two such
words one after the other (黄金价格), is not a name. Given names never use grammatical words
(的, 了, 是...) or 某, which judgments write in place of a name (张某, 李某某).

This is what :func:`.detectors.is_person_name` decides with; columns add the header and their
neighbours (:mod:`.columns`), free text the words around (:mod:`.free_text`).
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

from datamarket_governance_tools.regions import CITIES, PROVINCES, SHORT_NAMES
from datamarket_governance_tools.surnames import COMPOUND_SURNAMES, SINGLE_SURNAMES

#: A word of the lexicon at least this frequent (jieba's counts) is an everyday word.
WORD_FREQUENCY = 3
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


@functools.lru_cache(maxsize=1)
def lexicon() -> dict[str, bool]:
    """Words of two to four characters from jieba's dictionary, frequent enough to count, each
    with whether the dictionary calls it a personal name."""
    path = _lexicon_file()
    if path is None:  # pragma: no cover - jieba is a dependency of this distribution
        return {}
    words: dict[str, bool] = {}
    with path.open(encoding="utf-8") as file:
        for line in file:
            word, frequency, tag = line.split()
            if 2 <= len(word) <= 4 and int(frequency) >= WORD_FREQUENCY:
                words[word] = tag.startswith(_NAME_TAG)
    return words


def surname_length(text: str) -> int:
    """How many characters of ``text``'s start are a common surname: 2, 1, or 0 for none."""
    if text[:2] in COMPOUND_SURNAMES and len(text) >= 3:
        return 2
    return 1 if text[:1] in SINGLE_SURNAMES else 0


def is_word(text: str) -> bool:
    """Whether ``text`` is an everyday word, or two of them, rather than a name: a lexicon word
    that is not a personal name, or split into two such words of two characters or more."""
    words = lexicon()
    if text in words:
        return not words[text]
    # A compound surname and a given name that are words each (西门 + 英明) are still a name.
    compound = 2 if text[:2] in COMPOUND_SURNAMES else 0
    return any(not words.get(text[:cut], True) and not words.get(text[cut:], True)
               for cut in range(2, len(text) - 1) if cut != compound)


def is_chinese_name(text: str) -> bool:
    """Whether ``text`` (2 to 4 Chinese characters, nothing else) is a personal name by the
    rule of this module."""
    if not _HAN.fullmatch(text) or text in _PLACE_NAMES:
        return False
    surname = surname_length(text)
    # Given names have one or two characters (四字 names have a compound surname).
    if not surname or len(text) - surname > 2:
        return False
    if any(character in _NOT_IN_GIVEN_NAMES for character in text[surname:]):
        return False
    return not is_word(text)
