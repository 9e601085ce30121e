#!/usr/bin/env python3
"""`make stress`: a burst of large bodies against one Envoy worker (reliability: bounded memory).

Topology (all on 127.0.0.1; configs and logs in target/burst/):
  * a Lambda double: an Envoy listener that reads the whole invoke (buffer filter, 16 MiB) and answers
    a small JSON with `direct_response`;
  * a gateway Envoy, `--concurrency 1`, one listener: this filter in REQUEST_CONTENT with payload
    {#request.content}, sendToConsumer, static keys, then Envoy's buffer filter at 6291456 bytes as
    README recommends (`--max-buffered-bytes N` adds `maxBufferedBytes: N` to the plugin configuration;
    without it the field is not sent);
  * N clients (raw sockets, HTTP/1.1, content-length) each send a --body-bytes body but hold back its
    last byte; once Envoy has read them all, every client sends its last byte at once and reads its
    answer (bounded by --answer-timeout).

Report: answers by kind (200 / 503 with AWS_LAMBDA_OVERLOADED / other / none), traps in the gateway
log (`Uncaught RuntimeError`, `memory allocation of` (Rust's allocation failure), `Function: proxy_on_... failed`, panics)
and the `wasm.*` stats (VMs created/active, reloads); RSS and the Wasm VMs' linear memory before the
burst, with every body held, at the peak (sampled while it runs) and after, with Envoy's own heap
(tcmalloc, admin /memory); then --follow-up normal
requests, which must all answer 200.

Exit 1 on a trap, an unanswered client, a status other than 200 or the overload 503, or a failed
follow-up request; with --max-wasm-mb, also when the Wasm linear memory of a VM peaks above it (V8 never
gives that memory back, so its peak is also its level after the burst), and with --max-rss-growth-mb
when RSS after the burst stays that far above RSS before. Writes target/burst.json.

Usage: tools/burst.py [--clients 100] [--body-bytes 6291456] [--max-buffered-bytes N]
"""

from __future__ import annotations

import argparse
import json
import re
import select
import socket
import sys
import threading
import time
from pathlib import Path

from envoylab import (HOST, LAMBDA_BUFFER, REPO, WASM, bootstrap, buffer_filter, cluster, free_port, listener, rss_kb,
                      start_envoy, stop_envoy, wasm_filter)
from soak import stats, tcmalloc, wasm_memories

OVERLOADED = "AWS_LAMBDA_OVERLOADED"
ANSWER = json.dumps({"statusCode": 200, "body": "ok"})
TRAPS = re.compile(r"Uncaught RuntimeError|memory allocation of|Function: proxy_on_\w+ failed|panicked")
WASM_STATS = ("wasm.envoy.wasm.runtime.v8.created", "wasm.envoy.wasm.runtime.v8.active", "wasm.wasm_vm_count",
              "wasm.aws_lambda.vm_reload", "wasm.aws_lambda.vm_reload_failure")


def double_config(port: int, admin: int) -> dict:
    answer = {
        "match": {"prefix": "/"},
        "direct_response": {"status": 200, "body": {"inline_string": ANSWER}},
        "response_headers_to_add": [{"header": {"key": "content-type", "value": "application/json"}}],
    }
    return bootstrap([listener("double", port, [answer], [buffer_filter(16 << 20)])], [], admin)


def gateway_config(port: int, double_port: int, admin: int, max_buffered: int | None, module: Path) -> tuple[dict, dict]:
    cfg = {
        "function": "burst", "region": "us-east-1", "endpoint": f"http://{HOST}:{double_port}", "cluster": "lambda",
        "accessKey": "AKIDBURSTTEST", "secretKey": "burst-secret-key",
        "scope": "REQUEST_CONTENT", "sendToConsumer": True, "payload": "{#request.content}",
    }
    if max_buffered is not None:
        cfg["maxBufferedBytes"] = max_buffered
    backend = [{"match": {"prefix": "/"}, "route": {"cluster": "lambda", "timeout": "60s"}}]
    return bootstrap([listener("burst", port, backend, [wasm_filter(cfg, module), LAMBDA_BUFFER])], [cluster("lambda", double_port)], admin), cfg


# ----------------------------------------------------------------------------- clients
def read_answer(sock: socket.socket, deadline: float) -> tuple[int, bytes]:
    """Status and body of one HTTP/1.1 answer (content-length or until close); raises on timeout."""
    data = b""
    while b"\r\n\r\n" not in data:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {len(data)} bytes")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next((int(l.split(":", 1)[1]) for l in lines[1:] if l.lower().startswith("content-length:")), None)
    while length is None or len(body) < length:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            if length is None:
                break
            raise ConnectionError(f"closed after {len(body)} of {length} body bytes")
        body += chunk
    return status, body


def send_watching(sock: socket.socket, data: bytes) -> tuple[int, bytes] | None:
    """Send `data` unless Envoy answers first (an early local reply): then that answer."""
    view, off = memoryview(data), 0
    while off < len(view):
        readable, writable, _ = select.select([sock], [sock], [], 60)
        if readable:
            return read_answer(sock, time.monotonic() + 10)
        if not writable:
            raise TimeoutError(f"Envoy stopped reading after {off} bytes")
        off += sock.send(view[off:off + (1 << 20)])
    return None


class Client(threading.Thread):
    """Sends the body but its last byte, waits for `release`, sends it and reads the answer. An answer
    that comes before the whole body went out (Envoy refusing the stream early) counts as its answer."""

    def __init__(self, i: int, port: int, head: bytes, body: bytes, release: threading.Event, answer_timeout: float):
        super().__init__(daemon=True, name=f"client-{i}")
        self.port, self.head, self.body, self.release, self.answer_timeout = port, head, body, release, answer_timeout
        self.held = threading.Event()
        self.status: int | None = None
        self.answer = b""
        self.early = False
        self.error = ""
        self.seconds = 0.0

    def run(self) -> None:
        try:
            with socket.create_connection((HOST, self.port), timeout=10) as s:
                s.settimeout(60)
                early = send_watching(s, self.head + self.body[:-1])
                self.held.set()
                if early is not None:
                    self.early, (self.status, self.answer) = True, early
                    return
                self.release.wait(600)
                t0 = time.monotonic()
                early = send_watching(s, self.body[-1:])
                self.status, self.answer = early or read_answer(s, t0 + self.answer_timeout)
                self.seconds = time.monotonic() - t0
        except OSError as e:  # socket.timeout and ConnectionError included
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self.held.set()


def request(port: int, body: bytes, timeout: float = 10) -> tuple[int | None, bytes, str]:
    head = f"POST /invoke HTTP/1.1\r\nhost: burst\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n".encode()
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(head + body)
            status, answer = read_answer(s, time.monotonic() + timeout)
            return status, answer, ""
    except OSError as e:
        return None, b"", f"{type(e).__name__}: {e}"


# ----------------------------------------------------------------------------- readings
def memory(pid: int, admin: int) -> dict:
    """RSS, the VMs' linear memory (size and resident) and Envoy's own heap (tcmalloc `allocated`), in kB."""
    wm = wasm_memories(pid)
    return {"rss_kb": rss_kb(pid), "wasm_kb": sum(m["size_kb"] for m in wm), "wasm_rss_kb": sum(m["rss_kb"] for m in wm),
            "vms": len(wm), "heap_kb": tcmalloc(admin).get("allocated", 0) // 1024}


class Sampler(threading.Thread):
    """The highest RSS and Wasm linear memory seen, every `period` s, until stopped."""

    def __init__(self, pid: int, admin: int, period: float = 0.2):
        super().__init__(daemon=True, name="sampler")
        self.pid, self.admin, self.period, self.stop = pid, admin, period, threading.Event()
        self.peak = {"rss_kb": 0, "wasm_kb": 0, "wasm_rss_kb": 0, "vms": 0, "heap_kb": 0}

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                m = memory(self.pid, self.admin)
            except OSError:
                return
            self.peak = {k: max(v, m[k]) for k, v in self.peak.items()}
            self.stop.wait(self.period)


def wait_read(admin: int, total: int, timeout: float) -> int:
    """Wait until the gateway's listener has read `total` bytes (or they stop coming); returns what it read."""
    deadline, last, still = time.monotonic() + timeout, -1, 0
    while time.monotonic() < deadline:
        got = stats(admin).get("http.burst.downstream_cx_rx_bytes_total", 0)
        if got >= total:
            return got
        still = still + 1 if got == last else 0
        if still >= 20:  # 2 s without a byte: Envoy stopped reading (flow control)
            return got
        last = got
        time.sleep(0.1)
    return last


def classify(c: Client) -> str:
    if c.status is None:
        return "none"
    if c.status == 200:
        return "200"
    if c.status == 503 and OVERLOADED.encode() in c.answer:
        return "503_overloaded"
    return "other"


def scan_log(path: Path) -> list[str]:
    text = path.read_text(errors="replace") if path.exists() else ""
    return [line[:400] for line in text.splitlines() if TRAPS.search(line)]


def fmt_mem(m: dict) -> str:
    return (f"RSS {m['rss_kb'] / 1024:7.1f} MB, Wasm linear memory {m['wasm_kb'] / 1024:7.1f} MB ({m['wasm_rss_kb'] / 1024:.1f} MB resident, "
            f"{m['vms']} VMs), Envoy heap {m['heap_kb'] / 1024:.1f} MB")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--body-bytes", type=int, default=6291456, help="each client's body (default 6291456, Lambda's limit)")
    ap.add_argument("--max-buffered-bytes", type=int, default=None, help="sent as maxBufferedBytes (default: not sent)")
    ap.add_argument("--answer-timeout", type=float, default=60, help="seconds each client waits for its answer after release")
    ap.add_argument("--follow-up", type=int, default=20, help="normal requests after the burst, all must answer 200")
    ap.add_argument("--max-wasm-mb", type=float, default=None, help="fail when a VM's linear memory peaks above this")
    ap.add_argument("--max-rss-growth-mb", type=float, default=None, help="fail when RSS after the burst exceeds RSS before by this")
    ap.add_argument("--module", default=str(WASM))
    ap.add_argument("--output", default=str(REPO / "target" / "burst.json"))
    ap.add_argument("--workdir", default=str(REPO / "target" / "burst"))
    args = ap.parse_args()
    module = Path(args.module)
    if not module.exists():
        sys.exit(f"{module} missing: make build")
    out = Path(args.workdir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    double_port, double_admin, port, admin = (free_port() for _ in range(4))
    double = start_envoy(double_config(double_port, double_admin), out, "double", double_admin)
    gw_cfg, plugin = gateway_config(port, double_port, admin, args.max_buffered_bytes, module)
    gw = start_envoy(gw_cfg, out, "gateway", admin, 1)
    procs = [gw, double]
    try:
        return run(args, out, port, admin, gw, plugin, started)
    finally:
        for p in procs:
            stop_envoy(p)


def run(args, out: Path, port: int, admin: int, gw, plugin: dict, started: float) -> int:
    small = json.dumps({"order": 1, "items": ["a", "b"]}).encode()
    for _ in range(3):  # warm-up: the VM has answered once
        status, _, err = request(port, small)
        if status != 200:
            sys.exit(f"warm-up request answered {status} {err}; see {out / 'gateway.log'}")
    time.sleep(0.5)
    s0 = stats(admin)
    before = memory(gw.pid, admin)
    print(f"gateway pid {gw.pid}, {args.clients} clients x {args.body_bytes} bytes, maxBufferedBytes "
          f"{args.max_buffered_bytes if args.max_buffered_bytes is not None else '(not sent)'}; logs in {out}", flush=True)
    print(f"before:      {fmt_mem(before)}", flush=True)

    body = b'{"data":"' + b"x" * (args.body_bytes - 11) + b'"}'
    head = (f"POST /invoke HTTP/1.1\r\nhost: burst\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n").encode()
    release = threading.Event()
    sampler = Sampler(gw.pid, admin)
    sampler.start()
    clients = [Client(i, port, head, body, release, args.answer_timeout) for i in range(args.clients)]
    t_send = time.monotonic()
    for c in clients:
        c.start()
    for c in clients:
        c.held.wait(120)
    expected = s0.get("http.burst.downstream_cx_rx_bytes_total", 0) + args.clients * (len(head) + len(body) - 1)
    read = wait_read(admin, expected, 60)
    t_held = time.monotonic() - t_send
    held = memory(gw.pid, admin)
    send_errors = [c.error for c in clients if c.error]
    early = sum(c.early for c in clients)
    print(f"held:        {fmt_mem(held)}; {t_held:.1f} s to send, Envoy read {read - s0.get('http.burst.downstream_cx_rx_bytes_total', 0)} "
          f"of {expected - s0.get('http.burst.downstream_cx_rx_bytes_total', 0)} bytes, {early} answered before their body was sent, "
          f"{len(send_errors)} send errors", flush=True)
    t_release = time.monotonic()
    release.set()
    for c in clients:
        c.join(args.answer_timeout + 15)
    t_answers = time.monotonic() - t_release
    sampler.stop.set()
    sampler.join(5)
    peak = {k: max(v, held[k]) for k, v in sampler.peak.items()}
    kinds: dict[str, int] = {"200": 0, "503_overloaded": 0, "other": 0, "none": 0}
    others: dict[str, int] = {}
    errors: dict[str, int] = {}
    for c in clients:
        k = classify(c)
        kinds[k] += 1
        if k == "other":
            key = f"{c.status} {c.answer[:120].decode(errors='replace')}"
            others[key] = others.get(key, 0) + 1
        if k == "none":
            errors[c.error or "no answer"] = errors.get(c.error or "no answer", 0) + 1
    answered = sorted(c.seconds for c in clients if c.status is not None)
    print(f"peak:        {fmt_mem(peak)}", flush=True)
    print(f"answers in {t_answers:.1f} s: " + ", ".join(f"{k} {v}" for k, v in kinds.items())
          + (f"; slowest answer {answered[-1]:.2f} s" if answered else ""), flush=True)
    for k, v in others.items():
        print(f"  other x{v}: {k!r}")
    for k, v in errors.items():
        print(f"  none x{v}: {k}")

    follow = {"200": 0, "other": []}
    for _ in range(args.follow_up):
        status, answer, err = request(port, small)
        if status == 200:
            follow["200"] += 1
        else:
            follow["other"].append(f"{status} {err or answer[:120].decode(errors='replace')}")
    time.sleep(1.5)  # the log reaches its file (flush every 500 ms)
    after = memory(gw.pid, admin)
    s1 = stats(admin)
    print(f"after:       {fmt_mem(after)}; {(after['rss_kb'] - before['rss_kb']) / 1024:+.1f} MB RSS and "
          f"{(after['wasm_kb'] - before['wasm_kb']) / 1024:+.1f} MB Wasm memory since before", flush=True)
    print(f"follow-up: {follow['200']} of {args.follow_up} answered 200" + (f"; others {follow['other'][:3]}" if follow["other"] else ""))
    traps = scan_log(out / "gateway.log")
    wasm = {k: (s0.get(k), s1.get(k)) for k in WASM_STATS}
    counters = {k.removeprefix("wasmcustom.aws_lambda."): s1[k] - s0.get(k, 0) for k in s1
                if k.startswith("wasmcustom.aws_lambda.") and s1[k] - s0.get(k, 0)}
    envoy = {k: s1.get(f"http.burst.downstream_rq_{k}", 0) - s0.get(f"http.burst.downstream_rq_{k}", 0)
             for k in ("2xx", "4xx", "5xx", "rx_reset", "tx_reset")}
    print("wasm stats (before -> after): " + ", ".join(f"{k.removeprefix('wasm.')} {a} -> {b}" for k, (a, b) in wasm.items()))
    print(f"filter counters during burst and follow-up: {counters}")
    print(f"Envoy's downstream counts: {envoy}")
    print(f"trap lines in the gateway log: {len(traps)}")
    for line in traps[:6]:
        print(f"  ! {line[:300]}")

    failures = []
    if traps:
        failures.append(f"the VM trapped ({len(traps)} log lines)")
    if wasm["wasm.envoy.wasm.runtime.v8.created"][1] != wasm["wasm.envoy.wasm.runtime.v8.created"][0]:
        failures.append(f"Wasm VMs created during the burst: {wasm['wasm.envoy.wasm.runtime.v8.created']}")
    if kinds["none"]:
        failures.append(f"{kinds['none']} clients got no answer")
    if kinds["other"]:
        failures.append(f"{kinds['other']} unexpected answers")
    if follow["200"] != args.follow_up:
        failures.append(f"{args.follow_up - follow['200']} of {args.follow_up} follow-up requests failed")
    biggest = max((m["size_kb"] for m in wasm_memories(gw.pid)), default=0) / 1024
    if args.max_wasm_mb is not None and biggest > args.max_wasm_mb:
        failures.append(f"a VM's linear memory reached {biggest:.1f} MB (limit {args.max_wasm_mb} MB)")
    growth = (after["rss_kb"] - before["rss_kb"]) / 1024
    if args.max_rss_growth_mb is not None and growth > args.max_rss_growth_mb:
        failures.append(f"RSS after the burst {growth:+.1f} MB over before (limit {args.max_rss_growth_mb} MB)")
    wall = time.monotonic() - started
    print()
    print("FAIL:\n" + "\n".join(f"  - {f}" for f in failures) if failures else
          "PASS: no trap, every client answered (200 or the overload 503), the next requests succeed")
    print(f"{wall:.0f} s in all")
    result = {
        "passed": not failures, "failures": failures, "clients": args.clients, "body_bytes": args.body_bytes,
        "max_buffered_bytes": args.max_buffered_bytes, "plugin_configuration": plugin, "answers": kinds, "others": others,
        "no_answer": errors, "send_errors": send_errors, "answered_early": early, "seconds": {"send": t_held, "answers": t_answers, "all": wall},
        "memory_kb": {"before": before, "held": held, "peak": peak, "after": after}, "follow_up": follow,
        "traps": traps, "wasm_stats": wasm, "counters": counters, "envoy": envoy,
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(result, indent=1))
    print(f"result: {args.output}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
