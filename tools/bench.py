#!/usr/bin/env python3
"""`make bench`: this filter against Envoy's native C++ aws_lambda filter, side by side.

One run on this machine:
  * a Lambda double: an Envoy listener that reads the request body (buffer filter, so connections
    are reused) and answers with `direct_response` (a small JSON, or a 2 KB JSON on /big);
  * a gateway Envoy with one worker and one listener per case:
      wasm_content   this filter, REQUEST_CONTENT, sendToConsumer, payload {#request.content}, with
                     Envoy's buffer filter after it as the README advises (no upstream request is opened)
      native         envoy.filters.http.aws_lambda, payload_passthrough, inline credentials
      direct         a plain route to the double (the ceiling)
      wasm_request   this filter, REQUEST scope, static payload
      wasm_vars8     this filter, REQUEST_CONTENT, 8 variables by #jsonPath from a 2 KB answer
      wasm_content_alone  as wasm_content without the buffer filter: the router opens an upstream request
                     (HTTP/1) while the filter holds the body, and Envoy resets it when the filter answers
      wasm_floor     tools/callout_floor, set up as wasm_content: read the body, one unsigned callout,
                     a local reply; what any proxy-wasm filter built this way costs, before its own work
      route_floor    tools/route_floor: the request itself becomes the (unsigned) Invoke and the router
                     sends it, as the native filter does; what that other structure costs in proxy-wasm
  * a second gateway, the same listeners with two workers, and its own Lambda double with two workers
    (so that the double does not cap it), for wasm_content_c2 and native_c2: how each scales from one
    worker to two (the load generator, both doubles and both gateways share the machine's cores);
  * wrk (Debian package) POSTs a small JSON body with fixed connections and duration; the cases are
    interleaved and repeated; the medians of requests/s, p50 and p99 are printed with the ratios.
Then the figures at rest, once the Envoys above are stopped: idle CPU of Envoy without Wasm, with
callout_floor and with this filter in each credentials mode, 1 and 10 instances (tools/idle.py, moto as
Lambda and STS), and start-up time and RSS per VM at 1 and 2 workers (tools/footprint.py).

Numbers only: nothing here asserts a time. Usage: tools/bench.py [--rounds 3] [--duration 8] [--connections 16]
[--quick: the figures at rest only (or BENCH_QUICK=1)] [--idle-window 20] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import footprint
import idle
from envoylab import BUFFER, FLOOR, HOST, REPO, WASM, bootstrap, cluster, cpu_ns, free_port, listener, rss_kb, start_envoy, stop_envoy, wasm_filter

BODY = json.dumps({"order": 1234, "items": ["a", "b", "c"], "customer": {"id": "c-42", "tier": "gold"}})
SMALL_ANSWER = json.dumps({"statusCode": 200, "body": "ok", "echo": "static"})
BIG_ANSWER = json.dumps({f"field{i}": {"id": i, "name": f"name-{i}", "tags": ["x" * 20, "y" * 20]} for i in range(24)})
CASES = ["wasm_content", "native", "direct", "wasm_request", "wasm_vars8", "wasm_content_alone", "wasm_floor", "route_floor",
         "wasm_content_c2", "native_c2"]
# The cases run against the two-worker gateway, by the one-worker case they repeat.
TWO_WORKERS = {"wasm_content_c2": "wasm_content", "native_c2": "native"}
ROUTE_FLOOR = REPO / "target" / "floor" / "wasm32-wasip1" / "release" / "route_floor.wasm"


def double_config(port: int, admin: int) -> dict:
    def answer(prefix, body):
        return {
            "match": {"prefix": prefix},
            "direct_response": {"status": 200, "body": {"inline_string": body}},
            "response_headers_to_add": [{"header": {"key": "content-type", "value": "application/json"}}],
        }
    return bootstrap([listener("double", port, [answer("/big", BIG_ANSWER), answer("/", SMALL_ANSWER)], [BUFFER])], [], admin)


def gateway_config(ports: dict, double_port: int, admin: int, module: Path, floor: Path) -> dict:
    creds = {"accessKey": "AKIDBENCHMARK", "secretKey": "benchmark-secret-key"}
    base = {"function": "bench", "region": "us-east-1", "endpoint": f"http://{HOST}:{double_port}", "cluster": "double", **creds}
    wasm_cases = {
        "wasm_content": {**base, "scope": "REQUEST_CONTENT", "sendToConsumer": True, "payload": "{#request.content}"},
        "wasm_request": {**base, "scope": "REQUEST", "sendToConsumer": True, "payload": '{"static": true}'},
        "wasm_vars8": {
            **base,
            "endpoint": f"http://{HOST}:{double_port}/big",
            "scope": "REQUEST_CONTENT",
            "sendToConsumer": True,
            "payload": "{#request.content}",
            "variables": [{"name": f"v{i}", "value": f"{{#jsonPath(#lambdaResponse.content, '$.field{i}.name')}}"} for i in range(8)],
        },
    }
    wasm_cases["wasm_content_alone"] = wasm_cases["wasm_content"]
    wasm_cases["wasm_floor"] = wasm_cases["wasm_content"]
    unused = [{"match": {"prefix": "/"}, "route": {"cluster": "backend_unused"}}]

    def filters(name: str, cfg: dict) -> list:
        held = cfg["scope"] == "REQUEST_CONTENT" and not name.endswith("_alone")
        return [wasm_filter(cfg, floor if name == "wasm_floor" else module)] + ([BUFFER] if held else [])

    listeners = [listener(name, ports[name], unused, filters(name, cfg)) for name, cfg in wasm_cases.items()]
    # Held headers must let the body through: Envoy's allow_on_headers_stop_iteration (1.35+).
    route = wasm_filter({}, ROUTE_FLOOR)
    route["typed_config"]["config"]["allow_on_headers_stop_iteration"] = True
    listeners.append(listener("route_floor", ports["route_floor"], [{"match": {"prefix": "/"}, "route": {"cluster": "double"}}], [route]))
    native = {
        "name": "envoy.filters.http.aws_lambda",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.aws_lambda.v3.Config",
            "arn": "arn:aws:lambda:us-east-1:123456789012:function:bench",
            "payload_passthrough": True,
            "invocation_mode": "SYNCHRONOUS",
            "credentials": {"access_key_id": creds["accessKey"], "secret_access_key": creds["secretKey"]},
        },
    }
    listeners.append(listener("native", ports["native"], [{"match": {"prefix": "/"}, "route": {"cluster": "double_lambda"}}], [native]))
    listeners.append(listener("direct", ports["direct"], [{"match": {"prefix": "/"}, "route": {"cluster": "double"}}], []))
    lambda_meta = {"filter_metadata": {"com.amazonaws.lambda": {"egress_gateway": True}}}
    clusters = [
        cluster("double", double_port),
        cluster("double_lambda", double_port, metadata=lambda_meta),
        cluster("backend_unused", double_port),
    ]
    return bootstrap(listeners, clusters, admin)


def to_ms(v: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    if not m:
        return float("nan")
    n, unit = float(m.group(1)), m.group(2)
    return n / 1000 if unit == "us" else n * 1000 if unit == "s" else n


def wrk(port: int, duration: int, connections: int, script: Path, gateway: int) -> dict:
    cpu_before = cpu_ns(gateway)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), f"http://{HOST}:{port}/invoke"],
        capture_output=True, text=True, timeout=duration + 30,
    ).stdout
    cpu = cpu_ns(gateway) - cpu_before
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "cpu_us": cpu / 1000 / max(requests, 1), "non2xx": int(non2xx.group(1)) if non2xx else 0, "socket_errors": errors.group(1) if errors else ""}


def check(port: int) -> None:
    req = urllib.request.Request(f"http://{HOST}:{port}/invoke", data=BODY.encode(), method="POST", headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        if r.status != 200:
            sys.exit(f"port {port} answered {r.status}")


def throughput(args, cases: list[str], module: Path, tmp: Path) -> dict:
    """The wrk rounds of every case against one gateway Envoy; prints them and their medians."""
    script = tmp / "post.lua"
    script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(BODY)}\nwrk.headers["Content-Type"] = "application/json"\n')
    procs = []
    # case -> (port, gateway pid); each gateway has every listener, measured or not
    where: dict[str, tuple[int, int]] = {}
    try:
        for workers in (1, 2) if any(c in TWO_WORKERS for c in cases) else (1,):
            double_port, double_admin, gw_admin = free_port(), free_port(), free_port()
            ports = {c: free_port() for c in CASES if c not in TWO_WORKERS}
            procs.append(start_envoy(double_config(double_port, double_admin), tmp, f"double_c{workers}", double_admin, workers))
            gw = start_envoy(gateway_config(ports, double_port, gw_admin, module, FLOOR), tmp, f"gateway_c{workers}", gw_admin, workers)
            procs.append(gw)
            for c in cases:
                one = TWO_WORKERS.get(c)
                if (workers == 1 and one is None) or (workers == 2 and one is not None):
                    where[c] = (ports[one or c], gw.pid)
        for c in cases:
            check(where[c][0])
        for c in cases:  # warm-up
            wrk(where[c][0], 2, args.connections, script, where[c][1])
        gw_pid = where["wasm_content"][1]
        rss_before = rss_kb(gw_pid)
        results = {c: [] for c in cases}
        total = 0
        for r in range(args.rounds):
            order = cases[r % len(cases):] + cases[: r % len(cases)]
            for c in order:
                res = wrk(where[c][0], args.duration, args.connections, script, where[c][1])
                total += int(res["rps"] * args.duration)
                results[c].append(res)
                print(f"round {r + 1} {c:18s} {res['rps']:9.0f} req/s  p50 {res['p50']:.3f} ms  p99 {res['p99']:.3f} ms  gateway CPU {res['cpu_us']:.1f} us/req  non-2xx {res['non2xx']}", flush=True)
        rss_after = rss_kb(gw_pid)
    finally:
        for p in procs:
            stop_envoy(p)
    summary = {c: {k: statistics.median(x[k] for x in results[c]) for k in ("rps", "p50", "p99", "cpu_us")} for c in cases}
    print(f"\nmedians over {args.rounds} rounds, {args.duration} s each, {args.connections} connections, 1 Envoy worker (*_c2: 2):")
    print(f"{'case':18s} {'req/s':>9s} {'p50 ms':>8s} {'p99 ms':>8s} {'CPU us/req':>10s}")
    for c in cases:
        s = summary[c]
        print(f"{c:18s} {s['rps']:9.0f} {s['p50']:8.3f} {s['p99']:8.3f} {s['cpu_us']:10.1f}")
    a, b, d = summary["wasm_content"], summary["native"], summary["direct"]
    ratios = {
        "a/b throughput": a["rps"] / b["rps"],
        "a/b p99": a["p99"] / b["p99"],
        "a/c throughput": a["rps"] / d["rps"],
        "b/a gateway CPU per request": b["cpu_us"] / a["cpu_us"],
        "filter CPU over the floor, us": a["cpu_us"] - summary["wasm_floor"]["cpu_us"] if "wasm_floor" in summary else float("nan"),
        "wasm_request/b throughput": summary["wasm_request"]["rps"] / b["rps"] if "wasm_request" in summary else float("nan"),
    }
    for two, one in TWO_WORKERS.items():
        if two in summary:
            ratios[f"{one}: 2 workers / 1 throughput"] = summary[two]["rps"] / summary[one]["rps"]
    for k, v in ratios.items():
        print(f"{k:38s} {v:.2f}")
    print(f"gateway RSS: {rss_before} kB before, {rss_after} kB after ~{total} requests")
    return {"summary": summary, "ratios": ratios, "rounds": results, "rss_kb": [rss_before, rss_after]}


def at_rest(args, module: Path, tmp: Path) -> dict:
    """Idle CPU (every tools/idle.py case, measured together) and start-up / RSS per VM (tools/footprint.py)."""
    moto, world = idle.start_moto(tmp)
    try:
        cases = idle.default_cases()
        print(f"\nat rest: {len(cases)} Envoys, 1 worker each, idle CPU measured together over {args.idle_window:.0f} s", flush=True)
        rows = idle.run_cases(cases, world, tmp / "idle", args.idle_window, 1, 3, module)
    finally:
        moto.stop()
    idle.print_table(rows, [])
    print(flush=True)
    fp = footprint.footprint(tmp / "footprint", (1, 2), args.repeats, module)
    footprint.print_footprint(fp)
    m = fp["medians"]

    def over_floor(r: dict) -> float:
        return r["cpu_pct"] / max(rows[f"floor_x{r['instances']}"]["cpu_pct"], 1e-3)

    figures = {
        "idle CPU filter/floor, static x1 maxAttempts 1": over_floor(rows["static_x1_ma1"]),
        "idle CPU filter/floor, worst case": max(over_floor(r) for r in rows.values() if r["kind"] == "filter"),
        "start-up filter/floor (c1, first answer)": m["filter_c1"]["first_answer_s"] / m["floor_c1"]["first_answer_s"],
        "RSS filter-floor MB, c1": (m["filter_c1"]["rss_kb"] - m["floor_c1"]["rss_kb"]) / 1024,
        "RSS filter-floor MB per extra VM": fp["per_vm"].get("marginal", {}).get("filter_over_floor_kb", float("nan")) / 1024,
    }
    for k, v in figures.items():
        print(f"{k:43s} {v:.2f}")
    return {"idle": rows, "footprint": fp, "figures": figures}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--output", default=str(REPO / "target" / "bench.json"))
    ap.add_argument("--module", default=str(WASM), help="the .wasm to measure (default: make build's)")
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated subset (wasm_content and native are always run)")
    ap.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1",
                    help="only the figures at rest: idle CPU, start-up, RSS per VM (also BENCH_QUICK=1)")
    ap.add_argument("--idle-window", type=float, default=20, help="seconds of the idle CPU reading (default 20)")
    ap.add_argument("--repeats", type=int, default=3, help="starts per kind and worker count for start-up and RSS (default 3)")
    args = ap.parse_args()
    chosen = set(args.cases.split(",")) | {"wasm_content", "native", "direct"}
    cases = [c for c in CASES if c in chosen]
    if not args.quick and not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    module = Path(args.module)
    if not module.exists():
        sys.exit(f"{module} missing: make build")
    for floor in (FLOOR, ROUTE_FLOOR):  # every case has its listener, measured or not
        if not floor.exists():
            sys.exit(f"{floor} missing: make bench builds it (tools/{floor.stem})")
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    out = {} if args.quick else throughput(args, cases, module, tmp)
    out["at_rest"] = at_rest(args, module, tmp)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
