"""Personal names and postal addresses inside prose: hotline tickets, case files, judgments.

Neither has a shape of its own, so each is found by what stands around it:

- **Chinese names** follow a word that introduces a person (原告, 被告人, 来电人, 联系人,
  姓名：...), or stand before 先生, 女士 or ", 男," / ", 女,". The name itself must pass
  :func:`.names.is_chinese_name` (a surname, a given name, not an everyday word) and end where
  a word or punctuation begins: in 来电人张伟反映 the name is 张伟, since 反映 is a word.
- **Names in pinyin** follow a title (Mr, Ms, Dr) or a word such as customer, caller,
  defendant or name, as two or three capitalised words one of which is a Chinese surname in
  pinyin (Zhang Wei, Wei Zhang, Ouyang Nana).
- **Addresses** start with a province or city (full or short) and run to their last house-level
  element (号, 室, 栋, 单元, 村, 小区...), and must pass :func:`.detectors.is_address`.

A surname with a title alone (张先生, Mr Zhang) is not reported: it identifies no one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from datamarket_governance_tools.detectors import is_address
from datamarket_governance_tools.names import is_chinese_name, lexicon
from datamarket_governance_tools.regions import CITIES, PROVINCES, SHORT_NAMES

# Words that introduce a person in Chinese case files, tickets and forms, longest first.
_NAME_CUES = sorted((
    "姓名", "原告", "被告", "被告人", "上诉人", "被上诉人", "申请人", "被申请人", "申请执行人",
    "被执行人", "第三人", "代理人", "委托代理人", "诉讼代理人", "法定代表人", "法定代理人",
    "负责人", "联系人", "来电人", "来访人", "投诉人", "举报人", "反映人", "当事人", "证人",
    "驾驶人", "驾驶员", "车主", "户主", "患者", "病人", "客户", "用户", "经办人", "收件人",
    "寄件人", "收货人", "业主", "租户", "承租人", "出租人", "借款人", "出借人", "担保人",
    "罪犯", "嫌疑人", "犯罪嫌疑人", "受害人", "被害人", "员工", "职工", "市民", "居民", "村民",
), key=len, reverse=True)
_CUE = re.compile("|".join(_NAME_CUES))
_RUN_AFTER_CUE = re.compile(r"[：:\s]*(?P<run>[\u4e00-\u9fff]{2,8})")
_BEFORE_TITLE = re.compile(
    r"(?P<run>[\u4e00-\u9fff]{2,6})(?=先生|女士|同志|老师|[，,]\s*[男女][，,。])")
# Characters that end a name when they follow it: the sex, and words that start a verb phrase.
_AFTER_NAME = frozenset("男女因于在向对称说等及和与为将已曾先生")

_PINYIN_SURNAMES = frozenset("""
wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng liang
xie song tang han feng deng cao peng zeng xiao tian dong yuan pan yu jiang cai du ye cheng su
wei lv lu ding ren shen yao cui zhong tan wan fan jin shi liao jia xia fu fang bai zou meng
xiong qin qiu yin xue yan duan lei hou long tao gu mao hao gong shao qian kong xiang wen niu
ge xing an qi yi qiao pang ni zhuang nie yue zhai zhan ou geng guan lan jiao zuo gan bao ning
shang shu ruan ke ji mei tong ling bi shan pei huo tu miao sheng qu weng ran ouyang sima zhuge
shangguan dongfang huangfu situ murong xiahou linghu
""".split())
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Madam|Sir)\.?"
_ROLE = (r"(?:[Nn]ame|[Cc]ustomer|[Cc]aller|[Cc]omplainant|[Pp]laintiff|[Dd]efendant|"
         r"[Aa]pplicant|[Rr]espondent|[Dd]river|[Pp]atient|[Cc]ontact|[Tt]enant|[Oo]wner|"
         r"[Bb]orrower|[Ww]itness|[Aa]ccused|[Ss]ender|[Rr]ecipient)(?: name)?(?: is|:|,)?")
_PINYIN_NAME = re.compile(
    rf"(?:{_TITLE}|{_ROLE})\s+(?P<name>[A-Z][a-z]+(?:[ -][A-Z][a-z]+){{1,2}})(?![A-Za-z])")

_PLACES = sorted({*PROVINCES, *CITIES, *SHORT_NAMES}, key=len, reverse=True)
_ADDRESS_RUN = re.compile(
    rf"(?:中国)?(?:{'|'.join(_PLACES)})[\u4e00-\u9fff0-9A-Za-z\-－#]{{2,60}}")
# Where an address can end: a house-level element, with the numbers that follow it.
_HOUSE_END = re.compile(
    r"(?:\d+[号室栋幢楼]|号院|号楼|单元|弄|巷|村|组|小区|公寓|号|室)\d*(?:室|号)?")


def _splits_before_a_word(run: str, length: int) -> bool:
    """Whether a name of ``length`` characters at the start of ``run`` ends where a word or a
    character that follows names begins."""
    rest = run[length:]
    if not rest:
        return True
    words = lexicon().words
    return rest[0] in _AFTER_NAME or rest[:2] in words or rest[:3] in words or rest[:4] in words


def _name_at_start(run: str) -> str | None:
    """The shortest name that starts ``run`` and ends where a word begins (来电人张伟反映:
    张伟), or ends the run."""
    for length in (2, 3, 4):
        if is_chinese_name(run[:length]) and _splits_before_a_word(run, length):
            return run[:length]
    return None


def _name_at_end(run: str) -> str | None:
    for length in (3, 2, 4):
        candidate = run[-length:]
        if len(candidate) == length and is_chinese_name(candidate):
            return candidate
    return None


def find_names(text: str) -> Iterator[tuple[int, str]]:
    """Each personal name in ``text`` as (start, name), in no particular order."""
    for cue in _CUE.finditer(text):
        match = _RUN_AFTER_CUE.match(text, cue.end())
        name = _name_at_start(match.group("run")) if match is not None else None
        if name is not None:
            yield match.start("run"), name
    for match in _BEFORE_TITLE.finditer(text):
        name = _name_at_end(match.group("run"))
        if name is not None:
            yield match.end("run") - len(name), name
    for match in _PINYIN_NAME.finditer(text):
        name = match.group("name")
        if any(part.lower() in _PINYIN_SURNAMES for part in re.split("[ -]", name)):
            yield match.start("name"), name


def find_addresses(text: str) -> Iterator[tuple[int, str]]:
    """Each postal address in ``text`` as (start, address), in order."""
    position = 0
    while (match := _ADDRESS_RUN.search(text, position)) is not None:
        run = match.group()
        ends = [end.end() for end in _HOUSE_END.finditer(run)]
        candidate = run[:ends[-1]] if ends else ""
        if candidate and is_address(candidate):
            yield match.start(), candidate
            position = match.start() + len(candidate)
        else:
            position = match.start() + 1
