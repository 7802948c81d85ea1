"""Standard data elements (标准数据元) and mapping field names onto them (标准映射).

The built-in dictionary holds the elements public-data catalogues use most, with the names they
go by in practice: the Chinese name, pinyin initials (``sfzh`` for 身份证号) and English
spellings. :func:`map_field` finds the element a field name means and says how sure it is:

==========  =====================================================================
confidence  how the name matched
==========  =====================================================================
1.0         exactly as an alias is written (``sfzh``, ``id_number``, ``姓名``)
0.95        after normalising case, full-width characters, separators and camelCase
            (``SFZH``, ``idNumber``, ``ID-Number``)
0.9         after expanding abbreviations and dropping a trailing number
            (``id_no``, ``tel``, ``phone_2``)
0.85        a pinyin variant with or without 号/号码/码 (``sfzhm``, ``sjh``)
0.8         the name ends with an alias (``customer_id_number``, ``客户手机号码``) or is a
            person's name (``customer_name``)
==========  =====================================================================

Generic words (``name``, ``id``, ``code``, ``date`` ...) never match as the end of a longer name:
``product_name`` is no one's name and ``order_date`` no one's birthday.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from datamarket_governance_tools.detectors import Kind

DataType = Literal["string", "integer", "decimal", "boolean", "date", "datetime"]
#: The catalog's sensitivity values, from least to most protected.
Sensitivity = Literal["none", "personal", "sensitive_personal", "confidential"]

EXACT = 1.0
NORMALISED = 0.95
EXPANDED = 0.9
PINYIN_VARIANT = 0.85
PARTIAL = 0.8


@dataclass(frozen=True)
class StandardElement:
    """One standard data element.

    :param code: a stable identifier, e.g. ``PSN005``.
    :param name_zh: the standard Chinese name, e.g. ``公民身份号码``.
    :param name_en: the English name used in messages.
    :param data_type: string, integer, decimal, boolean, date or datetime.
    :param sensitivity: none, personal, sensitive_personal or confidential.
    :param kind: the detector kind its values have, or ``None``.
    :param aliases: other names fields carrying it go by (pinyin initials, English, Chinese).
    """

    code: str
    name_zh: str
    name_en: str
    data_type: DataType
    sensitivity: Sensitivity
    kind: Kind | None
    aliases: tuple[str, ...]


def _e(code: str, name_zh: str, name_en: str, data_type: DataType, sensitivity: Sensitivity,
       kind: Kind | None, aliases: str) -> StandardElement:
    return StandardElement(code, name_zh, name_en, data_type, sensitivity, kind,
                           tuple(aliases.split()))


ELEMENTS: tuple[StandardElement, ...] = (
    # People
    _e("PSN001", "姓名", "Name", "string", "personal", "person_name",
       "xm name full_name person_name real_name 名字 真实姓名"),
    _e("PSN002", "性别", "Sex", "string", "personal", None, "xb gender sex"),
    _e("PSN003", "民族", "Ethnic group", "string", "sensitive_personal", None,
       "mz ethnicity ethnic_group"),
    _e("PSN004", "出生日期", "Date of birth", "date", "personal", "date_of_birth",
       "csrq birth_date date_of_birth dob birthday birthdate 生日"),
    _e("PSN005", "公民身份号码", "Resident ID number", "string", "sensitive_personal",
       "resident_id", "sfzh gmsfhm sfzjhm zjhm id_number id_card id_card_number resident_id "
       "身份证号 身份证号码 身份证 证件号码"),
    _e("PSN006", "手机号码", "Mobile number", "string", "personal", "mobile",
       "sjhm lxdh mobile mobile_phone mobile_number cellphone phone phone_number "
       "手机号 手机 联系电话 电话"),
    _e("PSN007", "固定电话", "Landline number", "string", "personal", "landline",
       "gddh landline landline_number fixed_phone home_phone 座机 固定电话号码"),
    _e("PSN008", "住址", "Residential address", "string", "personal", "address",
       "zz dz jzdz jtzz address home_address residential_address 地址 居住地址 家庭住址 家庭地址"),
    _e("PSN009", "户籍地址", "Household registration address", "string", "personal", "address",
       "hjdz hukou_address household_address 户籍所在地 户口所在地"),
    _e("PSN010", "电子邮箱", "E-mail address", "string", "personal", "email",
       "dzyx yx email e_mail mail email_address 邮箱 电子邮件"),
    _e("PSN011", "护照号码", "Passport number", "string", "sensitive_personal", "passport",
       "hzhm passport passport_number 护照号 护照"),
    _e("PSN012", "银行卡号", "Bank card number", "string", "sensitive_personal", "bank_card",
       "yhkh yhzh bank_card bank_card_number card_number bank_account 银行账号 卡号"),
    _e("PSN013", "婚姻状况", "Marital status", "string", "personal", None,
       "hyzk marital_status"),
    _e("PSN014", "学历", "Education", "string", "personal", None,
       "xl education education_level 文化程度"),
    _e("PSN015", "职业", "Occupation", "string", "personal", None, "zy occupation job"),
    _e("PSN016", "国籍", "Nationality", "string", "personal", None, "gj nationality"),
    _e("PSN017", "年龄", "Age", "integer", "personal", None, "nl age"),
    _e("PSN018", "政治面貌", "Political affiliation", "string", "sensitive_personal", None,
       "zzmm political_status"),
    _e("PSN019", "宗教信仰", "Religion", "string", "sensitive_personal", None,
       "zjxy religion"),
    # Enterprises
    _e("ENT001", "统一社会信用代码", "Unified social credit code", "string", "none", "uscc",
       "tyshxydm xydm uscc credit_code social_credit_code unified_social_credit_code 信用代码"),
    _e("ENT002", "企业名称", "Enterprise name", "string", "none", None,
       "qymc dwmc company_name enterprise_name 公司名称 单位名称"),
    _e("ENT003", "法定代表人", "Legal representative", "string", "none", None,
       "fddbr frdb legal_representative legal_person 法人 法人代表"),
    _e("ENT004", "注册资本", "Registered capital", "decimal", "none", None,
       "zczb registered_capital"),
    _e("ENT005", "成立日期", "Date of establishment", "date", "none", None,
       "clrq establishment_date incorporation_date"),
    _e("ENT006", "经营范围", "Business scope", "string", "none", None, "jyfw business_scope"),
    _e("ENT007", "登记状态", "Registration status", "string", "none", None,
       "djzt jyzt registration_status company_status 经营状态"),
    _e("ENT008", "注册地址", "Registered address", "string", "none", "address",
       "zcdz registered_address company_address enterprise_address 企业地址 住所"),
    _e("ENT009", "企业类型", "Enterprise type", "string", "none", None,
       "qylx enterprise_type company_type"),
    _e("ENT010", "所属行业", "Industry", "string", "none", None, "sshy industry 行业"),
    _e("ENT011", "登记机关", "Registration authority", "string", "none", None,
       "djjg registration_authority"),
    _e("ENT012", "核准日期", "Approval date", "date", "none", None, "hzrq approval_date"),
    _e("ENT013", "企业联系电话", "Enterprise telephone", "string", "none", "landline",
       "qylxdh company_phone enterprise_phone 企业电话 单位电话"),
    _e("ENT014", "企业电子邮箱", "Enterprise e-mail", "string", "none", "email",
       "qyyx company_email enterprise_email 企业邮箱"),
    # Tax and social security
    _e("TAX001", "纳税人识别号", "Taxpayer identification number", "string", "none", "uscc",
       "nsrsbh taxpayer_id tax_id tin 税号"),
    _e("TAX002", "纳税人名称", "Taxpayer name", "string", "none", None,
       "nsrmc taxpayer_name"),
    _e("TAX003", "纳税额", "Tax paid", "decimal", "confidential", None,
       "nse tax_amount tax_paid 纳税金额 税额"),
    _e("TAX004", "税款所属期", "Tax period", "string", "none", None, "sksq tax_period"),
    _e("TAX005", "纳税信用等级", "Tax credit rating", "string", "none", None,
       "nsxydj tax_credit_rating"),
    _e("TAX006", "欠税金额", "Tax arrears", "decimal", "confidential", None,
       "qsje tax_arrears"),
    _e("SOC001", "社保缴费基数", "Social insurance contribution base", "decimal",
       "sensitive_personal", None, "sbjfjs contribution_base 缴费基数"),
    _e("SOC002", "缴费月份", "Contribution month", "string", "none", None,
       "jfyf contribution_month payment_month"),
    _e("SOC003", "参保单位", "Insured employer", "string", "none", None,
       "cbdw insured_employer employer 参保单位名称"),
    _e("SOC004", "参保状态", "Insurance status", "string", "personal", None,
       "cbzt insurance_status"),
    _e("SOC005", "险种类型", "Insurance type", "string", "none", None,
       "xzlx insurance_type 险种"),
    _e("SOC006", "缴费金额", "Contribution amount", "decimal", "personal", None,
       "jfje contribution_amount"),
    _e("SOC007", "社会保障号码", "Social security number", "string", "sensitive_personal",
       "resident_id", "shbzhm social_security_number 社保号"),
    # Transport
    _e("TRF001", "车牌号码", "Vehicle plate number", "string", "personal", "vehicle_plate",
       "cphm cph hphm plate plate_number license_plate licence_plate 车牌号 车牌 号牌号码"),
    _e("TRF002", "驾驶证号", "Driving licence number", "string", "sensitive_personal",
       "resident_id", "jszh driving_licence_number driver_license_number 驾驶证号码"),
    _e("TRF003", "准驾车型", "Permitted vehicle class", "string", "personal", None,
       "zjcx licence_class permitted_vehicle_class"),
    _e("TRF004", "违章时间", "Violation time", "datetime", "personal", None,
       "wzsj wfsj violation_time 违法时间"),
    _e("TRF005", "违章地点", "Violation location", "string", "personal", None,
       "wzdd wfdd violation_location 违法地点"),
    _e("TRF006", "违章行为", "Violation", "string", "personal", None,
       "wzxw wfxw violation 违法行为"),
    _e("TRF007", "车辆类型", "Vehicle type", "string", "none", None, "cllx vehicle_type"),
    _e("TRF008", "车辆识别代号", "Vehicle identification number", "string", "personal", None,
       "clsbdh vin"),
    _e("TRF009", "罚款金额", "Fine", "decimal", "personal", None, "fkje fine_amount"),
    _e("TRF010", "违法记分", "Penalty points", "integer", "personal", None,
       "wfjf penalty_points 记分"),
    # Medical
    _e("MED001", "就诊日期", "Visit date", "date", "sensitive_personal", None,
       "jzrq visit_date"),
    _e("MED002", "诊断名称", "Diagnosis", "string", "sensitive_personal", None,
       "zdmc diagnosis diagnosis_name 诊断"),
    _e("MED003", "医疗机构名称", "Medical institution", "string", "none", None,
       "yljgmc hospital_name medical_institution 医院名称"),
    _e("MED004", "疾病编码", "Disease code", "string", "sensitive_personal", None,
       "jbbm icd_code disease_code"),
    _e("MED005", "科室名称", "Department", "string", "none", None, "ksmc department 科室"),
    _e("MED006", "病历号", "Medical record number", "string", "sensitive_personal", None,
       "blh medical_record_number 住院号"),
    _e("MED007", "医疗费用总额", "Total medical cost", "decimal", "sensitive_personal", None,
       "ylfyze medical_cost 医疗费用"),
    # Judicial
    _e("JUD001", "案号", "Case number", "string", "none", None, "ah case_number"),
    _e("JUD002", "失信被执行人", "Dishonest person subject to enforcement", "string",
       "personal", "person_name", "sxbzxr bzxr dishonest_person judgment_defaulter 被执行人"),
    _e("JUD003", "执行法院", "Enforcing court", "string", "none", None,
       "zxfy enforcing_court court"),
    _e("JUD004", "立案日期", "Filing date", "date", "none", None, "larq filing_date"),
    _e("JUD005", "执行标的", "Amount to enforce", "decimal", "none", None,
       "zxbd enforcement_amount"),
    _e("JUD006", "失信行为", "Dishonest conduct", "string", "personal", None,
       "sxxw dishonest_conduct"),
    _e("JUD007", "履行情况", "Performance status", "string", "none", None,
       "lxqk performance_status"),
    _e("JUD008", "发布日期", "Publication date", "date", "none", None,
       "fbrq publish_date publication_date"),
    # Common
    _e("COM001", "IP地址", "IP address", "string", "personal", "ipv4",
       "ipdz ip ip_address ipv4 ipv4_address"),
    _e("COM002", "IPv6地址", "IPv6 address", "string", "personal", "ipv6",
       "ipv6 ipv6_address"),
    _e("COM003", "数据更新时间", "Data update time", "datetime", "none", None,
       "gxsj updated_at update_time last_updated 更新时间"),
    _e("COM004", "数据来源", "Data source", "string", "none", None, "sjly data_source source"),
    _e("COM005", "备注", "Remark", "string", "none", None, "bz remark remarks note notes comment"),
    _e("COM006", "行政区划代码", "Administrative division code", "string", "none", None,
       "xzqhdm division_code region_code"),
    _e("COM007", "创建时间", "Creation time", "datetime", "none", None,
       "cjsj created_at create_time"),
    _e("COM008", "记录编号", "Record identifier", "string", "none", None, "jlbh id record_id"),
    _e("COM009", "统计年度", "Statistical year", "integer", "none", None,
       "tjnd year stat_year 年度"),
)

_CAMEL_LOWER_UPPER = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_CAMEL_ACRONYM = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_TRAILING_NUMBER = re.compile(r"(?<=[a-z\u4e00-\u9fff])_?\d+$")
_PINYIN = re.compile(r"[a-z]{2,8}")
#: Abbreviations in field names, expanded before looking the name up.
ABBREVIATIONS = {"no": "number", "num": "number", "nbr": "number", "nr": "number",
                 "tel": "phone", "telephone": "phone", "addr": "address", "mob": "mobile",
                 "cell": "mobile", "idcard": "id_card", "dt": "date"}
#: Words that say nothing on their own at the end of a longer name.
GENERIC_WORDS = frozenset({"name", "id", "code", "number", "date", "time", "type", "status",
                           "amount", "year", "source", "value", "data", "info"})
#: Words that make a following ``name`` a person's name.
PERSON_WORDS = frozenset({"customer", "client", "user", "person", "patient", "driver", "contact",
                          "applicant", "owner", "holder", "employee", "member", "buyer",
                          "insured", "student", "teacher", "staff", "resident", "citizen"})


def normalise_name(name: str) -> str:
    """``name`` folded for lookup: NFKC (full-width to half-width), camelCase split, lower case,
    runs of other characters as one ``_``; Chinese names lose their separators entirely."""
    text = unicodedata.normalize("NFKC", name).strip()
    text = _CAMEL_ACRONYM.sub("_", _CAMEL_LOWER_UPPER.sub("_", text)).lower()
    text = _SEPARATORS.sub("_", text).strip("_")
    return text.replace("_", "") if _CJK.search(text) else text


def _build_index() -> tuple[dict[str, tuple[StandardElement, str]],
                            dict[str, tuple[StandardElement, str]]]:
    exact: dict[str, tuple[StandardElement, str]] = {}
    normalised: dict[str, tuple[StandardElement, str]] = {}
    for element in ELEMENTS:
        for alias in (element.name_zh, *element.aliases):
            exact[alias] = (element, alias)
            normalised[normalise_name(alias)] = (element, alias)
    return exact, normalised


_BY_ALIAS, _BY_NORMALISED = _build_index()
_CHINESE_ALIASES = sorted((key for key in _BY_NORMALISED if _CJK.search(key)),
                          key=len, reverse=True)
_PERSON_NAME = next(element for element in ELEMENTS if element.kind == "person_name")


@dataclass(frozen=True)
class FieldMapping:
    """The standard element a field name means.

    :param element: the element.
    :param alias: the element's alias (or Chinese name) the field name matched.
    :param confidence: 1.0 for an exact alias, down to 0.8 for a partial match.
    """

    element: StandardElement
    alias: str
    confidence: float


def _mapping(key: str, confidence: float) -> FieldMapping:
    element, alias = _BY_NORMALISED[key]
    return FieldMapping(element, alias, confidence)


def _expanded(text: str) -> str:
    words = _TRAILING_NUMBER.sub("", text).split("_")
    return "_".join(ABBREVIATIONS.get(word, word) for word in words)


def _pinyin_variant(text: str) -> str | None:
    if not _PINYIN.fullmatch(text):
        return None
    candidates = [text + "m", text + "hm"]
    candidates += [text[:-len(suffix)] for suffix in ("hm", "m", "h") if text.endswith(suffix)]
    for candidate in candidates:
        if len(candidate) >= 3 and _PINYIN.fullmatch(candidate) and candidate in _BY_NORMALISED:
            return candidate
    return None


def _partial(text: str) -> FieldMapping | None:
    if _CJK.search(text):
        for alias in _CHINESE_ALIASES:
            if len(alias) >= 2 and text.endswith(alias) and text != alias:
                return _mapping(alias, PARTIAL)
        return None
    words = text.split("_")
    for size in range(len(words) - 1, 0, -1):
        tail = "_".join(words[-size:])
        if tail in _BY_NORMALISED and (size > 1 or tail not in GENERIC_WORDS):
            return _mapping(tail, PARTIAL)
    if len(words) >= 2 and words[-1] == "name" and words[-2] in PERSON_WORDS:
        return FieldMapping(_PERSON_NAME, "name", PARTIAL)
    return None


def map_field(name: str) -> FieldMapping | None:
    """The standard element the field ``name`` means, or ``None`` when no rule matches.

    The rules are tried from the surest to the least sure (see the module's table); the first
    that matches decides, and ``confidence`` says which one it was.
    """
    if name in _BY_ALIAS:
        element, alias = _BY_ALIAS[name]
        return FieldMapping(element, alias, EXACT)
    text = normalise_name(name)
    if not text:
        return None
    if text in _BY_NORMALISED:
        return _mapping(text, NORMALISED)
    expanded = _expanded(text)
    if expanded in _BY_NORMALISED:
        return _mapping(expanded, EXPANDED)
    variant = _pinyin_variant(text)
    if variant is not None:
        return _mapping(variant, PINYIN_VARIANT)
    return _partial(expanded)


def map_fields(names: Iterable[str]) -> dict[str, FieldMapping | None]:
    """:func:`map_field` for each name, keyed by the name as given."""
    return {name: map_field(name) for name in names}
