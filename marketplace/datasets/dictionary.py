"""The listing's data dictionary checked against the columns of its dataset.

Each disagreement is one sentence naming the column: a field the file lacks, a column the
dictionary does not describe, or a type that differs. The merchant fixes either side. A
``decimal`` field accepts an integer column (whole numbers are decimals too), and a ``string``
field accepts any column, since every value can be shown as text (and a ``json`` field a
column of text).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

#: Dictionary types that accept a column of another type.
ACCEPTS = {"decimal": {"integer"}, "datetime": {"date"}, "json": {"string"}}


def disagreements(dictionary: list[dict[str, Any]], columns: list[dict[str, Any]]) -> list[str]:
    """Where the data dictionary and the dataset's columns disagree; empty when they agree."""
    described = {str(f.get("name")): str(f.get("type") or "string") for f in dictionary
                 if f.get("name")}
    found = {str(c["name"]): str(c["type"]) for c in columns}
    problems: list[str] = []
    for name, declared in described.items():
        if name not in found:
            problems.append(str(_l("The data dictionary describes “%(name)s”, but the file "
                                   "has no such column.", name=name)))
        elif declared != "string" and found[name] != declared \
                and found[name] not in ACCEPTS.get(declared, set()):
            problems.append(str(_l("“%(name)s” is declared as %(declared)s in the data "
                                   "dictionary, but the file's column holds %(found)s values.",
                                   name=name, declared=declared, found=found[name])))
    problems += [str(_l("The file has a column “%(name)s” that the data dictionary does not "
                        "describe.", name=name)) for name in found if name not in described]
    return problems
