"""How accurately the governance detectors recognise sensitive data: on hand-made evaluation
sets, and on a labelled synthetic corpus.

    .venv/bin/python bench/governance_accuracy.py [--values-per-kind 5000] [--columns 400]
                                                  [--rows 200] [--seed 20240601]

Evaluation sets (``plugins/governance_tools/tests/evaluation/``, written by hand, not by the
plugin's code; see the README there):

- identifiers: published example numbers, valid values as people type them, and look-alikes
  from everyday records; a value counts for kind K when ``detect_value`` returns K among the
  identifier kinds (birth dates and names are left to the other sets);
- names: ordinary names, hard names, and everyday words that start with a surname, judged by
  ``is_person_name``;
- free text: tickets, judgment-like sentences and English messages with their personal data
  labelled, judged by ``find_pii`` (a finding is right when its kind and text are).

Values: for each of the 13 kinds, ``--values-per-kind`` valid values and as many near misses
(wrong check digits, 17 or 19 digits, future birth dates, phone-like numbers, random digit runs,
plates with I or O ...) from ``datamarket_governance_tools.corpus``. A value counts for kind K
when ``detect_value`` returns K: true positives are valid K values, false positives are any
other value (near misses of every kind included), false negatives valid K values it missed.
The names, birth dates and passport numbers rows measure the value detector alone, which by
design accepts anything that *could* be one; columns decide those with the header.

Columns: ``--columns`` labelled columns of ``--rows`` values (``corpus_columns``): sensitive
kinds under hinting or neutral headers, look-alikes that must stay unclassified, and masked
columns. A column is right when ``detect_column`` gives its label (``none`` for the last two).

It prints a table per measure, the false positives by where they came from, and the speed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

from datamarket_governance_tools.columns import detect_column
from datamarket_governance_tools.corpus import described_values
from datamarket_governance_tools.corpus_columns import labelled_columns
from datamarket_governance_tools.detectors import KINDS, detect_value, is_person_name
from datamarket_governance_tools.free_text import find_pii

EVALUATION = (Path(__file__).resolve().parents[1] / "plugins" / "governance_tools" / "tests"
              / "evaluation")
IDENTIFIER_KINDS = ("resident_id", "uscc", "bank_card", "mobile", "landline", "email",
                    "vehicle_plate", "passport")


def ratio(part: int, whole: int) -> str:
    return f"{part / whole:.4f}" if whole else "n/a"


def _read(name: str) -> list[dict]:
    with (EVALUATION / name).open(encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


def _scores_table(title: str, rows: list[tuple[str, int, int, int]]) -> None:
    print(title)
    print()
    print(f"| {'kind':<14} | {'TP':>4} | {'FP':>4} | {'FN':>4} | {'precision':>9} | "
          f"{'recall':>6} |")
    print(f"|{'-' * 16}|{'-' * 6}|{'-' * 6}|{'-' * 6}|{'-' * 11}|{'-' * 8}|")
    for kind, tp, fp, fn in rows:
        print(f"| {kind:<14} | {tp:>4} | {fp:>4} | {fn:>4} | {ratio(tp, tp + fp):>9} | "
              f"{ratio(tp, tp + fn):>6} |")
    print()


def identifier_evaluation() -> None:
    items = _read("identifiers.jsonl")
    counts = {kind: [0, 0, 0] for kind in IDENTIFIER_KINDS}
    misses = []
    for item in items:
        found = [kind for kind in detect_value(item["value"]) if kind in IDENTIFIER_KINDS]
        expected = item["kind"]
        if expected != "none" and expected in found:
            counts[expected][0] += 1
        elif expected != "none":
            counts[expected][2] += 1
            misses.append((item, "missed"))
        for kind in found:
            if kind != expected:
                counts[kind][1] += 1
                misses.append((item, f"read as {kind}"))
    groups = Counter(item["group"] for item in items)
    _scores_table(f"### Evaluation set, identifiers: {len(items)} hand-made values ("
                  + ", ".join(f"{count} {group}" for group, count in sorted(groups.items()))
                  + ")", [(kind, *counts[kind]) for kind in IDENTIFIER_KINDS])
    print("Errors:")
    for item, what in misses:
        print(f"- {item['value']!r} ({item['kind']}, {item['group']}) {what}: {item['note']}")
    if not misses:
        print("- none")
    print()


def name_evaluation() -> None:
    items = _read("names.jsonl")
    tp = fp = fn = 0
    wrong = []
    for item in items:
        said = is_person_name(item["value"])
        if item["label"] == "name":
            tp, fn = tp + said, fn + (not said)
        else:
            fp += said
        if said != (item["label"] == "name"):
            wrong.append(item["value"])
    names = sum(item["label"] == "name" for item in items)
    _scores_table(f"### Evaluation set, names: {names} names and {len(items) - names} everyday "
                  "words that start with a surname", [("person_name", tp, fp, fn)])
    print(f"Wrong: {' '.join(wrong) or 'none'}")
    print()


def prose_evaluation() -> None:
    items = _read("prose.jsonl")
    scores: dict[str, list[int]] = {}
    wrong = []
    for item in items:
        expected = Counter((entity["kind"], entity["value"]) for entity in item["entities"])
        found = Counter((match.kind, match.value) for match in find_pii(item["text"]))
        for kind, value in expected | found:
            right = min(expected[(kind, value)], found[(kind, value)])
            score = scores.setdefault(kind, [0, 0, 0])
            score[0] += right
            score[1] += found[(kind, value)] - right
            score[2] += expected[(kind, value)] - right
            if expected[(kind, value)] != found[(kind, value)]:
                what = "missed" if expected[(kind, value)] > right else "wrongly found"
                wrong.append(f"{kind} {value!r} {what}")
    labelled = sum(len(item["entities"]) for item in items)
    _scores_table(f"### Evaluation set, free text: {len(items)} texts, {labelled} labelled "
                  "pieces of personal data", [(kind, *scores[kind]) for kind in sorted(scores)])
    print("Errors:")
    for line in wrong or ["none"]:
        print(f"- {line}")
    print()


def value_tables(values_per_kind: int, seed: int) -> None:
    corpus = described_values(values_per_kind, seed)
    is_person_name("张伟")  # loads the word list once, outside the timing
    start = time.perf_counter()
    detected = [detect_value(item.value) for item in corpus]
    elapsed = time.perf_counter() - start

    true_positives: Counter[str] = Counter()
    false_negatives: Counter[str] = Counter()
    false_positives: Counter[str] = Counter()
    sources: Counter[tuple[str, str]] = Counter()
    source_sizes = Counter(item.source if item.kind is None else f"valid {item.kind}"
                           for item in corpus)
    for item, kinds in zip(corpus, detected, strict=True):
        if item.kind is not None:
            if item.kind in kinds:
                true_positives[item.kind] += 1
            else:
                false_negatives[item.kind] += 1
        for kind in kinds:
            if kind != item.kind:
                false_positives[kind] += 1
                source = item.source if item.kind is None else f"valid {item.kind}"
                sources[(source, kind)] += 1

    print(f"### Values: {len(corpus):,} ({values_per_kind:,} valid and {values_per_kind:,} "
          f"near misses per kind), seed {seed}")
    print()
    print(f"| {'kind':<14} | {'TP':>6} | {'FP':>5} | {'FN':>5} | {'precision':>9} | "
          f"{'recall':>6} |")
    print(f"|{'-' * 16}|{'-' * 8}|{'-' * 7}|{'-' * 7}|{'-' * 11}|{'-' * 8}|")
    for kind in KINDS:
        tp, fp, fn = true_positives[kind], false_positives[kind], false_negatives[kind]
        print(f"| {kind:<14} | {tp:>6} | {fp:>5} | {fn:>5} | {ratio(tp, tp + fp):>9} | "
              f"{ratio(tp, tp + fn):>6} |")
    print()
    print("### Where the value-level false positives come from")
    print()
    print(f"| {'source of the value':<52} | {'detected as':<13} | {'count':>5} | {'of':>5} |")
    print(f"|{'-' * 54}|{'-' * 15}|{'-' * 7}|{'-' * 7}|")
    for (source, kind), count in sorted(sources.items(), key=lambda item: (-item[1], item[0])):
        print(f"| {source:<52} | {kind:<13} | {count:>5} | {source_sizes[source]:>5} |")
    if not sources:
        print(f"| {'(none)':<52} | {'':<13} | {0:>5} | {'':>5} |")
    print()
    print(f"detect_value: {len(corpus) / elapsed:,.0f} values/s "
          f"({elapsed * 1e6 / len(corpus):.1f} µs per value)")
    print()


def column_tables(n_columns: int, rows: int, seed: int) -> None:
    columns = labelled_columns(n_columns, rows, seed)
    start = time.perf_counter()
    detected = [detect_column(column.name, column.values).kind for column in columns]
    elapsed = time.perf_counter() - start

    print(f"### Columns: {n_columns:,} of {rows:,} values, seed {seed}")
    print()
    print(f"| {'label':<14} | {'columns':>7} | {'right':>5} | {'missed':>6} | "
          f"{'wrongly given':>13} | {'accuracy':>8} |")
    print(f"|{'-' * 16}|{'-' * 9}|{'-' * 7}|{'-' * 8}|{'-' * 15}|{'-' * 10}|")
    for label in (*KINDS, None):
        labelled = [kind for column, kind in zip(columns, detected, strict=True)
                    if column.kind == label]
        right = sum(kind == label for kind in labelled)
        wrongly_given = sum(kind == label and column.kind != label
                            for column, kind in zip(columns, detected, strict=True))
        print(f"| {label or 'none':<14} | {len(labelled):>7} | {right:>5} | "
              f"{len(labelled) - right:>6} | {wrongly_given:>13} | "
              f"{ratio(right, len(labelled)):>8} |")
    print()
    print(f"| {'family':<14} | {'columns':>7} | {'right':>5} | {'accuracy':>8} |")
    print(f"|{'-' * 16}|{'-' * 9}|{'-' * 7}|{'-' * 10}|")
    for family in ("hinted", "neutral", "lookalike", "masked"):
        outcomes = [kind == column.kind for column, kind in zip(columns, detected, strict=True)
                    if column.family == family]
        print(f"| {family:<14} | {len(outcomes):>7} | {sum(outcomes):>5} | "
              f"{ratio(sum(outcomes), len(outcomes)):>8} |")
    right = sum(kind == column.kind for column, kind in zip(columns, detected, strict=True))
    print(f"| {'all':<14} | {len(columns):>7} | {right:>5} | {ratio(right, len(columns)):>8} |")
    print()
    print(f"detect_column: {len(columns) / elapsed:,.0f} columns/s, "
          f"{len(columns) * rows / elapsed:,.0f} values/s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values-per-kind", type=int, default=5000,
                        help="valid values and near misses per kind (default 5000)")
    parser.add_argument("--columns", type=int, default=400,
                        help="labelled columns (default 400)")
    parser.add_argument("--rows", type=int, default=200, help="values per column (default 200)")
    parser.add_argument("--seed", type=int, default=20240601, help="corpus seed")
    args = parser.parse_args(argv)

    print("Governance detector accuracy: hand-made evaluation sets and the synthetic corpus")
    print(f"{datetime.date.today().isoformat()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}")
    print()
    identifier_evaluation()
    name_evaluation()
    prose_evaluation()
    print("## The synthetic corpus")
    print()
    value_tables(args.values_per_kind, args.seed)
    column_tables(args.columns, args.rows, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
