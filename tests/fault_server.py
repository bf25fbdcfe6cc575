"""A tiny local HTTP server for fault tests: routes map a path to a handler returning
(status, headers, body); it counts connections and requests per path and keeps the headers
of every request."""

from __future__ import annotations

import calendar
import re
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, str], bytes]
Route = Callable[[BaseHTTPRequestHandler], Reply]


class _CountingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections = 0

    def get_request(self) -> Any:
        request = super().get_request()
        self.connections += 1
        return request


class FaultServer:
    def __init__(self, routes: dict[str, Route] | None = None, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.host = host
        self.hits: Counter[str] = Counter()
        self.times: dict[str, list[float]] = {}
        self.received: list[tuple[str, dict[str, str]]] = []  # (path, headers) per request
        self.prefix_routes: dict[str, Route] = {}  # for generated, endless URL spaces
        self._server: _CountingServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def connections(self) -> int:
        return self._server.connections if self._server else 0

    def html(self, body: str, status: int = 200, **headers: str) -> Route:
        data = body.encode("utf-8")
        return lambda _handler: (status, {"Content-Type": "text/html; charset=utf-8", **headers}, data)

    def __enter__(self) -> FaultServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                import time

                path = self.path
                owner.hits[path] += 1
                owner.times.setdefault(path, []).append(time.monotonic())
                owner.received.append((path, dict(self.headers.items())))
                route = owner.routes.get(path) or owner.routes.get(path.split("?")[0]) or next(
                    (r for prefix, r in owner.prefix_routes.items() if path.startswith(prefix)), None)
                status, headers, body = route(self) if route else (404, {}, b"not found")
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = _CountingServer((self.host, 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()


def article_page(title: str, paragraphs: int = 6) -> str:
    body = "".join(f"<p>{title}: paragraph {n} with enough words to count as an article body.</p>"
                   for n in range(paragraphs))
    return (f"<html lang='en'><head><title>{title}</title></head><body><article class='post'>"
            f"<h1 class='entry-title'>{title}</h1><div class='entry-content'>{body}</div>"
            f"</article></body></html>")


def listing_page(links: list[str], next_href: str | None = None, extra: str = "") -> str:
    items = "".join(f"<article><h2><a href='{link}'>{link}</a></h2></article>" for link in links)
    nxt = f"<a class='next page-numbers' href='{next_href}'>Next</a>" if next_href else ""
    return f"<html><body><main>{items}{nxt}{extra}</main></body></html>"


def month_calendar(year: int, month: int) -> str:
    """An events calendar block as calendar plugins render it: the month's days, each linking
    to a day page (shaped like a WordPress date permalink), and previous/next month links that
    go on for ever."""
    prev_y, prev_m = (year, month - 1) if month > 1 else (year - 1, 12)
    next_y, next_m = (year, month + 1) if month < 12 else (year + 1, 1)
    days = "".join(f"<td><a href='/calendar/{year}/{month:02d}/{day:02d}/'>{day}</a></td>"
                   for day in range(1, calendar.monthrange(year, month)[1] + 1))
    return (f"<table class='calendar'><caption>"
            f"<a class='prev' rel='prev' href='/calendar/{prev_y}/{prev_m:02d}/'>&laquo; previous month</a> "
            f"{calendar.month_name[month]} {year} "
            f"<a class='next' rel='next' href='/calendar/{next_y}/{next_m:02d}/'>next month &raquo;</a>"
            f"</caption><tr>{days}</tr></table>")


def calendar_trap(_handler: BaseHTTPRequestHandler) -> Reply:
    """/calendar/YYYY/MM/ for any month (a calendar page), /calendar/YYYY/MM/DD/ for any day."""
    match = re.match(r"/calendar/(\d{4})/(\d{2})/(?:(\d{2})/)?", _handler.path)
    if not match:
        return 404, {}, b"not found"
    year, month = int(match[1]), int(match[2])
    if match[3]:
        page = f"<html><body><main><h1>{match[3]} {calendar.month_name[month]}</h1><p>No events.</p></main></body></html>"
    else:
        page = f"<html><body><main><h1>Events</h1>{month_calendar(year, month)}</main></body></html>"
    return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()
