"""CSV downloads of what a page shows, formula-safe (``datamarket_sdk.csv_cells.safe_cell``:
a cell that a spreadsheet would run as a formula is quoted; plain numbers stay numbers)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from datamarket_sdk.csv_cells import safe_cell
from flask import Response

_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


def csv_response(filename: str, header: Sequence[str],
                 rows: Iterable[Sequence[object]]) -> Response:
    """A CSV attachment (UTF-8 with a BOM, so that spreadsheets read Chinese text)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell("" if cell is None else cell) for cell in row])
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{_FILENAME.sub("_", filename)}"'})
