"""The shipped deployment files: envoy/envoy.yaml (validated and run natively),
envoy/envoy-docker.yaml (validated), envoy/docker-compose.yaml and the Istio example
(checked for consistency; no cluster runs here; test_docker_compose.py runs the compose
file when a Docker engine answers)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from harness.envoy import Envoy, Topology, render_bootstrap, validate_file, validate_yaml
from harness.util import REPO_ROOT, free_port, log_dir

ENVOY_DIR = REPO_ROOT / "envoy"
MODULE_REL = "target/wasm32-wasip1/release/envoy_lambda_policy.wasm"
DOCKER_MODULE = "/etc/envoy/envoy_lambda_policy.wasm"


def _wasm_configs(bootstrap: dict) -> list[dict]:
    out = []
    for listener in bootstrap["static_resources"]["listeners"]:
        for chain in listener["filter_chains"]:
            for f in chain["filters"]:
                for hf in f["typed_config"].get("http_filters", []):
                    if hf["name"] == "envoy.filters.http.wasm":
                        out.append(hf["typed_config"]["config"])
    return out


def test_envoy_yaml_validates_from_the_repo_root(wasm_module):
    ok, out = validate_file("envoy/envoy.yaml", cwd=REPO_ROOT)
    assert ok, out[-3000:]


def test_envoy_yaml_uses_the_built_module_and_environment_credentials():
    bootstrap = yaml.safe_load((ENVOY_DIR / "envoy.yaml").read_text())
    configs = _wasm_configs(bootstrap)
    assert len(configs) == 3
    for c in configs:
        assert c["vm_config"]["code"]["local"]["filename"] == MODULE_REL
        assert c["vm_config"]["runtime"] == "envoy.wasm.runtime.v8"
        assert set(c["vm_config"]["environment_variables"]["host_env_keys"]) >= {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
        plugin = json.loads(c["configuration"]["value"])
        assert "accessKey" not in plugin and "secretKey" not in plugin, "no key in a shipped file"
    plugins = [json.loads(c["configuration"]["value"]) for c in configs]
    assert [(p["function"], p["endpoint"]) for p in plugins] == [("demo", "http://127.0.0.1:5000")] * 2 + [("http-v2", "http://127.0.0.1:5001")]


def test_envoy_docker_yaml_validates_with_the_module_path_substituted(wasm_module):
    text = (ENVOY_DIR / "envoy-docker.yaml").read_text()
    assert DOCKER_MODULE in text
    ok, out = validate_yaml(text.replace(DOCKER_MODULE, str(wasm_module)), tag="validate-docker")
    assert ok, out[-3000:]


def test_docker_compose_mounts_what_envoy_docker_yaml_expects():
    compose = yaml.safe_load((ENVOY_DIR / "docker-compose.yaml").read_text())
    services = compose["services"]
    envoy = services["envoy"]
    assert envoy["image"] == "envoyproxy/envoy:v1.40.0"
    mounts = {m.split(":")[1]: m.split(":")[0] for m in envoy["volumes"]}
    assert mounts["/etc/envoy/envoy.yaml"] == "./envoy-docker.yaml"
    assert mounts[DOCKER_MODULE] == "../" + MODULE_REL
    assert (ENVOY_DIR / mounts["/etc/envoy/envoy.yaml"]).exists()
    assert services["moto"]["image"].startswith("motoserver/moto")
    docker_cfg = yaml.safe_load((ENVOY_DIR / "envoy-docker.yaml").read_text())
    clusters = {c["name"]: c for c in docker_cfg["static_resources"]["clusters"]}
    lambda_addr = clusters["lambda"]["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"]
    assert lambda_addr["address"] in services, "the lambda cluster points at a compose service"
    assert str(lambda_addr["port_value"]) in " ".join(services[lambda_addr["address"]].get("ports", [])) or lambda_addr["port_value"] == 5000
    for c in _wasm_configs(docker_cfg):
        assert json.loads(c["configuration"]["value"])["endpoint"] == f"http://{lambda_addr['address']}:{lambda_addr['port_value']}"
    setup = services["moto-setup"]
    tools_mount = setup["volumes"][0].split(":")[0]
    assert (ENVOY_DIR / tools_mount / "demo.py").exists()


def test_istio_example_is_consistent(wasm_module):
    docs = [d for d in yaml.safe_load_all((ENVOY_DIR / "istio" / "wasmplugin.yaml").read_text()) if d]
    kinds = [d["kind"] for d in docs]
    assert "WasmPlugin" in kinds and "ServiceEntry" in kinds and "DestinationRule" in kinds
    plugin = next(d for d in docs if d["kind"] == "WasmPlugin")
    cfg = plugin["spec"]["pluginConfig"]
    assert re.match(r"^(oci|file)://", plugin["spec"]["url"])
    # The cluster name Istio gives the ServiceEntry host.
    m = re.fullmatch(r"outbound\|(\d+)\|\|(.+)", cfg["cluster"])
    assert m, cfg["cluster"]
    port, host = int(m.group(1)), m.group(2)
    entries = [d for d in docs if d["kind"] == "ServiceEntry" and host in d["spec"]["hosts"]]
    assert entries and any(p["number"] == port for p in entries[0]["spec"]["ports"])
    rules = [d for d in docs if d["kind"] == "DestinationRule" and d["spec"]["host"] == host]
    tls = rules[0]["spec"]["trafficPolicy"]["portLevelSettings"][0]["tls"]
    assert tls["mode"] == "SIMPLE" and tls["sni"] == host
    assert cfg["endpoint"] == f"https://{host}"
    # The pluginConfig itself is a configuration the filter accepts.
    p = free_port()
    ok, out = validate_yaml(render_bootstrap(cfg, Topology(p, p, p), module=wasm_module), tag="validate-istio")
    assert ok, out[-3000:]


def _native_copy(moto_port: int, api_port: int) -> tuple[str, Topology, dict[int, int]]:
    """envoy/envoy.yaml with its fixed ports moved to free ones (moto's for 5000, the
    framework Lambda double's for 5001)."""
    text = (ENVOY_DIR / "envoy.yaml").read_text()
    mapping = {10000: free_port(), 10001: free_port(), 10002: free_port(), 10003: free_port(), 9901: free_port(), 5000: moto_port, 5001: api_port}
    text = re.sub(r"port_value: (\d+)", lambda m: f"port_value: {mapping.get(int(m.group(1)), int(m.group(1)))}", text)
    text = text.replace("127.0.0.1:5000", f"127.0.0.1:{moto_port}").replace("127.0.0.1:5001", f"127.0.0.1:{api_port}")
    topo = Topology(lambda_port=moto_port, sts_port=moto_port, backend_port=mapping[10002], listener_port=mapping[10000], admin_port=mapping[9901])
    return text, topo, mapping


def test_envoy_yaml_runs_natively_against_moto(wasm_module, moto, world):
    from harness.framework_lambda import FrameworkLambda

    with FrameworkLambda() as api_lambda:
        _run_native(moto, world, api_lambda)


def _run_native(moto, world, api_lambda) -> None:
    import requests

    text, topo, ports = _native_copy(moto.port, api_lambda.port)
    envoy = Envoy(text, topo, tag="shipped", process_env={"AWS_ACCESS_KEY_ID": world.access_key, "AWS_SECRET_ACCESS_KEY": world.secret_key})
    with envoy:
        api = f"http://127.0.0.1:{ports[10003]}"
        item = requests.get(f"{api}/items/42", timeout=10)
        assert item.status_code == 200 and item.json() == {"id": "42", "route": "item"}, item.text
        created = requests.post(f"{api}/items", json={"name": "widget"}, timeout=10)
        assert created.status_code == 201 and created.json() == {"created": {"name": "widget"}}, created.text
        assert created.headers["x-created-by"] == "powertools"
        assert sorted(created.cookies.keys()) == ["session", "theme"]
        assert requests.get(f"{api}/nowhere", timeout=10).status_code == 404

        answered = envoy.get("/hello")
        assert answered.status_code == 200, answered.text
        assert answered.json() == {"message": "hello from Lambda", "method": "GET", "path": "/hello"}

        alongside = requests.get(f"http://127.0.0.1:{ports[10001]}/hello", timeout=10)
        assert alongside.status_code == 200, alongside.text
        assert alongside.text == "hello from the demo backend\n"
        assert alongside.headers.get("x-seen-lambda-path") == "/hello"
        assert envoy.stat("cluster.lambda.upstream_rq_2xx") == 2
