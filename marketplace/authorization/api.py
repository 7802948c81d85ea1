"""``/api/v1/applications``: authorization applications over JSON, as the signed-in user.

A buyer applies, lists and reads its own, and withdraws one still waiting; a merchant lists
those for its products (``/received``) and decides; a platform admin takes the second decision
on level 4 products; the merchant or an admin revokes an approval. Every method asks the policy
before flask-smorest parses its body, so a stranger gets 401 or 403 before any validation
message; services' refusals are ``application/problem+json`` with their status and sentence.
"""

from __future__ import annotations

from copy import deepcopy
from functools import wraps
from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint, abort

from marketplace.api.problems import PROBLEM_JSON, ProblemSchema, domain_error_problem
from marketplace.authorization import queries, services
from marketplace.authorization.models import AuthorizationApplication
from marketplace.authorization.schemas import (
    AdminDecisionArgsSchema,
    ApplicationArgsSchema,
    ApplicationQueryArgsSchema,
    ApplicationSchema,
    DecisionArgsSchema,
    ReasonArgsSchema,
)
from marketplace.authorization.workflow import Decision
from marketplace.catalog.queries import live_listing
from marketplace.db import get_session
from marketplace.errors import DomainError
from marketplace.policy import authorize, check, current_actor
from marketplace.web.bounds import api_page

blp = Blueprint("applications", __name__, description=(
    "Authorization applications (授权申请): what a buyer states to be allowed to buy and use a "
    "level 3 or 4 product (or one whose merchant asks), and the decisions on it."))
PROBLEM = {"schema": ProblemSchema, "content_type": PROBLEM_JSON}
SIGNED_IN = {"sessionCookie": []}
WRITES = frozenset({"post", "put", "patch", "delete"})
blp.register_error_handler(DomainError, domain_error_problem)


def authorized(action: str | None, *, load: bool = False):
    """Authorize ``action`` (on the application named in the URL when ``load``; 404 if there
    is none) before flask-smorest parses anything; the view gets it as ``application``."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if load:
                application = get_session().get(AuthorizationApplication,
                                                kwargs.pop("application_id"))
                if application is None:
                    abort(404, message=_("No authorization application has this id."))
                authorize(action, application)
                kwargs["application"] = application
            elif action is not None:
                authorize(action)
            return view(*args, **kwargs)

        wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))
        security = {**SIGNED_IN, "csrfToken": []} if view.__name__ in WRITES else SIGNED_IN
        wrapper._apidoc.setdefault("manual_doc", {})["security"] = [security]
        return wrapper

    return decorator


def document(application: AuthorizationApplication,
             title: tuple[str, str] | None = None) -> dict[str, Any]:
    """An application as the API shows it, with its history and the product's title (Chinese,
    and English where the merchant gave one)."""
    db = get_session()
    data = application.model_dump()
    if title is None:
        title = queries.titles(db, [application]).get(application.listing_id, ("", ""))
    data["title"], data["title_en"] = title
    data["history"] = [event.model_dump() for event in queries.history(db, application.id)]
    data["html_url"] = url_for("authorization.application_detail",
                               application_id=application.id)
    return data


def _documents(rows: list[AuthorizationApplication]) -> list[dict[str, Any]]:
    titles = queries.titles(get_session(), rows)
    return [document(row, titles.get(row.listing_id, ("", ""))) for row in rows]


@blp.route("")
class Applications(MethodView):
    @authorized("application.list")
    @blp.arguments(ApplicationQueryArgsSchema, location="query")
    @blp.response(200, ApplicationSchema(many=True))
    @blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @blp.paginate(page_size=20, max_page_size=100)
    def get(self, args, pagination_parameters):
        """List your applications.

        Newest first, optionally only those in one state.
        """
        rows, pagination_parameters.item_count = queries.for_buyer(
            get_session(), current_actor().id, state=args["state"],
            page=api_page(pagination_parameters.page),
            per_page=pagination_parameters.page_size)
        return _documents(rows)

    @authorized("application.list")  # signed in; the product itself is judged below
    @blp.arguments(ApplicationArgsSchema)
    @blp.response(201, ApplicationSchema)
    @blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @blp.alt_response(404, description="No product on sale has this id.", **PROBLEM)
    @blp.alt_response(409, description=(
        "The product needs no application, is your own, or you have one open already."),
        **PROBLEM)
    def post(self, args):
        """Apply for authorization to buy and use a product.

        State the purpose, scenario and legal basis, the operations and output fields you need
        (from the product's operations), and the period.
        """
        db = get_session()
        listing = live_listing(db, args["product_id"])
        if listing is None:
            abort(404, message=_("No product on sale has this id."))
        authorize("application.create", listing)
        given = services.ApplicationInput(**{key: args[key] for key in (
            "purpose", "scenario", "legal_basis", "legal_basis_detail", "operations",
            "starts_on", "ends_on")})
        application = services.apply(db, current_actor(), listing, given)
        db.commit()
        return document(application)


@blp.route("/received")
class ReceivedApplications(MethodView):
    @authorized(None)
    @blp.arguments(ApplicationQueryArgsSchema, location="query")
    @blp.response(200, ApplicationSchema(many=True))
    @blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @blp.alt_response(403, description="Neither a merchant nor an admin.", **PROBLEM)
    @blp.paginate(page_size=20, max_page_size=100)
    def get(self, args, pagination_parameters):
        """List the applications you decide on.

        A merchant's: those for its organization's products. A platform admin's: every
        application (``state=pending_admin`` for those waiting for an admin).
        """
        db, actor = get_session(), current_actor()
        page = {"state": args["state"], "page": api_page(pagination_parameters.page),
                "per_page": pagination_parameters.page_size}
        if check("application.admin_list"):
            rows, pagination_parameters.item_count = queries.for_admins(db, **page)
        else:
            authorize("application.review_list")
            rows, pagination_parameters.item_count = queries.for_organization(
                db, actor.organization_id, **page)
        return _documents(rows)


@blp.route("/<int:application_id>")
class ApplicationItem(MethodView):
    @authorized("application.view", load=True)
    @blp.response(200, ApplicationSchema)
    @blp.alt_response(401, description="Not signed in.", **PROBLEM)
    @blp.alt_response(404, description="No application has this id.", **PROBLEM)
    def get(self, application: AuthorizationApplication):
        """Read an application and its history."""
        return document(application)


@blp.route("/<int:application_id>/withdrawal")
class ApplicationWithdrawal(MethodView):
    @authorized("application.withdraw", load=True)
    @blp.arguments(ReasonArgsSchema)
    @blp.response(200, ApplicationSchema)
    @blp.alt_response(409, description="Already decided.", **PROBLEM)
    def post(self, args, application: AuthorizationApplication):
        """Withdraw your application while it waits for a decision."""
        db = get_session()
        services.withdraw(db, current_actor(), application, args["reason"])
        db.commit()
        return document(application)


@blp.route("/<int:application_id>/decision")
class ApplicationDecision(MethodView):
    @authorized("application.decide", load=True)
    @blp.arguments(DecisionArgsSchema)
    @blp.response(200, ApplicationSchema)
    @blp.alt_response(409, description="Not possible in the application's state.", **PROBLEM)
    @blp.alt_response(422, description="A missing reason, or a scope wider than asked.",
                      **PROBLEM)
    def post(self, args, application: AuthorizationApplication):
        """Decide on an application for your product.

        ``approve`` as asked, ``narrow`` to the ``scope`` given (also later, on an approved
        application), or ``reject`` with a ``reason``. A level 4 approval then waits for a
        platform admin.
        """
        db = get_session()
        scope = args["scope"]
        services.decide(db, current_actor(), application, args["decision"],
                        reason=args["reason"],
                        chosen={ref: grant["fields_"] for ref, grant in scope.items()},
                        masking={ref: grant["masking"] for ref, grant in scope.items()})
        db.commit()
        return document(application)


@blp.route("/<int:application_id>/admin-decision")
class ApplicationAdminDecision(MethodView):
    @authorized("application.admin_decide", load=True)
    @blp.arguments(AdminDecisionArgsSchema)
    @blp.response(200, ApplicationSchema)
    @blp.alt_response(409, description="Not waiting for an admin.", **PROBLEM)
    def post(self, args, application: AuthorizationApplication):
        """Approve or reject a level 4 application the merchant approved (platform admins)."""
        db = get_session()
        decision = Decision.ADMIN_APPROVE if args["decision"] == "approve" \
            else Decision.ADMIN_REJECT
        services.admin_decide(db, current_actor(), application, decision,
                              reason=args["reason"])
        db.commit()
        return document(application)


@blp.route("/<int:application_id>/revocation")
class ApplicationRevocation(MethodView):
    @authorized("application.revoke", load=True)
    @blp.arguments(ReasonArgsSchema)
    @blp.response(200, ApplicationSchema)
    @blp.alt_response(409, description="Not approved.", **PROBLEM)
    @blp.alt_response(422, description="No reason given.", **PROBLEM)
    def post(self, args, application: AuthorizationApplication):
        """Revoke an approved application (the merchant or an admin): the buyer's entitlements
        under it are suspended at once."""
        db = get_session()
        services.revoke(db, current_actor(), application, args["reason"])
        db.commit()
        return document(application)
