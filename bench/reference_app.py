"""The two reference endpoints of ``bench/storefront.py``, as small as a Flask app gets.

- ``GET /json``: a constant JSON document (what Flask and gunicorn cost);
- ``GET /pk``: one SQLModel primary-key select on the marketplace's own database, as JSON (what
  the database round trip adds).

gunicorn serves it with the marketplace's settings: ``reference_app:create_app()`` with
``DATABASE_URL`` in the environment.
"""

from __future__ import annotations

import os

from flask import Flask, jsonify
from sqlmodel import Session, create_engine

from marketplace.accounts.models import User


def create_app() -> Flask:
    app = Flask(__name__)
    url = os.environ["DATABASE_URL"]
    engine = create_engine(url, connect_args={"check_same_thread": False}
                           if url.startswith("sqlite") else {})

    @app.get("/json")
    def bare_json():
        return jsonify(ok=True, service="datamarket")

    @app.get("/pk")
    def primary_key():
        with Session(engine) as session:
            user = session.get(User, 1)
            return jsonify(id=user.id, display_name=user.display_name)

    return app
