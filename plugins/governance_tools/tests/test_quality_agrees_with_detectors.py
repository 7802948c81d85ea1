"""The quality audit and the detectors judge identifiers by one rule: on the same 10,000 values
of every kind (valid ones, near misses and values written as people type them), the audit's
``identifier`` and ``checksum`` rules fail exactly the values the detector turns away."""

import random

import pytest

from datamarket_governance_tools.corpus import generate_near_misses, generate_values
from datamarket_governance_tools.detectors import DETECTORS
from datamarket_governance_tools.quality import check_rule
from datamarket_governance_tools.quality_rules import RULES, IdentifierParams

KINDS = ("resident_id", "uscc", "bank_card", "mobile", "landline", "email", "vehicle_plate",
         "passport")


def retyped(value: str, rng: random.Random) -> str:
    """``value`` as someone might type it: full-width, lower case or with blanks around."""
    roll = rng.random()
    if roll < 0.1:
        return value.translate({code: code + 0xFEE0 for code in range(0x21, 0x7F)})
    if roll < 0.2:
        return value.lower()
    if roll < 0.3:
        return f"  {value}\u3000"
    return value


def ten_thousand_values(kind: str, seed: int) -> list[str]:
    rng = random.Random(seed)
    values = generate_values(kind, 4000, rng) + generate_near_misses(kind, 4000, rng)
    values += [retyped(value, rng) for value in generate_values(kind, 2000, rng)]
    rng.shuffle(values)
    return values


@pytest.mark.parametrize("kind", KINDS)
def test_the_identifier_rule_fails_exactly_what_the_detector_refuses(kind):
    values = ten_thousand_values(kind, seed=KINDS.index(kind))
    assert len(values) == 10_000
    table = {"v": values}
    outcome = RULES["identifier"].check(values, IdentifierParams(kind=kind), table, None)
    refused = [position for position, value in enumerate(values) if not DETECTORS[kind](value)]
    assert outcome.checked == 10_000
    assert outcome.failures == refused
    # Neither side is trivially all-yes or all-no.
    assert 3000 < len(refused) < 7000


@pytest.mark.parametrize("kind", ("resident_id", "uscc", "bank_card"))
def test_the_checksum_rule_is_the_same_rule(kind):
    values = ten_thousand_values(kind, seed=100 + len(kind))
    result = check_rule("checksum", [{"v": value} for value in values], "v", {"kind": kind})
    assert result.failed == sum(not DETECTORS[kind](value) for value in values)


@pytest.mark.parametrize("kind, value", [
    # Valid numbers the old audit refused: districts newer than the holder's birth year.
    ("resident_id", "310115199010261903"), ("resident_id", "440305195007259449"),
    # Registration authority Y, which GB 32100's later amendment added.
    ("uscc", "Y1110108MA01ABCD55"),
])
def test_values_the_audit_and_the_detector_used_to_disagree_on(kind, value):
    result = check_rule("identifier", [{"v": value}], "v", {"kind": kind})
    assert (result.failed, DETECTORS[kind](value)) == (0, True)


def test_a_credit_code_with_a_broken_organisation_code_fails_both():
    # The final check character is right, the embedded organisation code's is not.
    value = "91350100M000100Y56"
    result = check_rule("checksum", [{"v": value}], "v", {"kind": "uscc"})
    assert (result.failed, DETECTORS["uscc"](value)) == (1, False)
