"""One function per route (envoy/envoy-routes.yaml): several instances of the filter in one
HTTP connection manager, each `disabled: true` and turned on per route with
typed_per_filter_config, sharing one Wasm VM. Validated, run against moto (signatures
checked), and the VM count of 10 routes compared with 1."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import requests
import yaml

from harness.envoy import Envoy, Topology, validate_file
from harness.moto import _function_zip
from harness.util import REPO_ROOT, free_port

ROUTES = REPO_ROOT / "envoy" / "envoy-routes.yaml"
FILTER_CONFIG = "type.googleapis.com/envoy.config.route.v3.FilterConfig"


@pytest.fixture(scope="module")
def route_functions(moto, world) -> None:
    """The functions the shipped file names (moto's echo), created once with the real key."""
    from botocore.exceptions import ClientError

    lam = moto.real_client("lambda")
    for name in ("orders", "users"):
        try:
            lam.create_function(FunctionName=name, Runtime="python3.12", Role=world.role_arn, Handler="lambda_function.handler", Code={"ZipFile": _function_zip()})
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ResourceConflictException", exc.response


def _copy(moto_port: int) -> tuple[dict, Topology, dict[int, int]]:
    """The shipped file with its fixed ports moved to free ones (moto's for 5000)."""
    text = ROUTES.read_text()
    mapping = {10000: free_port(), 10002: free_port(), 9901: free_port(), 5000: moto_port}
    text = re.sub(r"port_value: (\d+)", lambda m: f"port_value: {mapping.get(int(m.group(1)), int(m.group(1)))}", text)
    text = text.replace("127.0.0.1:5000", f"127.0.0.1:{moto_port}")
    topo = Topology(lambda_port=moto_port, sts_port=moto_port, backend_port=mapping[10002], listener_port=mapping[10000], admin_port=mapping[9901])
    return yaml.safe_load(text), topo, mapping


def _hcm(bootstrap: dict) -> dict:
    return bootstrap["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]


def _with_routes(bootstrap: dict, n: int) -> dict:
    """The same listener with `n` function routes (`/fn0`, `/fn1`, ...), each its own
    disabled instance of the filter, all of them copies of the shipped `lambda_orders`."""
    b = copy.deepcopy(bootstrap)
    hcm = _hcm(b)
    template = next(f for f in hcm["http_filters"] if f["name"] == "lambda_orders")
    router = hcm["http_filters"][-1]
    filters, routes = [], []
    for i in range(n):
        f = copy.deepcopy(template)
        f["name"] = f["typed_config"]["config"]["name"] = f"lambda_fn{i}"
        filters.append(f)
        routes.append({"match": {"path_separated_prefix": f"/fn{i}"}, "route": {"cluster": "demo_backend"}, "typed_per_filter_config": {f"lambda_fn{i}": {"@type": FILTER_CONFIG, "config": {}}}})
    hcm["http_filters"] = [*filters, router]
    vhost = hcm["route_config"]["virtual_hosts"][0]
    vhost["routes"] = [*routes, vhost["routes"][-1]]
    return b


def _env(world) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": world.access_key, "AWS_SECRET_ACCESS_KEY": world.secret_key}


def test_envoy_routes_yaml_validates_from_the_repo_root(wasm_module):
    ok, out = validate_file("envoy/envoy-routes.yaml", cwd=REPO_ROOT)
    assert ok, out[-3000:]


def test_envoy_routes_yaml_shape():
    hcm = _hcm(yaml.safe_load(ROUTES.read_text()))
    wasm = [f for f in hcm["http_filters"] if f["typed_config"]["@type"].endswith("wasm.v3.Wasm")]
    assert [f["name"] for f in wasm] == ["lambda_orders", "lambda_users"]
    assert all(f["disabled"] for f in wasm)
    vms = {json.dumps(f["typed_config"]["config"]["vm_config"], sort_keys=True) for f in wasm}
    assert len(vms) == 1, "one vm_config: the instances share the VM"
    functions = [json.loads(f["typed_config"]["config"]["configuration"]["value"])["function"] for f in wasm]
    assert functions == ["orders", "users"]
    enabled = {r["match"].get("path_separated_prefix", r["match"].get("prefix")): list(r.get("typed_per_filter_config", {})) for r in hcm["route_config"]["virtual_hosts"][0]["routes"]}
    assert enabled == {"/orders": ["lambda_orders"], "/users": ["lambda_users"], "/": []}


def test_each_route_calls_its_function_and_the_rest_goes_to_the_backend(wasm_module, moto, world, route_functions):
    bootstrap, topo, ports = _copy(moto.port)
    with Envoy(yaml.safe_dump(bootstrap, sort_keys=False), topo, tag="routes", process_env=_env(world)) as envoy:
        before = len(moto.invoke_calls())
        orders = envoy.get("/orders/42?expand=items")
        assert orders.status_code == 200, orders.text
        ev = orders.json()  # moto echoes the event; v2 takes an answer without statusCode as the body
        assert (ev["rawPath"], ev["rawQueryString"], ev["routeKey"]) == ("/orders/42", "expand=items", "ANY /orders/{id}")
        assert ev["pathParameters"] == {"id": "42"}
        users = envoy.post("/users/7/profile", body=b'{"name": "ann"}', headers={"content-type": "application/json"})
        assert users.status_code == 200, users.text
        ev = users.json()
        assert (ev["requestContext"]["http"]["method"], ev["body"]) == ("POST", '{"name": "ann"}')
        assert ev["pathParameters"] == {"proxy": "7/profile"}
        other = envoy.get("/catalog")
        assert other.status_code == 200 and other.text == "hello from the demo backend\n"
        calls = moto.invoke_calls()[before:]
        assert [c["path"] for c in calls] == ["/2015-03-31/functions/orders/invocations", "/2015-03-31/functions/users/invocations"]
        assert envoy.stat("cluster.demo_backend.upstream_rq_total") == 1, "only /catalog reached the backend"


def _footprint(envoy: Envoy, n: int) -> dict:
    for i in range(n):
        r = envoy.get(f"/fn{i}/{i}")
        assert r.status_code == 200 and r.json()["rawPath"] == f"/fn{i}/{i}", r.text
    stats = envoy.stats("wasm")
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{envoy.proc.pid}/status").read_text().splitlines() if line.startswith("VmRSS:"))
    return {"vms": stats.get("wasm.envoy.wasm.runtime.v8.active", -1), "created": stats.get("wasm.envoy.wasm.runtime.v8.created", -1), "rss_kb": rss}


def test_ten_routes_share_the_vms_of_one(wasm_module, moto, world, route_functions, capsys):
    seen = {}
    for n in (1, 10):
        b, topo, _ = _copy(moto.port)
        b = _with_routes(b, n)
        with Envoy(yaml.safe_dump(b, sort_keys=False), topo, tag=f"routes{n}", process_env=_env(world), log_level="info") as envoy:
            seen[n] = _footprint(envoy, n)
    with capsys.disabled():
        print(f"\n  one function per route, concurrency 1: 1 route {seen[1]}, 10 routes {seen[10]}")
    # Envoy creates (and drops) a VM per plugin configuration while it loads it; the VMs
    # that stay are the same: one per worker, one on the main thread, the base one.
    assert seen[10]["vms"] == seen[1]["vms"] > 0, seen
    assert seen[10]["rss_kb"] < seen[1]["rss_kb"] * 1.25, seen
