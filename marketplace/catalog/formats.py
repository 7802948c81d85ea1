"""What merchants type in the listing editor, and back: tier lines and sample CSV (prices go
through :mod:`marketplace.money`).

Pure conversions, used by the editor's form fields to read input and to prefill the form.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from flask_babel import lazy_gettext as _l

from marketplace.money import amount_input, parse_amount

MAX_COUNT = 2_000_000_000

_COUNT_RE = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)$")


def parse_tiers(text: str | None) -> list[dict[str, int | None]]:
    """Volume tiers typed one per line as ``UP_TO UNIT_PRICE_IN_YUAN``, ``*`` for the last tier.

    Only the writing is checked here; whether the tiers make sense (ascending, an open last tier)
    is the pricing rules' business.

    :raises ValueError: naming the line that cannot be read.
    """
    tiers: list[dict[str, int | None]] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        parts = line.replace("：", " ").replace(":", " ").split()
        if not parts:
            continue
        if len(parts) != 2 or not (parts[0] in {"*", "∞"} or _COUNT_RE.match(parts[0])):
            raise ValueError(str(_l(
                "Line %(n)d: write each tier as the number of calls it goes up to and the price "
                "per call in yuan, such as “10000 0.05”; write * instead of a number for the "
                "last tier.", n=number)))
        try:
            price = parse_amount(parts[1])
        except ValueError as exc:
            raise ValueError(str(_l("Line %(n)d: %(problem)s", n=number, problem=exc))) from None
        up_to = None if parts[0] in {"*", "∞"} else int(parts[0].replace(",", ""))
        tiers.append({"up_to": up_to, "unit_price": price})
    return tiers


def tiers_to_text(tiers: list[dict[str, Any]]) -> str:
    """Tiers written back one per line, as :func:`parse_tiers` reads them."""
    return "\n".join(
        f"{'*' if tier.get('up_to') is None else tier['up_to']} "
        f"{amount_input(tier.get('unit_price'))}"
        for tier in tiers
    )


def parse_sample_csv(text: str | None) -> list[dict[str, str]]:
    """Sample rows typed as CSV whose header row names the data dictionary's fields.

    :raises ValueError: for a header that is empty or repeats a name, a row whose number of
        values differs from the header's, or text that is not CSV.
    """
    if not (text or "").strip():
        return []
    reader = csv.reader(io.StringIO(text.strip()), skipinitialspace=True)
    try:
        lines = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise ValueError(str(_l("Line %(n)d cannot be read as CSV (%(problem)s).",
                                n=reader.line_num, problem=exc))) from None
    header = [name.strip() for name in lines[0][1]]
    for position, name in enumerate(header, start=1):
        if not name:
            raise ValueError(str(_l(
                "Column %(n)d of the header row has no name; the first line lists the field "
                "names.", n=position)))
        if header.index(name) != position - 1:
            raise ValueError(str(_l("The header row names the column “%(name)s” twice.",
                                    name=name)))
    rows: list[dict[str, str]] = []
    for line_number, row in lines[1:]:
        if len(row) != len(header):
            raise ValueError(str(_l(
                "Line %(n)d has %(got)d values but the header row names %(want)d columns.",
                n=line_number, got=len(row), want=len(header))))
        rows.append({name: value.strip() for name, value in zip(header, row, strict=True)})
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def sample_columns(rows: list[dict[str, Any]], dictionary: list[dict[str, Any]]) -> list[str]:
    """The columns a sample uses, in data-dictionary order (any others after them)."""
    used = [key for row in rows for key in row]
    named = [f.get("name") for f in dictionary if f.get("name") in used]
    return list(dict.fromkeys([*named, *used]))


def sample_to_csv(rows: list[dict[str, Any]], dictionary: list[dict[str, Any]]) -> str:
    """Sample rows written back as CSV, columns in data-dictionary order."""
    if not rows:
        return ""
    columns = sample_columns(rows, dictionary)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return out.getvalue()
