#!/usr/bin/env python3
"""`make soak`: a bounded soak of the filter: many requests, mixed successes and
faults, through one Envoy worker, with memory, VM, counter and log readings before and after.

Topology (all on 127.0.0.1; logs, configs and the wrk scripts are left in target/soak/):
  * a double Envoy (1 worker) answering with `direct_response` behind the buffer filter:
      /2015-03-31/functions/ok/...        200 {"a": "alpha", ...}                 (success)
      /2015-03-31/functions/fnerr/...     200 + X-Amz-Function-Error: Unhandled   (function error)
      /2015-03-31/functions/throttle/...  429 + x-amzn-ErrorType: TooManyRequestsException
      /2015-03-31/functions/e500/...      500 + x-amzn-ErrorType: ServiceException
      anything else                       200 {"backend": "ok"} + x-seen-a: <request's x-lambda-a>  (the backend)
    and a second double listener whose fault filter delays every answer by 500 ms (slow Lambda);
  * a gateway Envoy (`--concurrency 1`, `-l warning`, log to a file), one listener per case, all with
    this filter (static credentials), and a `lambda_dead` cluster on a port nothing listens on:
      ok_request    REQUEST, sendToConsumer, templated payload              -> 200, the function's answer
      ok_content    REQUEST_CONTENT + buffer filter after it, payload {#request.content}, variable
                    a = {#jsonPath(#lambdaResponse.content, '$.a')} sent to the backend as x-lambda-a
                                                                            -> 200 from the backend, x-seen-a: alpha
      ok_response   RESPONSE, sendToConsumer false                          -> 200 from the backend
      fn_error      REQUEST_CONTENT + buffer, sendToConsumer, maxAttempts 2 -> 500 AWS_LAMBDA_INVALID_RESPONSE
      throttled     REQUEST, sendToConsumer, maxAttempts 2 (429 retried)    -> 500 AWS_LAMBDA_INVALID_RESPONSE
      e500          RESPONSE, maxAttempts 2 (500 retried)                   -> 500 AWS_LAMBDA_INVALID_RESPONSE
      timeout       REQUEST, readTimeoutMs 50 against the slow double, maxAttempts 2
                                                                            -> 500 AWS_LAMBDA_INVALID_RESPONSE
      unreachable   REQUEST_CONTENT + buffer, closed port, maxAttempts 2    -> 500 AWS_LAMBDA_INVALID_RESPONSE
  * one wrk process per case (1 thread, fixed connections, POST of a small JSON), all cases at once, so
    successes and faults interleave in the same VM. A Lua script counts statuses and checks every body
    (and x-seen-a) and asks to be stopped once its quota of responses is reached. A warm-up (same
    concurrency) comes first; then `--rounds` rounds share `--requests` by the weights below.

Readings: the gateway's VmRSS and tcmalloc `allocated` (admin /memory) after the warm-up and after each
round; the Wasm VMs' linear memory (the V8 mapping just below each 8 GiB Wasm reservation in
/proc/PID/smaps: its size is what the module's allocator has grown to, its Rss what is touched); the
`wasm.*` stats (VMs created / active, reloads), the filter's `wasmcustom.aws_lambda.*` counters, per
listener `http.<case>.downstream_rq_*` and per Lambda cluster the attempts; the gateway log, scanned for
`[error]`, `[critical]` and `panicked` after a clean shutdown.

Fails (exit 1) on: a VM created, reloaded or lost after the warm-up; RSS growth above
max(--max-rss-growth-pct, --max-rss-growth-mb); Wasm linear memory growth above --max-wasm-growth-kb;
an error log line not matched by --allow-log; a status, body or header other than the case's
expectation (client side and Envoy's own counts); wrk socket errors or timeouts; more Lambda attempts
than maxAttempts allows. Writes target/soak.json.

Usage: tools/soak.py [--requests 200000] [--rounds 4] [--max-seconds 540]
"""

from __future__ import annotations

import argparse
import atexit
import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from envoylab import BUFFER, HOST, REPO, WASM, bootstrap, cluster, die_with_parent, envoy_bin, free_port, listener, rss_kb, wait_ready, wasm_filter
from envoylab import stop_envoy as stop
KEY = "AWS_LAMBDA_INVALID_RESPONSE"
BODY = json.dumps({"order": 1234, "items": ["a", "b", "c"], "customer": {"id": "c-42", "tier": "gold"}})
OK_ANSWER = json.dumps({"a": "alpha", "statusCode": 200, "body": "ok"})
BACKEND_ANSWER = json.dumps({"backend": "ok"})
SLOW_DELAY = "0.5s"
READ_TIMEOUT_MS = 50

# name: weight (share of the requests), wrk connections, expected status, body marker, header check.
# Fault cases are latency-bound (retry back-off, timeouts): more connections keep them busy.
CASES = {
    "ok_request": {"weight": 40, "conns": 8, "status": 200, "marker": '"alpha"'},
    "ok_content": {"weight": 20, "conns": 8, "status": 200, "marker": '"backend"', "header": ("x-seen-a", "alpha")},
    "ok_response": {"weight": 12, "conns": 8, "status": 200, "marker": '"backend"'},
    "fn_error": {"weight": 8, "conns": 8, "status": 500, "marker": KEY},
    "throttled": {"weight": 6, "conns": 24, "status": 500, "marker": KEY},
    "e500": {"weight": 6, "conns": 24, "status": 500, "marker": KEY},
    "timeout": {"weight": 3, "conns": 32, "status": 500, "marker": KEY},
    "unreachable": {"weight": 5, "conns": 24, "status": 500, "marker": KEY},
}
# Lambda cluster of each case and the attempts it may make per request.
LAMBDA_CLUSTER = {c: f"lambda_{c}" for c in CASES}
MAX_ATTEMPTS = {"ok_request": 3, "ok_content": 3, "ok_response": 3, "fn_error": 2, "throttled": 2, "e500": 2, "timeout": 2, "unreachable": 2}

WASM_STATS = ("wasm.envoy.wasm.runtime.v8.created", "wasm.envoy.wasm.runtime.v8.active", "wasm.wasm_vm_count")
COUNTERS = (
    "invocations.success", "invocations.function_error", "invocations.api_error", "invocations.timeout",
    "invocations.transport_error", "template_error", "credentials_error", "payload_too_large", "retries",
)

# ----------------------------------------------------------------------------- processes
PROCS: list[subprocess.Popen] = []


def spawn(cmd: list[str], **kw) -> subprocess.Popen:
    # Own session: a Ctrl-C reaches this script only, which then stops its children in order.
    p = subprocess.Popen(cmd, start_new_session=True, preexec_fn=die_with_parent, **kw)
    PROCS.append(p)
    return p


def cleanup() -> None:
    while PROCS:
        stop(PROCS.pop())


def _on_signal(signum, _frame) -> None:
    raise SystemExit(128 + signum)


# ----------------------------------------------------------------------------- Envoy configs
def double_config(port: int, slow_port: int, admin: int) -> dict:
    def answer(prefix: str, status: int, body: str, **headers: str) -> dict:
        hs = {"content-type": "application/json", "x-amzn-RequestId": "%REQ(x-request-id)%", **headers}
        return {
            "match": {"prefix": prefix},
            "direct_response": {"status": status, "body": {"inline_string": body}},
            "response_headers_to_add": [{"header": {"key": k, "value": v}} for k, v in hs.items()],
        }

    fn = "/2015-03-31/functions/"
    routes = [
        answer(fn + "ok/", 200, OK_ANSWER, **{"X-Amz-Executed-Version": "$LATEST"}),
        answer(fn + "fnerr/", 200, json.dumps({"errorMessage": "boom", "errorType": "Exception", "stackTrace": []}),
               **{"X-Amz-Function-Error": "Unhandled", "X-Amz-Executed-Version": "$LATEST"}),
        answer(fn + "throttle/", 429, json.dumps({"Type": "User", "message": "Rate Exceeded."}),
               **{"x-amzn-ErrorType": "TooManyRequestsException"}),
        answer(fn + "e500/", 500, json.dumps({"Type": "Service", "message": "internal"}), **{"x-amzn-ErrorType": "ServiceException"}),
        # the backend: shows the variable the gateway put in x-lambda-a
        {
            "match": {"prefix": "/"},
            "direct_response": {"status": 200, "body": {"inline_string": BACKEND_ANSWER}},
            "response_headers_to_add": [
                {"header": {"key": "content-type", "value": "application/json"}},
                {"header": {"key": "x-seen-a", "value": "%REQ(x-lambda-a)%"}},
            ],
        },
    ]
    fault = {
        "name": "envoy.filters.http.fault",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault",
            "delay": {"fixed_delay": SLOW_DELAY, "percentage": {"numerator": 100, "denominator": "HUNDRED"}},
        },
    }
    slow = [answer("/", 200, OK_ANSWER)]
    return bootstrap([listener("double", port, routes, [BUFFER]), listener("double_slow", slow_port, slow, [fault, BUFFER])], [], admin)


def filter_configs(double_port: int, slow_port: int, dead_port: int) -> dict:
    def base(case: str, function: str, port: int) -> dict:
        return {
            "function": function,
            "region": "us-east-1",
            "endpoint": f"http://{HOST}:{port}",
            "cluster": LAMBDA_CLUSTER[case],
            "accessKey": "AKIDSOAKTEST",
            "secretKey": "soak-secret-key",
            "maxAttempts": MAX_ATTEMPTS[case],
        }

    request_payload = '{"method": "{#request.method}", "path": "{#request.path}"}'
    response_payload = '{"status": {#response.status}, "path": "{#request.path}"}'
    a_var = [{"name": "a", "value": "{#jsonPath(#lambdaResponse.content, '$.a')}"}]
    return {
        "ok_request": {**base("ok_request", "ok", double_port), "scope": "REQUEST", "sendToConsumer": True, "payload": request_payload},
        "ok_content": {**base("ok_content", "ok", double_port), "scope": "REQUEST_CONTENT", "sendToConsumer": False,
                       "payload": "{#request.content}", "variables": a_var},
        "ok_response": {**base("ok_response", "ok", double_port), "scope": "RESPONSE", "sendToConsumer": False, "payload": response_payload},
        "fn_error": {**base("fn_error", "fnerr", double_port), "scope": "REQUEST_CONTENT", "sendToConsumer": True,
                     "payload": "{#request.content}", "variables": a_var},
        "throttled": {**base("throttled", "throttle", double_port), "scope": "REQUEST", "sendToConsumer": True, "payload": request_payload},
        "e500": {**base("e500", "e500", double_port), "scope": "RESPONSE", "sendToConsumer": False, "payload": response_payload},
        "timeout": {**base("timeout", "slow", slow_port), "scope": "REQUEST", "sendToConsumer": False, "payload": request_payload,
                    "readTimeoutMs": READ_TIMEOUT_MS},
        "unreachable": {**base("unreachable", "nobody", dead_port), "scope": "REQUEST_CONTENT", "sendToConsumer": False,
                        "payload": "{#request.content}"},
    }


def gateway_config(ports: dict, cfgs: dict, double_port: int, slow_port: int, dead_port: int, admin: int) -> dict:
    route = [{
        "match": {"prefix": "/"},
        "route": {"cluster": "backend", "timeout": "10s"},
        "request_headers_to_add": [{"header": {"key": "x-lambda-a", "value": "%FILTER_STATE(wasm.a:PLAIN)%"},
                                    "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}],
    }]
    listeners = []
    for case, cfg in cfgs.items():
        filters = [wasm_filter(cfg)] + ([BUFFER] if cfg["scope"] == "REQUEST_CONTENT" else [])
        listeners.append(listener(case, ports[case], route, filters))
    clusters = [cluster("backend", double_port)]
    for case, cfg in cfgs.items():
        port = slow_port if case == "timeout" else dead_port if case == "unreachable" else double_port
        clusters.append(cluster(LAMBDA_CLUSTER[case], port))
    return bootstrap(listeners, clusters, admin)


# ----------------------------------------------------------------------------- Envoy
def start_envoy(cfg: dict, out: Path, name: str, admin: int) -> subprocess.Popen:
    path = out / f"{name}.json"
    path.write_text(json.dumps(cfg, indent=1))
    log = out / f"{name}.log"
    log.write_text("")
    console = open(out / f"{name}.console", "w")
    p = spawn(
        [envoy_bin(), "-c", str(path), "--concurrency", "1", "--use-dynamic-base-id", "-l", "warning",
         "--log-path", str(log), "--file-flush-interval-msec", "500"],
        stdout=console, stderr=subprocess.STDOUT,
    )
    trouble = wait_ready(p, admin, name, log)
    if trouble:
        sys.exit(f"{trouble}\n{(out / (name + '.console')).read_text()[-2000:]}")
    return p


def admin_get(admin: int, path: str) -> str:
    with urllib.request.urlopen(f"http://{HOST}:{admin}{path}", timeout=10) as r:
        return r.read().decode()


def stats(admin: int) -> dict[str, int]:
    out = {}
    for line in admin_get(admin, "/stats").splitlines():
        name, _, value = line.partition(": ")
        if value.strip().lstrip("-").isdigit():
            out[name] = int(value)
    return out


def wasm_memories(pid: int) -> list[dict]:
    """Each V8 Wasm memory: an 8 GiB+ `---p` reservation whose start is the end of the rw-p mapping
    that holds the accessible linear memory (V8 grows it in place). Size and Rss in kB."""
    maps, cur = [], None
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) ", line)
        if m:
            cur = {"start": int(m[1], 16), "end": int(m[2], 16), "perms": m[3], "rss": 0}
            maps.append(cur)
        elif line.startswith("Rss:") and cur is not None:
            cur["rss"] = int(line.split()[1])
    out = []
    for prev, m in zip(maps, maps[1:]):
        if m["perms"] == "---p" and m["end"] - m["start"] >= 4 << 30 and prev["perms"] == "rw-p" and prev["end"] == m["start"]:
            out.append({"size_kb": (prev["end"] - prev["start"]) // 1024, "rss_kb": prev["rss"]})
    return out


def tcmalloc(admin: int) -> dict[str, int]:
    try:
        return {k: int(v) for k, v in json.loads(admin_get(admin, "/memory")).items()}
    except (OSError, ValueError):
        return {}


def reading(gw: subprocess.Popen, admin: int) -> dict:
    s = stats(admin)
    wm = wasm_memories(gw.pid)
    return {
        "time": time.time(),
        "rss_kb": rss_kb(gw.pid),
        "tcmalloc_allocated": tcmalloc(admin).get("allocated", 0),
        "wasm_memories": wm,
        "wasm_memory_kb": sum(m["size_kb"] for m in wm),
        "wasm_memory_rss_kb": sum(m["rss_kb"] for m in wm),
        "stats": s,
    }


# ----------------------------------------------------------------------------- wrk
LUA = r"""
wrk.method = "POST"
wrk.body = __BODY__
wrk.headers["Content-Type"] = "application/json"
quota = __QUOTA__
marker = __MARKER__
hname = __HNAME__
hvalue = __HVALUE__
seen, marker_ok, marker_bad, asked = 0, 0, 0, false
statuses = {}
bad_sample = ""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  seen = seen + 1
  local k = tostring(status)
  statuses[k] = (statuses[k] or 0) + 1
  local ok = string.find(body or "", marker, 1, true) ~= nil
  if ok and hname ~= "" then ok = headers[hname] == hvalue end
  if ok then marker_ok = marker_ok + 1 else
    marker_bad = marker_bad + 1
    if bad_sample == "" then bad_sample = k .. " " .. string.sub(body or "", 1, 200) end
  end
  if seen >= quota and not asked then
    asked = true
    io.write("@@quota\n")
    io.flush()
    wrk.thread:stop()
  end
end

local function esc(s)
  return (string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end))
end

function done(summary, latency, requests)
  local st, ok, bad, sample = {}, 0, 0, ""
  for _, t in ipairs(threads) do
    ok = ok + (t:get("marker_ok") or 0)
    bad = bad + (t:get("marker_bad") or 0)
    local s = t:get("statuses") or {}
    for k, v in pairs(s) do st[k] = (st[k] or 0) + v end
    local b = t:get("bad_sample") or ""
    if sample == "" then sample = b end
  end
  local parts = {}
  for k, v in pairs(st) do table.insert(parts, string.format('"%s": %d', k, v)) end
  local e = summary.errors
  io.write(string.format('@@result {"requests": %d, "duration_us": %d, "statuses": {%s}, "marker_ok": %d, "marker_bad": %d, '
    .. '"bad_sample": "%s", "errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, '
    .. '"p50_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f}\n',
    summary.requests, summary.duration, table.concat(parts, ", "), ok, bad, esc(sample),
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def lua_script(case: str, quota: int, out: Path, tag: str) -> Path:
    spec = CASES[case]
    hname, hvalue = spec.get("header", ("", ""))
    text = (LUA.replace("__BODY__", json.dumps(BODY)).replace("__QUOTA__", str(max(quota, 1)))
            .replace("__MARKER__", json.dumps(spec["marker"])).replace("__HNAME__", json.dumps(hname))
            .replace("__HVALUE__", json.dumps(hvalue)))
    path = out / f"wrk-{tag}-{case}.lua"
    path.write_text(text)
    return path


class Wrk:
    """One wrk process whose Lua script prints `@@quota` when its quota is reached; wrk's main
    thread sleeps for the whole `-d`, so the reader thread ends it with SIGINT (wrk then reports)."""

    def __init__(self, case: str, port: int, quota: int, duration: int, out: Path, tag: str):
        self.case, self.quota = case, quota
        script = lua_script(case, quota, out, tag)
        self.proc = spawn(
            ["wrk", "-t1", f"-c{CASES[case]['conns']}", f"-d{max(duration, 1)}s", "--timeout", "5s", "-s", str(script),
             f"http://{HOST}:{port}/soak/{case}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: list[str] = []
        self.result: dict | None = None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if line.startswith("@@quota") and self.proc.poll() is None:
                try:
                    self.proc.send_signal(signal.SIGINT)
                except ProcessLookupError:
                    pass
            elif line.startswith("@@result "):
                self.result = json.loads(line[len("@@result "):])

    def wait(self, timeout: float) -> dict:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=10)
        self.reader.join(timeout=5)
        if self.proc in PROCS:
            PROCS.remove(self.proc)
        if self.result is None:
            raise RuntimeError(f"wrk for {self.case} gave no result:\n{''.join(self.lines)[-2000:]}")
        return self.result


def run_phase(ports: dict, quotas: dict, duration: int, out: Path, tag: str) -> dict:
    runs = {c: Wrk(c, ports[c], quotas[c], duration, out, tag) for c in CASES if quotas[c] > 0}
    return {c: w.wait(duration + 30) for c, w in runs.items()}


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def quotas_for(total: int) -> dict:
    weights = sum(c["weight"] for c in CASES.values())
    q = {c: total * spec["weight"] // weights for c, spec in CASES.items()}
    q["ok_request"] += total - sum(q.values())
    return q


def check_ready(ports: dict) -> None:
    for case, port in ports.items():
        req = urllib.request.Request(f"http://{HOST}:{port}/probe", data=BODY.encode(), method="POST",
                                     headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                status, body = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read().decode()
        if status != CASES[case]["status"] or CASES[case]["marker"] not in body:
            sys.exit(f"probe of {case}: {status} {body[:300]} (expected {CASES[case]['status']} with {CASES[case]['marker']})")


# ----------------------------------------------------------------------------- logs
def scan_log(path: Path, allow: list[re.Pattern]) -> dict:
    errors, allowed, warnings = [], [], {}
    text = path.read_text(errors="replace") if path.exists() else ""
    for line in text.splitlines():
        if re.search(r"\[(error|critical)\]", line) or "panicked" in line:
            (allowed if any(a.search(line) for a in allow) else errors).append(line)
        elif "[warning]" in line:
            m = re.search(r"\[warning\]\[([^\]]+)\]", line)
            logger = m.group(1) if m else "?"
            w = warnings.setdefault(logger, {"count": 0, "samples": []})
            w["count"] += 1
            if len(w["samples"]) < 2:
                w["samples"].append(line[:300])
    return {"lines": len(text.splitlines()), "errors": errors, "allowed": allowed, "warnings": warnings}


# ----------------------------------------------------------------------------- report
def delta(after: dict, before: dict, name: str) -> int:
    return after.get(name, 0) - before.get(name, 0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=200000, help="requests after the warm-up, all cases together (default 200000)")
    ap.add_argument("--warmup", type=int, default=0, help="warm-up requests (default: 5%% of --requests, at least 2000)")
    ap.add_argument("--rounds", type=int, default=4, help="rounds sharing --requests; memory is read after each (default 4)")
    ap.add_argument("--max-seconds", type=int, default=540, help="time limit for the rounds; wrk durations are cut to fit (default 540)")
    ap.add_argument("--max-rss-growth-pct", type=float, default=10.0)
    ap.add_argument("--max-rss-growth-mb", type=float, default=8.0)
    ap.add_argument("--max-wasm-growth-kb", type=int, default=1024, help="allowed growth of the Wasm VMs' linear memory (default 1024)")
    ap.add_argument("--allow-log", action="append", default=[], metavar="REGEX", help="an expected error log line (repeatable)")
    ap.add_argument("--output", default=str(REPO / "target" / "soak.json"))
    ap.add_argument("--workdir", default=str(REPO / "target" / "soak"), help="configs, logs and wrk scripts (default target/soak)")
    args = ap.parse_args()

    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    if not WASM.exists():
        sys.exit(f"{WASM} missing: make build")
    out = Path(args.workdir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("wrk-*.lua"):
        old.unlink()
    allow = [re.compile(a) for a in args.allow_log]

    double_port, slow_port, double_admin, gw_admin, dead_port = (free_port() for _ in range(5))
    ports = {c: free_port() for c in CASES}
    cfgs = filter_configs(double_port, slow_port, dead_port)
    started = time.time()
    double = start_envoy(double_config(double_port, slow_port, double_admin), out, "double", double_admin)
    gw = start_envoy(gateway_config(ports, cfgs, double_port, slow_port, dead_port, gw_admin), out, "gateway", gw_admin)
    check_ready(ports)
    print(f"gateway pid {gw.pid} (admin :{gw_admin}), double pid {double.pid}; logs in {out}", flush=True)

    start = reading(gw, gw_admin)
    warm = args.warmup or max(2000, args.requests // 20)
    print(f"warm-up: {warm} requests", flush=True)
    warm_results = run_phase(ports, quotas_for(warm), 60, out, "warmup")
    time.sleep(1)
    base = reading(gw, gw_admin)
    print(f"after warm-up: RSS {base['rss_kb']} kB, Wasm linear memory {base['wasm_memory_kb']} kB "
          f"({len(base['wasm_memories'])} VMs), tcmalloc allocated {base['tcmalloc_allocated'] // 1024} kB", flush=True)

    totals = {c: {"requests": 0, "statuses": {}, "marker_ok": 0, "marker_bad": 0, "bad_sample": "",
                  "errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0}, "p99_ms": []} for c in CASES}
    rounds, readings = [], [base]
    t_rounds = time.time()
    for i, total in enumerate(split(args.requests, args.rounds)):
        remaining = args.max_seconds - (time.time() - t_rounds)
        if remaining < 5:
            print(f"time limit reached before round {i + 1}", flush=True)
            break
        duration = int(remaining / (args.rounds - i))
        t0 = time.time()
        res = run_phase(ports, quotas_for(total), duration, out, f"r{i + 1}")
        elapsed = time.time() - t0
        for c, r in res.items():
            t = totals[c]
            t["requests"] += r["requests"]
            for k, v in r["statuses"].items():
                t["statuses"][k] = t["statuses"].get(k, 0) + v
            t["marker_ok"] += r["marker_ok"]
            t["marker_bad"] += r["marker_bad"]
            t["bad_sample"] = t["bad_sample"] or r["bad_sample"]
            for k in t["errors"]:
                t["errors"][k] += r["errors"][k]
            t["p99_ms"].append(r["p99_ms"])
        time.sleep(1)
        rd = reading(gw, gw_admin)
        readings.append(rd)
        n = sum(r["requests"] for r in res.values())
        rounds.append({"round": i + 1, "requests": n, "seconds": round(elapsed, 1), "rss_kb": rd["rss_kb"],
                       "wasm_memory_kb": rd["wasm_memory_kb"], "tcmalloc_allocated": rd["tcmalloc_allocated"],
                       "per_case": {c: r["requests"] for c, r in res.items()}})
        print(f"round {i + 1}: {n} requests in {elapsed:.1f} s ({n / elapsed:.0f} req/s); RSS {rd['rss_kb']} kB, "
              f"Wasm linear memory {rd['wasm_memory_kb']} kB, tcmalloc allocated {rd['tcmalloc_allocated'] // 1024} kB", flush=True)
    end = readings[-1]
    time.sleep(1.5)  # let the last log lines reach the file before shutdown
    stop(gw, timeout=20)
    gw_exit = gw.returncode
    stop(double)
    log = scan_log(out / "gateway.log", allow)
    double_log = scan_log(out / "double.log", [])
    wall = time.time() - started

    # ------------------------------------------------------------------ evaluation
    failures: list[str] = []
    s0, s1 = base["stats"], end["stats"]
    sent = sum(t["requests"] for t in totals.values())

    cases_out = {}
    for c, spec in CASES.items():
        t = totals[c]
        want = str(spec["status"])
        env = {k: delta(s1, s0, f"http.{c}.downstream_rq_{k}") for k in ("total", "2xx", "4xx", "5xx", "rx_reset", "completed")}
        cl = LAMBDA_CLUSTER[c]
        attempts = delta(s1, s0, f"cluster.{cl}.upstream_rq_total") + delta(s1, s0, f"cluster.{cl}.upstream_cx_connect_fail")
        calls = {k: delta(s1, s0, f"cluster.{cl}.upstream_{k}") for k in
                 ("rq_total", "rq_2xx", "rq_4xx", "rq_5xx", "rq_timeout", "cx_connect_fail", "rq_pending_failure_eject", "cx_total")}
        cases_out[c] = {"sent": t["requests"], "statuses": t["statuses"], "expected_status": spec["status"],
                        "body_ok": t["marker_ok"], "body_bad": t["marker_bad"], "bad_sample": t["bad_sample"],
                        "socket_errors": t["errors"], "p99_ms_per_round": t["p99_ms"], "envoy": env,
                        "lambda_attempts": attempts, "lambda_cluster": calls, "max_attempts": MAX_ATTEMPTS[c]}
        other = {k: v for k, v in t["statuses"].items() if k != want}
        if other:
            failures.append(f"{c}: statuses {other} besides the expected {want}")
        if t["marker_bad"]:
            failures.append(f"{c}: {t['marker_bad']} answers without {spec['marker']!r}"
                            + (f" / {spec['header'][0]}: {spec['header'][1]}" if "header" in spec else "") + f" (e.g. {t['bad_sample']!r})")
        if any(t["errors"].values()):
            failures.append(f"{c}: wrk socket errors {t['errors']}")
        wrong_class = {k: env[k] for k in ("2xx", "4xx", "5xx") if k != want[0] + "xx" and env[k]}
        if wrong_class:
            failures.append(f"{c}: Envoy counted {wrong_class} besides {want[0]}xx")
        if attempts > MAX_ATTEMPTS[c] * env["total"]:
            failures.append(f"{c}: {attempts} Lambda attempts for {env['total']} requests (maxAttempts {MAX_ATTEMPTS[c]})")
        if t["requests"] == 0:
            failures.append(f"{c}: no request completed")

    wasm = {k: {"start": start["stats"].get(k), "after_warmup": s0.get(k), "end": s1.get(k)} for k in WASM_STATS}
    reload_stats = {k: v for k, v in s1.items() if k.startswith("wasm.") and ("reload" in k or "fail" in k)}
    if delta(s1, s0, "wasm.envoy.wasm.runtime.v8.created"):
        failures.append(f"Wasm VMs created after the warm-up: {delta(s1, s0, 'wasm.envoy.wasm.runtime.v8.created')}")
    if s1.get("wasm.envoy.wasm.runtime.v8.active") != s0.get("wasm.envoy.wasm.runtime.v8.active"):
        failures.append(f"active Wasm VMs changed: {wasm['wasm.envoy.wasm.runtime.v8.active']}")
    if any(reload_stats.values()):
        failures.append(f"Wasm VM reloads/failures: { {k: v for k, v in reload_stats.items() if v} }")
    if len(end["wasm_memories"]) != len(base["wasm_memories"]):
        failures.append(f"Wasm memories: {len(base['wasm_memories'])} after warm-up, {len(end['wasm_memories'])} at the end")

    rss_growth = end["rss_kb"] - base["rss_kb"]
    rss_limit = max(base["rss_kb"] * args.max_rss_growth_pct / 100, args.max_rss_growth_mb * 1024)
    if rss_growth > rss_limit:
        failures.append(f"RSS grew by {rss_growth} kB (limit {rss_limit:.0f} kB)")
    wasm_growth = end["wasm_memory_kb"] - base["wasm_memory_kb"]
    if wasm_growth > args.max_wasm_growth_kb:
        failures.append(f"Wasm linear memory grew by {wasm_growth} kB (limit {args.max_wasm_growth_kb} kB)")
    if log["errors"]:
        failures.append(f"{len(log['errors'])} unexpected error log lines in the gateway log")
    if gw_exit not in (0, -signal.SIGTERM):
        failures.append(f"gateway exited with {gw_exit} on SIGTERM")

    counters = {k: {"warmup": delta(s0, start["stats"], f"wasmcustom.aws_lambda.{k}"), "soak": delta(s1, s0, f"wasmcustom.aws_lambda.{k}"),
                    "total": s1.get(f"wasmcustom.aws_lambda.{k}", 0)} for k in COUNTERS}
    retrying = [c for c in CASES if MAX_ATTEMPTS[c] > 1 and CASES[c]["status"] != 200 and c != "fn_error"]
    retry_bound = sum(cases_out[c]["envoy"]["total"] for c in retrying)
    if counters["retries"]["soak"] > retry_bound:
        failures.append(f"{counters['retries']['soak']} retries for {retry_bound} requests that may retry once")

    # ------------------------------------------------------------------ report
    print()
    print(f"soak: {sent} requests after a {sum(r['requests'] for r in warm_results.values())}-request warm-up, "
          f"{len(rounds)} rounds, {wall:.0f} s in all, 1 gateway worker")
    if sent < args.requests:
        print(f"  (time limit --max-seconds {args.max_seconds}: {sent} of the {args.requests} requested)")
    print(f"{'case':12s} {'sent':>7s} {'statuses':24s} {'want':>4s} {'body ok':>8s} {'envoy 2xx/4xx/5xx':>18s} {'rx_reset':>8s} "
          f"{'attempts':>8s} {'p99 ms':>8s}")
    for c, r in cases_out.items():
        st = ",".join(f"{k}:{v}" for k, v in sorted(r["statuses"].items()))
        e = r["envoy"]
        print(f"{c:12s} {r['sent']:7d} {st:24s} {r['expected_status']:4d} {r['body_ok']:8d} "
              f"{e['2xx']:>6d}/{e['4xx']}/{e['5xx']:<6d} {e['rx_reset']:8d} {r['lambda_attempts']:8d} {max(r['p99_ms_per_round'] or [0]):8.1f}")
    print()
    print(f"gateway RSS: {start['rss_kb']} kB at start, {base['rss_kb']} kB after warm-up, {end['rss_kb']} kB at the end: "
          f"{rss_growth:+d} kB ({100 * rss_growth / base['rss_kb']:+.2f} %), limit {rss_limit:.0f} kB")
    print("  per round: " + ", ".join(f"{r['rss_kb']}" for r in rounds) + " kB")
    print(f"tcmalloc allocated: {base['tcmalloc_allocated'] // 1024} kB after warm-up, {end['tcmalloc_allocated'] // 1024} kB at the end "
          f"({(end['tcmalloc_allocated'] - base['tcmalloc_allocated']) // 1024:+d} kB)")
    print(f"Wasm linear memory (size/resident kB per VM): start {[(m['size_kb'], m['rss_kb']) for m in start['wasm_memories']]}, "
          f"after warm-up {[(m['size_kb'], m['rss_kb']) for m in base['wasm_memories']]}, "
          f"end {[(m['size_kb'], m['rss_kb']) for m in end['wasm_memories']]}")
    for k, v in wasm.items():
        print(f"{k}: start {v['start']}, after warm-up {v['after_warmup']}, end {v['end']}")
    print("wasm reload/failure stats: " + ", ".join(f"{k.removeprefix('wasm.')}={v}" for k, v in sorted(reload_stats.items())))
    print("wasmcustom.aws_lambda counters (warm-up / soak / total):")
    for k, v in counters.items():
        print(f"  {k:28s} {v['warmup']:8d} {v['soak']:8d} {v['total']:8d}")
    print(f"gateway log: {log['lines']} lines, {len(log['errors'])} unexpected error lines, {len(log['allowed'])} allowed; "
          f"warnings by logger: { {k: v['count'] for k, v in log['warnings'].items()} }")
    for line in log["errors"][:10]:
        print(f"  ! {line[:300]}")
    for logger, w in log["warnings"].items():
        for line in w["samples"][:1]:
            print(f"  warning sample [{logger}]: {line[:240]}")
    print(f"double log: {len(double_log['errors'])} error lines, warnings { {k: v['count'] for k, v in double_log['warnings'].items()} }")
    print()
    if failures:
        print("FAIL:")
        for f in failures:
            print(f"  - {f}")
    else:
        print("PASS: no VM restart, memory within noise, only expected statuses, no error log line")

    result = {
        "passed": not failures, "failures": failures, "requests": sent, "requested": args.requests, "seconds": round(wall, 1),
        "cases": cases_out, "rounds": rounds,
        "rss_kb": {"start": start["rss_kb"], "after_warmup": base["rss_kb"], "end": end["rss_kb"], "growth": rss_growth, "limit": rss_limit},
        "tcmalloc_allocated": {"after_warmup": base["tcmalloc_allocated"], "end": end["tcmalloc_allocated"]},
        "wasm_memories": {"start": start["wasm_memories"], "after_warmup": base["wasm_memories"], "end": end["wasm_memories"]},
        "wasm_stats": wasm, "wasm_reload_stats": reload_stats, "counters": counters,
        "log": {"errors": log["errors"], "allowed": log["allowed"], "warnings": log["warnings"]},
        "double_log": {"errors": double_log["errors"], "warnings": double_log["warnings"]},
        "filter_configs": cfgs,
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(result, indent=1))
    print(f"result: {args.output}")
    return 1 if failures else 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (`cmd &`)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    atexit.register(cleanup)
    try:
        code = main()
    except KeyboardInterrupt:
        print("\ninterrupted: stopping Envoy and wrk", file=sys.stderr)
        code = 130
    finally:
        cleanup()
    sys.exit(code)
