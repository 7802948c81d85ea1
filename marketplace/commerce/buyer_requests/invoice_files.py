"""Where issued invoices' PDFs are kept: a folder under the instance folder (given by the
caller), one file per invoice, written whole or not at all."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from flask_babel import lazy_gettext as _l

from marketplace.errors import ValidationFailed

#: The largest invoice PDF accepted (an e-invoice is a few hundred kilobytes).
MAX_PDF_BYTES = 5 * 1024 * 1024
_NAME = re.compile(r"^invoice-\d+-[0-9a-f]{16}\.pdf$")


def check_pdf(data: bytes) -> None:
    """:raises ValidationFailed: ``data`` is empty, too large, or not a PDF (by its header)."""
    if not data:
        raise ValidationFailed({"pdf": [str(_l("Attach the invoice as a PDF file."))]})
    if len(data) > MAX_PDF_BYTES:
        raise ValidationFailed({"pdf": [str(_l(
            "The invoice file is larger than %(mb)d MB.", mb=MAX_PDF_BYTES // (1024 * 1024)))]})
    if not data.lstrip(b"\r\n\t ")[:5] == b"%PDF-":
        raise ValidationFailed({"pdf": [str(_l(
            "This file is not a PDF; attach the invoice as a PDF file."))]})


def save(folder: Path, invoice_id: int, data: bytes) -> str:
    """Keep ``data`` as the PDF of invoice ``invoice_id``; returns its name in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"invoice-{invoice_id}-{secrets.token_hex(8)}.pdf"
    partial = folder / f".{name}.part"
    partial.write_bytes(data)
    os.replace(partial, folder / name)
    return name


def path_of(folder: Path, name: str) -> Path:
    """The file of a stored invoice name (only names :func:`save` makes are accepted)."""
    if not _NAME.match(name or ""):
        raise ValueError(f"not an invoice file name: {name!r}")
    return folder / name
