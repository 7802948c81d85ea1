"""Text analysis for the search index: Chinese and English in the same fields.

The index and the queries go through the same :class:`MixedTokenizer`, so they always agree on
what a word is:

- a run of Chinese characters is segmented with jieba (its dictionary only, no HMM guessing,
  so the same words come out whatever surrounds them), and each word is then **tiled** into
  its smallest dictionary words: ``信用风险`` becomes ``信用`` ``风险``. The index holds only
  tiles, and a query's word becomes the phrase of its tiles, so ``企业信用`` typed as one word
  finds ``企业信用风险模型`` (jieba's own search mode adds the compound ``企业信用`` to the
  query, which the index never had);
- any other run of letters or digits is one word, lower-cased, English stop words dropped and
  Porter-stemmed (``models`` finds ``model``);
- positions count words, not characters (jieba's Whoosh analyzer used character offsets, so no
  phrase ever matched), and the texts of a list are kept :data:`TEXT_GAP` positions apart so
  that no phrase runs from one language's text into the other's.

jieba's dictionary is loaded once per process, on first use, from a cache kept in the instance
folder (:func:`configure`), never in the temporary folder.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

import jieba
from pypinyin import Style, lazy_pinyin
from whoosh.analysis import Token, Tokenizer
from whoosh.lang.porter import stem as porter_stem

#: Separates the texts of a multi-valued field (e.g. a title in Chinese and in English).
TEXT_SEPARATOR = "\u2029"
#: How many positions apart two texts of a list are, so that phrases never span them.
TEXT_GAP = 100

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>(?:(?![{_CJK}])[^\W_])+)")
_CJK_CHAR = re.compile(rf"[{_CJK}]")

# English words too common to search for, and Chinese particles jieba keeps as words.
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it",
    "its", "of", "on", "or", "that", "the", "this", "to", "with", "的", "了", "和", "与", "及",
})

log = logging.getLogger(__name__)
_lock = threading.Lock()
_segmenter: jieba.Tokenizer | None = None
_cache_dir: Path | None = None


def configure(cache_dir: Path) -> None:
    """Keep jieba's dictionary cache in ``cache_dir`` (the app's instance folder)."""
    global _cache_dir
    _cache_dir = Path(cache_dir)


def _default_cache_dir() -> Path:
    instance = os.environ.get("DATAMARKET_INSTANCE_PATH")
    root = Path(instance) if instance else Path(__file__).resolve().parents[2] / "instance"
    return root / "jieba"


def segmenter() -> jieba.Tokenizer:
    """jieba's segmenter, its dictionary loaded once per process."""
    global _segmenter
    if _segmenter is None:
        with _lock:
            if _segmenter is None:
                cache_dir = _cache_dir or _default_cache_dir()
                cache_dir.mkdir(parents=True, exist_ok=True)
                made = jieba.Tokenizer()
                made.tmp_dir = str(cache_dir)
                jieba.setLogLevel(logging.WARNING)
                made.initialize()
                _segmenter = made
    return _segmenter


def _tile(word: str, freq: dict[str, int]) -> list[str]:
    """``word`` as its smallest dictionary words, left to right (two characters stay whole)."""
    if len(word) <= 2:
        return [word]
    tiles: list[str] = []
    start = 0
    while start < len(word):
        # The longest dictionary word shorter than ``word`` that starts here, or one character.
        end = start + 1
        for stop in range(min(len(word), start + len(word) - 1), start + 1, -1):
            if freq.get(word[start:stop]):
                end = stop
                break
        tiles.extend(_tile(word[start:end], freq))
        start = end
    return tiles


@lru_cache(maxsize=200_000)
def segment_chinese(run: str) -> tuple[tuple[str, int, int], ...]:
    """The tiles of a run of Chinese characters, with their character offsets in the run.

    Cached: titles, tags and labels repeat the same runs across a catalog.
    """
    tokenizer = segmenter()
    tiles = []
    for word, start, _end in tokenizer.tokenize(run, HMM=False):
        offset = start
        for tile in _tile(word, tokenizer.FREQ):
            tiles.append((tile, offset, offset + len(tile)))
            offset += len(tile)
    return tuple(tiles)


def words(text: str) -> Iterator[tuple[str, int, int, bool]]:
    """(word, start, end, is_chinese) for every word of ``text``, stop words included."""
    for match in _RUNS.finditer(text):
        if match.lastgroup == "cjk":
            base = match.start()
            for tile, start, end in segment_chinese(match.group()):
                yield tile, base + start, base + end, True
        else:
            yield match.group(), match.start(), match.end(), False


_stem = lru_cache(maxsize=100_000)(porter_stem)


class MixedTokenizer(Tokenizer):
    """Chinese tiles and other words, with word positions (see the module's docstring);
    lower-cased, and Porter-stemmed when ``stem`` (in the tokenizer itself, with a cache: two
    filters more per word were a third of the time it took to index a listing).
    """

    def __init__(self, stem: bool = True):
        self.stem = stem

    def __eq__(self, other):
        return isinstance(other, MixedTokenizer) and other.stem == self.stem

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        pos = start_pos
        text_start = 0
        for number, text in enumerate(value.split(TEXT_SEPARATOR)):
            if number:
                pos += TEXT_GAP
            for word, start, end, chinese in words(text):
                normal = word if chinese else word.lower()
                if removestops and normal in STOP_WORDS:
                    continue
                if self.stem and not chinese:
                    normal = _stem(normal)
                token.text = normal
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = word
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar = start_char + text_start + start
                    token.endchar = start_char + text_start + end
                pos += 1
                yield token
            text_start += len(text) + len(TEXT_SEPARATOR)


def text_analyzer() -> MixedTokenizer:
    """The analyzer of every full-text field: tiles and words, lower-cased, English stemmed."""
    return MixedTokenizer(stem=True)


def plain_analyzer() -> MixedTokenizer:
    """Tiles and words, lower-cased, unstemmed: the words spelling suggestions are made of."""
    return MixedTokenizer(stem=False)


def analyze(text: str) -> list[str]:
    """The index terms of ``text`` (what a query word must equal to match)."""
    return [token.text for token in text_analyzer()(text)]


@lru_cache(maxsize=100_000)
def _pinyin(tile: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(tile, style=Style.NORMAL, errors="ignore"))


def pinyin_text(texts: Iterable[str]) -> str:
    """The pinyin of the Chinese words in ``texts``, for typing Chinese titles in Latin letters.

    Each word appears whole (``xinyong``) and by syllable (``xin yong``), and so does each pair
    of neighbouring words (``xinyongfengxian``): ``xinyong``, ``xin yong`` and
    ``xinyongfengxian`` all find ``信用风险``.
    """
    out: list[str] = []
    for text in texts:
        for run in _RUNS.finditer(text):
            if run.lastgroup != "cjk":
                continue
            joined = []
            for tile, _start, _end in segment_chinese(run.group()):
                syllables = _pinyin(tile)
                joined.append("".join(syllables))
                out.append(joined[-1])
                if len(syllables) > 1:
                    out.extend(syllables)
            out.extend(a + b for a, b in zip(joined, joined[1:], strict=False))
    return " ".join(word for word in out if word)


def has_chinese(text: str) -> bool:
    return bool(_CJK_CHAR.search(text))
