#!/usr/bin/env python3
"""Instructions a request costs the gateway, counted by valgrind (callgrind): the figure of `make bench`
that does not drift with the machine.

The gateway of tools/bench.py (one worker, one listener per case, the same Lambda double) runs under
`valgrind --tool=callgrind`, counting nothing until every case is warm; then, for each case in turn,
the counters are zeroed, `--requests` POSTs of bench.py's body are sent over 4 keep-alive connections,
and the counts are dumped. Every thread of the gateway is counted (the worker, the main thread, the
callouts' connections), user space only: what the kernel does for a request is not in these figures.
The same build, run twice, gives the same counts to within 0.5 %, whatever else the machine does.

Besides the total, each case's count is split by where the code lives: `wasm` is the code V8
generated at run time (this module's functions, compiled by TurboFan, and the wrappers around its
host calls), `envoy` the Envoy binary (Envoy's C++, V8's runtime and builtins: the host calls' work),
`libc` the C library (memcpy, malloc), `other` the rest. valgrind names no function in Envoy's stripped
binary. What the gateway does while no request comes (timers, stats flushes) is counted too, for as long
as a case runs: a window without requests is measured after the cases and printed as a share.

A count is not a time: V8's code and the host-call transitions run at fewer instructions per cycle
than Envoy's own C++ on this machine (tools/bench.py's CPU figures are the times). Counts say where
work is and whether a change removed some; the times say what it costs.

With tools/bench.py's output of the same build at hand (`make bench` runs this after it), each case's
gateway CPU time a request is divided by its count: the CPU time an instruction took in that run.

Usage: tools/instructions.py [--requests 1000] [--cases wasm_content,wasm_floor,...] [--module M] [--bench FILE]
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import bench
from envoylab import FLOOR, HOST, REPO, WASM, envoy_bin, free_port, spawn_envoy, start_envoy, stop_envoy, wait_ready

DEFAULT_CASES = ["wasm_content", "wasm_floor", "wasm_request", "native", "route_floor", "direct", "wasm_vars8"]
CONNECTIONS = 4


def post_many(port: int, n: int) -> int:
    """`n` POSTs of bench.BODY over CONNECTIONS keep-alive connections; how many answered 200."""
    ok = [0] * CONNECTIONS

    def one(i: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        for _ in range(n // CONNECTIONS + (1 if i < n % CONNECTIONS else 0)):
            conn.request("POST", "/invoke", body=bench.BODY, headers={"content-type": "application/json"})
            r = conn.getresponse()
            r.read()
            ok[i] += r.status == 200
        conn.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(ok)


def control(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, capture_output=True, timeout=120)


def split(dump: Path, envoy: str) -> dict:
    """The dump's instructions, in total and by where the code lives (see the module's doc);
    `envoy` is the Envoy binary's path as valgrind names it."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", str(dump)],
                         capture_output=True, text=True, check=True).stdout
    parts = {"wasm": 0, "envoy": 0, "libc": 0, "other": 0}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)$", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        count, where = int(m.group(1).replace(",", "")), m.group(2)
        unknown = re.match(r"\?\?\?:0x([0-9a-f]+) \[\?\?\?\]", where)
        if unknown:
            # V8's generated code sits far above the binary; below it, Envoy remaps part of its
            # own text (valgrind then sees no file behind it).
            parts["wasm" if int(unknown.group(1), 16) > 1 << 32 else "envoy"] += count
        elif f"[{envoy}]" in where:
            parts["envoy"] += count
        elif re.search(r"/libc[.-]", where):
            parts["libc"] += count
        else:
            parts["other"] += count
    total = next(int(line.split()[1]) for line in dump.read_text().splitlines() if line.startswith("totals:"))
    return {"total": total, **parts}


def measure(cases: list[str], requests: int, module: Path, tmp: Path) -> dict:
    double_port, double_admin, gw_admin = free_port(), free_port(), free_port()
    ports = {c: free_port() for c in bench.CASES if c not in bench.TWO_WORKERS}
    double = start_envoy(bench.double_config(double_port, double_admin), tmp, "double", double_admin)
    out = tmp / "callgrind.out"
    # valgrind names the binary by its real path.
    envoy = str(Path(envoy_bin()).resolve())
    gw = spawn_envoy(bench.gateway_config(ports, double_port, gw_admin, module, FLOOR), tmp, "gateway",
                     wrapper=["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"])
    results = {}
    try:
        trouble = wait_ready(gw, gw_admin, "gateway (valgrind)", tmp / "gateway.log", timeout=600)
        if trouble:
            sys.exit(f"{trouble}\nvalgrind:\n{(tmp / 'gateway.console').read_text()[-2000:]}")
        for c in cases:
            if post_many(ports[c], 300) != 300:
                sys.exit(f"{c}: not every warm-up request answered 200; see {tmp}")
        control(gw.pid, "-i", "on")
        for i, c in enumerate(cases, 1):
            control(gw.pid, "-z")
            started = time.monotonic()
            ok = post_many(ports[c], requests)
            control(gw.pid, "-d", c)
            seconds = time.monotonic() - started
            if ok != requests:
                sys.exit(f"{c}: {requests - ok} of {requests} requests did not answer 200")
            per = {k: v / requests for k, v in split(Path(f"{out}.{i}"), envoy).items()}
            results[c] = {**per, "seconds": seconds}
            print(f"{c:18s} {per['total'] / 1000:8.1f} k instructions a request ({seconds:.1f} s)", flush=True)
        # What the gateway does with no request (timers, stats flushes, V8's own threads) is in
        # every count too, for as long as the case ran: measured alone, to show its size.
        seconds = sum(r["seconds"] for r in results.values()) / len(results)
        control(gw.pid, "-z")
        time.sleep(seconds)
        control(gw.pid, "-d", "idle")
        idle = split(Path(f"{out}.{len(cases) + 1}"), envoy)["total"] / seconds
        for r in results.values():
            r["idle share"] = idle * r["seconds"] / requests / r["total"]
        control(gw.pid, "-i", "off")
    finally:
        stop_envoy(gw, timeout=60)
        stop_envoy(double)
    return results


def report(results: dict, cpu_us: dict) -> dict:
    """Prints the counts; with `cpu_us` (a case's gateway CPU a request, from tools/bench.py's last run),
    also the CPU time each instruction took there."""
    cols = ["total", "wasm", "envoy", "libc", "other"]
    print("\ninstructions a request (thousands), user space, all gateway threads:")
    print(f"{'case':18s}" + "".join(f"{c:>13s}" for c in cols) + ("   ns/instruction (bench.json)" if cpu_us else ""))
    for case, r in results.items():
        ns = f"{cpu_us[case] * 1000 / r['total']:16.3f}" if case in cpu_us else ""
        print(f"{case:18s}" + "".join(f"{r[c] / 1000:13.1f}" for c in cols) + ns)
    worst_idle = max(r["idle share"] for r in results.values())
    print(f"the idle gateway's own work, over each case's run: at most {100 * worst_idle:.2f} % of a count")
    for case in ("native", "direct"):
        if case in results and results[case]["wasm"] > 0.01 * results[case]["total"]:
            print(f"warning: {case} runs no Wasm but {results[case]['wasm'] / 1000:.1f}k instructions were counted as `wasm`")
    figures = {}
    if "wasm_content" in results and "wasm_floor" in results:
        a, f = results["wasm_content"], results["wasm_floor"]
        figures["wasm_content over wasm_floor, k instructions"] = (a["total"] - f["total"]) / 1000
        figures["wasm_content over wasm_floor, fraction of the floor"] = (a["total"] - f["total"]) / f["total"]
        for c in cols[1:]:
            figures[f"  of which {c}, k"] = (a[c] - f[c]) / 1000
    if "wasm_request" in results and "native" in results:
        figures["wasm_request / native, instructions"] = results["wasm_request"]["total"] / results["native"]["total"]
    if "wasm_content" in results and "native" in results:
        figures["wasm_content / native, instructions"] = results["wasm_content"]["total"] / results["native"]["total"]
    for k, v in figures.items():
        print(f"{k:52s} {v:.2f}")
    return figures


def bench_cpu(path: Path) -> dict:
    """Each case's gateway CPU µs a request in tools/bench.py's output, if there is one."""
    try:
        return {c: s["cpu_us"] for c, s in json.loads(path.read_text())["summary"].items()}
    except (OSError, ValueError, KeyError):
        return {}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--bench", default=str(REPO / "target" / "bench.json"),
                    help="tools/bench.py's output, for the CPU time an instruction took (default: make bench's)")
    ap.add_argument("--cases", default=",".join(DEFAULT_CASES))
    ap.add_argument("--module", default=str(WASM))
    args = ap.parse_args()
    for tool in ("valgrind", "callgrind_control", "callgrind_annotate"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found (apt-get install valgrind)")
    cases = args.cases.split(",")
    unknown = [c for c in cases if c not in bench.CASES or c in bench.TWO_WORKERS]
    if unknown:
        sys.exit(f"unknown or two-worker cases: {unknown}")
    tmp = Path(tempfile.mkdtemp(prefix="instructions-"))
    started = time.time()
    results = measure(cases, args.requests, Path(args.module), tmp)
    report(results, bench_cpu(Path(args.bench)))
    print(f"({time.time() - started:.0f} s; valgrind's files in {tmp})")


if __name__ == "__main__":
    main()
