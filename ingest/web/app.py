"""The read-only web app over the store: HTML pages and a JSON API, both built on
ingest.store.queries."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bson import ObjectId
from flask import Flask, Response, jsonify, make_response, render_template, request
from flask.json.provider import DefaultJSONProvider
from pymongo.database import Database
from pymongo.errors import PyMongoError
from werkzeug.exceptions import HTTPException, SecurityError

from ingest.store.queries import QueryError
from ingest.store.times import as_datetime
from ingest.web import api, monitoring, pages
from ingest.web.cache import STATS_CACHE_SECONDS, SharedResults

logger = logging.getLogger(__name__)

# No script at all; styles only from our own stylesheet; images only from us (scraped
# images are linked, never loaded); forms post only here; no framing.
CONTENT_SECURITY_POLICY = ("default-src 'none'; img-src 'self'; style-src 'self'; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class IsoJSONProvider(DefaultJSONProvider):
    """Datetimes as ISO 8601 (Flask's default is the HTTP date format), ObjectIds as text."""

    sort_keys = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, datetime):
            return o.isoformat()
        if isinstance(o, ObjectId):
            return str(o)
        return DefaultJSONProvider.default(o)


def create_app(db: Database, trusted_hosts: list[str] | None = None,
               stats_cache_seconds: float = STATS_CACHE_SECONDS) -> Flask:
    """`trusted_hosts`: the Host header values to answer (guards a loopback server against
    DNS rebinding); None answers any. Aggregations (stats, facets) are shared by concurrent
    requests and kept `stats_cache_seconds` (0: computed for every request)."""
    app = Flask(__name__)
    app.config.update(TRUSTED_HOSTS=trusted_hosts, MAX_CONTENT_LENGTH=64 * 1024)
    app.json = IsoJSONProvider(app)
    app.extensions["ingest_db"] = db
    app.extensions["ingest_results"] = SharedResults(stats_cache_seconds)
    app.jinja_env.filters["when"] = format_when
    app.register_blueprint(pages.bp)
    app.register_blueprint(monitoring.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.after_request(add_security_headers)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(QueryError, lambda exc: error_response(400, str(exc)))
    app.register_error_handler(PyMongoError, store_error)
    return app


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def format_when(value: Any) -> str:
    moment = as_datetime(value)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def error_response(status: int, message: str) -> tuple[Response | str, int]:
    if request.path.startswith("/api/"):
        return jsonify(error=message, status=status), status
    return render_template("error.html", status=status, message=message), status


def http_error(exc: HTTPException) -> Response | tuple[Response | str, int]:
    if isinstance(exc, SecurityError):  # an untrusted Host: no URL can be built for a page
        return Response("Bad request: this server does not answer to that Host name.\n",
                        mimetype="text/plain"), 400
    response = make_response(error_response(exc.code or 500, exc.description or exc.name))
    for name, value in exc.get_headers():  # Allow on a 405, as HTTP requires
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def store_error(exc: PyMongoError) -> tuple[Response | str, int]:
    # The message names hosts at most, never credentials; the page says less still.
    logger.error("store error on %s: %s", request.path, type(exc).__name__)
    return error_response(503, "The store did not answer (in time). Try again, or narrow the search.")
