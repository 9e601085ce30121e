"""A threaded HTTP/1.1 server that records requests and answers from a script.

Base of the Lambda double and of the echo backend. Runs inside the pytest process on its
own port (127.0.0.1), keeps connections alive (Envoy pools them), always reads the whole
request body before answering and always sends a Content-Length.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from .util import HOST, free_port, wait_for, port_open


@dataclass
class Recorded:
    method: str
    path: str  # path + query exactly as received
    headers: list[tuple[str, str]]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def raw_path(self) -> str:
        return self.path.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.path.split("?", 1)[1] if "?" in self.path else ""

    def header(self, name: str, default: str | None = None) -> str | None:
        """First value of header ``name`` (case-insensitive)."""
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def header_names(self) -> set[str]:
        return {k.lower() for k, _ in self.headers}

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] | list[tuple[str, str]] = field(default_factory=dict)
    body: bytes | str | dict | list | None = b""
    delay_s: float = 0.0

    def encoded_body(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()

    def header_items(self) -> list[tuple[str, str]]:
        return list(self.headers.items()) if isinstance(self.headers, dict) else list(self.headers)


class ScriptedServer:
    """Records every request; answers with the next queued ``Reply``, else the sticky
    default (if set), else ``self.default_reply(request)``."""

    name = "server"

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self._lock = threading.Lock()
        self._queue: list[Reply] = []
        self._sticky: "Reply | ReplyFactory | None" = None
        self.requests: list[Recorded] = []
        self._cond = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -----------------------------------------------------------------
    def enqueue(self, *replies: Reply | dict) -> None:
        with self._lock:
            for r in replies:
                self._queue.append(r if isinstance(r, Reply) else Reply(**r))

    def always(self, reply: "Reply | dict | ReplyFactory | None") -> None:
        """Answer every request with ``reply`` (after the queue is empty): a Reply, a dict
        of Reply fields or a callable ``(Recorded) -> Reply``; None restores the default."""
        with self._lock:
            self._sticky = Reply(**reply) if isinstance(reply, dict) else reply

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self._sticky = None
            self.requests.clear()

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def default_reply(self, req: Recorded) -> Reply:  # pragma: no cover - overridden
        return Reply(200, {"content-type": "text/plain"}, b"ok")

    def wait_for_requests(self, n: int, timeout: float = 5.0) -> list[Recorded]:
        """Block until at least ``n`` requests were recorded (bounded)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self.name}: {len(self.requests)} requests, expected {n}")
                self._cond.wait(left)
            return list(self.requests)

    # -- plumbing ------------------------------------------------------------------
    def _next_reply(self, req: Recorded) -> Reply:
        with self._cond:
            self.requests.append(req)
            self._cond.notify_all()
            if self._queue:
                return self._queue.pop(0)
            sticky = self._sticky
        if sticky is None:
            return self.default_reply(req)
        return sticky(req) if callable(sticky) else sticky

    def start(self) -> "ScriptedServer":
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = f"e2e-{outer.name}"
            sys_version = ""

            def log_message(self, *args: Any) -> None:  # silence stderr access log
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = self._read_chunked()
                else:
                    body = self.rfile.read(length) if length else b""
                req = Recorded(self.command, self.path, list(self.headers.items()), body)
                reply = outer._next_reply(req)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                payload = reply.encoded_body()
                try:
                    self.send_response(reply.status)
                    names = set()
                    for k, v in reply.header_items():
                        names.add(k.lower())
                        self.send_header(k, v)
                    if "content-length" not in names and reply.status not in (204, 304) and self.command != "HEAD":
                        self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if reply.status not in (204, 304) and self.command != "HEAD":
                        self.wfile.write(payload)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    # The peer (Envoy) gave up, e.g. after its timeout. Nothing to do.
                    self.close_connection = True

            def _read_chunked(self) -> bytes:
                out = b""
                while True:
                    size = int(self.rfile.readline().strip().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        return out
                    out += self.rfile.read(size)
                    self.rfile.readline()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request: Any, client_address: Any) -> None:  # quiet on resets
                pass

        self._server = Server((HOST, self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True, name=f"{self.name}-{self.port}")
        self._thread.start()
        wait_for(lambda: port_open(self.port), timeout=5, what=f"{self.name} on :{self.port}")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "ScriptedServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


ReplyFactory = Callable[[Recorded], Reply]
