"""Labelled synthetic columns, to measure column detection (:mod:`.corpus` labels values).

A column is one of four families, in these shares:

- ``hinted`` (48%): a sensitive kind under a header that names it (``sfzh``, ``手机号``,
  ``id_number``);
- ``neutral`` (12%): a sensitive kind under a header that says nothing (``col_7``, ``remark``);
  names, birth dates and passport numbers there are left unclassified by design;
- ``lookalike`` (30%): data that is not sensitive but resembles it: order and transaction
  numbers, amounts, transaction dates, product codes, cities, status words, version numbers;
- ``masked`` (10%): a sensitive kind under its usual header, every value masked.

Sensitive columns are noisy like real exports: about 4% of their values are empty and 3% are
malformed (near misses of the same kind).
"""

from __future__ import annotations

import datetime
import random
import string
from dataclasses import dataclass

from datamarket_governance_tools.corpus import generate_near_misses
from datamarket_governance_tools.detectors import KINDS, Kind
from datamarket_governance_tools.pii_masks import mask_value
from datamarket_governance_tools.synthetic import CITY_NAMES, VALID, Maker, written_date

#: Headers that name each kind, as merchants write them.
HINTING_HEADERS: dict[Kind, tuple[str, ...]] = {
    "resident_id": ("sfzh", "身份证号", "id_number", "gmsfhm", "证件号码", "idNumber", "sfzhm"),
    "uscc": ("tyshxydm", "统一社会信用代码", "credit_code", "uscc", "xydm"),
    "bank_card": ("yhkh", "银行卡号", "card_no", "bank_card", "yhzh"),
    "mobile": ("sjhm", "手机号", "mobile", "phone", "lxdh", "联系电话", "contact_phone"),
    "landline": ("gddh", "固定电话", "landline", "座机", "home_phone"),
    "email": ("yx", "邮箱", "email", "dzyx", "user_email"),
    "ipv4": ("ip", "ip_address", "IP地址", "client_ip"),
    "ipv6": ("ipv6", "ipv6_address", "IPv6地址"),
    "vehicle_plate": ("cph", "车牌号", "plate", "hphm", "license_plate"),
    "passport": ("hzhm", "护照号码", "passport", "passport_no"),
    "date_of_birth": ("csrq", "出生日期", "birth_date", "dob", "birthday"),
    "person_name": ("xm", "姓名", "name", "customer_name", "客户姓名"),
    "address": ("dz", "住址", "address", "家庭地址", "jzdz", "home_addr"),
}
NEUTRAL_HEADERS = ("col_{n}", "field_{letter}", "remark", "data", "value", "备注", "字段{n}",
                   "info", "c{n}", "extra")
MASKED_KINDS: tuple[Kind, ...] = ("resident_id", "mobile", "bank_card", "person_name",
                                  "address", "email")
EMPTY_SHARE = 0.04
MALFORMED_SHARE = 0.03


@dataclass(frozen=True)
class LabelledColumn:
    """A synthetic column: its header, its values, the kind it holds (or ``None``) and its
    family (hinted, neutral, lookalike or masked)."""

    name: str
    values: list[object]
    kind: Kind | None
    family: str


def _company(rng: random.Random) -> str:
    return (rng.choice(CITY_NAMES) + rng.choice("华兴瑞博信恒") + rng.choice("达通安泰盛源")
            + rng.choice(("科技", "贸易", "实业", "物流")) + "有限公司")


def _digit_run(length: int) -> Maker:
    return lambda rng: "".join(rng.choice(string.digits) for _ in range(length))


#: Columns that are not sensitive, each with headers and a maker of one value.
LOOKALIKES: tuple[tuple[tuple[str, ...], Maker | None], ...] = (
    (("order_no", "订单号", "serial_no"), _digit_run(18)),
    (("txn_no", "流水号", "transaction_id"),
     lambda rng: _digit_run(rng.randrange(16, 20))(rng)),
    (("meter_no", "表号"), _digit_run(12)),
    (("amount", "金额", "price"), lambda rng: f"{rng.uniform(1, 100_000):.2f}"),
    (("quantity", "数量", "count"), None),  # whole numbers, stored as numbers
    (("trade_date", "交易日期", "order_date", "jyrq"),
     lambda rng: written_date(datetime.date(2015, 1, 1)
                          + datetime.timedelta(days=rng.randrange(3000)), rng)),
    (("product_code", "sku", "商品编码"),
     lambda rng: rng.choice(("SKU-", "P", "ITEM")) + _digit_run(rng.randrange(5, 9))(rng)),
    (("city", "城市", "所在城市"), lambda rng: rng.choice(CITY_NAMES)),
    (("status", "状态", "djzt"), lambda rng: rng.choice(("正常", "注销", "吊销", "存续", "在业"))),
    (("version", "版本"),
     lambda rng: f"{rng.randrange(10)}.{rng.randrange(20)}.{rng.randrange(50)}"),
    (("zip_code", "邮编"), _digit_run(6)),
    (("qymc", "企业名称", "company_name"), _company),
)


def _neutral_header(rng: random.Random, number: int) -> str:
    return rng.choice(NEUTRAL_HEADERS).format(n=number, letter=rng.choice(string.ascii_lowercase))


def _noisy(kind: Kind, rows: int, rng: random.Random) -> list[object]:
    values: list[object] = []
    for _ in range(rows):
        roll = rng.random()
        if roll < EMPTY_SHARE:
            values.append(rng.choice((None, "")))
        elif roll < EMPTY_SHARE + MALFORMED_SHARE:
            values.append(generate_near_misses(kind, 1, rng)[0])
        else:
            values.append(VALID[kind](rng))
    return values


def labelled_columns(n_columns: int, rows_per_column: int, seed: int) -> list[LabelledColumn]:
    """``n_columns`` columns of ``rows_per_column`` values each, with their true kind; the same
    seed gives the same columns."""
    rng = random.Random(seed)
    columns = []
    for number in range(n_columns):
        roll = rng.random()
        if roll < 0.6:
            kind = rng.choice(KINDS)
            hinted = roll < 0.48
            name = (rng.choice(HINTING_HEADERS[kind]) if hinted
                    else _neutral_header(rng, number))
            columns.append(LabelledColumn(name, _noisy(kind, rows_per_column, rng), kind,
                                          "hinted" if hinted else "neutral"))
        elif roll < 0.9:
            headers, maker = rng.choice(LOOKALIKES)
            values: list[object] = [rng.randrange(1, 500) if maker is None else maker(rng)
                                    for _ in range(rows_per_column)]
            columns.append(LabelledColumn(rng.choice(headers), values, None, "lookalike"))
        else:
            kind = rng.choice(MASKED_KINDS)
            values = [mask_value(kind, VALID[kind](rng)) for _ in range(rows_per_column)]
            columns.append(LabelledColumn(rng.choice(HINTING_HEADERS[kind]), values, None,
                                          "masked"))
    return columns
