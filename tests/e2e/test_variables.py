"""Variables published as Envoy filter state (``wasm.<name>``) and templates in payloads.

The route adds ``x-lambda-<name>: %FILTER_STATE(wasm.<name>:PLAIN)%`` to the request it
forwards, so the echo backend shows what each variable evaluated to; the access log
prints the same filter state.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from harness import expect
from harness.lambda_double import LambdaDouble

VARIABLES = [
    {"name": "status", "value": "{#lambdaResponse.status}"},
    {"name": "user", "value": "{#jsonPath(#lambdaResponse.content, '$.user')}"},
    {"name": "content", "value": "{#lambdaResponse.content}"},
    {"name": "greeting", "value": "hello {#context.attributes['user']}"},
]
PAYLOAD = '{"user": "{#request.headers[\'x-user\'][0]}", "q": "{#request.params[\'q\'][0]}", "method": "{#request.method}"}'


def test_variables_reach_the_backend_through_filter_state(envoys, moto, backend, moto_config):
    cfg = moto_config(sendToConsumer=False, payload=PAYLOAD, variables=VARIABLES)
    envoy = envoys.get(cfg, variables=[v["name"] for v in VARIABLES])

    resp = envoy.get("/vars?q=search", headers={"x-user": "alice"})

    echo = expect.backend_echo(resp)
    h = echo["headers"]
    assert h.get("x-lambda-status") == "200"
    assert h.get("x-lambda-user") == "alice"
    assert json.loads(h["x-lambda-content"]) == {"user": "alice", "q": "search", "method": "GET"}
    assert h.get("x-lambda-greeting") == "hello alice", "a variable reads an earlier one via #context.attributes"
    line = envoy.wait_access_log('"GET /vars?q=search"')
    assert "var.user=alice" in line and "var.status=200" in line, line


def test_variables_are_per_request(envoys, moto, backend, moto_config):
    cfg = moto_config(sendToConsumer=False, payload=PAYLOAD, variables=VARIABLES)
    envoy = envoys.get(cfg, variables=[v["name"] for v in VARIABLES])
    users = [f"user{i}" for i in range(8)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda u: envoy.get(f"/per-request?q={u}", headers={"x-user": u}), users))

    for user, resp in zip(users, responses):
        echo = expect.backend_echo(resp)
        assert echo["headers"].get("x-lambda-user") == user
        assert echo["path"] == f"/per-request?q={user}"


def test_no_variable_state_without_a_successful_call(envoys, double, backend, double_config):
    double.always(LambdaDouble.function_error("Handled"))
    cfg = double_config(sendToConsumer=False, variables=[{"name": "v", "value": "set"}])
    envoy = envoys.get(cfg, lambda_to="double", variables=["v"])

    resp = envoy.get("/no-state")

    expect.invoke_error(resp)
    line = envoy.wait_access_log('"GET /no-state"')
    assert "var.v=-" in line, line


def test_properties_and_request_templates_in_payload(envoys, moto, moto_config):
    cfg = moto_config(
        sendToConsumer=True,
        properties={"env": "staging", "team": "payments"},
        payload='{"env": "{#properties[\'env\']}", "team": "{#properties[\'team\']}", "path": "{#request.path}", "id": "{#request.params[\'id\'][0]}"}',
    )
    envoy = envoys.get(cfg)

    resp = envoy.get("/props/9?id=9")

    assert resp.status_code == 200, resp.text
    assert resp.json() == {"env": "staging", "team": "payments", "path": "/props/9", "id": "9"}


def test_lambda_response_templates_in_response_phase_variables(envoys, moto, backend, moto_config):
    cfg = moto_config(
        scope="RESPONSE",
        sendToConsumer=False,
        payload='{"seen": "{#response.status}"}',
        variables=[{"name": "seen", "value": "{#jsonPath(#lambdaResponse.content, '$.seen')}"}],
    )
    envoy = envoys.get(cfg, variables=["seen"])

    resp = envoy.get("/response-vars")

    expect.backend_echo(resp)
    line = envoy.wait_access_log('"GET /response-vars"')
    assert "var.seen=200" in line, line


def test_variable_with_line_breaks_cannot_inject_headers(envoys, double, backend, double_config):
    double.always(LambdaDouble.ok({"v": "ok\r\nx-injected: evil"}))
    cfg = double_config(sendToConsumer=False, variables=[{"name": "v", "value": "{#jsonPath(#lambdaResponse.content, '$.v')}"}])
    envoy = envoys.get(cfg, lambda_to="double", variables=["v"])

    resp = envoy.get("/inject")

    assert resp.status_code in (200, 500), resp.text
    for req in backend.requests:
        assert "x-injected" not in req.header_names, req.headers
        for _, value in req.headers:
            assert "\n" not in value and "\r" not in value
    if resp.status_code == 500:
        assert resp.json().get("key") == "AWS_LAMBDA_TEMPLATE_VARIABLE_EXCEPTION"
