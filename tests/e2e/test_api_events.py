"""The events the filter sends, as the function receives them: moto's docker-free Lambda
(signatures checked) echoes the event, so the consumer (with responseFormat RAW) and
moto's record show it exactly as sent, for API_GATEWAY_V1, API_GATEWAY_V2 and ENVOY, a GET
and a POST; ENVOY's answer envelope; and the configurations Envoy refuses."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest

from harness import expect
from harness.envoy import validate
from harness.lambda_double import LambdaDouble
BLOB = bytes(range(256)) * 64  # 16 KB with every byte value

# ----------------------------------------------------------------------------- moto's echo
CLF = re.compile(r"^\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000$")


def moto_api(envoys, moto_config, fmt: str):
    cfg = moto_config(
        payload=None,
        scope=None,
        payloadFormat=fmt,
        responseFormat="RAW",
        sendToConsumer=True,
        apiGateway={"stage": "prod", "resource": "/items/{id}", "stageVariables": {"color": "blue"}, "apiId": "a1b2c3", "accountId": "123456789012"},
    )
    return envoys.get(cfg, hold_request_headers=True, tag="echo")


def _invoked(moto, before: int) -> dict:
    calls = moto.invoke_calls()[before:]
    assert len(calls) == 1, calls
    return json.loads(calls[0]["body"])


def test_moto_echo_shows_the_v1_event_of_a_get_and_a_post(envoys, moto, moto_config, backend):
    listener = moto_api(envoys, moto_config, "API_GATEWAY_V1")
    before = len(moto.invoke_calls())
    now_ms = time.time() * 1000
    resp = listener.get("/items/7?a=1&a=2&b=x%20y", headers={"user-agent": "e2e-agent", "x-multi": "one"})
    assert resp.status_code == 200, resp.text
    ev = resp.json()
    assert ev == _invoked(moto, before), "the consumer sees exactly what moto received"
    assert set(ev) == {
        "resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
        "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext", "body", "isBase64Encoded",
    }  # fmt: skip
    assert (ev["resource"], ev["path"], ev["httpMethod"]) == ("/items/{id}", "/items/7", "GET")
    assert ev["queryStringParameters"] == {"a": "2", "b": "x y"}
    assert ev["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"]}
    assert ev["pathParameters"] == {"id": "7"}
    assert ev["stageVariables"] == {"color": "blue"}
    assert ev["headers"]["user-agent"] == "e2e-agent" and ev["multiValueHeaders"]["x-multi"] == ["one"]
    assert ev["headers"]["host"] == f"127.0.0.1:{listener.port}"
    assert not any(k.startswith(":") for k in ev["headers"])
    assert ev["body"] is None and ev["isBase64Encoded"] is False
    ctx = ev["requestContext"]
    assert (ctx["accountId"], ctx["apiId"], ctx["stage"]) == ("123456789012", "a1b2c3", "prod")
    assert (ctx["httpMethod"], ctx["path"], ctx["resourcePath"]) == ("GET", "/prod/items/7", "/items/{id}")
    assert ctx["domainName"] == f"127.0.0.1:{listener.port}" and ctx["protocol"] == "HTTP/1.1"
    assert ctx["requestId"] == ev["headers"]["x-request-id"] and len(ctx["requestId"]) == 36
    assert ctx["identity"]["sourceIp"] == "127.0.0.1" and ctx["identity"]["userAgent"] == "e2e-agent"
    assert CLF.match(ctx["requestTime"]), ctx["requestTime"]
    assert abs(ctx["requestTimeEpoch"] - now_ms) < 10_000

    before = len(moto.invoke_calls())
    resp = listener.post("/items/8", body=b'{"qty": 2}', headers={"content-type": "application/json"})
    ev = resp.json()
    assert ev == _invoked(moto, before)
    assert (ev["httpMethod"], ev["body"], ev["isBase64Encoded"]) == ("POST", '{"qty": 2}', False)
    assert ev["queryStringParameters"] is None and ev["multiValueQueryStringParameters"] is None
    assert ev["pathParameters"] == {"id": "8"}
    expect.backend_not_called(backend)


def test_moto_echo_shows_the_v2_event_of_a_get_and_a_post(envoys, moto, moto_config):
    listener = moto_api(envoys, moto_config, "API_GATEWAY_V2")
    before = len(moto.invoke_calls())
    resp = listener.get("/items/7?a=1&a=2", headers={"cookie": "s=1; t=2", "x-custom": "v"})
    ev = resp.json()
    assert ev == _invoked(moto, before)
    assert (ev["version"], ev["routeKey"], ev["rawPath"], ev["rawQueryString"]) == ("2.0", "$default", "/prod/items/7", "a=1&a=2")
    assert ev["cookies"] == ["s=1", "t=2"] and "cookie" not in ev["headers"]
    assert ev["headers"]["x-custom"] == "v"
    assert ev["queryStringParameters"] == {"a": "1,2"}
    assert ev["pathParameters"] == {"id": "7"} and ev["stageVariables"] == {"color": "blue"}
    assert "body" not in ev and ev["isBase64Encoded"] is False
    ctx = ev["requestContext"]
    assert ctx["http"] == {"method": "GET", "path": "/prod/items/7", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": ctx["http"]["userAgent"]}
    assert (ctx["stage"], ctx["routeKey"], ctx["apiId"], ctx["domainPrefix"]) == ("prod", "$default", "a1b2c3", "127")
    assert CLF.match(ctx["time"]) and isinstance(ctx["timeEpoch"], int)

    before = len(moto.invoke_calls())
    resp = listener.post("/items/9", body=BLOB, headers={"content-type": "application/octet-stream"})
    ev = resp.json()
    assert ev == _invoked(moto, before)
    assert ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == BLOB
    assert ev["requestContext"]["http"]["method"] == "POST"


def test_envoy_format_event_and_answer(envoys, moto, moto_config, double, double_config):
    """ENVOY: the envelope of Envoy's native aws_lambda filter, both ways."""
    listener = moto_api(envoys, moto_config, "ENVOY")
    before = len(moto.invoke_calls())
    ev = listener.get("/orders/7?x=1&x=2&y=%20", headers={"x-custom": "v"}).json()
    assert ev == _invoked(moto, before)
    assert set(ev) == {"raw_path", "method", "headers", "query_string_parameters", "body", "is_base64_encoded"}
    assert (ev["raw_path"], ev["method"], ev["body"], ev["is_base64_encoded"]) == ("/orders/7?x=1&x=2&y=%20", "GET", "", False)
    assert ev["query_string_parameters"] == {"x": "1", "y": "%20"} and ev["headers"]["x-custom"] == "v"

    cfg = double_config(function="api", payload=None, scope=None, payloadFormat="ENVOY", sendToConsumer=True)
    api_listener = envoys.get(cfg, lambda_to="double", hold_request_headers=True)
    double.enqueue(LambdaDouble.ok({"status_code": 409, "headers": {"x-why": "taken"}, "cookies": ["a=1", "b=2"], "body": "conflict"}))
    resp = api_listener.get("/anything")
    assert (resp.status_code, resp.text, resp.headers["x-why"]) == (409, "conflict", "taken")
    assert resp.headers["content-type"] == "application/json"
    assert sorted(resp.cookies.keys()) == ["a", "b"]


# ----------------------------------------------------------------------------- configuration
API_BASE = {"function": "api", "endpoint": "http://127.0.0.1:5000", "accessKey": "AKIAEXAMPLEKEY000001", "secretKey": "e2e-secret", "payloadFormat": "API_GATEWAY_V1"}


@pytest.mark.parametrize(
    "extra,words",
    [
        ({"scope": "REQUEST"}, ["field `scope`", "use REQUEST_CONTENT"]),
        ({"scope": "RESPONSE_CONTENT"}, ["field `scope`", "use REQUEST_CONTENT"]),
        ({"payload": "{#request.content}"}, ["field `payload`", "remove one of them"]),
        ({"responseFormat": "API_GATEWAY_V3"}, ["field `responseFormat`", "API_GATEWAY_V2"]),
        ({"apiGateway": {"resource": "/items/{id"}}, ["apiGateway.resource"]),
    ],
    ids=["request-scope", "response-content-scope", "payload-with-event", "bad-response-format", "bad-resource"],
)
def test_event_formats_are_refused_where_they_cannot_work(wasm_module, extra, words):
    ok, out = validate({**API_BASE, **extra})
    assert not ok
    for w in words:
        assert w in out, out[-2000:]


def test_event_formats_validate_without_a_scope(wasm_module):
    ok, out = validate({**API_BASE, "sendToConsumer": True, "apiGateway": {"stage": "prod", "resource": "/{proxy+}"}})
    assert ok, out[-2000:]
