"""The demo catalog: what each demo product says, what it costs, and who sells it.

Content only; :mod:`marketplace.demo.seed` puts it through the real catalog services. Each entry
holds the listing content (the :data:`CONTENT_KEYS`, and ``trial_calls`` where the product
offers free sandbox calls), its ``plans`` (amounts in fen), the
``merchant`` that sells it (``"primary"``, ``"secondary"`` or ``"pending"``), and ``sample``: a
function of a ``random.Random`` from :mod:`marketplace.demo.samples` that makes its sample rows, so
one seed fixes the whole catalog.
"""

from __future__ import annotations

from inspect import cleandoc
from typing import Any

from marketplace.demo import samples

Text = str | tuple[str, ...]

CONTENT_KEYS = ("title", "summary", "description_md", "title_en", "summary_en",
                "description_md_en", "product_type", "delivery_form", "scenario", "tags",
                "classification_level", "data_dictionary")

# ---------------------------------------------------------------------------- building blocks


def _field(name: str, type_: str, description: str, sensitivity: str = "none") -> dict[str, str]:
    return {"name": name, "type": type_, "description": description, "sensitivity": sensitivity}


def _summaries(chinese: str, english: str) -> dict[str, str]:
    return {"summary": chinese, "summary_en": english}


_HEADINGS = (("What you get", "产品内容"), ("How it is delivered", "交付方式"),
             ("Authorization and compliance", "授权与合规"), ("Update frequency", "更新频率"))

Sections = tuple[Text, Text, Text, Text]


def _descriptions(what: Text, how: Text, authorization: Text, frequency: Text, *,
                  zh: Sections) -> dict[str, str]:
    """The four sections every demo description has, in English (the arguments) and in Chinese
    (``zh``, the same four in the same order); a section given as a tuple of texts becomes that
    many paragraphs."""
    english, chinese = zip(*_HEADINGS, strict=True)
    return {"description_md": _sections(chinese, zh),
            "description_md_en": _sections(english, (what, how, authorization, frequency))}


def _sections(headings: tuple[str, ...], bodies: Sections) -> str:
    return "\n\n".join(
        f"## {heading}\n\n" + "\n\n".join(cleandoc(p) for p in _paragraphs(body))
        for heading, body in zip(headings, bodies, strict=True)) + "\n"


def _paragraphs(body: Text) -> tuple[str, ...]:
    return (body,) if isinstance(body, str) else body


def _free(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "model": "free", "description": description}


def _one_time(name: str, price: int, description: str = "",
              included_calls: int | None = None) -> dict[str, Any]:
    return {"name": name, "model": "one_time", "price": price, "description": description,
            "included_calls": included_calls}


def _per_call(name: str, free_allowance: int, tiers: list[tuple[int | None, int]],
              description: str = "") -> dict[str, Any]:
    return {"name": name, "model": "per_call", "free_allowance": free_allowance,
            "tiers": [{"up_to": up_to, "unit_price": price} for up_to, price in tiers],
            "description": description}


def _membership(name: str, period: str, price: int, included_calls: int,
                overage_unit_price: int | None, description: str = "") -> dict[str, Any]:
    return {"name": name, "model": "membership", "billing_period": period, "price": price,
            "included_calls": included_calls, "overage_unit_price": overage_unit_price,
            "description": description}


def _service_fee(name: str, price: int, description: str) -> dict[str, Any]:
    return {"name": name, "model": "service_fee", "price": price, "description": description}


# ---------------------------------------------------------------------------- shared wording

_GATEWAY = """
    Every call goes through the Datamarket gateway with your API key: the gateway checks your
    entitlement, meters the call and returns quota headers (`X-Quota-Remaining`). Responses are
    JSON. Where the product offers a trial ("Try it" on its page), a signed-in buyer gets a
    sandbox key for a few free calls on the sample below.
    """
_VERIFICATION_ONLY = """
    Available but not visible (可用不可见): the service answers only match / no match for what you
    send; it never returns the underlying records. Queries are logged in the audit trail with your
    stated purpose, and bulk enumeration of identifiers is detected and blocked.
    """

# Chinese paragraphs are single lines: a line break inside one would read as a space.
_GATEWAY_ZH = ("每次调用都使用您的 API 密钥经过 Datamarket 网关：网关核对您的授权、计量调用并返回"
               "配额响应头（`X-Quota-Remaining`）。响应为 JSON。"
               "产品提供试用时（产品页上的“试用”），已登录的买方可获得沙箱密钥，在下方样例上免费调用几次。")
_VERIFICATION_ONLY_ZH = ("可用不可见：服务只对您发送的内容回答一致或不一致，"
                         "从不返回底层记录。每次查询连同您声明的用途记入审计日志，批量遍历标识符的行为会被发现并阻止。")

# ---------------------------------------------------------------------------- published products

PRODUCTS: list[dict[str, Any]] = [
    {
        "key": "enterprise-blacklist",
        "merchant": "primary",
        "title": "企业黑名单核验",
        "title_en": "Enterprise blacklist verification",
        **_summaries(
            "输入统一社会信用代码，实时核验企业是否被列入严重违法失信名单、经营异常名"
            "录或重大税收违法失信主体名单。",
            "Checks in real time whether a company is on a serious-violation, abnormal-operations "
            "or major tax-violation list.",
        ),
        **_descriptions(
            """
            A yes / no answer for one company, with which list it is on, since when and which
            authority listed it. Built for onboarding (KYB), supplier vetting and loan
            pre-screening. Sources: market-regulation and tax authorities' published lists, merged
            and keyed by unified social credit code (统一社会信用代码).
            """,
            ("Verification API: `POST /verify` with `credit_code`. Median latency under 80 ms.",
             _GATEWAY),
            """
            Level 2. The lists are public disclosures; no personal information is returned.
            Use is limited to credit, procurement and compliance checks on the company queried.
            """,
            "Daily at 02:00 (UTC+8); removals after credit repair take effect the same day.",
            zh=(
                "针对单个企业给出是否在名单上的答复，并说明所在名单、列入日期和列入机关。适用于客"
                "户准入（KYB）、供应商审查和贷前筛查。数据来源：市场监管和税务部门公开的名单，合并"
                "后以统一社会信用代码为键。",
                (
                    "核验接口：`POST /verify`，传入 `credit_code`。响应时间中位数低于 80 毫秒。",
                    _GATEWAY_ZH,
                ),
                "二级。名单为公开披露信息，不返回任何个人信息。仅限用于信用、采购和合规审查，"
                "对象为所查询的企业。",
                "每日 02:00（UTC+8）更新；信用修复后的移出当天生效。",
            ),
        ),
        "product_type": "modelized_data",
        "delivery_form": "verification_api",
        "scenario": "finance",
        "tags": ["黑名单", "blacklist", "企业征信", "KYB", "credit"],
        "classification_level": 2,
        "data_dictionary": [
            _field("credit_code", "string", "Unified social credit code of the company checked"),
            _field("company_name", "string", "Registered name"),
            _field("listed", "boolean", "True when the company is on at least one list"),
            _field("list_type", "string", "serious_violation, abnormal_operation or "
                   "major_tax_violation; empty when not listed"),
            _field("listed_on", "date", "Date the company was put on the list"),
            _field("listing_authority", "string", "Authority that listed the company"),
        ],
        "sample": samples.blacklist_rows,
        "plans": [
            _per_call("Pay as you go 按量计费", 200, [(10_000, 60), (100_000, 40), (None, 25)]),
            _membership("Business monthly 企业月度会员", "month", 2_980_00, 10_000, 30),
        ],
    },
    {
        "key": "enterprise-four-element",
        "merchant": "primary",
        "title": "企业四要素核验",
        "title_en": "Enterprise four-element verification",
        **_summaries(
            "核验企业名称、统一社会信用代码、法定代表人姓名与身份证号是否一致。",
            "Confirms that a company's name, credit code, legal representative and their "
            "ID number belong together.",
        ),
        **_descriptions(
            """
            One answer per request: `consistent`, `inconsistent` (with the elements that do not
            match) or `not_found`, plus the company's registration status. Used by banks and
            payment institutions to verify merchants and corporate account openings.
            """,
            ("Verification API: `POST /verify` with the four elements.", _GATEWAY),
            ("""
            Level 2. You send the legal representative's name and ID number; they are compared
            and discarded, never stored or returned in clear.
            """, _VERIFICATION_ONLY),
            "Registration data is refreshed hourly from the market-regulation register.",
            zh=(
                "每次请求给出一个结论：`consistent`（一致）、`inconsistent`（不一致，并指出不一致"
                "的要素）或 `not_found`（未找到），同时返回企业登记状态。银行和支付机构用于商户核"
                "验与对公开户。",
                (
                    "核验接口：`POST /verify`，传入四要素。",
                    _GATEWAY_ZH,
                ),
                (
                    "二级。您发送的法定代表人姓名和身份证号仅用于比对，比对后即丢弃，不存储、不明"
                    "文返回。",
                    _VERIFICATION_ONLY_ZH,
                ),
                "登记数据每小时从市场监管登记系统刷新一次。",
            ),
        ),
        "product_type": "modelized_data",
        "delivery_form": "verification_api",
        "scenario": "social_governance",
        "tags": ["四要素", "four-element", "企业核验", "KYB", "开户"],
        "classification_level": 2,
        "data_dictionary": [
            _field("credit_code", "string", "Unified social credit code you send"),
            _field("company_name", "string", "Company name you send"),
            _field("legal_rep_name", "string", "Legal representative's name (masked in output)",
                   "personal"),
            _field("legal_rep_id_number", "string", "Legal representative's resident ID number "
                   "(masked in output)", "sensitive_personal"),
            _field("result", "string", "consistent, inconsistent or not_found"),
            _field("mismatched_elements", "json", "Names of the elements that do not match"),
            _field("registration_status", "string", "存续, 吊销 or 注销 (active, revoked, "
                   "deregistered)"),
        ],
        "sample": samples.four_element_rows,
        "plans": [
            _per_call("Pay as you go 按量计费", 100, [(20_000, 80), (None, 50)]),
            _membership("Annual 年度会员", "year", 36_000_00, 150_000, 40),
        ],
    },
    {
        "key": "enterprise-tax-payment",
        "merchant": "primary",
        "title": "企业纳税缴纳核验",
        "title_en": "Enterprise tax-payment verification",
        **_summaries(
            "按季度核验企业是否按期足额纳税、有无欠税，并返回纳税信用等级。",
            "Quarterly check of whether a company paid its taxes on time, owes arrears, "
            "and its tax credit rating.",
        ),
        **_descriptions(
            """
            For a credit code and a quarter: on-time payment, arrears, the tax credit rating
            (A, B, M, C, D) and the band of tax paid — never the exact amount. The basis of
            "tax-to-credit" (银税互动) SME lending.
            """,
            ("Verification API: `POST /verify` with `credit_code` and `period` (`2025-Q2`).",
             _GATEWAY),
            """
            Level 2. Tax data is answered in bands under the operator's authorization from the
            tax authority; the company's written consent (授权书) must be on file with you and
            is sampled in audits.
            """,
            "Quarterly, 20 days after the end of each filing period.",
            zh=(
                "按统一社会信用代码和季度返回：是否按期缴纳、有无欠税、纳税信用等级（A、B、M、C、D"
                "）以及纳税额区间，从不返回确切金额。是“银税互动”小微企业贷款的基础。",
                (
                    "核验接口：`POST /verify`，传入 `credit_code` 和 `period`（如 `2025-Q2`）。",
                    _GATEWAY_ZH,
                ),
                "二级。税务数据在税务机关对运营方的授权下以区间形式返回；企业的书面授权书须由您留"
                "存，并在审计中抽查。",
                "按季度更新，每个申报期结束后 20 天。",
            ),
        ),
        "product_type": "modelized_data",
        "delivery_form": "verification_api",
        "scenario": "social_governance",
        "tags": ["纳税", "tax", "银税互动", "SME lending"],
        "classification_level": 2,
        "data_dictionary": [
            _field("credit_code", "string", "Unified social credit code"),
            _field("company_name", "string", "Registered name"),
            _field("period", "string", "Quarter checked, such as 2025-Q2"),
            _field("tax_credit_rating", "string", "Tax credit rating A, B, M, C or D"),
            _field("paid_on_time", "boolean", "All returns of the period paid by the deadline"),
            _field("arrears", "boolean", "Outstanding tax at the end of the period",
                   "confidential"),
            _field("paid_amount_band", "string", "Band of tax paid in the period (CNY)",
                   "confidential"),
        ],
        "sample": samples.tax_rows,
        "plans": [
            _per_call("Pay as you go 按量计费", 50, [(5_000, 150), (None, 100)]),
            _membership("Lender monthly 信贷机构月度会员", "month", 4_800_00, 5_000, 90),
        ],
    },
    {
        "key": "social-security-payment",
        "merchant": "primary",
        "title": "社保缴纳核验",
        "title_en": "Social-security payment verification",
        **_summaries(
            "核验个人是否在指定单位连续缴纳社会保险及缴纳月数区间。",
            "Verifies that a person pays social insurance through a given employer, and "
            "for how long (in bands).",
        ),
        **_descriptions(
            """
            Whether the person currently contributes, through the employer you name, the band of
            continuous months (0, 1–5, 6–11, 12–23, 24+), the last month paid and the insurance
            types. Used to confirm employment in consumer lending and rental screening.
            """,
            ("Verification API: `POST /verify` with name, ID number and employer credit code.",
             _GATEWAY),
            ("""
            Level 2. Requires the individual's explicit consent for this purpose (PIPL art. 13);
            keep it for three years. Salary bases and amounts are never returned.
            """, _VERIFICATION_ONLY),
            "Monthly, on the 10th, after the social-insurance agency closes the previous month.",
            zh=(
                "返回此人目前是否通过您指定的单位缴纳社保、连续缴纳月数区间（0、1–5、6–11、12–23、"
                "24 个月以上）、最近缴纳月份和险种。用于消费信贷和租赁审查中的在职确认。",
                (
                    "核验接口：`POST /verify`，传入姓名、身份证号和单位统一社会信用代码。",
                    _GATEWAY_ZH,
                ),
                (
                    "二级。须取得个人为此目的的明确同意（《个人信息保护法》第十三条），并保存三年"
                    "。从不返回缴费基数和金额。",
                    _VERIFICATION_ONLY_ZH,
                ),
                "每月 10 日，社保经办机构完成上月结算后更新。",
            ),
        ),
        "product_type": "modelized_data",
        "delivery_form": "verification_api",
        "scenario": "social_governance",
        "tags": ["社保", "social security", "就业核验", "employment"],
        "classification_level": 2,
        "data_dictionary": [
            _field("name", "string", "Name you send (masked in output)", "personal"),
            _field("id_number", "string", "Resident ID number you send (masked in output)",
                   "sensitive_personal"),
            _field("employer_credit_code", "string", "Employer's unified social credit code"),
            _field("contributing", "boolean", "Contributions paid for the latest month"),
            _field("continuous_months_band", "string", "Continuous months of contributions",
                   "personal"),
            _field("last_paid_month", "string", "Latest month paid, YYYY-MM", "personal"),
            _field("insurance_types", "json", "pension, medical, unemployment, injury, maternity",
                   "personal"),
        ],
        "sample": samples.social_security_rows,
        "plans": [
            _per_call("Pay as you go 按量计费", 50, [(5_000, 80), (None, 50)]),
            _service_fee("Batch verification project 批量核验服务", 5_000_00,
                         "Verification of an employee or applicant list you upload (up to "
                         "50,000 people), with a reconciliation report; quoted per project."),
        ],
    },
    {
        "key": "dishonest-person",
        "merchant": "primary",
        "title": "失信被执行人核验",
        "title_en": "Dishonest-person verification",
        **_summaries(
            "核验个人是否被法院列入失信被执行人名单，并返回最新案号与执行法院。",
            "Checks whether a person is on the courts' list of judgment defaulters "
            "(失信被执行人).",
        ),
        **_descriptions(
            """
            Listed or not; when listed, the number of cases, the latest case number, the
            executing court, the publication date and the performance status.
            """,
            ("Verification API: `POST /verify` with name and ID number.", _GATEWAY),
            """
            Level 2. The list is published by the Supreme People's Court; we return only what
            it discloses, for credit and hiring decisions. Delisted persons disappear the day
            the court removes them.
            """,
            "Daily; removals within 24 hours of the court's decision.",
            zh=(
                "是否在名单上；在名单上时返回案件数、最新案号、执行法院、发布日期和履行情况。",
                (
                    "核验接口：`POST /verify`，传入姓名和身份证号。",
                    _GATEWAY_ZH,
                ),
                "二级。名单由最高人民法院公布；我们只返回其公开的信息，用于信用和招聘决策。法院移"
                "出名单的当天，该人即不再出现。",
                "每日更新；法院决定移出后 24 小时内生效。",
            ),
        ),
        "product_type": "modelized_data",
        "delivery_form": "verification_api",
        "scenario": "social_governance",
        "tags": ["失信被执行人", "judgment defaulter", "法院", "court", "背景调查"],
        "classification_level": 2,
        "data_dictionary": [
            _field("name", "string", "Name you send (masked in output)", "personal"),
            _field("id_number", "string", "Resident ID number you send (masked in output)",
                   "sensitive_personal"),
            _field("is_dishonest", "boolean", "On the list today"),
            _field("case_count", "integer", "Open cases on the list", "personal"),
            _field("latest_case_number", "string", "Case number of the latest case", "personal"),
            _field("executing_court", "string", "Court enforcing the latest case"),
            _field("published_on", "date", "Date the latest case was published"),
            _field("performance_status", "string", "全部未履行 or 部分未履行"),
        ],
        "sample": samples.dishonest_rows,
        "plans": [
            _per_call("Pay as you go 按量计费", 100, [(10_000, 40), (None, 25)]),
            _membership("Annual 年度会员", "year", 18_000_00, 100_000, 20),
        ],
    },
    {
        "key": "epidemiology-statistics",
        "merchant": "primary",
        "title": "法定传染病周报统计",
        "title_en": "Notifiable disease epidemiology statistics",
        **_summaries(
            "按区县、周、病种和年龄组统计的法定传染病新发病例数与发病率。",
            "Weekly new cases and incidence of notifiable diseases by county, disease and "
            "age group.",
        ),
        **_descriptions(
            """
            Aggregate counts only — no case records. County-level weekly series from 2019 on
            for 41 notifiable diseases, with incidence per 100,000 residents and age groups
            (0–4, 5–14, 15–59, 60+, all). Counts below 5 are suppressed.
            """,
            """
            Data package: CSV and Parquet, one file per year, with a README and the disease
            code list. Downloads are signed links bound to your account and watermarked.
            """,
            """
            Level 1. Published statistics of the health commission; free for research, a
            licence is needed for commercial use. Cite "Datamarket / public health statistics".
            """,
            "Weekly, every Tuesday for the week before.",
            zh=(
                "仅有汇总数，没有病例记录。2019 年起 41 种法定传染病的区县级周数据，含每 10 万常住"
                "人口发病率和年龄组（0–4、5–14、15–59、60 岁以上、全部）。小于 5 的计数不予显示。",
                "数据包：CSV 和 Parquet，每年一个文件，附 README 和病种代码表。下载为绑定您账户的"
                "签名链接，并带有水印。",
                "一级。卫生健康委员会公布的统计数据；科研免费使用，商业使用须取得许可。请注明“Data"
                "market / 公共卫生统计”。",
                "每周二更新上一周的数据。",
            ),
        ),
        "product_type": "raw_dataset",
        "delivery_form": "data_package",
        "scenario": "medical",
        "tags": ["流行病学", "epidemiology", "传染病", "public health", "统计"],
        "classification_level": 1,
        "data_dictionary": [
            _field("region_code", "string", "County code (GB/T 2260)"),
            _field("region_name", "string", "Province and county"),
            _field("iso_week", "string", "ISO week, such as 2025-W23"),
            _field("disease", "string", "Disease name, Chinese and English"),
            _field("age_group", "string", "Age group, or all"),
            _field("new_cases", "integer", "New cases reported in the week"),
            _field("incidence_per_100k", "decimal", "New cases per 100,000 residents"),
        ],
        "sample": samples.epidemiology_rows,
        "plans": [
            _free("Research preview 科研预览", "The latest 8 weeks, for non-commercial research."),
            _one_time("Full history 2019–2025 全量历史", 1_200_00,
                      "Every week since 2019, with a commercial-use licence."),
        ],
    },
    {
        "key": "hospital-operations",
        "merchant": "primary",
        "title": "医院运营指标",
        "title_en": "Hospital operations indicators",
        **_summaries(
            "公立医院月度门诊量、出院人次、床位使用率、平均住院日和次均费用。",
            "Monthly outpatient visits, discharges, bed occupancy, length of stay and "
            "cost per visit of public hospitals.",
        ),
        **_descriptions(
            """
            Nine indicators per hospital and month for 1,200 public hospitals, with grade and
            unified social credit code, from the health commission's performance monitoring.
            Used by insurers, medical-device makers and health planners.
            """,
            ("Query API: `GET /indicators?hospital=…&from=2024-01&to=2025-05`, or the yearly "
            "package.", _GATEWAY),
            """
            Level 2. Institution-level figures, no patient data. Redistribution of the raw
            series is not allowed; derived analysis may be published.
            """,
            "Monthly, around the 25th for the month before.",
            zh=(
                "1,200 家公立医院每家每月的九项指标，附医院等级和统一社会信用代码，来自卫生健康委"
                "员会的绩效监测。保险公司、医疗器械企业和卫生规划部门使用。",
                (
                    "查询接口：`GET /indicators?hospital=…&from=2024-01&to=2025-05`，或年度数据包"
                    "。",
                    _GATEWAY_ZH,
                ),
                "二级。机构层面的数据，不含患者数据。不得转售原始序列；衍生分析可以发表。",
                "每月约 25 日更新上月数据。",
            ),
        ),
        "product_type": "raw_dataset",
        "delivery_form": "query_api",
        "scenario": "medical",
        "tags": ["医院", "hospital", "运营", "operations", "卫健"],
        "classification_level": 2,
        "data_dictionary": [
            _field("hospital_name", "string", "Hospital name"),
            _field("hospital_credit_code", "string", "Unified social credit code"),
            _field("hospital_grade", "string", "Grade, such as 三级甲等"),
            _field("month", "string", "Month, YYYY-MM"),
            _field("outpatient_visits", "integer", "Outpatient and emergency visits"),
            _field("inpatient_discharges", "integer", "Discharged inpatients"),
            _field("bed_occupancy_rate", "decimal", "Bed occupancy, 0 to 1"),
            _field("avg_length_of_stay_days", "decimal", "Average length of stay, days"),
            _field("avg_outpatient_cost_yuan", "decimal", "Average cost per outpatient visit, CNY"),
        ],
        "sample": samples.hospital_rows,
        "plans": [
            _membership("Annual API access 年度接口会员", "year", 36_000_00, 100_000, 10),
            _one_time("2024 full-year package 2024年度数据包", 8_800_00,
                      "All hospitals, January to December 2024, CSV and Parquet."),
        ],
    },
    {
        "key": "traffic-violations",
        "merchant": "primary",
        "title": "机动车交通违法查询",
        "title_en": "Traffic violation query",
        **_summaries(
            "按车牌查询机动车未处理及已处理的交通违法记录（脱敏）。",
            "Look up a vehicle's traffic violations by plate, handled and outstanding, "
            "desensitized.",
        ),
        **_descriptions(
            """
            For a plate and vehicle type: each violation in the last 3 years with time,
            location, code, description, fine, penalty points and whether it was handled.
            Logistics and car-rental firms use it to check their own fleet and hand-overs.
            """,
            ("Query API: `POST /violations` with `plate_number` and `vehicle_type`.", _GATEWAY),
            """
            Level 3: an authorization application is required, stating that the vehicles are
            yours or that the keeper consented. Plates are masked in responses; owner identity
            is never returned.
            """,
            "Near real time: new violations appear within 2 hours of being recorded.",
            zh=(
                "按车牌和车辆类型返回近 3 年的每条违法记录：时间、地点、代码、描述、罚款、记分以及"
                "是否已处理。物流和租车企业用于检查自有车队和车辆交接。",
                (
                    "查询接口：`POST /violations`，传入 `plate_number` 和 `vehicle_type`。",
                    _GATEWAY_ZH,
                ),
                "三级：须提交授权申请，说明车辆归您所有或车主已同意。响应中的车牌经过遮盖，从不返"
                "回车主身份。",
                "准实时：新的违法记录在录入后 2 小时内可查。",
            ),
        ),
        "product_type": "desensitized_dataset",
        "delivery_form": "query_api",
        "scenario": "transport",
        "tags": ["交通违法", "traffic violation", "车队", "fleet", "车牌"],
        "classification_level": 3,
        "data_dictionary": [
            _field("plate_number", "string", "Licence plate (masked)", "personal"),
            _field("vehicle_type", "string", "Vehicle type"),
            _field("violation_time", "datetime", "When the violation was recorded", "personal"),
            _field("location", "string", "Where it was recorded", "personal"),
            _field("violation_code", "string", "Violation code"),
            _field("violation", "string", "Description"),
            _field("fine_yuan", "integer", "Fine, CNY"),
            _field("penalty_points", "integer", "Penalty points"),
            _field("handled", "boolean", "Handled and paid"),
        ],
        "sample": samples.traffic_rows,
        "plans": [
            _per_call("Pay as you go 按量计费", 50, [(2_000, 100), (None, 60)]),
            _membership("Fleet monthly 车队月度会员", "month", 980_00, 2_000, 50),
        ],
    },
    {
        "key": "data-quality-report",
        "merchant": "primary",
        "title": "数据质量稽核报告",
        "title_en": "Data quality audit report",
        **_summaries(
            "对上传的数据文件执行完整性、格式、校验位、取值范围等稽核规则并出具报告。",
            "Runs completeness, format, check-digit and range rules on your file and "
            "reports what fails.",
        ),
        **_descriptions(
            """
            A report per column and rule: rows checked, rows failing, pass rate and example row
            numbers, with an overall quality score. Built-in rules include resident ID and
            credit-code check digits, mobile segments, GB/T 2260 codes and date sanity.
            """,
            """
            Batch job on your file (CSV or XLSX, up to 2 GB): upload, follow progress, download
            the report as HTML and JSON. Files are deleted 24 hours after the job ends.
            """,
            """
            Level 1. Your file is processed in isolation and never joined with other data; only
            the report is kept, in your account.
            """,
            "Rule library updated monthly; each report names the rule version used.",
            zh=(
                "按字段和规则出具报告：检查行数、不合格行数、通过率和示例行号，并给出总体质量分。"
                "内置规则包括身份证号和统一社会信用代码校验位、手机号段、GB/T 2260 行政区划代码和"
                "日期合理性。",
                "对您的文件运行批处理任务（CSV 或 XLSX，最大 2 GB）：上传、查看进度，以 HTML 和 JS"
                "ON 下载报告。任务结束 24 小时后删除文件。",
                "一级。您的文件单独处理，从不与其他数据关联；只保留报告，存放在您的账户中。",
                "规则库每月更新；每份报告注明所用规则的版本。",
            ),
        ),
        "product_type": "governance_tool",
        "delivery_form": "batch_job",
        "scenario": "social_governance",
        "tags": ["数据质量", "data quality", "稽核", "治理", "governance"],
        "classification_level": 1,
        "data_dictionary": [
            _field("column_name", "string", "Column of your file"),
            _field("rule", "string", "Rule applied"),
            _field("checked_rows", "integer", "Rows checked"),
            _field("failed_rows", "integer", "Rows failing the rule"),
            _field("pass_rate", "decimal", "Share of rows passing, 0 to 1"),
            _field("example_row_numbers", "json", "Up to three failing row numbers"),
        ],
        "sample": samples.quality_rows,
        "operation": "governance_tools.quality_report",
        "plans": [
            _per_call("Per file 按文件计费", 5, [(100, 2_000), (None, 1_200)],
                      "One call is one file of up to 1 million rows."),
            _service_fee("Quality remediation project 数据治理项目", 20_000_00,
                         "Our data engineers fix the issues the report finds and set up "
                         "recurring checks; quoted after a scoping call."),
        ],
    },
    {
        "key": "enterprise-credit-risk",
        "merchant": "secondary",
        "title": "企业信用风险模型",
        "title_en": "Enterprise credit risk model",
        **_summaries(
            "融合工商、司法、税务、社保等公共数据的企业12个月违约概率评分。",
            "A 12-month probability of default for a company, from registration, court, "
            "tax and social-insurance data.",
        ),
        **_descriptions(
            """
            A score (probability of default within 12 months), a grade from AAA to C and the
            three factors that moved it most, in plain words. Gradient-boosted model trained on
            2.1 million companies; AUC 0.81 and KS 0.47 on the 2024 out-of-time sample.
            """,
            ("Service API: `POST /score` with `credit_code`; the model runs where the data is "
            "(data + model + service).", _GATEWAY),
            """
            Level 2. Only the score, grade and factor texts leave the platform; the inputs stay
            with the operator. Model card, validation report and fairness review on request.
            """,
            "Inputs refreshed daily; the model is recalibrated every quarter (version in output).",
            zh=(
                "返回评分（12 个月内的违约概率）、AAA 到 C 的等级，以及用通俗语言说明的三个影响最"
                "大的因素。梯度提升模型，训练样本 210 万家企业；2024 年跨时间样本上 AUC 0.81、KS 0"
                ".47。",
                (
                    "服务接口：`POST /score`，传入 `credit_code`；模型在数据所在处运行（数据 + 模"
                    "型 + 服务）。",
                    _GATEWAY_ZH,
                ),
                "二级。离开平台的只有评分、等级和因素说明；输入数据留在运营方。可应要求提供模型卡"
                "、验证报告和公平性评估。",
                "输入数据每日刷新；模型每季度重新校准（输出中注明版本）。",
            ),
        ),
        "product_type": "modelized_data",
        "delivery_form": "service_api",
        "scenario": "finance",
        "tags": ["信用风险", "credit risk", "违约概率", "PD", "模型"],
        "classification_level": 2,
        "data_dictionary": [
            _field("credit_code", "string", "Unified social credit code"),
            _field("company_name", "string", "Registered name"),
            _field("risk_score", "decimal", "Probability of default within 12 months"),
            _field("risk_grade", "string", "Grade AAA to C"),
            _field("top_factors", "json", "The main reasons for the score"),
            _field("model_version", "string", "Model version that scored"),
            _field("scored_at", "datetime", "When the score was computed"),
        ],
        "sample": samples.credit_risk_rows,
        "plans": [
            _per_call("Pay as you go 按量计费", 50, [(5_000, 200), (50_000, 150), (None, 100)]),
            _membership("Professional monthly 专业版月度会员", "month", 9_800_00, 8_000, 120),
            _service_fee("Portfolio calibration 模型校准服务", 50_000_00,
                         "Recalibration on your own loan book and default definition, with a "
                         "validation report; about four weeks."),
        ],
    },
    {
        "key": "risk-level-model",
        "merchant": "secondary",
        "title": "小微企业风险等级模型",
        "title_en": "SME risk level model",
        **_summaries(
            "对您上传的企业名单逐户评定1–5级风险等级并标注变化原因。",
            "Rates every company on your watch list from risk level 1 to 5 and says why a "
            "level changed.",
        ),
        **_descriptions(
            """
            A risk level (1 lowest to 5 highest) per company, the change since last month and
            the reasons for companies at level 4 or 5. For post-loan monitoring of SME and
            supply-chain portfolios.
            """,
            """
            Batch job on your file: upload a list of credit codes (CSV or XLSX), receive the
            rated list within an hour; members get the list re-rated every month.
            """,
            """
            Level 2. Rates companies, not people. The uploaded list is kept only while you are
            a member, to re-rate it.
            """,
            "Monthly re-rating on the 5th; on demand for single uploads.",
            zh=(
                "为每家企业给出风险等级（1 级最低，5 级最高）、与上月相比的变化，以及 4 级、5 级企"
                "业的原因。用于小微企业和供应链资产组合的贷后监测。",
                "对您的文件运行批处理任务：上传统一社会信用代码清单（CSV 或 XLSX），一小时内收到评"
                "级结果；会员的清单每月重新评级。",
                "二级。评级对象是企业，不是个人。上传的清单仅在您为会员期间保留，用于重新评级。",
                "每月 5 日重新评级；单次上传随时评估。",
            ),
        ),
        "product_type": "modelized_data",
        "delivery_form": "batch_job",
        "scenario": "finance",
        "tags": ["风险等级", "risk level", "贷后", "monitoring", "小微企业"],
        "classification_level": 2,
        "data_dictionary": [
            _field("credit_code", "string", "Unified social credit code"),
            _field("company_name", "string", "Registered name"),
            _field("industry", "string", "Industry code and name (GB/T 4754)"),
            _field("risk_level", "integer", "1 (lowest) to 5 (highest)"),
            _field("level_change", "integer", "Change since last month"),
            _field("watch_reasons", "json", "Reasons, for levels 4 and 5"),
        ],
        "sample": samples.risk_level_rows,
        "plans": [
            _membership("Portfolio annual 组合年度会员", "year", 48_000_00, 120_000, 50,
                        "One call is one company rated."),
            _one_time("One-off scan 单次评估", 6_800_00,
                      "A single rating of up to 5,000 companies.", included_calls=5_000),
        ],
    },
    {
        "key": "user-credit-profile",
        "merchant": "secondary",
        "title": "个人信用画像",
        "title_en": "Personal credit profile",
        **_summaries(
            "基于社保、公积金、纳税、司法等公共数据的个人信用评分与画像。",
            "A personal credit score and profile from social-insurance, housing-fund, tax "
            "and court records.",
        ),
        **_descriptions(
            """
            A score from 350 to 950, income stability, employment tenure band and public-record
            flags, for consumer-credit decisions where the applicant has consented. The
            settlement card on file is returned masked, to match repayment accounts.
            """,
            ("Service API: `POST /profile` with name, ID number and mobile.", _GATEWAY),
            """
            Level 4 (core). Needs an authorization application approved by us and by the
            platform, the applicant's separate consent to each source, and a licensed credit
            business. No record leaves the platform; every call is audited and reviewed monthly.
            """,
            "Sources refresh monthly; the score is computed at request time.",
            zh=(
                "350 到 950 的评分、收入稳定性、任职时长区间和公共记录标记，用于已获申请人同意的消"
                "费信贷决策。留存的结算卡号以遮盖形式返回，用于匹配还款账户。",
                (
                    "服务接口：`POST /profile`，传入姓名、身份证号和手机号。",
                    _GATEWAY_ZH,
                ),
                "四级（核心）。须经我们和平台批准的授权申请、申请人对每个数据来源的单独同意，以及"
                "持牌征信业务资质。任何记录都不离开平台；每次调用均记入审计，并每月复核。",
                "数据来源每月刷新；评分在请求时计算。",
            ),
        ),
        "product_type": "modelized_data",
        "delivery_form": "service_api",
        "scenario": "finance",
        "tags": ["个人征信", "credit profile", "消费金融", "consumer credit", "画像"],
        "classification_level": 4,
        "data_dictionary": [
            _field("name", "string", "Applicant name (masked)", "personal"),
            _field("id_number", "string", "Resident ID number (masked)", "sensitive_personal"),
            _field("mobile", "string", "Mobile number (masked)", "personal"),
            _field("credit_score", "integer", "Score, 350 to 950", "sensitive_personal"),
            _field("income_stability", "string", "Stable or volatile income", "sensitive_personal"),
            _field("employment_tenure_band", "string", "Time with current employer", "personal"),
            _field("public_record_flags", "json", "Public records that lowered the score",
                   "sensitive_personal"),
            _field("settlement_card", "string", "Salary card on file (masked)",
                   "sensitive_personal"),
        ],
        "sample": samples.credit_profile_rows,
        "plans": [
            _per_call("Per profile 按次计费", 0, [(10_000, 500), (None, 350)]),
            _service_fee("Scorecard integration 评分卡集成", 120_000_00,
                         "Joint scorecard built with your risk team on your own applications, "
                         "deployed on the platform; quoted after a data review."),
        ],
    },
    {
        "key": "driver-three-element",
        "merchant": "secondary",
        "title": "驾驶员三要素核验",
        "title_en": "Driver three-element verification",
        **_summaries(
            "核验驾驶人姓名、身份证号与驾驶证档案编号是否一致，并返回准驾车型与状态。",
            "Checks that a driver's name, ID number and licence file number match, with "
            "licence class and status.",
        ),
        **_descriptions(
            """
            `consistent` or `inconsistent`, and for a consistent licence its status (valid,
            suspended, revoked), class (A1 … C2) and expiry. For ride-hailing, freight platforms
            and rental firms onboarding drivers.
            """,
            ("Verification API: `POST /verify` with the three elements.", _GATEWAY),
            ("""
            Level 2. Needs the driver's consent; the elements you send are compared, not stored.
            """, _VERIFICATION_ONLY),
            "Licence status is synchronised every 15 minutes.",
            zh=(
                "返回 `consistent`（一致）或 `inconsistent`（不一致）；一致时返回驾驶证状态（有效"
                "、暂扣、吊销）、准驾车型（A1 … C2）和有效期。用于网约车、货运平台和租车企业的司机"
                "准入。",
                (
                    "核验接口：`POST /verify`，传入三要素。",
                    _GATEWAY_ZH,
                ),
                (
                    "二级。须取得驾驶人同意；您发送的要素仅用于比对，不存储。",
                    _VERIFICATION_ONLY_ZH,
                ),
                "驾驶证状态每 15 分钟同步一次。",
            ),
        ),
        "product_type": "modelized_data",
        "delivery_form": "verification_api",
        "scenario": "transport",
        "tags": ["驾驶证", "driving licence", "三要素", "three-element", "司机准入"],
        "classification_level": 2,
        "data_dictionary": [
            _field("name", "string", "Driver name you send (masked in output)", "personal"),
            _field("id_number", "string", "Resident ID number you send (masked in output)",
                   "sensitive_personal"),
            _field("licence_file_number", "string", "Driving licence file number (masked)",
                   "personal"),
            _field("result", "string", "consistent or inconsistent"),
            _field("licence_status", "string", "Valid, suspended, revoked or cancelled",
                   "personal"),
            _field("licence_class", "string", "Permitted vehicle class", "personal"),
            _field("valid_until", "date", "Expiry of the licence", "personal"),
        ],
        "sample": samples.driver_verification_rows,
        "plans": [
            _per_call("Pay as you go 按量计费", 100, [(10_000, 90), (None, 60)]),
            _membership("Platform monthly 平台月度会员", "month", 3_000_00, 5_000, 70),
        ],
    },
    {
        "key": "driver-credit-check",
        "merchant": "secondary",
        "title": "驾驶员信用核查",
        "title_en": "Driver credit check",
        **_summaries(
            "综合交通违法、事故责任、酒驾记录与失信信息的驾驶员安全信用评分。",
            "A driver safety score from violations, accident liability, drink-driving and "
            "court records.",
        ),
        **_descriptions(
            """
            A score from 0 to 100 with its drivers: violations in 12 months, major accident
            liability in 3 years, drink- or drug-driving in 5 years, remaining penalty points
            band and whether the driver is a judgment defaulter.
            """,
            ("Service API: `POST /check` with name and ID number.", _GATEWAY),
            """
            Level 3: an authorization application stating the hiring or insurance purpose is
            required, and the driver's written consent. Raw records are never returned.
            """,
            "Daily.",
            zh=(
                "0 到 100 的评分及其构成：12 个月内的交通违法、3 年内重大事故责任、5 年内酒驾或毒"
                "驾、剩余记分区间，以及驾驶人是否为失信被执行人。",
                (
                    "服务接口：`POST /check`，传入姓名和身份证号。",
                    _GATEWAY_ZH,
                ),
                "三级：须提交说明招聘或保险用途的授权申请，并取得驾驶人的书面同意。从不返回原始记"
                "录。",
                "每日更新。",
            ),
        ),
        "product_type": "modelized_data",
        "delivery_form": "service_api",
        "scenario": "transport",
        "tags": ["驾驶员", "driver", "安全评分", "safety score", "货运"],
        "classification_level": 3,
        "data_dictionary": [
            _field("name", "string", "Driver name (masked)", "personal"),
            _field("id_number", "string", "Resident ID number (masked)", "sensitive_personal"),
            _field("driver_score", "integer", "Safety score, 0 to 100", "personal"),
            _field("violations_12m", "integer", "Violations in the last 12 months", "personal"),
            _field("major_accident_liability_3y", "boolean",
                   "Main or full liability in a serious accident in 3 years", "personal"),
            _field("dui_record_5y", "boolean", "Drink- or drug-driving in 5 years",
                   "sensitive_personal"),
            _field("points_remaining_band", "string", "Penalty points left this cycle",
                   "personal"),
            _field("dishonest_person", "boolean", "On the judgment-defaulter list", "personal"),
        ],
        "sample": samples.driver_credit_rows,
        "plans": [
            _membership("Fleet monthly 车队月度会员", "month", 3_600_00, 2_000, 200),
            _per_call("Pay as you go 按量计费", 20, [(1_000, 300), (None, 220)]),
        ],
    },
    {
        "key": "health-assessment",
        "merchant": "secondary",
        "title": "个人健康风险评估模型",
        "title_en": "Personal health assessment model",
        **_summaries(
            "根据年龄、BMI、血压、血糖和吸烟情况评估5年糖尿病风险与心血管风险等级"
            "。",
            "Estimates 5-year diabetes risk and a cardiovascular risk band from age, BMI, "
            "blood pressure, glucose and smoking.",
        ),
        **_descriptions(
            """
            Two outputs per person: the probability of type 2 diabetes within 5 years and a
            cardiovascular risk band (low, moderate, high). Trained on 380,000 de-identified
            health check-ups; calibration and subgroup metrics are in the model card.
            """,
            """
            Service API on your own input (model + service): `POST /assess` with the indicators
            and your own pseudonymous reference. Nothing identifies the person.
            """,
            """
            Level 3: health data is sensitive personal information. An authorization
            application is required (underwriting, health management), with the person's
            separate consent; inputs are discarded after scoring.
            """,
            "Model retrained twice a year; the version is returned with every result.",
            zh=(
                "每人两项输出：5 年内患 2 型糖尿病的概率和心血管风险等级（低、中、高）。基于 38 万"
                "份去标识化体检数据训练；校准和亚组指标见模型卡。",
                "基于您自有输入的服务接口（模型 + 服务）：`POST /assess`，传入各项指标和您自己的假"
                "名编号。不含任何可识别个人的信息。",
                "三级：健康数据属于敏感个人信息。须提交授权申请（核保、健康管理），并取得本人的单"
                "独同意；评分后即丢弃输入。",
                "模型每年重新训练两次；每个结果都返回模型版本。",
            ),
        ),
        "product_type": "ai_data",
        "delivery_form": "service_api",
        "scenario": "medical",
        "tags": ["健康评估", "health risk", "糖尿病", "diabetes", "保险核保", "AI"],
        "classification_level": 3,
        "data_dictionary": [
            _field("subject_ref", "string", "Your pseudonymous reference, echoed back"),
            _field("age", "integer", "Age in years", "personal"),
            _field("sex", "string", "F or M", "personal"),
            _field("bmi", "decimal", "Body-mass index", "sensitive_personal"),
            _field("systolic_bp", "integer", "Systolic blood pressure, mmHg",
                   "sensitive_personal"),
            _field("fasting_glucose_mmol", "decimal", "Fasting glucose, mmol/L",
                   "sensitive_personal"),
            _field("smoker", "boolean", "Current smoker", "sensitive_personal"),
            _field("diabetes_5y_risk", "decimal", "Probability of type 2 diabetes in 5 years",
                   "sensitive_personal"),
            _field("cvd_risk_band", "string", "Cardiovascular risk: low, moderate, high",
                   "sensitive_personal"),
        ],
        "sample": samples.health_rows,
        "plans": [
            _per_call("Pay as you go 按量计费", 100, [(50_000, 30), (None, 15)]),
            _service_fee("Population calibration 人群校准服务", 80_000_00,
                         "Recalibration on your insured population with a validation report."),
        ],
    },
    {
        "key": "pii-scan",
        "merchant": "secondary",
        "title": "敏感数据识别",
        "title_en": "Sensitive-data identification",
        **_summaries(
            "自动识别数据表中的身份证号、手机号、银行卡号、统一社会信用代码等敏感字段"
            "并给出分级与脱敏建议。",
            "Finds ID numbers, mobiles, bank cards and credit codes in your tables and "
            "proposes a level and masking.",
        ),
        **_descriptions(
            """
            Per column: the detected type, confidence, the share of values that match, one
            masked example, the suggested masking and classification level. Detectors check
            check digits (ID numbers, credit codes, Luhn for cards), not just patterns.
            """,
            ("Service API: `POST /scan` with up to 10,000 rows per call, or columns and a sample.",
             _GATEWAY),
            """
            Level 1. Values are scanned in memory and discarded; the output carries masked
            examples only.
            """,
            "Detector library updated monthly.",
            zh=(
                "按字段返回：识别出的类型、置信度、匹配值的占比、一个遮盖后的示例、建议的脱敏方式"
                "和分级。检测器会验证校验位（身份证号、统一社会信用代码、银行卡的 Luhn 校验），而"
                "不只是匹配格式。",
                (
                    "服务接口：`POST /scan`，每次最多 10,000 行，或传入字段和样例。",
                    _GATEWAY_ZH,
                ),
                "一级。数据在内存中扫描后即丢弃；输出只含遮盖后的示例。",
                "检测器库每月更新。",
            ),
        ),
        "product_type": "governance_tool",
        "delivery_form": "service_api",
        "scenario": "social_governance",
        "tags": ["敏感数据识别", "PII scan", "分级分类", "classification", "治理"],
        "classification_level": 1,
        "data_dictionary": [
            _field("column_name", "string", "Column scanned"),
            _field("detected_type", "string", "resident_id, mobile, bank_card, "
                   "unified_social_credit_code, name, address…"),
            _field("confidence", "decimal", "Confidence, 0 to 1"),
            _field("matched_ratio", "decimal", "Share of values that match the type"),
            _field("example", "string", "One value, masked when personal"),
            _field("suggested_masking", "string", "Suggested masking strategy"),
            _field("suggested_level", "integer", "Suggested classification level, 1 to 4"),
        ],
        "sample": samples.pii_scan_rows,
        "operation": "governance_tools.pii_scan",
        "trial_calls": 10,
        "plans": [
            _free("Community 社区版", "Up to 100 calls a month, for evaluation."),
            _per_call("Pay as you go 按量计费", 100, [(10_000, 10), (None, 5)]),
        ],
    },
    {
        "key": "file-desensitization",
        "merchant": "secondary",
        "title": "文件脱敏处理",
        "title_en": "File desensitization",
        **_summaries(
            "按字段策略对上传文件进行遮盖、假名化、泛化或删除，输出可共享的脱敏文件。",
            "Masks, pseudonymizes, generalizes or drops columns of your file so it can be "
            "shared.",
        ),
        **_descriptions(
            """
            A desensitized copy of your file and a report per column: strategy applied, rows
            processed and an example output. Strategies: keep-first-and-last masking, keyed
            HMAC pseudonyms (stable across files, not reversible), generalization of addresses
            and dates, and removal.
            """,
            """
            Batch job on your file (CSV, XLSX, Parquet, up to 5 GB). Strategies are proposed by
            the sensitive-data detectors and can be changed before the job runs.
            """,
            """
            Level 1. Files are processed in isolation and deleted 24 hours after download;
            the HMAC key is yours and never stored with the output.
            """,
            "Continuous releases; each output records the strategy versions used.",
            zh=(
                "您文件的脱敏副本，以及按字段的报告：所用策略、处理行数和输出示例。策略包括保留首"
                "尾的遮盖、带密钥的 HMAC 假名（跨文件稳定、不可逆）、地址和日期泛化，以及删除。",
                "对您的文件运行批处理任务（CSV、XLSX、Parquet，最大 5 GB）。策略由敏感数据检测器建"
                "议，可在任务运行前修改。",
                "一级。文件单独处理，下载 24 小时后删除；HMAC 密钥属于您，从不与输出一起存储。",
                "持续发布；每个输出记录所用策略的版本。",
            ),
        ),
        "product_type": "governance_tool",
        "delivery_form": "batch_job",
        "scenario": "finance",
        "tags": ["脱敏", "desensitization", "假名化", "pseudonymization", "治理"],
        "classification_level": 1,
        "data_dictionary": [
            _field("column_name", "string", "Column of your file"),
            _field("strategy", "string", "Strategy applied"),
            _field("rows_processed", "integer", "Rows processed"),
            _field("example_output", "string", "One desensitized value"),
            _field("reversible", "boolean", "Whether the original can be recovered"),
        ],
        "sample": samples.desensitization_rows,
        "operation": "governance_tools.desensitize",
        "plans": [
            _per_call("Per file 按文件计费", 3, [(200, 1_500), (None, 900)],
                      "One call is one file."),
            _membership("Annual 年度会员", "year", 12_000_00, 2_000, 800),
        ],
    },
    {
        "key": "company-check",
        "merchant": "primary",
        "title": "企业登记核验",
        "title_en": "Company registration check",
        **_summaries(
            "核验统一社会信用代码是否已登记、企业名称是否一致及登记状态，不返回登记记录本身。",
            "Checks that a unified social credit code is registered, that the name matches, "
            "and the company's status, without returning the registry record.",
        ),
        **_descriptions(
            """
            Registered or not, whether the company name you hold matches the registry, and the
            registration status (active, revoked, cancelled). The answer comes from the business
            registry this listing grants its operation; the registry itself is never shown.
            """,
            ("Verification API: `POST /verify_company` with `credit_code` and, optionally, "
             "`name`.", _GATEWAY),
            """
            Level 2. Registration data is a public disclosure; only match / no match and the
            status are returned.
            """,
            "The registry is refreshed with each new version of the product.",
            zh=(
                "是否已登记、您持有的企业名称与登记名录是否一致，以及登记状态（存续、吊销、注销）。"
                "答复来自本产品授予其操作的企业登记名录；名录本身从不展示。",
                ("核验接口：`POST /verify_company`，传入 `credit_code`，可选传入 `name`。",
                 _GATEWAY_ZH),
                "二级。登记信息为公开披露信息；只返回一致或不一致以及登记状态。",
                "登记名录随产品的每个新版本更新。",
            ),
        ),
        "product_type": "modelized_data",
        "delivery_form": "verification_api",
        "scenario": "social_governance",
        "tags": ["企业核验", "company check", "工商登记", "registry"],
        "classification_level": 2,
        "data_dictionary": [
            _field("credit_code", "string", "Unified social credit code checked"),
            _field("name", "string", "Company name sent to compare; empty when none"),
            _field("registered", "boolean", "Whether the registry holds the code"),
            _field("name_matches", "boolean", "Whether the name matches; empty when not asked"),
            _field("status", "string", "active, revoked or cancelled; empty when unknown"),
        ],
        "sample": samples.company_check_rows,
        "operation": "demo_company_check.verify_company",
        # Datasets of the merchant's own that the listing grants its operation, by the name the
        # plugin reads: the registry package below.
        "grants": {"business_registry": "business-registry"},
        "plans": [
            _per_call("Pay as you go 按量计费", 100, [(10_000, 50), (None, 30)]),
        ],
    },
]

#: The business registry the company check reads: a data package the merchant keeps as a draft
#: (it is never sold), holding the dataset the check's listing grants.
REGISTRY_PACKAGE: dict[str, Any] = {
    "key": "business-registry",
    "merchant": "primary",
    "title": "企业登记名录（内部）",
    "title_en": "Business registry (internal)",
    **_summaries("企业登记核验所用的登记名录，不对外销售。",
                 "The registry the company check reads; not for sale."),
    "description_md": "## 产品内容\n\n统一社会信用代码、企业名称与登记状态。\n",
    "description_md_en": "## What you get\n\nCredit codes, company names and statuses.\n",
    "product_type": "raw_dataset",
    "delivery_form": "data_package",
    "scenario": "social_governance",
    "tags": ["工商登记", "registry"],
    "classification_level": 2,
    "data_dictionary": [
        _field("credit_code", "string", "Unified social credit code"),
        _field("name", "string", "Registered name"),
        _field("status", "string", "active, revoked or cancelled"),
    ],
    "sample": samples.registry_rows,
    "plans": [_free("Internal 内部", "Not for sale: read by the company check only.")],
}

# ---------------------------------------------------------------------------- other listings

# Listings that show the rest of the lifecycle: ``state`` is where the seed leaves each one and
# ``reason`` the reviewer's written decision.
OTHER_LISTINGS: list[dict[str, Any]] = [
    {
        "key": "car-park-occupancy",
        "merchant": "primary",
        "state": "draft",
        "title": "公共停车场实时泊位",
        "title_en": "Public car-park occupancy",
        **_summaries(
            "城市公共停车场的总泊位与实时空余泊位。",
            "Total and free spaces of public car parks, live.",
        ),
        "description_md": "## 产品内容\n\n1,400 个公共停车场的实时空余泊位。"
                          "*交付方式与价格尚待填写。*\n",
        "description_md_en": "## What you get\n\nLive free spaces for 1,400 public car "
                             "parks. *Delivery and pricing still to be written.*\n",
        "product_type": "raw_dataset",
        "delivery_form": "query_api",
        "scenario": "transport",
        "tags": ["停车", "parking"],
        "classification_level": 1,
        "data_dictionary": [
            _field("car_park_id", "string", "Car park identifier"),
            _field("name", "string", "Car park name"),
            _field("district", "string", "District"),
            _field("total_spaces", "integer", "Total spaces"),
            _field("free_spaces", "integer", "Free spaces now"),
            _field("updated_at", "datetime", "Time of the count"),
        ],
        "sample": samples.car_park_rows,
        "plans": [],
    },
    {
        "key": "litigation-statistics",
        "merchant": "primary",
        "state": "changes_requested",
        "reason": "The sample shows natural-person counterparties by full name (column "
                  "natural_person_counterparty). Mask personal names (张*) or drop the column, "
                  "mark it as personal in the data dictionary, and state under \"Authorization "
                  "and compliance\" which court disclosure the statistics come from.",
        "title": "企业涉诉统计",
        "title_en": "Enterprise litigation statistics",
        **_summaries(
            "企业年度作为原告、被告的案件数量与主要案由。",
            "Yearly counts of cases a company brought or faced, with the main causes.",
        ),
        **_descriptions(
            "Case counts per company and year, as plaintiff and defendant, with the main cause.",
            "Data package, CSV, one file per year.",
            "Level 2. Compiled from published judgments.",
            "Yearly, in March.",
            zh=(
                "每家企业每年作为原告和被告的案件数，以及主要案由。",
                "数据包，CSV，每年一个文件。",
                "二级。根据公开的裁判文书汇编。",
                "每年三月更新。",
            ),
        ),
        "product_type": "desensitized_dataset",
        "delivery_form": "data_package",
        "scenario": "social_governance",
        "tags": ["司法", "litigation", "涉诉"],
        "classification_level": 2,
        "data_dictionary": [
            _field("credit_code", "string", "Unified social credit code"),
            _field("company_name", "string", "Registered name"),
            _field("year", "integer", "Year"),
            _field("cases_as_plaintiff", "integer", "Cases brought"),
            _field("cases_as_defendant", "integer", "Cases faced"),
            _field("main_cause", "string", "Most frequent cause of action"),
            _field("natural_person_counterparty", "string", "Main individual counterparty"),
        ],
        "sample": samples.litigation_rows,
        "plans": [_one_time("2024 package 2024年度数据包", 3_600_00)],
    },
    {
        "key": "sme-climate-index",
        "merchant": "secondary",
        "state": "submitted",
        "title": "小微企业经营景气指数",
        "title_en": "SME business climate index",
        **_summaries(
            "按地区和行业编制的小微企业月度景气指数及新设、注销户数。",
            "A monthly SME business climate index by region and industry, with "
            "registrations and closures.",
        ),
        **_descriptions(
            """
            A diffusion index (50 = neutral) per prefecture and industry, from registrations,
            deregistrations, tax filings and social-insurance headcounts, with the two counts.
            """,
            ("Data package (CSV) each month, or the query API for members.", _GATEWAY),
            "Level 1. Aggregates of at least 30 companies per cell; no company is identifiable.",
            "Monthly, on the 8th.",
            zh=(
                "按地级市和行业编制的扩散指数（50 为中性），来源于新设登记、注销登记、纳税申报和社"
                "保参保人数，并附两项户数。",
                (
                    "每月提供数据包（CSV），会员也可使用查询接口。",
                    _GATEWAY_ZH,
                ),
                "一级。每个单元格至少汇总 30 家企业；无法识别任何单个企业。",
                "每月 8 日更新。",
            ),
        ),
        "product_type": "modelized_data",
        "delivery_form": "data_package",
        "scenario": "finance",
        "tags": ["景气指数", "business climate", "小微企业", "SME", "宏观"],
        "classification_level": 1,
        "data_dictionary": [
            _field("month", "string", "Month, YYYY-MM"),
            _field("region_code", "string", "Prefecture code (GB/T 2260)"),
            _field("industry", "string", "Industry section"),
            _field("index_value", "decimal", "Climate index, 50 is neutral"),
            _field("new_registrations", "integer", "Companies registered in the month"),
            _field("deregistrations", "integer", "Companies deregistered in the month"),
        ],
        "sample": samples.climate_index_rows,
        "plans": [
            _one_time("Single month 单月数据包", 680_00),
            _membership("Annual 年度会员", "year", 6_000_00, 12_000, None),
        ],
    },
    {
        # Submitted with a data dictionary that calls ID numbers "not personal" and a level too
        # low for names with ID numbers: the compliance scan blocks it, for the reviewer to see.
        "key": "driver-penalty-points",
        "merchant": "primary",
        "state": "submitted",
        "title": "驾驶人违法记分明细",
        "title_en": "Driver penalty point records",
        **_summaries(
            "按驾驶人列出的违法记分记录：姓名、身份证号、记分与记录日期。",
            "Penalty point records per driver: name, ID number, points and date.",
        ),
        **_descriptions(
            "One row per penalty point record of the last twelve months.",
            "Data package (CSV) each month.",
            "Level 2.",
            "Monthly.",
            zh=(
                "每条记录对应近十二个月内的一次违法记分。",
                "每月提供数据包（CSV）。",
                "二级。",
                "每月更新。",
            ),
        ),
        "product_type": "raw_dataset",
        "delivery_form": "data_package",
        "scenario": "transport",
        "tags": ["驾驶人", "driver", "记分", "penalty points"],
        "classification_level": 2,
        "data_dictionary": [
            _field("name", "string", "Driver's name (masked)", "personal"),
            _field("id_number", "string", "Driver's resident ID number (masked)"),
            _field("points", "integer", "Penalty points"),
            _field("recorded_on", "date", "Date the points were recorded"),
        ],
        "sample": samples.penalty_point_rows,
        "plans": [_one_time("Monthly extract 月度明细", 3_000_00)],
    },
    {
        "key": "mobile-location",
        "merchant": "secondary",
        "state": "rejected",
        "reason": "Real-time location of a person is sensitive personal information (PIPL "
                  "art. 28). The operator's authorization covers neither carrier location data "
                  "nor this purpose, and a lookup by mobile number would let any buyer track an "
                  "individual. This product cannot be listed. A consent-based tracking product "
                  "for a buyer's own fleet devices could be reviewed.",
        "title": "手机号码实时位置查询",
        "title_en": "Mobile number location lookup",
        **_summaries(
            "输入手机号返回机主当前所在区县。",
            "Returns the district a mobile phone is in now.",
        ),
        **_descriptions(
            "The district and time of the last cell registration of a mobile number.",
            "Query API: `GET /locate?mobile=…`.",
            "Level 3.",
            "Real time.",
            zh=(
                "手机号码最近一次基站登记所在的区县和时间。",
                "查询接口：`GET /locate?mobile=…`。",
                "三级。",
                "实时。",
            ),
        ),
        "product_type": "raw_dataset",
        "delivery_form": "query_api",
        "scenario": "transport",
        "tags": ["定位", "location"],
        "classification_level": 3,
        "data_dictionary": [
            _field("mobile", "string", "Mobile number (masked)", "personal"),
            _field("located_at", "datetime", "Time of the location", "sensitive_personal"),
            _field("cell_district", "string", "District of the cell", "sensitive_personal"),
            _field("accuracy_m", "integer", "Accuracy in metres"),
        ],
        "sample": samples.location_rows,
        "plans": [_per_call("Pay as you go 按量计费", 0, [(None, 200)])],
    },
    {
        "key": "ev-charging-operations",
        "merchant": "pending",
        "state": "draft",
        "title": "新能源汽车充电站运营数据",
        "title_en": "EV charging station operations",
        **_summaries(
            "成都市公共充电站月度充电量与利用率。",
            "Monthly energy delivered and utilization of Chengdu's public charging "
            "stations.",
        ),
        **_descriptions(
            "Energy delivered, connectors and utilization per station and month.",
            "Data package, CSV, monthly.",
            "Level 1. Station-level operating data; no vehicle or user data.",
            "Monthly.",
            zh=(
                "每个充电站每月的充电量、充电接口数和利用率。",
                "数据包，CSV，每月一个。",
                "一级。充电站层面的运营数据；不含车辆或用户数据。",
                "每月更新。",
            ),
        ),
        "product_type": "raw_dataset",
        "delivery_form": "data_package",
        "scenario": "transport",
        "tags": ["充电桩", "EV charging", "成都", "Chengdu"],
        "classification_level": 1,
        "data_dictionary": [
            _field("station_id", "string", "Station identifier"),
            _field("district", "string", "District"),
            _field("connectors", "integer", "Connectors"),
            _field("month", "string", "Month, YYYY-MM"),
            _field("energy_kwh", "integer", "Energy delivered, kWh"),
            _field("utilization_rate", "decimal", "Share of connector-hours in use"),
        ],
        "sample": samples.charging_rows,
        "plans": [_one_time("2025 packages 2025年数据包", 2_400_00)],
    },
]

# ---------------------------------------------------------------------------- a new version

# Version 1.1 of a published product, waiting for review while 1.0 stays on sale.
NEW_VERSION: dict[str, Any] = {
    "of": "enterprise-blacklist",
    **_summaries(
        "输入统一社会信用代码，实时核验企业是否在黑名单上，并返回信用修复后的移出"
        "日期。",
        "Checks whether a company is on a blacklist, now with the removal date after "
        "credit repair.",
    ),
    "added_field": _field("removed_on", "date",
                          "Date the company was removed after credit repair, if it was"),
    "changelog": "## 版本说明 1.1\n\n新增 `removed_on` 字段：企业经信用修复移出名单的日期，"
                 "可区分已移出的企业与从未列入的企业。\n\n",
    "changelog_en": "## What's new in 1.1\n\nA `removed_on` field tells you when a company "
                    "left a list after credit repair (信用修复), so you can tell a cleared "
                    "company from one never listed.\n\n",
}
