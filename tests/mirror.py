"""A real HTTP server on loopback that serves recorded responses to real spiders.

Files are served by path (and query string), with an ETag and a Last-Modified header, and a
conditional request gets 304 when nothing changed — like the real servers. Every request is
logged so a test can assert what a crawl downloaded. Faults: answer 503 for a number of requests,
or reset connections.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CONTENT_TYPES = {
    ".htm": "text/html; charset=windows-1252",
    ".html": "text/html",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass
class Served:
    body: bytes
    content_type: str = "application/octet-stream"
    modified: float = 1_700_000_000.0
    etag: bool = True
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Hit:
    method: str
    path: str
    status: int
    size: int


@dataclass
class Mirror:
    files: dict[str, Served] = field(default_factory=dict)
    log: list[Hit] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)  # path → how many more requests answer fail_status
    fail_status: int = 503
    reset: bool = False  # drop every connection without an answer
    posts: list[str] = field(default_factory=list)
    url: str = ""

    def put(self, path: str, body: bytes | str, content_type: str | None = None, **kw: object) -> None:
        data = body.encode() if isinstance(body, str) else body
        if content_type is None:
            content_type = CONTENT_TYPES.get(
                Path(path.split("?")[0]).suffix.lower(), "application/octet-stream"
            )
        self.files[path] = Served(data, content_type, **kw)  # type: ignore[arg-type]

    def put_file(self, path: str, source: Path, content_type: str | None = None) -> None:
        self.put(path, source.read_bytes(), content_type)

    def bodies(self, suffix: str = "") -> list[str]:
        """Paths whose body was sent (status 200), optionally only those ending in ``suffix``."""
        return [h.path for h in self.log if h.status == 200 and h.path.split("?")[0].endswith(suffix)]

    def requested(self) -> list[str]:
        return [h.path for h in self.log]


def _handler(mirror: Mirror) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path
            if mirror.reset:
                mirror.log.append(Hit("GET", path, 0, 0))
                self.close_connection = True
                self.connection.close()
                return
            if mirror.fail.get(path, 0) > 0 or mirror.fail.get("*", 0) > 0:
                key = path if mirror.fail.get(path, 0) > 0 else "*"
                mirror.fail[key] -= 1
                self._send(mirror.fail_status, b"busy", "text/plain", {"Retry-After": "0"})
                return
            served = mirror.files.get(path)
            if served is None:
                self._send(404, b"not found", "text/plain")
                return
            etag = '"' + hashlib.sha1(served.body).hexdigest() + '"'
            modified = formatdate(served.modified, usegmt=True)
            headers = {"Last-Modified": modified, **served.headers}
            if served.etag:
                headers["ETag"] = etag
                if self.headers.get("If-None-Match") == etag:
                    self._send(304, b"", None, headers)
                    return
            elif self.headers.get("If-Modified-Since") == modified:
                self._send(304, b"", None, headers)
                return
            self._send(200, served.body, served.content_type, headers)

        def do_POST(self) -> None:
            # Token endpoints and the like: the body is read and the recorded answer served.
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            mirror.posts.append(self.path)
            self.do_GET()

        def _send(
            self, status: int, body: bytes, ctype: str | None, headers: dict[str, str] | None = None
        ) -> None:
            mirror.log.append(Hit("GET", self.path, status, len(body)))
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

    return Handler


@contextmanager
def serve(mirror: Mirror | None = None) -> Iterator[Mirror]:
    mirror = mirror or Mirror()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(mirror))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    mirror.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield mirror
    finally:
        server.shutdown()
        server.server_close()
