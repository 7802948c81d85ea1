"""credit_risk_score and the credit_risk model, through the SDK's fixtures."""

import itertools
import math

import pytest
from datamarket_sdk import BadInput, ModelSpec

from datamarket_ai_models import plugin
from datamarket_ai_models.credit_risk import CARD, risk_level
from datamarket_ai_models.evaluation import auc, evaluate

NEW_COMPANY = {"years_in_business": 0, "overdue_payments_12m": 0, "tax_grade": "B"}


def sigmoid(z: float) -> float:
    return round(1 / (1 + math.exp(-z)), 4)


def score(call_operation, **features) -> dict:
    return call_operation(plugin, "credit_risk_score", {**NEW_COMPANY, **features})


def test_the_example_input_is_scored(plugin_operations, call_operation):
    operation = plugin_operations(plugin)["credit_risk_score"]

    result = call_operation(plugin, "credit_risk_score", operation.example_input)

    # z = -1.0 - 0.08 * 6.5 + 0.45 * 1 - 0.2
    assert result == {"score": sigmoid(-1.27), "risk_level": "medium"}


@pytest.mark.parametrize("features, z, level", [
    ({"years_in_business": 20, "tax_grade": "A"}, -1.0 - 1.6 - 0.9, "low"),
    ({}, -1.0 - 0.2, "medium"),
    ({"years_in_business": 5, "overdue_payments_12m": 1, "tax_grade": "C"},
     -1.0 - 0.4 + 0.45 + 0.6, "high"),
    ({"years_in_business": 45, "overdue_payments_12m": 40, "tax_grade": "D"},
     -1.0 - 0.08 * 30 + 0.45 * 20 + 1.5, "high"),  # years and overdue payments are capped
])
def test_the_score_follows_the_documented_formula(call_operation, features, z, level):
    assert score(call_operation, **features) == {"score": sigmoid(z), "risk_level": level}


def test_the_risk_level_boundaries():
    assert [risk_level(s) for s in (0.0, 0.1499, 0.15, 0.3999, 0.40, 1.0)] == [
        "low", "low", "medium", "medium", "high", "high"]


def test_more_track_record_lowers_and_more_trouble_raises_the_score(call_operation):
    def at(years, overdue, grade):
        return score(call_operation, years_in_business=years, overdue_payments_12m=overdue,
                     tax_grade=grade)["score"]

    for overdue, grade in itertools.product((0, 3), "AD"):
        scores = [at(years, overdue, grade) for years in (0, 5, 15, 30)]
        assert scores == sorted(scores, reverse=True)
    for years in (1, 25):
        assert [at(years, 0, grade) for grade in "ABCD"] == sorted(
            at(years, 0, grade) for grade in "ABCD")
        overdue_scores = [at(years, overdue, "B") for overdue in (0, 1, 4, 12)]
        assert overdue_scores == sorted(overdue_scores)


@pytest.mark.parametrize("features, message", [
    ({"tax_grade": "E"}, "^tax_grade: Input should be 'A', 'B', 'C' or 'D'$"),
    ({"years_in_business": -1}, "^years_in_business: Input should be greater than or equal to 0$"),
    ({"overdue_payments_12m": 1.5}, "^overdue_payments_12m: Input should be a valid integer"),
    ({"revenue": 10}, "^revenue: Extra inputs are not permitted$"),
])
def test_bad_input_names_the_field(call_operation, features, message):
    with pytest.raises(BadInput, match=message):
        score(call_operation, **features)


def test_the_model_scores_rows_like_the_operation(make_context, call_operation):
    (model,) = plugin.datamarket_models()
    assert isinstance(model, ModelSpec) and model.card is CARD
    rows = [NEW_COMPANY, {**NEW_COMPANY, "tax_grade": "D", "overdue_payments_12m": 3}]

    assert model.run(make_context(), rows) == [
        call_operation(plugin, "credit_risk_score", row) for row in rows]
    with pytest.raises(BadInput, match=r"^rows\[1\]\.tax_grade: "):
        model.run(make_context(), [NEW_COMPANY, {**NEW_COMPANY, "tax_grade": "a"}])


def test_the_model_card_is_complete_and_its_metrics_are_reproducible():
    for text in (CARD.training_data, CARD.version, CARD.intended_use, CARD.limitations):
        assert text.strip()
    assert CARD.metrics == evaluate()
    assert 0.5 < CARD.metrics["auc"] < 1


def test_auc_counts_pairs_and_shares_ties():
    scores = [0.1, 0.4, 0.35, 0.8, 0.4, 0.2]
    outcomes = [False, True, False, True, False, False]
    positives = [s for s, defaulted in zip(scores, outcomes, strict=True) if defaulted]
    negatives = [s for s, defaulted in zip(scores, outcomes, strict=True) if not defaulted]
    pairs = list(itertools.product(positives, negatives))
    by_pairs = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)

    assert auc(scores, outcomes) == pytest.approx(by_pairs)
