#!/usr/bin/env python3
"""Start-up time and memory per VM of Envoy without Wasm, with tools/callout_floor and with this filter.

For each `--concurrency` (default 1 and 2) and each kind, `--repeats` times, interleaved: start Envoy
(one listener; a Lambda double of tests/e2e/harness answers the callouts) and time, from the spawn,
when the admin says LIVE and when the listener first answers a POST with 200 (for the filter and the
floor that is one Lambda call through the VM); then, after 10 more requests, read RSS, the V8 Wasm
memories (tools/soak.py's reading of /proc/PID/smaps: one per VM) and the `wasm.*` stats. Medians
are printed; per VM means divided by the VMs Envoy runs (one per worker and one on the main thread).

  none    a listener with a direct response
  floor   tools/callout_floor: reads the body, one callout, a local reply
  filter  this filter, REQUEST scope, sendToConsumer, static keys, default maxAttempts

Envoy 1.40's admin has no V8 code or heap size: its `wasm.*` stats are VM counts (created, active,
wasm_vm_count), per plugin `vm_reload*`, and the remote-load cache; `server.memory_*` is tcmalloc.

Usage: tools/footprint.py [--repeats 3] [--concurrency 1,2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from envoylab import (FLOOR, HOST, REPO, WASM, bootstrap, cluster, free_port, listener, rss_kb, spawn_envoy, stop_envoy,
                      wasm_filter)
from soak import stats, wasm_memories

KINDS = ("none", "floor", "filter")
OK = {"direct_response": {"status": 200, "body": {"inline_string": "{\"backend\": \"ok\"}"}}}


def lambda_double():
    """The e2e suite's Lambda double (echoes the payload), started in this process."""
    sys.path.insert(0, str(REPO / "tests" / "e2e"))
    from harness.lambda_double import LambdaDouble

    return LambdaDouble().start()


def config(kind: str, port: int, admin: int, lam_port: int, module: Path, floor: Path) -> dict:
    cfg = {"function": "startup", "region": "us-east-1", "endpoint": f"http://{HOST}:{lam_port}", "cluster": "lambda",
           "accessKey": "AKIDSTARTUP", "secretKey": "startup-secret-key", "scope": "REQUEST", "sendToConsumer": True,
           "payload": '{"startup": true}'}
    filters = [] if kind == "none" else [wasm_filter(cfg, floor if kind == "floor" else module)]
    return bootstrap([listener(kind, port, [{"match": {"prefix": "/"}, **OK}], filters)],
                     [cluster("lambda", lam_port), cluster("double", lam_port)], admin)


def answers(url: str, data: bytes | None = None, timeout: float = 2) -> bytes | None:
    """The body if `url` answered 200, else None (not listening yet, or another status)."""
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET", headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.read() if r.status == 200 else None
    except (urllib.error.URLError, OSError):
        return None


def one_start(kind: str, concurrency: int, lam_port: int, workdir: Path, module: Path, floor: Path, timeout: float = 30) -> dict:
    port, admin = free_port(), free_port()
    cfg = config(kind, port, admin, lam_port, module, floor)
    body = b'{"order": 1}'
    t0 = time.monotonic()
    p = spawn_envoy(cfg, workdir, f"start-{kind}-c{concurrency}", concurrency)
    live = first = None
    try:
        while first is None and time.monotonic() - t0 < timeout:
            if p.poll() is not None:
                sys.exit(f"{kind}: Envoy exited at start; see {workdir}")
            if live is None and answers(f"http://{HOST}:{admin}/ready") == b"LIVE\n":
                live = time.monotonic() - t0
            if answers(f"http://{HOST}:{port}/", body) is not None:
                first = time.monotonic() - t0
            else:
                time.sleep(0.005)
        if first is None:
            sys.exit(f"{kind}: the listener did not answer 200 within {timeout} s; see {workdir}")
        live = live if live is not None else first
        for _ in range(10):
            answers(f"http://{HOST}:{port}/", body)
        time.sleep(1)
        wm = wasm_memories(p.pid)
        s = stats(admin)
        return {"kind": kind, "concurrency": concurrency, "live_s": live, "first_answer_s": first, "rss_kb": rss_kb(p.pid),
                "vms": s.get("wasm.envoy.wasm.runtime.v8.active", 0), "wasm_memories": len(wm),
                "wasm_kb": sum(m["size_kb"] for m in wm), "wasm_rss_kb": sum(m["rss_kb"] for m in wm),
                "tcmalloc_allocated_kb": s.get("server.memory_allocated", 0) // 1024}
    finally:
        stop_envoy(p)


def footprint(workdir: Path, concurrencies=(1, 2), repeats: int = 3, module: Path = WASM, floor: Path = FLOOR) -> dict:
    """Medians per (kind, concurrency), the per-VM figures derived from them, and the module sizes."""
    workdir.mkdir(parents=True, exist_ok=True)
    double = lambda_double()
    runs = []
    try:
        for _ in range(repeats):
            for c in concurrencies:
                for kind in KINDS:
                    runs.append(one_start(kind, c, double.port, workdir, module, floor))
    finally:
        double.stop()
    med = {}
    for c in concurrencies:
        for kind in KINDS:
            rs = [r for r in runs if r["kind"] == kind and r["concurrency"] == c]
            med[f"{kind}_c{c}"] = {k: statistics.median(r[k] for r in rs) for k in rs[0] if k not in ("kind", "concurrency")}
            med[f"{kind}_c{c}"].update(kind=kind, concurrency=c)
    per_vm = {}
    for c in concurrencies:
        f, fl, n = med[f"filter_c{c}"], med[f"floor_c{c}"], med[f"none_c{c}"]
        vms = f["vms"] or 1
        per_vm[f"c{c}"] = {"vms": vms, "filter_over_none_kb": (f["rss_kb"] - n["rss_kb"]) / vms,
                           "floor_over_none_kb": (fl["rss_kb"] - n["rss_kb"]) / vms,
                           "filter_over_floor_kb": (f["rss_kb"] - fl["rss_kb"]) / vms,
                           "filter_wasm_kb": f["wasm_kb"] / vms, "floor_wasm_kb": fl["wasm_kb"] / vms}
    if len(concurrencies) > 1:  # one more worker: its VM and Envoy's own per-worker cost; the latter cancels out
        lo, hi = min(concurrencies), max(concurrencies)
        more = lambda kind: (med[f"{kind}_c{hi}"]["rss_kb"] - med[f"{kind}_c{lo}"]["rss_kb"]) / (hi - lo)
        per_vm["marginal"] = {"filter_over_none_kb": more("filter") - more("none"), "floor_over_none_kb": more("floor") - more("none"),
                              "filter_over_floor_kb": more("filter") - more("floor")}
    return {"medians": med, "per_vm": per_vm, "runs": runs, "repeats": repeats,
            "module_bytes": {"filter": module.stat().st_size, "floor": floor.stat().st_size}}


def print_footprint(fp: dict) -> None:
    print(f"start-up and memory, medians of {fp['repeats']} starts (module {fp['module_bytes']['filter']} bytes, "
          f"callout_floor {fp['module_bytes']['floor']} bytes):")
    print(f"{'case':10s} {'VMs':>3s} {'LIVE s':>7s} {'answer s':>8s} {'RSS MB':>7s} {'Wasm MB':>7s} {'Wasm res MB':>11s} {'tcmalloc MB':>11s}")
    for name, m in fp["medians"].items():
        print(f"{name:10s} {m['vms']:3.0f} {m['live_s']:7.3f} {m['first_answer_s']:8.3f} {m['rss_kb'] / 1024:7.1f} "
              f"{m['wasm_kb'] / 1024:7.1f} {m['wasm_rss_kb'] / 1024:11.1f} {m['tcmalloc_allocated_kb'] / 1024:11.1f}")
    print("RSS per VM, MB: " + "; ".join(
        f"{k}: filter-none {v['filter_over_none_kb'] / 1024:.1f}, floor-none {v['floor_over_none_kb'] / 1024:.1f}, "
        f"filter-floor {v['filter_over_floor_kb'] / 1024:.1f}" for k, v in fp["per_vm"].items()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--concurrency", default="1,2", help="comma-separated worker counts (default 1,2)")
    ap.add_argument("--module", default=str(WASM))
    ap.add_argument("--output", default=str(REPO / "target" / "footprint.json"))
    ap.add_argument("--workdir", default=str(REPO / "target" / "footprint"))
    args = ap.parse_args()
    for f in (Path(args.module), FLOOR):
        if not f.exists():
            sys.exit(f"{f} missing: make build, and tools/callout_floor's cargo line of make bench")
    t0 = time.monotonic()
    fp = footprint(Path(args.workdir), tuple(int(c) for c in args.concurrency.split(",")), args.repeats, Path(args.module))
    print_footprint(fp)
    print(f"{time.monotonic() - t0:.0f} s in all")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(fp, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
