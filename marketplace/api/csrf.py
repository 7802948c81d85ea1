"""``/api/v1/csrf-token``: the token a session-authenticated API client sends with every write.

JSON writes made with the session cookie are protected against cross-site request forgery like
every form (see docs/decisions.md, "REST API: CSRF"): the client reads a token here, or from any
page it has loaded, and sends it in the ``X-CSRFToken`` header.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf
from marshmallow import Schema, fields

from marketplace.policy import public

blp = Blueprint(
    "csrf", __name__,
    description="The CSRF token that API writes made with the session cookie must carry in the "
                "X-CSRFToken header.",
)


class CsrfTokenSchema(Schema):
    csrf_token = fields.String(metadata={"description": "Send it as the X-CSRFToken header; it "
                                                       "stays valid for this session for an "
                                                       "hour."})


@blp.route("")
class CsrfToken(MethodView):
    @public
    @blp.response(200, CsrfTokenSchema, headers={"Cache-Control": {
        "description": "no-store: the token belongs to this session.",
        "schema": {"type": "string"}}})
    def get(self):
        """Get a CSRF token for this session.

        Send it in the X-CSRFToken header of every POST and DELETE made with the session
        cookie.
        """
        return {"csrf_token": generate_csrf()}, 200, {"Cache-Control": "no-store"}
