"""The listing's dataset page: what the data package sells, and the upload that replaces it.

The upload takes either a plain form POST (``multipart/form-data``, field ``file``: works
without JavaScript) or, from ``static/js/dataset-upload.js``, the file itself as the request
body (``application/octet-stream``, its name in ``X-Upload-Filename``, percent-encoded), which
lets the page show the upload's progress. Either way the body is read in chunks to a work
folder, under this route's own size limit (``DATASET_UPLOAD_MAX_BYTES``).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from marketplace.catalog.models import Listing
from marketplace.datasets import get_store, services, store_settings
from marketplace.db import get_session
from marketplace.errors import DomainError
from marketplace.policy import authorize, check, current_actor
from marketplace.web.errors import problem_response, wants_problem_json
from marketplace.web.uploads import body_limit

blp = Blueprint("datasets", __name__, template_folder="templates")


def _listing_or_404(listing_id: int) -> Listing:
    listing = get_session().get(Listing, listing_id)
    if listing is None:
        abort(404)
    return listing


def _page(listing: Listing, error: str | None = None, status: int = 200):
    db = get_session()
    dataset = services.dataset_of(db, listing)
    return render_template(
        "datasets/dataset.html", listing=listing, dataset=dataset,
        problems=services.dictionary_problems(listing, dataset),
        can_upload=check("listing.edit", listing) and listing.delivery_form == "data_package",
        max_bytes=store_settings().upload_max_bytes, error=error,
    ), status


@blp.route("/merchant/listings/<int:listing_id>/dataset")
def dataset_page(listing_id: int):
    listing = _listing_or_404(listing_id)
    authorize("listing.manage", listing)
    return _page(listing)


def _upload_source():
    """The uploaded file's stream and name, from a form or from the raw body."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return None, ""
        return upload.stream, upload.filename
    name = unquote(request.headers.get("X-Upload-Filename", ""))
    return (request.stream, name) if name else (None, "")


@blp.route("/merchant/listings/<int:listing_id>/dataset", methods=["POST"])
@body_limit("DATASET_UPLOAD_MAX_BYTES", services.too_large_message)
def upload_dataset(listing_id: int):
    listing = _listing_or_404(listing_id)
    authorize("listing.edit", listing)
    limit = store_settings().upload_max_bytes
    db = get_session()
    try:
        source, name = _upload_source()
        if source is None:
            raise services.UploadMissing(_("Choose a CSV, XLSX or Parquet file to upload."))
        dataset = services.upload(
            db, current_actor(), listing, source, name, store=get_store(),
            work_dir=Path(store_settings().local_dir) / "uploads", limit=limit)
        db.commit()
    except RequestEntityTooLarge:
        db.rollback()
        return _refused(listing, services.too_large_message(limit), 413)
    except DomainError as exc:
        db.rollback()
        return _refused(listing, str(exc), exc.status_code)
    message = _("“%(name)s” is this listing's dataset now: %(rows)s rows, %(columns)d columns.",
                name=dataset.original_name, rows=f"{dataset.row_count:,}",
                columns=len(dataset.columns))
    target = url_for(".dataset_page", listing_id=listing.id)
    flash(message, "success")
    if wants_problem_json():
        return jsonify({"dataset_id": dataset.id, "rows": dataset.row_count,
                        "message": message, "redirect": target}), 201
    return redirect(target)


def _refused(listing: Listing, message: str, status: int):
    if wants_problem_json():
        return problem_response(status, message)
    return _page(listing, error=message, status=status)
