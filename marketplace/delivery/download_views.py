"""Pages: a buyer's download of a data package (``/account/entitlements/<id>/download``: the
format, then a signed link, or a progress bar while a job prepares a large file) and following
a signed link (``/downloads/<token>``), where every check happens again."""

from __future__ import annotations

import tempfile
from datetime import timedelta

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from marketplace.base import utcnow
from marketplace.datasets import get_store
from marketplace.db import get_session
from marketplace.delivery import download_jobs, download_links, downloads
from marketplace.delivery.download_links import BadDownloadLink, DownloadLink
from marketplace.delivery.downloads import DownloadRefused
from marketplace.delivery.exports.policy import ExportRefused
from marketplace.delivery.exports.writers import ExportFormat
from marketplace.delivery.forms import DownloadForm
from marketplace.delivery.gateway import MAX_ID
from marketplace.delivery.models import Entitlement
from marketplace.plugins.errors import InvocationError
from marketplace.policy import authorize, check, current_actor
from marketplace.settings import settings
from marketplace.web.errors import problem_response, wants_problem_json

blp = Blueprint("downloads", __name__, template_folder="templates")

#: How long a file prepared by a job can still be fetched (with a fresh link) after it is made.
PREPARED_FOR = timedelta(hours=24)


def _refused(refusal: DownloadRefused | BadDownloadLink | ExportRefused | InvocationError):
    status = getattr(refusal, "status_code", 409)
    if wants_problem_json():
        return problem_response(status, str(refusal))
    return render_template("delivery/download_refused.html", message=str(refusal)), status


def _entitlement_or_404(entitlement_id: int) -> Entitlement:
    entitlement = (get_session().get(Entitlement, entitlement_id)
                   if entitlement_id <= MAX_ID else None)
    if entitlement is None:
        abort(404)
    return entitlement


def _link_url(link: DownloadLink) -> str:
    token = download_links.sign(settings().secret_key, link)
    return url_for("downloads.fetch", token=token)


@blp.route("/account/entitlements/<int:entitlement_id>/download", methods=["GET", "POST"])
def download_page(entitlement_id: int):
    """Choose a format and get a signed link; a large dataset is prepared by a job first."""
    entitlement = _entitlement_or_404(entitlement_id)
    authorize("download.request", entitlement)
    db = get_session()
    download_settings = settings().downloads
    form = DownloadForm()
    page = {"entitlement": entitlement, "form": form, "link": None, "job": None,
            "job_message": None, "minutes": download_settings.link_seconds // 60,
            "limit": download_settings.limit}
    status = 200
    try:
        package = downloads.check_request(db, entitlement, download_settings.limit)
    except DownloadRefused as refusal:
        package, page["refusal"], status = None, str(refusal), refusal.status_code
    page["package"] = package
    job = download_jobs.job_for(db, request.args.get("job", type=int), entitlement,
                                    current_actor().id)
    if job is not None:
        page["job"] = job
        fmt = ExportFormat(job.args["fmt"])
        if download_jobs.is_ready(job, get_store(), utcnow() - PREPARED_FOR):
            page["link"] = _link_url(DownloadLink(entitlement.buyer_id, entitlement.id, fmt,
                                                  job.args["download_id"], prepared=True))
        elif job.state == "succeeded":
            page["job_message"] = job.message
    if request.method == "GET":
        return render_template("delivery/download.html", **page)
    if package is None:  # asked anyway: refused (409, 403, 429), with the reason on the page
        return render_template("delivery/download.html", **page), status
    if not form.validate():
        return render_template("delivery/download.html", **page), 422
    fmt = downloads.parse_format(form.fmt.data)
    if package.dataset.row_count > download_settings.job_rows:
        asked = download_jobs.ask(db, entitlement, fmt, current_actor().id)
        db.commit()
        return redirect(url_for("downloads.download_page", entitlement_id=entitlement.id,
                                job=asked.id))
    page["link"] = _link_url(DownloadLink(entitlement.buyer_id, entitlement.id, fmt,
                                          download_links.new_download_id()))
    return render_template("delivery/download.html", **page)


def _may_fetch(link: DownloadLink | None) -> bool:
    """The policy's answer; an anonymous visitor is sent to sign in first."""
    if check("download.fetch", link):
        return True
    if current_actor() is None:
        abort(401)
    return False


@blp.route("/downloads/<token>")
def fetch(token: str):
    """Follow a signed download link: checked now (signer and age, the buyer signed in, the
    entitlement usable, the limit), then the file streamed from a temporary file."""
    actor = current_actor()
    app_settings = settings()
    try:
        link = download_links.read(app_settings.secret_key, token[:2000],
                                   app_settings.downloads.link_seconds)
    except BadDownloadLink as refusal:
        _may_fetch(None)
        return _refused(refusal)
    if not _may_fetch(link):
        return _refused(DownloadRefused(403, _(
            "This download link was made for another account. Sign in as the buyer it was "
            "made for, or ask for a link of your own from your account page.")))
    db = get_session()
    entitlement = db.get(Entitlement, link.entitlement_id)
    if entitlement is None or entitlement.buyer_id != link.buyer_id:
        abort(404)
    fmt = ExportFormat(link.fmt)
    try:
        if link.prepared:
            return _send_prepared(db, entitlement, link, fmt)
        package = downloads.check_request(db, entitlement, app_settings.downloads.limit)
        if downloads.already_counted(db, link.download_id):
            raise DownloadRefused(409, _("This download link was already used; ask for a new "
                                         "one from your account page."))
        out = tempfile.TemporaryFile(prefix="datamarket-download-")
        try:
            report = downloads.write(package, fmt, out, app_settings.secret_key)
            downloads.claim(db, entitlement, link.download_id, fmt,
                            app_settings.downloads.limit, actor_id=actor.id, rows=report.rows)
            db.commit()
        except BaseException:
            out.close()
            raise
    except (DownloadRefused, ExportRefused, InvocationError) as refusal:
        db.rollback()
        return _refused(refusal)
    out.seek(0)
    return _attachment(out, fmt, downloads.file_name(package, fmt))


def _send_prepared(db, entitlement: Entitlement, link: DownloadLink, fmt: ExportFormat):
    downloads.check_usable(entitlement)
    package = downloads.package_of(db, entitlement)
    if package is None or not downloads.already_counted(db, link.download_id):
        abort(404)
    try:
        handle = get_store().open(downloads.prepared_key(link.download_id, fmt))
    except FileNotFoundError:
        raise DownloadRefused(410, _("This file is no longer kept; ask for a new download "
                                     "from your account page.")) from None
    return _attachment(handle, fmt, downloads.file_name(package, fmt))


def _attachment(handle, fmt: ExportFormat, name: str):
    response = send_file(handle, mimetype=fmt.media_type, as_attachment=True,
                         download_name=name, conditional=False, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    response.call_on_close(handle.close)
    return response
