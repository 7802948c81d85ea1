"""Cells that a spreadsheet program will not run as a formula (CSV injection).

Excel, LibreOffice and Numbers run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula, and a leading tab or carriage return can hide one; a value that starts that way is
written with a leading ``'``, which the programs show as text. A plain number stays a number:
``-12.5``, ``+3`` and ``1e-3`` are not formulas, and quoting them would turn refunds and
negative balances into text that sums to nothing. ``-2+3``, ``-inf`` and ``+86 138 0013 8000``
are not plain numbers, so they are quoted.

This is the one rule for every CSV the marketplace and its plugins write: the marketplace's
statements and data package downloads (CSV and XLSX, by column), the governance tools'
tables (:func:`safe_text` per cell) and their streamed columnar output
(:data:`FORMULA_START_PATTERN` and :data:`PLAIN_NUMBER_PATTERN`, for vectorised matching).
"""

from __future__ import annotations

import re

#: The characters a formula (or something hiding one) can start with.
FORMULA_START = "=+-@\t\r"
#: A regular expression for a value that starts like a formula.
FORMULA_START_PATTERN = r"^[=+@\t\r-]"
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
#: A regular expression for a whole value that is a plain decimal number, signed or not.
PLAIN_NUMBER_PATTERN = rf"^{_NUMBER}$"

_PLAIN_NUMBER = re.compile(_NUMBER)


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could run ``text`` as a formula: it starts like one and is not a
    plain number."""
    return bool(text) and text[0] in FORMULA_START and _PLAIN_NUMBER.fullmatch(text) is None


def safe_text(text: str) -> str:
    """``text`` as a cell that is shown, never run: quoted with ``'`` when formula-like."""
    return "'" + text if is_formula_like(text) else text


def safe_cell(value: object) -> str:
    """Any value as a safe CSV cell: ``None`` is empty, anything else its ``str()``, quoted
    when formula-like."""
    return "" if value is None else safe_text(str(value))
