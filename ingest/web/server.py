"""Serving the app with waitress (a pure-Python, production-grade WSGI server)."""

from __future__ import annotations

import ipaddress
import threading
import time
from types import TracebackType
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

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


CONNECTION_LIMIT = 1000  # open connections (waitress's default, 100, is what slowloris needs)
REQUEST_TIMEOUT = 10  # seconds a client has to send a whole request, however slowly it trickles
IDLE_TIMEOUT = 30  # seconds a kept-alive connection may stay silent
CLEANUP_INTERVAL = 1  # seconds between checks of those two


class DeadlineChannel(HTTPChannel):
    """A connection that notes when the request it is receiving began."""

    request_started = 0.0

    def received(self, data: bytes) -> bool:
        if self.request is None:  # these bytes start a new request
            self.request_started = time.time()
        return super().received(data)


class GuardedServer(TcpWSGIServer):
    """waitress's server, which also closes connections whose request stays incomplete
    past REQUEST_TIMEOUT (waitress itself only closes silent ones: a client that sends a
    byte now and then would hold its connection forever)."""

    channel_class = DeadlineChannel
    request_timeout = REQUEST_TIMEOUT

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        cutoff = now - self.request_timeout
        for channel in list(self.active_channels.values()):
            if channel.request is not None and not channel.requests and channel.request_started < cutoff:
                channel.will_close = True


def guarded_server(app: Any, request_timeout: float = REQUEST_TIMEOUT, **options: Any) -> Any:
    """What waitress.create_server builds for host/port listening, with GuardedServer."""
    adj = Adjustments(**options)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    shared_map: dict[int, Any] = {}
    servers = [GuardedServer(app, shared_map, dispatcher=dispatcher, adj=adj, sockinfo=sockinfo)
               for sockinfo in adj.listen]
    for server in servers:
        server.request_timeout = request_timeout
    if len(servers) == 1:
        return servers[0]
    return MultiSocketServer(shared_map, adj, [(s.effective_host, s.effective_port) for s in servers],
                             dispatcher, servers[-1].log_info)


class WebServer:
    """waitress on host:port (0: a free port); `url` is where it listens. As a context
    manager it serves from a thread (for tests); `serve_forever` blocks (for the CLI).

    Held-open connections cannot starve it: up to `connection_limit` connections (polled,
    not select()ed, so past 1,024 file descriptors), and a request must arrive whole within
    `request_timeout` seconds. Beyond that, put a reverse proxy in front (README)."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, threads: int = 4,
                 connection_limit: int = CONNECTION_LIMIT, request_timeout: float = REQUEST_TIMEOUT) -> None:
        self.server = guarded_server(
            app, request_timeout=request_timeout, host=host, port=port, threads=threads,
            ident="ingest", connection_limit=connection_limit, asyncore_use_poll=True,
            channel_timeout=IDLE_TIMEOUT, cleanup_interval=CLEANUP_INTERVAL,
            max_request_header_size=64 * 1024, max_request_body_size=64 * 1024,
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
