"""A tiny local HTTP server for fault tests: routes map a path to a handler returning
(status, headers, body); it counts connections and requests per path and keeps the headers
of every request."""

from __future__ import annotations

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
                route = owner.routes.get(path) or owner.routes.get(path.split("?")[0])
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


def listing_page(links: list[str], next_href: str | None = None) -> str:
    items = "".join(f"<article><h2><a href='{link}'>{link}</a></h2></article>" for link in links)
    nxt = f"<a class='next page-numbers' href='{next_href}'>Next</a>" if next_href else ""
    return f"<html><body><main>{items}{nxt}</main></body></html>"
