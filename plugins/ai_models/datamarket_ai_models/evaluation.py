"""How the credit risk model card's metrics are measured, so anyone can reproduce them.

``python -m datamarket_ai_models.evaluation`` prints them. The population is synthetic: company
features drawn from plausible distributions, and a default drawn from the scorecard's own
log-odds plus an unobserved shock (a normal variable, standard deviation 1), which no model of
these three factors can see.
"""

from __future__ import annotations

import math
import random

from datamarket_ai_models.credit_risk import CompanyFeatures, log_odds, score_company

SEED = 20240501
SIZE = 5000
SHOCK_SD = 1.0


def synthetic_companies(size: int = SIZE, seed: int = SEED) -> list[tuple[CompanyFeatures, bool]]:
    """``size`` synthetic companies, each with whether it defaulted."""
    rng = random.Random(seed)
    population = []
    for _ in range(size):
        features = CompanyFeatures(
            years_in_business=round(rng.uniform(0, 30), 1),
            overdue_payments_12m=rng.choices(range(7), weights=[50, 20, 12, 8, 5, 3, 2])[0],
            tax_grade=rng.choices("ABCD", weights=[40, 35, 15, 10])[0],
        )
        z = log_odds(features) + rng.gauss(0, SHOCK_SD)
        population.append((features, rng.random() < 1 / (1 + math.exp(-z))))
    return population


def auc(scores: list[float], outcomes: list[bool]) -> float:
    """The area under the ROC curve: how often a defaulter outscores a non-defaulter."""
    ranked = sorted(zip(scores, outcomes, strict=True), key=lambda pair: pair[0])
    rank_sum, position, positives = 0.0, 0, sum(outcomes)
    while position < len(ranked):
        end = position
        while end < len(ranked) and ranked[end][0] == ranked[position][0]:
            end += 1
        average_rank = (position + 1 + end) / 2  # ties share their ranks
        rank_sum += average_rank * sum(outcome for _, outcome in ranked[position:end])
        position = end
    negatives = len(outcomes) - positives
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def evaluate(size: int = SIZE, seed: int = SEED) -> dict[str, float]:
    """The model card's metrics, rounded to three decimals."""
    population = synthetic_companies(size, seed)
    scores = [score_company(features).score for features, _ in population]
    outcomes = [defaulted for _, defaulted in population]
    brier = sum((s - o) ** 2 for s, o in zip(scores, outcomes, strict=True)) / len(scores)
    return {"auc": round(auc(scores, outcomes), 3), "brier": round(brier, 3),
            "default_rate": round(sum(outcomes) / len(outcomes), 3)}


if __name__ == "__main__":
    print(evaluate())
