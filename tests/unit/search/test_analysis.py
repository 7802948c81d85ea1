"""Index-side and query-side analysis agree, in Chinese and in English.

The first two tests show the two failures the search was built to fix, with jieba's own Whoosh
analyzer, next to ours on the same index: a query typed as ``企业信用`` and the phrase
``"credit risk"``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jieba
import pytest
from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import QueryParser

from marketplace.search.analysis import (
    TEXT_GAP,
    TEXT_SEPARATOR,
    analyze,
    pinyin_text,
    segmenter,
    text_analyzer,
)
from marketplace.search.query import parse
from marketplace.search.schema import SloppyPhrase

TITLE = "企业信用风险模型 Enterprise credit risk model"


def _search(tmp_path: Path, analyzer, query_text: str, phraseclass=None) -> list[str]:
    schema = Schema(key=ID(stored=True), title=TEXT(analyzer=analyzer, phrase=True))
    schema["title"].multitoken_query = "phrase"
    ix = whoosh_index.create_in(str(tmp_path), schema)
    with ix.writer() as writer:
        writer.add_document(key="model", title=TITLE)
        writer.add_document(key="other", title="企业黑名单核验 credit loss, then risk")
    parser = QueryParser("title", schema, **({"phraseclass": phraseclass} if phraseclass else {}))
    with ix.searcher() as searcher:
        return sorted(hit["key"] for hit in searcher.search(parser.parse(query_text)))


def _jiebas_analyzer():
    """jieba's Whoosh analyzer, loaded from its file: importing ``jieba.analyse`` also opens
    (and never closes) its keyword-extraction data."""
    path = Path(jieba.__file__).parent / "analyse" / "analyzer.py"
    spec = importlib.util.spec_from_file_location("jieba_whoosh_analyzer", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # Whoosh pickles the analyzer into the index
    spec.loader.exec_module(module)
    return module.ChineseAnalyzer()


def test_jiebas_analyzer_misses_a_compound_query_that_ours_finds(tmp_path):
    jieba_dir, ours_dir = tmp_path / "jieba", tmp_path / "ours"
    jieba_dir.mkdir(), ours_dir.mkdir()
    # jieba's search mode adds 企业信用 to the query but only 企业, 信用, 信用风险 to the index.
    assert _search(jieba_dir, _jiebas_analyzer(), "企业信用") == []
    assert _search(ours_dir, text_analyzer(), "企业信用", SloppyPhrase) == ["model"]


def test_jiebas_analyzer_misses_an_english_phrase_that_ours_finds(tmp_path):
    jieba_dir, ours_dir = tmp_path / "jieba", tmp_path / "ours"
    jieba_dir.mkdir(), ours_dir.mkdir()
    # jieba's positions are character offsets, so the phrase misses the title that has it.
    assert "model" not in _search(jieba_dir, _jiebas_analyzer(), '"credit risk"')
    assert _search(ours_dir, text_analyzer(), '"credit risk"') == ["model"]
    # ...and a phrase still means the words in that order.
    assert _search(ours_dir, text_analyzer(), '"risk credit"') == []


def test_chinese_words_are_tiled_into_the_smallest_dictionary_words():
    assert analyze("企业信用风险模型") == ["企业", "信用", "风险", "模型"]
    # The same tiles come out of a compound typed alone, so the query matches the index.
    assert analyze("企业信用") == ["企业", "信用"]
    assert analyze("信用风险") == ["信用", "风险"]
    assert analyze("医疗健康") == ["医疗", "健康"]


def test_a_compound_query_word_is_a_phrase_of_its_tiles():
    query = parse("企业信用")
    phrases = [q for q in query.leaves() if isinstance(q, SloppyPhrase)]
    assert phrases and all(p.words == ["企业", "信用"] for p in phrases)


def test_positions_count_words_not_characters():
    tokens = [(t.text, t.pos) for t in text_analyzer()("企业信用 credit risk", positions=True)]
    assert tokens == [("企业", 0), ("信用", 1), ("credit", 2), ("risk", 3)]


def test_the_texts_of_a_list_are_kept_apart():
    tokens = [(t.text, t.pos, t.startchar) for t in text_analyzer()(
        f"credit model{TEXT_SEPARATOR}risk", positions=True, chars=True)]
    assert tokens == [("credit", 0, 0), ("model", 1, 7),
                      ("risk", 2 + TEXT_GAP, len("credit model") + len(TEXT_SEPARATOR))]


def test_english_is_lower_cased_stemmed_and_stop_words_dropped():
    assert analyze("Models of the Credit Risks") == ["model", "credit", "risk"]
    assert analyze("KYB") == ["kyb"]
    assert analyze("three-element") == ["three", "element"]


def test_pinyin_covers_words_syllables_and_neighbouring_words():
    words = pinyin_text(["企业信用风险模型 Enterprise"]).split()
    assert {"qiye", "xinyong", "xin", "yong", "xinyongfengxian"} <= set(words)
    assert "enterprise" not in words


def test_jieba_loads_once_per_process():
    first = segmenter()
    assert segmenter() is first
    analyze("新的文本 again")
    assert segmenter() is first and first.initialized


def test_jiebas_cache_is_kept_in_the_configured_folder_not_the_temporary_one(tmp_path):
    cache_dir, temp_dir = tmp_path / "instance" / "jieba", tmp_path / "tmp"
    temp_dir.mkdir()
    script = textwrap.dedent(f"""
        from pathlib import Path
        from marketplace.search import analysis
        analysis.configure(Path({str(cache_dir)!r}))
        assert analysis.analyze("企业信用") == ["企业", "信用"]
    """)
    env = {**os.environ, "TMPDIR": str(temp_dir), "TEMP": str(temp_dir), "TMP": str(temp_dir)}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=120,
                   cwd=Path(__file__).resolve().parents[3])
    assert (cache_dir / "jieba.cache").stat().st_size > 1_000_000
    assert list(temp_dir.iterdir()) == []


@pytest.mark.parametrize("text", ["", "   ", "!!!", "的 了 和 the of"])
def test_text_without_searchable_words_gives_no_query(text):
    assert parse(text) is None
