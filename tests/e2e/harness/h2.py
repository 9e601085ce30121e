"""Exact HTTP/2 exchanges over cleartext (prior knowledge), with the Python ``h2`` package:
a client that ends a request with a trailers frame, and an upstream that answers as gRPC
does (headers, data, then trailers)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from typing import Sequence

import h2.config
import h2.connection
import h2.events

from .util import HOST, free_port, port_open, wait_for


@dataclass
class H2Response:
    status: int
    headers: dict[str, str]
    body: bytes
    trailers: dict[str, str] = field(default_factory=dict)
    reset: bool = False


def _decode(pairs: Sequence[tuple[bytes | str, bytes | str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in pairs:
        k = k.decode() if isinstance(k, bytes) else k
        v = v.decode() if isinstance(v, bytes) else v
        out[k] = v
    return out


def request(
    port: int,
    path: str,
    body: bytes,
    *,
    method: str = "POST",
    headers: Sequence[tuple[str, str]] = (),
    trailers: Sequence[tuple[str, str]] = (),
    timeout: float = 10.0,
) -> H2Response:
    """One HTTP/2 request; with ``trailers`` the body's last DATA frame has no END_STREAM
    and a trailers HEADERS frame ends the stream."""
    sock = socket.create_connection((HOST, port), timeout=timeout)
    try:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        conn.initiate_connection()
        sid = conn.get_next_available_stream_id()
        hs = [(":method", method), (":path", path), (":scheme", "http"), (":authority", f"{HOST}:{port}"), *headers]
        conn.send_headers(sid, hs, end_stream=not body and not trailers)
        sock.sendall(conn.data_to_send())
        sent = 0
        status, got_headers, got_trailers, data, reset = 0, {}, {}, b"", False
        done = False
        while not done:
            # Send as much of the body as the flow-control window allows.
            while sent < len(body) and conn.local_flow_control_window(sid) > 0:
                n = min(len(body) - sent, conn.local_flow_control_window(sid), conn.max_outbound_frame_size)
                last = sent + n == len(body) and not trailers
                conn.send_data(sid, body[sent : sent + n], end_stream=last)
                sent += n
                if sent == len(body) and trailers:
                    conn.send_headers(sid, list(trailers), end_stream=True)
            sock.sendall(conn.data_to_send())
            chunk = sock.recv(65536)
            if not chunk:
                break
            for ev in conn.receive_data(chunk):
                if isinstance(ev, h2.events.ResponseReceived):
                    got_headers = _decode(ev.headers)
                    status = int(got_headers.get(":status", "0"))
                elif isinstance(ev, h2.events.DataReceived):
                    data += ev.data
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.TrailersReceived):
                    got_trailers = _decode(ev.headers)
                elif isinstance(ev, h2.events.StreamEnded):
                    done = True
                elif isinstance(ev, h2.events.StreamReset):
                    reset, done = True, True
            sock.sendall(conn.data_to_send())
        return H2Response(status, got_headers, data, got_trailers, reset)
    finally:
        sock.close()


class GrpcStyleUpstream:
    """An HTTP/2 upstream that answers every request with ``:status 200``, a body in one
    DATA frame and a trailers frame (``grpc-status: 0``), as gRPC servers do; with
    ``trailers=False`` the DATA frame ends the stream (an empty one: an empty body that
    comes after the headers)."""

    def __init__(self, body: bytes = b"\x00\x00\x00\x00\x05hello", trailers: bool = True) -> None:
        self.body = body
        self.trailers = trailers
        self.port = free_port()
        self.requests = 0
        self._sock: socket.socket | None = None
        self._stop = threading.Event()

    def start(self) -> "GrpcStyleUpstream":
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((HOST, self.port))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        threading.Thread(target=self._accept, daemon=True, name=f"h2-upstream-{self.port}").start()
        wait_for(lambda: port_open(self.port), timeout=5, what=f"h2 upstream on :{self.port}")
        return self

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()  # type: ignore[union-attr]
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        try:
            while not self._stop.is_set():
                chunk = sock.recv(65536)
                if not chunk:
                    return
                for ev in conn.receive_data(chunk):
                    if isinstance(ev, h2.events.DataReceived):
                        conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    elif isinstance(ev, h2.events.StreamEnded):
                        self.requests += 1
                        conn.send_headers(ev.stream_id, [(":status", "200"), ("content-type", "application/grpc")])
                        conn.send_data(ev.stream_id, self.body, end_stream=not self.trailers)
                        if self.trailers:
                            conn.send_headers(ev.stream_id, [("grpc-status", "0"), ("grpc-message", "ok")], end_stream=True)
                sock.sendall(conn.data_to_send())
        except OSError:
            return
        finally:
            sock.close()

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> "GrpcStyleUpstream":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
