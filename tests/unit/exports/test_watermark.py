"""The watermark names the entitlement a file was issued under, after the moves a leaker
makes, and never names one it was not issued under."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from marketplace.delivery.exports import watermark
from marketplace.delivery.exports.identify import Candidate, identify
from tests.unit.exports.support import SECRET, export_to, shuffle_drop_and_convert

A, B = 41, 42
CANDIDATES = [Candidate(A, "a@example.test"), Candidate(B, "b@example.test")] + [
    Candidate(number, f"c{number}@example.test") for number in range(1, 30)]


def named(path) -> list[int]:
    return [finding.candidate.entitlement_id
            for finding in identify(path, CANDIDATES, SECRET).named]


@pytest.mark.parametrize("dropped", ["balance", "rate", "customer_no"])
def test_each_file_names_its_own_entitlement_after_shuffle_drop_and_conversion(tmp_path,
                                                                                dropped):
    for entitlement in (A, B):
        delivered = tmp_path / f"{entitlement}.csv"
        assert export_to(delivered, entitlement, "csv").marked_cells > 2000
        leaked = tmp_path / f"{entitlement}-{dropped}.xlsx"
        shuffle_drop_and_convert(delivered, leaked, dropped)
        assert named(leaked) == [entitlement]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_every_format_names_its_entitlement(tmp_path, fmt):
    path = tmp_path / f"a.{fmt}"
    export_to(path, A, fmt)
    assert named(path) == [A]


def test_a_file_never_exported_names_nobody(tmp_path):
    path = tmp_path / "plain.parquet"
    rng = random.Random(3)
    pq.write_table(pa.table({"amount": [round(rng.uniform(0, 1e4), 2) for _ in range(5000)],
                             "ratio": [rng.random() for _ in range(5000)]}), path)
    verdict = identify(path, CANDIDATES, SECRET)
    assert verdict.votes > 9000 and verdict.enough_decimals
    assert verdict.named == []
    assert 0.4 < verdict.best.score.share < 0.6


def test_the_mark_of_an_entitlement_not_among_the_candidates_names_nobody(tmp_path):
    path = tmp_path / "other.csv"
    export_to(path, 999, "csv")
    assert named(path) == []


def test_a_file_under_another_secret_names_nobody(tmp_path):
    path = tmp_path / "a.csv"
    export_to(path, A, "csv")
    assert identify(path, CANDIDATES, "another-secret").named == []


def test_too_few_decimals_name_nobody_and_say_so(tmp_path):
    path = tmp_path / "small.csv"
    export_to(path, A, "csv", rows=12)
    verdict = identify(path, CANDIDATES, SECRET)
    assert verdict.named == [] and not verdict.enough_decimals
    # The mark is there (the odd one out is the text "-12.5" of the notes), only too short.
    assert verdict.best.candidate.entitlement_id == A and verdict.best.score.share > 0.9


def test_marking_moves_a_value_by_at_most_one_unit_in_its_eleventh_digit():
    values = pa.array([3.14, -2.5e-7, 123456.789, 0.1, 10.0, 0.0, None, float("nan"),
                       float("inf"), 1e15 + 0.5, 9.99999999999, 5e-320])
    marked, count = watermark.mark(values, watermark.entitlement_key(SECRET, A))
    # 3.14, -2.5e-7 and 123456.789; 0.1 sits on a power of ten, 9.99999999999 rounds up to
    # one, 1e15 + 0.5 is too large and 5e-320 too small to carry a mark.
    assert count == 3
    for before, after in zip(values.to_pylist(), marked.to_pylist(), strict=True):
        if before is None or before != before or before in (0.0, 10.0, float("inf")):
            assert after == before or (after != after and before != before)
            continue
        assert abs(after - before) <= abs(before) * 1e-10
    # Whole numbers, zero, missing and non-finite values carry nothing and keep their value.
    assert marked.to_pylist()[4:7] == [10.0, 0.0, None]


def test_only_a_fair_share_of_cells_agree_with_a_key_that_did_not_mark_them():
    rng = random.Random(11)
    values = pa.array([round(rng.uniform(0, 1e5), 2) for _ in range(20_000)])
    marked, _ = watermark.mark(values, watermark.entitlement_key(SECRET, A))
    votes = watermark.votes(marked)
    shares = [watermark.score(votes, watermark.entitlement_key(SECRET, other)).share
              for other in range(100, 400)]
    assert all(0.46 < share < 0.54 for share in shares)
    assert not any(watermark.score(votes, watermark.entitlement_key(SECRET, other)).names(1)
                   for other in range(100, 400))
    assert watermark.score(votes, watermark.entitlement_key(SECRET, A)).share == 1.0
