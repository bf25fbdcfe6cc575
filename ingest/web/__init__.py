"""`ingest serve`: a read-only web app over the store."""

from ingest.web.app import create_app

__all__ = ["create_app"]
