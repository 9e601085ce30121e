#!/usr/bin/env python3
"""`make idle`: what an idle Envoy spends, with and without this filter, and across reloads.

At rest (all on 127.0.0.1; configs and logs in target/idle/): moto (tests/e2e/harness) is Lambda and
STS; one Envoy per case (`--workers`, default 1), all started, warmed (one request per instance, so
credentials are cached), settled, then measured over the same --window:
  no_wasm          a listener with a direct response
  floor_xN         tools/callout_floor in N instances
  <creds>_xN_maM   this filter, REQUEST scope, sendToConsumer, credentials from static keys (`static`),
                   the VM's environment (`env`) or an assumed role through moto's STS (`role`, static
                   base keys); N = 1 instance, or 10 sharing one VM (same vm_id and code), each
                   `disabled` in the connection manager and enabled on its own route (one function per
                   route); M = maxAttempts 1, or the default (`ma3`)
Reload (`--reloads N`, 0 skips it): one Envoy with two workers whose listener comes from a watched LDS
file; its idle CPU is measured, then the listener is replaced N times (a new file renamed in, the plugin
configuration changed a little each time, so each reload makes a new root context in every VM), and it
is measured again after N/6, N/2 and N reloads, once the old filter chains have drained
(`--drain-time-s`).

CPU comes from /proc/PID/task/*/schedstat (ns the threads ran, time slices) and voluntary context
switches (wake-ups from a sleep: a timer firing shows here) summed over threads; the utime+stime of
/proc/PID/stat (10 ms ticks) is shown too. Printed as one table; target/idle.json holds the rest.

`--check` exits 1 if a filter case spends more than --max-ratio times its floor (floor_x1 or floor_x10;
plus --slack-pct of a core for noise), or if idle CPU after the last reload exceeds the one before any
by the same rule. Without it the tool only reports.

Usage: tools/idle.py [--window 20] [--cases a,b] [--reloads 120] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from envoylab import (FLOOR, HOST, REPO, WASM, bootstrap, cluster, cpu_sample, enable_on_route, free_port, listener, rss_kb,
                      start_envoy, stop_envoy, wasm_filter)
from soak import stats

VM_ID = "aws_lambda"
OK = {"direct_response": {"status": 200, "body": {"inline_string": "{\"backend\": \"ok\"}"}}}


@dataclass
class Case:
    name: str
    kind: str  # none | floor | filter
    creds: str = ""  # static | env | role
    instances: int = 1
    max_attempts: int | None = None  # None: the default


def default_cases() -> list[Case]:
    cases = [Case("no_wasm", "none"), Case("floor_x1", "floor"), Case("floor_x10", "floor", instances=10)]
    for creds in ("static", "env", "role"):
        for n in (1, 10):
            for ma in (1, None):
                cases.append(Case(f"{creds}_x{n}_ma{ma or 3}", "filter", creds, n, ma))
    return cases


# ----------------------------------------------------------------------------- moto, configs
def start_moto(workdir: Path):
    """moto (Lambda, IAM, STS with SigV4 checks) with a user, a role and functions; (moto, world)."""
    os.environ.setdefault("E2E_LOG_DIR", str(workdir))
    sys.path.insert(0, str(REPO / "tests" / "e2e"))
    from harness.moto import Moto

    moto = Moto(log_name="moto").start()
    return moto, moto.setup()


def plugin_config(creds: str, world, i: int, max_attempts: int | None, payload: dict | None = None) -> dict:
    cfg = {"function": "demo", "region": world.region, "endpoint": world.endpoint, "cluster": "lambda",
           "scope": "REQUEST", "sendToConsumer": True, "payload": json.dumps(payload or {"idle": i})}
    if creds in ("static", "role"):
        cfg.update(accessKey=world.access_key, secretKey=world.secret_key)
    if creds == "role":
        # One role for every instance, as one function per route behind one gateway would have:
        # the instances share one fetch per process (the shared-data entry).
        cfg.update(roleArn=world.role_arn, roleSessionName="idle", stsCluster="sts", stsEndpoint=world.endpoint)
    if max_attempts is not None:
        cfg["maxAttempts"] = max_attempts
    return cfg


def env_of(creds: str, world) -> dict | None:
    return {"AWS_ACCESS_KEY_ID": world.access_key, "AWS_SECRET_ACCESS_KEY": world.secret_key} if creds == "env" else None


def case_listener(case: Case, port: int, world, module: Path, floor: Path, payload: dict | None = None) -> dict:
    """One listener; with N > 1 instances, instance i serves path /fn<i> only."""
    if case.kind == "none":
        return listener(case.name, port, [{"match": {"prefix": "/"}, **OK}], [])
    code = floor if case.kind == "floor" else module
    env = env_of(case.creds, world)
    if case.instances == 1:
        f = wasm_filter(plugin_config(case.creds, world, 0, case.max_attempts, payload), code, vm_id=VM_ID, env=env)
        return listener(case.name, port, [{"match": {"prefix": "/"}, **OK}], [f])
    filters, routes = [], []
    for i in range(case.instances):
        name = f"aws_lambda_{i}"
        filters.append(wasm_filter(plugin_config(case.creds, world, i, case.max_attempts, payload), code, name=name,
                                   vm_id=VM_ID, env=env, disabled=True))
        routes.append(enable_on_route({"match": {"path": f"/fn{i}"}, **OK}, name))
    return listener(case.name, port, routes, filters)


def lambda_clusters(world) -> list[dict]:
    moto_port = int(world.endpoint.rsplit(":", 1)[1])
    return [cluster(n, moto_port) for n in ("lambda", "sts", "double")]  # `double`: callout_floor's cluster


def paths(case: Case) -> list[str]:
    return ["/"] if case.instances == 1 else [f"/fn{i}" for i in range(case.instances)]


def post(port: int, path: str, timeout: float = 10) -> int:
    req = urllib.request.Request(f"http://{HOST}:{port}{path}", data=b'{"warm": true}', method="POST",
                                 headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


# ----------------------------------------------------------------------------- measuring
def usage(a: dict, b: dict) -> dict:
    """What one process spent between two cpu_sample readings, per second of wall time."""
    dt = b["at"] - a["at"]
    return {
        "seconds": round(dt, 2),
        "cpu_pct": 100 * (b["ns"] - a["ns"]) / 1e9 / dt,
        "tick_pct": 100 * (b["ticks_s"] - a["ticks_s"]) / dt,
        "wakeups_s": (b["voluntary"] - a["voluntary"]) / dt,
        "involuntary_s": (b["involuntary"] - a["involuntary"]) / dt,
        "slices_s": (b["slices"] - a["slices"]) / dt,
        "threads": b["threads"],
    }


def measure(pids: dict[str, int], window: float) -> dict[str, dict]:
    """Every process of `pids` over the same window."""
    a = {n: cpu_sample(p) for n, p in pids.items()}
    time.sleep(window)
    b = {n: cpu_sample(p) for n, p in pids.items()}
    return {n: {**usage(a[n], b[n]), "rss_kb": rss_kb(pids[n])} for n in pids}


def run_cases(cases: list[Case], world, workdir: Path, window: float, workers: int, settle: float,
              module: Path = WASM, floor: Path = FLOOR) -> dict[str, dict]:
    """Start one Envoy per case, warm every instance, wait `settle` s, measure all over `window` s."""
    procs, ports, admins, rows = {}, {}, {}, {}
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        for c in cases:
            ports[c.name], admins[c.name] = free_port(), free_port()
            cfg = bootstrap([case_listener(c, ports[c.name], world, module, floor)], lambda_clusters(world), admins[c.name])
            procs[c.name] = start_envoy(cfg, workdir, f"idle-{c.name}", admins[c.name], workers)
        warm = {}
        for c in cases:
            statuses = [post(ports[c.name], p) for p in paths(c)]
            warm[c.name] = statuses
            if c.kind == "filter" and any(s != 200 for s in statuses):
                sys.exit(f"{c.name}: warm-up answered {statuses}; see {workdir / ('idle-' + c.name + '.log')}")
        time.sleep(settle)
        before = {c.name: stats(admins[c.name]) for c in cases}
        res = measure({n: p.pid for n, p in procs.items()}, window)
        for c in cases:
            s = stats(admins[c.name])
            fetched = s.get("wasmcustom.aws_lambda.credentials.fetched", 0)
            rows[c.name] = {**asdict(c), **res[c.name], "workers": workers, "warm_statuses": warm[c.name],
                            "vms": s.get("wasm.envoy.wasm.runtime.v8.active", 0),
                            "credentials_fetched": fetched,
                            "fetched_during_window": fetched - before[c.name].get("wasmcustom.aws_lambda.credentials.fetched", 0)}
    finally:
        for p in procs.values():
            stop_envoy(p)
    return rows


# ----------------------------------------------------------------------------- reloads
def lds_listener(port: int, world, k: int, module: Path) -> dict:
    case = Case("reload", "filter", "static", 1, 1)
    res = case_listener(case, port, world, module, FLOOR, payload={"reload": k})
    return {"@type": "type.googleapis.com/envoy.config.listener.v3.Listener", **res}


def write_lds(lds: Path, resource: dict, k: int) -> None:
    """Replace the watched file by a rename (what Envoy's watched_directory reacts to)."""
    tmp = lds.parent.parent / f"{lds.name}.{k}.tmp"
    tmp.write_text(json.dumps({"version_info": str(k), "resources": [resource]}))
    os.replace(tmp, lds)


def wait_stat(admin: int, name: str, at_least: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = stats(admin).get(name, 0)
        if v >= at_least:
            return v
        time.sleep(0.02)
    raise TimeoutError(f"{name} did not reach {at_least} in {timeout} s")


def wait_drained(admin: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = stats(admin)
        if not s.get("listener_manager.total_filter_chains_draining", 0) and not s.get("listener_manager.total_listeners_draining", 0):
            return
        time.sleep(0.1)
    raise TimeoutError(f"old listeners still draining after {timeout} s")


def run_reloads(world, workdir: Path, reloads: int, window: float, workers: int, drain_s: int, settle: float,
                module: Path = WASM) -> list[dict]:
    """Idle CPU of one Envoy before any reload and after about N/6, N/2 and N of them."""
    lds_dir = workdir / "lds"
    lds_dir.mkdir(parents=True, exist_ok=True)
    lds = lds_dir / "listeners.json"
    port, admin = free_port(), free_port()
    write_lds(lds, lds_listener(port, world, 0, module), 0)
    cfg = bootstrap([], lambda_clusters(world), admin)
    del cfg["static_resources"]["listeners"]
    cfg["node"] = {"id": "idle", "cluster": "idle"}
    cfg["dynamic_resources"] = {"lds_config": {"resource_api_version": "V3", "path_config_source": {
        "path": str(lds), "watched_directory": {"path": str(lds_dir)}}}}
    p = start_envoy(cfg, workdir, "idle-reload", admin, workers, extra=["--drain-time-s", str(drain_s)])
    rows = []
    try:
        if post(port, "/") != 200:
            sys.exit(f"reload Envoy does not answer 200; see {workdir / 'idle-reload.log'}")
        checkpoints = sorted({0, reloads // 6, reloads // 2, reloads})
        done, t_reload = 0, 0.0
        for cp in checkpoints:
            t0 = time.monotonic()
            while done < cp:
                done += 1
                ok = stats(admin).get("listener_manager.lds.update_success", 0)
                write_lds(lds, lds_listener(port, world, done, module), done)
                wait_stat(admin, "listener_manager.lds.update_success", ok + 1, 10)
            t_reload += time.monotonic() - t0
            wait_drained(admin, drain_s + 30)
            status = post(port, "/")
            time.sleep(settle)
            res = measure({"reload": p.pid}, window)["reload"]
            s = stats(admin)
            rows.append({"name": f"reload_{cp}", "reloads": cp, **res, "workers": workers, "status_after": status,
                         "vms": s.get("wasm.envoy.wasm.runtime.v8.active", 0), "vms_created": s.get("wasm.envoy.wasm.runtime.v8.created", 0),
                         "update_rejected": s.get("listener_manager.lds.update_rejected", 0), "reload_seconds": round(t_reload, 1)})
            print(f"  after {cp} reloads: {res['cpu_pct']:.2f} % of a core, {res['wakeups_s']:.0f} wake-ups/s", flush=True)
    finally:
        stop_envoy(p)
    return rows


# ----------------------------------------------------------------------------- report
def print_table(rows: dict[str, dict], reload_rows: list[dict]) -> None:
    print(f"{'case':16s} {'workers':>7s} {'VMs':>3s} {'CPU % core':>10s} {'x floor':>7s} {'tick %':>6s} {'wake-ups/s':>10s} "
          f"{'slices/s':>8s} {'RSS MB':>7s} {'creds fetched':>13s}")
    for r in rows.values():
        base = rows.get(f"floor_x{r['instances']}") if r["kind"] == "filter" else None
        ratio = f"{r['cpu_pct'] / base['cpu_pct']:7.2f}" if base and base["cpu_pct"] else f"{'':7s}"
        print(f"{r['name']:16s} {r['workers']:7d} {r['vms']:3d} {r['cpu_pct']:10.2f} {ratio} {r['tick_pct']:6.2f} "
              f"{r['wakeups_s']:10.0f} {r['slices_s']:8.0f} {r['rss_kb'] / 1024:7.1f} {r['credentials_fetched']:13d}")
    for r in reload_rows:
        base = reload_rows[0]
        print(f"{r['name']:16s} {r['workers']:7d} {r['vms']:3d} {r['cpu_pct']:10.2f} {r['cpu_pct'] / base['cpu_pct']:7.2f} "
              f"{r['tick_pct']:6.2f} {r['wakeups_s']:10.0f} {r['slices_s']:8.0f} {r['rss_kb'] / 1024:7.1f}")
    print("(creds fetched: the filter's credentials.fetched counter, STS calls of the role cases)")
    if reload_rows:
        print("(reload_N: the same Envoy after N listener reloads; its 'x floor' is against reload_0)")


def verdicts(rows: dict[str, dict], reload_rows: list[dict], max_ratio: float, slack: float) -> list[str]:
    bad = []
    for r in rows.values():
        base = rows.get(f"floor_x{r['instances']}")
        if r["kind"] == "filter" and base and r["cpu_pct"] > max_ratio * base["cpu_pct"] + slack:
            bad.append(f"{r['name']}: {r['cpu_pct']:.2f} % of a core against {base['cpu_pct']:.2f} % for {base['name']}")
    if len(reload_rows) > 1:
        a, b = reload_rows[0], reload_rows[-1]
        if b["cpu_pct"] > max_ratio * a["cpu_pct"] + slack:
            bad.append(f"after {b['reloads']} reloads: {b['cpu_pct']:.2f} % of a core against {a['cpu_pct']:.2f} % before")
    return bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--window", type=float, default=20, help="seconds each idle reading lasts (default 20)")
    ap.add_argument("--settle", type=float, default=3, help="seconds between the last request and a reading (default 3)")
    ap.add_argument("--workers", type=int, default=1, help="Envoy workers of the at-rest cases (default 1)")
    ap.add_argument("--cases", default="", help="comma-separated subset of: " + ",".join(c.name for c in default_cases()))
    ap.add_argument("--no-cases", action="store_true", help="skip the at-rest cases (only the reload case)")
    ap.add_argument("--reloads", type=int, default=120, help="listener reloads of the reload case (0: skip it)")
    ap.add_argument("--reload-workers", type=int, default=2)
    ap.add_argument("--drain-time-s", type=int, default=1, help="Envoy's --drain-time-s in the reload case (default 1)")
    ap.add_argument("--check", action="store_true", help="exit 1 when a figure is over --max-ratio of its reference")
    ap.add_argument("--max-ratio", type=float, default=1.2)
    ap.add_argument("--slack-pct", type=float, default=0.1, help="percent of a core allowed above the ratio, for noise")
    ap.add_argument("--module", default=str(WASM))
    ap.add_argument("--output", default=str(REPO / "target" / "idle.json"))
    ap.add_argument("--workdir", default=str(REPO / "target" / "idle"))
    args = ap.parse_args()
    module = Path(args.module)
    for f in (module, FLOOR):
        if not f.exists():
            sys.exit(f"{f} missing: make build / make idle builds tools/callout_floor")
    wanted = set(filter(None, args.cases.split(",")))
    cases = [] if args.no_cases else [c for c in default_cases() if not wanted or c.name in wanted]
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    moto, world = start_moto(workdir)
    try:
        print(f"{len(cases)} Envoys at rest, {args.workers} worker(s) each, measured together over {args.window:.0f} s", flush=True)
        rows = run_cases(cases, world, workdir, args.window, args.workers, args.settle, module) if cases else {}
        t_cases = time.monotonic() - started
        reload_rows = []
        if args.reloads:
            print(f"reload case: {args.reloads} listener reloads, {args.reload_workers} workers", flush=True)
            reload_rows = run_reloads(world, workdir, args.reloads, args.window, args.reload_workers, args.drain_time_s,
                                      args.settle, module)
    finally:
        moto.stop()
    wall = time.monotonic() - started
    print()
    print_table(rows, reload_rows)
    bad = verdicts(rows, reload_rows, args.max_ratio, args.slack_pct)
    print(f"\n{wall:.0f} s in all ({t_cases:.0f} s at-rest cases)")
    for b in bad:
        print(f"over {args.max_ratio}x (+{args.slack_pct} % of a core): {b}")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps({"cases": rows, "reloads": reload_rows, "over": bad, "seconds": round(wall, 1)}, indent=1))
    print(f"result: {args.output}")
    return 1 if args.check and bad else 0


if __name__ == "__main__":
    sys.exit(main())
