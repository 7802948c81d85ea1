"""Sample rows of the demo products, made from a seeded ``random.Random``.

Each ``*_rows`` function returns the 3 to 5 rows a product page shows. Values are synthetic.
Identifiers of people appear desensitized, as the platform delivers them (``110105********1234``,
``138****5678``, ``张*``), masked from numbers that are themselves valid; identifiers of companies
are public and appear whole, and pass their checksum.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from marketplace.demo import synthetic

Rows = list[dict[str, Any]]

# ---------------------------------------------------------------------------- desensitization


def mask_id_number(number: str) -> str:
    """``110105199003071234`` -> ``110105********1234``: division and last four digits kept."""
    return number[:6] + "*" * 8 + number[-4:]


def mask_mobile(number: str) -> str:
    """``13812345678`` -> ``138****5678``."""
    return number[:3] + "****" + number[-4:]


def mask_name(name: str) -> str:
    """``张伟`` -> ``张*``: the first character kept, one star per other character."""
    return name[0] + "*" * (len(name) - 1)


def mask_card(number: str) -> str:
    """``6228481234567890123`` -> ``622848*********0123``: issuer and last four digits kept."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_plate(plate: str) -> str:
    """``浙A12345`` -> ``浙A1**45``."""
    return plate[:3] + "**" + plate[5:]


# ---------------------------------------------------------------------------- synthetic values


def credit_code(rng: random.Random, kind: str = "91", region: str = "") -> str:
    """A valid unified social credit code of an entity ``kind`` (``"91"`` enterprise, ``"12"``
    public institution) registered in a division whose code starts with ``region``."""
    return synthetic.unified_social_credit_code(rng, kind, region)


def _company(rng: random.Random, division: synthetic.Division | None = None) -> dict[str, str]:
    """A company's name and credit code, both from the same city."""
    division = division or _division(rng)
    return {"company_name": synthetic.company_name(rng, division.city),
            "credit_code": credit_code(rng, "91", division.code)}


def _person(rng: random.Random, birth_years: tuple[int, int] = (1962, 2002)) -> dict[str, str]:
    """A person as the platform shows one: name, resident ID number and mobile, masked."""
    return {
        "name": mask_name(synthetic.person_name(rng)),
        "id_number": mask_id_number(synthetic.resident_id(rng, birth_years)),
        "mobile": mask_mobile(synthetic.mobile(rng)),
    }


def _date(rng: random.Random, first: str, last: str) -> str:
    start = datetime.date.fromisoformat(first).toordinal()
    end = datetime.date.fromisoformat(last).toordinal()
    return datetime.date.fromordinal(rng.randint(start, end)).isoformat()


def _datetime(rng: random.Random, first: str, last: str) -> str:
    return f"{_date(rng, first, last)}T{rng.randint(6, 22):02d}:{rng.randint(0, 59):02d}:00+08:00"


def _division(rng: random.Random) -> synthetic.Division:
    return rng.choice(synthetic.DIVISIONS)


# The one-character abbreviation (简称) of each province, as court case numbers use it.
_PROVINCE_ABBREVIATIONS = {
    "北京市": "京", "天津市": "津", "上海市": "沪", "重庆市": "渝", "河北省": "冀", "山西省": "晋",
    "内蒙古自治区": "内", "辽宁省": "辽", "吉林省": "吉", "黑龙江省": "黑", "江苏省": "苏",
    "浙江省": "浙", "安徽省": "皖", "福建省": "闽", "江西省": "赣", "山东省": "鲁", "河南省": "豫",
    "湖北省": "鄂", "湖南省": "湘", "广东省": "粤", "广西壮族自治区": "桂", "海南省": "琼",
    "四川省": "川", "贵州省": "黔", "云南省": "云", "西藏自治区": "藏", "陕西省": "陕",
    "甘肃省": "甘", "青海省": "青", "宁夏回族自治区": "宁", "新疆维吾尔自治区": "新",
}


def _place(division: synthetic.Division) -> str:
    """``北京市东城区``, ``浙江省杭州市西湖区``: a district as an authority's name writes it."""
    city = "" if division.city == division.province else division.city
    return f"{division.province}{city}{division.district}"


# ---------------------------------------------------------------------------- samples

# The lists a company can be on, and the authority that keeps each ({} is the city and district).
_LISTS = (
    ("serious_violation", "{}市场监督管理局"),
    ("abnormal_operation", "{}市场监督管理局"),
    ("major_tax_violation", "国家税务总局{}税务局"),
)


def blacklist_rows(rng: random.Random) -> Rows:
    rows = []
    for listed in (False, True, False, True):
        division = _division(rng)
        row: dict[str, Any] = {**_company(rng, division), "listed": listed, "list_type": "",
                               "listed_on": None, "listing_authority": ""}
        if listed:
            kind, authority = rng.choice(_LISTS)
            row |= {"list_type": kind, "listed_on": _date(rng, "2023-01-01", "2025-06-30"),
                    "listing_authority": authority.format(_place(division))}
        rows.append(row)
    return rows


def four_element_rows(rng: random.Random) -> Rows:
    outcomes = (("consistent", []), ("consistent", []),
                ("inconsistent", ["legal_rep_id_number"]), ("not_found", []))
    rows = []
    for result, mismatched in outcomes:
        person = _person(rng, (1960, 1995))
        rows.append({**_company(rng), "legal_rep_name": person["name"],
                     "legal_rep_id_number": person["id_number"], "result": result,
                     "mismatched_elements": mismatched,
                     "registration_status": "" if result == "not_found" else "存续 active"})
    return rows


def tax_rows(rng: random.Random) -> Rows:
    ratings = (("A", True, False, "500万–1000万"), ("B", True, False, "100万–500万"),
               ("M", True, False, "10万–50万"), ("C", False, True, "50万–100万"))
    return [{**_company(rng), "period": "2025-Q2", "tax_credit_rating": rating,
             "paid_on_time": on_time, "arrears": arrears, "paid_amount_band": band}
            for rating, on_time, arrears, band in ratings]


def social_security_rows(rng: random.Random) -> Rows:
    bands = (("24+", True), ("12–23", True), ("0", False), ("6–11", True))
    rows = []
    for band, contributing in bands:
        person = _person(rng, (1970, 2001))
        rows.append({"name": person["name"], "id_number": person["id_number"],
                     "employer_credit_code": credit_code(rng, "91"),
                     "contributing": contributing, "continuous_months_band": band,
                     "last_paid_month": "2025-06" if contributing else "2024-11",
                     "insurance_types": ["pension", "medical", "unemployment"]
                     if contributing else []})
    return rows


def dishonest_rows(rng: random.Random) -> Rows:
    rows = []
    for dishonest in (False, True, False, True):
        person = _person(rng)
        row: dict[str, Any] = {"name": person["name"], "id_number": person["id_number"],
                               "is_dishonest": dishonest, "case_count": 0,
                               "latest_case_number": "", "executing_court": "",
                               "published_on": None, "performance_status": ""}
        if dishonest:
            division = _division(rng)
            year = rng.randint(2021, 2025)
            row |= {
                "case_count": rng.randint(1, 3),
                # Case numbers name the court by province and division: (2024)浙0106执1234号.
                "latest_case_number": f"({year}){_PROVINCE_ABBREVIATIONS[division.province]}"
                                      f"{division.code[2:]}执{rng.randint(100, 9999)}号",
                "executing_court": f"{division.city}{division.district}人民法院",
                "published_on": _date(rng, f"{year}-01-01", f"{year}-12-31"),
                "performance_status": rng.choice(("全部未履行 none performed",
                                                  "部分未履行 partly performed")),
            }
        rows.append(row)
    return rows


_DISEASES = (("流行性感冒 influenza", 40.0), ("手足口病 hand, foot and mouth disease", 6.0),
             ("其他感染性腹泻 other infectious diarrhoea", 9.0), ("肺结核 tuberculosis", 1.2))


def epidemiology_rows(rng: random.Random) -> Rows:
    rows = []
    for disease, base in _DISEASES:
        division = _division(rng)
        rate = round(base * rng.uniform(0.6, 1.5), 2)
        rows.append({"region_code": division.code,
                     "region_name": _place(division),
                     "iso_week": "2025-W23", "disease": disease, "age_group": "all",
                     "incidence_per_100k": rate, "new_cases": int(rate * rng.randint(5, 12))})
    return rows


def hospital_rows(rng: random.Random) -> Rows:
    kinds = (("人民医院", "三级甲等"), ("中医院", "三级乙等"), ("妇幼保健院", "二级甲等"))
    rows = []
    for suffix, grade in kinds:
        division = _division(rng)
        rows.append({
            "hospital_name": f"{division.city.removesuffix('市')}市{division.district}{suffix}",
            "hospital_credit_code": credit_code(rng, "12", division.code), "hospital_grade": grade,
            "month": "2025-05", "outpatient_visits": rng.randint(40_000, 260_000),
            "inpatient_discharges": rng.randint(2_000, 12_000),
            "bed_occupancy_rate": round(rng.uniform(0.78, 0.97), 3),
            "avg_length_of_stay_days": round(rng.uniform(5.5, 9.5), 1),
            "avg_outpatient_cost_yuan": round(rng.uniform(260, 420), 2),
        })
    return rows


_VIOLATIONS = (
    ("1625", "驾驶机动车违反道路交通信号灯通行 ran a red light", 200, 6),
    ("1039", "机动车违反规定停放 illegal parking", 150, 0),
    ("1208", "不按所需行进方向驶入导向车道 wrong turning lane", 100, 2),
    ("1352", "超过规定时速10%以上未达20% speeding by 10–20%", 200, 3),
)
_ROADS = ("人民路与解放路交叉口", "中山路", "环城北路", "建设路与和平路口", "滨江大道")


def traffic_rows(rng: random.Random) -> Rows:
    rows = []
    for code, text, fine, points in rng.sample(_VIOLATIONS, 4):
        division = _division(rng)
        rows.append({"plate_number": mask_plate(synthetic.plate(rng)),
                     "vehicle_type": rng.choice(("小型汽车 car", "小型汽车 car", "重型货车 truck")),
                     "violation_time": _datetime(rng, "2025-03-01", "2025-06-30"),
                     "location": f"{division.city}{division.district}{rng.choice(_ROADS)}",
                     "violation_code": code, "violation": text, "fine_yuan": fine,
                     "penalty_points": points, "handled": rng.random() < 0.6})
    return rows


def quality_rows(rng: random.Random) -> Rows:
    checks = (("credit_code", "uscc_checksum"), ("id_number", "resident_id_checksum"),
              ("mobile", "mobile_format"), ("registered_on", "date_not_in_future"),
              ("district", "code_in_gb_t_2260"))
    rows = []
    for column, rule in checks:
        checked = 128_440
        failed = rng.choice((0, rng.randint(1, 40), rng.randint(100, 2_500)))
        rows.append({"column_name": column, "rule": rule, "checked_rows": checked,
                     "failed_rows": failed, "pass_rate": round(1 - failed / checked, 5),
                     "example_row_numbers": sorted(rng.sample(range(2, checked), min(failed, 3)))})
    return rows


_FACTORS = (
    "近12个月参保人数下降38% insured headcount down 38% in 12 months",
    "近6个月新增2起被执行案件 2 new enforcement cases in 6 months",
    "纳税信用等级由B降为M tax credit rating fell from B to M",
    "连续3年按时纳税 taxes paid on time for 3 years",
    "法定代表人近1年变更2次 legal representative changed twice in a year",
    "注册资本实缴比例低于10% less than 10% of registered capital paid in",
)


def credit_risk_rows(rng: random.Random) -> Rows:
    grades = (("AA", 0.006), ("BBB", 0.031), ("B", 0.124), ("A", 0.012))
    return [{**_company(rng), "risk_score": round(pd * rng.uniform(0.85, 1.15), 4),
             "risk_grade": grade, "top_factors": rng.sample(_FACTORS, 2),
             "model_version": "ecr-2025.06", "scored_at": "2025-06-30T09:00:00+08:00"}
            for grade, pd in grades]


def risk_level_rows(rng: random.Random) -> Rows:
    industries = ("C3311 金属结构制造", "F5191 贸易代理", "I6510 软件开发",
                  "G5430 道路货物运输", "E4813 市政道路工程建筑")
    rows = []
    for level, change in ((2, 0), (4, 1), (1, -1), (3, 0), (5, 2)):
        rows.append({**_company(rng), "industry": rng.choice(industries), "risk_level": level,
                     "level_change": change,
                     "watch_reasons": rng.sample(_FACTORS, 1) if level >= 4 else []})
    return rows


def credit_profile_rows(rng: random.Random) -> Rows:
    rows = []
    for score in (782, 655, 531):
        person = _person(rng, (1975, 2000))
        flags = [] if score > 700 else rng.sample(
            ["overdue_utility_bills", "enforcement_case_closed", "frequent_employer_change"], 1)
        rows.append({**person, "credit_score": score,
                     "income_stability": "稳定 stable" if score > 600 else "波动 volatile",
                     "employment_tenure_band": rng.choice(("1–3y", "3–5y", "5y+")),
                     "public_record_flags": flags,
                     "settlement_card": mask_card(synthetic.bank_card(rng))})
    return rows


def _licence_file_number(rng: random.Random) -> str:
    """A driving licence file number (档案编号): 12 digits, first four the issuing city."""
    return _division(rng).code[:4] + "".join(rng.choice("0123456789") for _ in range(8))


def driver_verification_rows(rng: random.Random) -> Rows:
    outcomes = (("consistent", "正常 valid", "A2"), ("consistent", "正常 valid", "C1"),
                ("consistent", "暂扣 suspended", "B2"), ("inconsistent", "", ""))
    rows = []
    for result, status, licence_class in outcomes:
        person = _person(rng, (1965, 2000))
        number = _licence_file_number(rng)
        rows.append({"name": person["name"], "id_number": person["id_number"],
                     "licence_file_number": number[:4] + "******" + number[-2:],
                     "result": result, "licence_status": status, "licence_class": licence_class,
                     "valid_until": _date(rng, "2026-01-01", "2034-12-31") if status else None})
    return rows


def driver_credit_rows(rng: random.Random) -> Rows:
    rows = []
    for score in (92, 74, 41):
        person = _person(rng, (1968, 1998))
        rows.append({"name": person["name"], "id_number": person["id_number"],
                     "driver_score": score, "violations_12m": max(0, (100 - score) // 9),
                     "major_accident_liability_3y": score < 50, "dui_record_5y": False,
                     "points_remaining_band": "10–12" if score > 80 else "4–9",
                     "dishonest_person": score < 50})
    return rows


def health_rows(rng: random.Random) -> Rows:
    rows = []
    for n in range(4):
        age = rng.randint(32, 68)
        bmi = round(rng.uniform(19.5, 31.0), 1)
        glucose = round(rng.uniform(4.6, 7.4), 1)
        systolic = rng.randint(112, 158)
        risk = round(min(0.6, 0.01 + (age - 30) * 0.002 + max(0, bmi - 24) * 0.012
                         + max(0, glucose - 5.6) * 0.08), 3)
        rows.append({"subject_ref": f"POL-2025-{rng.randint(10_000, 99_999)}-{n + 1}",
                     "age": age, "sex": rng.choice(("F", "M")), "bmi": bmi,
                     "systolic_bp": systolic, "fasting_glucose_mmol": glucose,
                     "smoker": rng.random() < 0.25, "diabetes_5y_risk": risk,
                     "cvd_risk_band": "high" if systolic > 145 else "moderate"
                     if systolic > 130 else "low"})
    return rows


def pii_scan_rows(rng: random.Random) -> Rows:
    return [
        {"column_name": "cust_id_no", "detected_type": "resident_id", "confidence": 0.99,
         "matched_ratio": 0.998, "example": mask_id_number(synthetic.resident_id(rng)),
         "suggested_masking": "keep_first_6_last_4", "suggested_level": 3},
        {"column_name": "contact", "detected_type": "mobile", "confidence": 0.97,
         "matched_ratio": 0.941, "example": mask_mobile(synthetic.mobile(rng)),
         "suggested_masking": "keep_first_3_last_4", "suggested_level": 3},
        {"column_name": "payee_card", "detected_type": "bank_card", "confidence": 0.95,
         "matched_ratio": 0.912, "example": mask_card(synthetic.bank_card(rng)),
         "suggested_masking": "keep_first_6_last_4", "suggested_level": 3},
        {"column_name": "employer_code", "detected_type": "unified_social_credit_code",
         "confidence": 0.99, "matched_ratio": 1.0, "example": credit_code(rng, "91"),
         "suggested_masking": "none (public identifier)", "suggested_level": 1},
    ]


def desensitization_rows(rng: random.Random) -> Rows:
    division = _division(rng)
    return [
        {"column_name": "姓名", "strategy": "mask_given_name", "rows_processed": 250_000,
         "example_output": mask_name(synthetic.person_name(rng)), "reversible": False},
        {"column_name": "身份证号", "strategy": "keep_first_6_last_4", "rows_processed": 250_000,
         "example_output": mask_id_number(synthetic.resident_id(rng)), "reversible": False},
        {"column_name": "手机号", "strategy": "keep_first_3_last_4", "rows_processed": 249_310,
         "example_output": mask_mobile(synthetic.mobile(rng)), "reversible": False},
        {"column_name": "客户编号", "strategy": "hmac_sha256_pseudonym", "rows_processed": 250_000,
         "example_output": "".join(rng.choice("0123456789abcdef") for _ in range(16)),
         "reversible": False},
        {"column_name": "住址", "strategy": "generalize_to_district", "rows_processed": 248_902,
         "example_output": _place(division),
         "reversible": False},
    ]


def car_park_rows(rng: random.Random) -> Rows:
    rows = []
    for n in range(3):
        division = _division(rng)
        total = rng.choice((120, 240, 480, 860))
        place = rng.choice(("市民中心", "体育馆", "图书馆"))
        rows.append({"car_park_id": f"P{division.code}{n + 1:03d}",
                     "name": f"{division.district}{place}停车场", "district": division.district,
                     "total_spaces": total, "free_spaces": rng.randint(0, total),
                     "updated_at": "2025-06-30T08:15:00+08:00"})
    return rows


def litigation_rows(rng: random.Random) -> Rows:
    # Deliberately unmasked counterparties: this is why the reviewer asked for changes.
    return [{**_company(rng), "year": 2024, "cases_as_plaintiff": rng.randint(0, 12),
             "cases_as_defendant": rng.randint(0, 6), "main_cause": cause,
             "natural_person_counterparty": synthetic.person_name(rng)}
            for cause in ("买卖合同纠纷 sales contract", "劳动争议 labour dispute",
                          "借款合同纠纷 loan contract")]


def climate_index_rows(rng: random.Random) -> Rows:
    rows = []
    for industry in ("制造业 manufacturing", "批发零售 wholesale and retail",
                     "交通运输 transport", "住宿餐饮 hospitality"):
        division = _division(rng)
        rows.append({"month": "2025-06", "region_code": division.code[:4] + "00",
                     "industry": industry, "index_value": round(rng.uniform(46.0, 54.5), 1),
                     "new_registrations": rng.randint(300, 4_000),
                     "deregistrations": rng.randint(80, 1_200)})
    return rows


def penalty_point_rows(rng: random.Random) -> Rows:
    return [{**{k: v for k, v in _person(rng).items() if k != "mobile"},
             "points": rng.choice((2, 3, 6, 9, 12)),
             "recorded_on": _date(rng, "2025-01-01", "2025-06-30")}
            for _ in range(3)]


def location_rows(rng: random.Random) -> Rows:
    return [{"mobile": mask_mobile(synthetic.mobile(rng)),
             "located_at": "2025-06-30T10:12:00+08:00", "cell_district": _division(rng).district,
             "accuracy_m": rng.choice((200, 500, 1500))}
            for _ in range(3)]


def charging_rows(rng: random.Random) -> Rows:
    rows = []
    for n in range(3):
        division = rng.choice([d for d in synthetic.DIVISIONS if d.code.startswith("5101")])
        rows.append({"station_id": f"CD-{division.code}-{n + 1:04d}", "district": division.district,
                     "connectors": rng.choice((8, 12, 24)), "month": "2025-05",
                     "energy_kwh": rng.randint(18_000, 96_000),
                     "utilization_rate": round(rng.uniform(0.18, 0.46), 3)})
    return rows


# ---------------------------------------------------------------------------- the business registry

#: The company of docs/sdk.md's example input, so that the guide's example call finds it.
GUIDE_COMPANY = {"credit_code": "91350100M000100Y43", "name": "Fuzhou Open Data Co., Ltd.",
                 "status": "active"}
_REGISTRY_STATUSES = ("active",) * 6 + ("revoked", "cancelled")


def registry_rows(rng: random.Random) -> Rows:
    """Five synthetic companies (valid credit codes) of the business registry the company check
    reads (the demo's registry also holds :data:`GUIDE_COMPANY`)."""
    rows: Rows = []
    while len(rows) < 5:
        company = _company(rng)
        rows.append({"credit_code": company["credit_code"], "name": company["company_name"],
                     "status": rng.choice(_REGISTRY_STATUSES)})
    return rows


def company_check_rows(rng: random.Random) -> Rows:
    """Answers of the company check (its own generator: the rest of the demo stays as it was)."""
    rng = random.Random("company-check-sample")
    guide, other, unknown = GUIDE_COMPANY, registry_rows(rng)[-1], _company(rng)
    return [
        {"credit_code": guide["credit_code"], "name": guide["name"], "registered": True,
         "name_matches": True, "status": "active"},
        {"credit_code": other["credit_code"], "name": None, "registered": True,
         "name_matches": None, "status": other["status"]},
        {"credit_code": unknown["credit_code"], "name": unknown["company_name"],
         "registered": False, "name_matches": None, "status": None},
    ]
