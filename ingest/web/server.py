"""Serving the app with waitress (a pure-Python, production-grade WSGI server)."""

from __future__ import annotations

import ipaddress
import threading
from types import TracebackType
from typing import Any

from waitress import create_server

LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    return host.strip("[]") in ("0.0.0.0", "::", "")


def trusted_hosts(host: str) -> list[str] | None:
    """Host header values to answer: a browser on this machine only, when bound to loopback
    (a web page cannot then rebind its own name to 127.0.0.1 and read the API); the given
    name when bound to one address; anything when bound to every address."""
    if is_loopback(host):
        return sorted({host, *LOOPBACK_NAMES})
    return None if is_wildcard(host) else [host]


class WebServer:
    """waitress on host:port (0: a free port); `url` is where it listens. As a context
    manager it serves from a thread (for tests); `serve_forever` blocks (for the CLI)."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, threads: int = 4) -> None:
        self.server = create_server(
            app, host=host, port=port, threads=threads, ident="ingest",
            channel_timeout=30, max_request_header_size=64 * 1024, max_request_body_size=64 * 1024,
            clear_untrusted_proxy_headers=True,
        )
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.effective_host, self.server.effective_port
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"

    def serve_forever(self) -> None:
        self.server.run()

    def _close_all(self) -> None:
        for channel in list(self.server._map.values()):
            channel.close()

    def stop(self) -> None:
        """Close the listening socket and every connection from inside waitress's loop (its
        trigger runs the closing there), which then ends as nothing is left to watch."""
        if self.thread and self.thread.is_alive():
            self.server.trigger.pull_trigger(self._close_all)
            self.thread.join(timeout=10)
        else:
            self._close_all()
        self.server.task_dispatcher.shutdown()

    def __enter__(self) -> WebServer:
        self.thread = threading.Thread(target=self.serve_forever, name="web-server", daemon=True)
        self.thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
