"""Lambda as an API backend, in the real Envoy: the filter sends the request as an API
Gateway event (payloadFormat) and turns the function's proxy response into the consumer's
answer (responseFormat).

Against the framework double (harness/framework_lambda.py), real Powertools code from
PyPI reads the events: ``APIGatewayRestResolver`` (v1) and ``APIGatewayHttpResolver`` (v2)
route on path, query and headers, answer 201 with cookies, a binary PNG, their own 404.
Also: malformed proxy responses, holding the request headers without a buffer filter, the
missing-buffer-filter warning, the payload limit, and proxy responses in response scopes.
The events themselves, as moto receives them, are in test_api_events.py.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import time
from typing import Iterator

import pytest

from harness import expect
from harness.framework_lambda import PNG, FrameworkLambda
from harness.httpserver import Reply
from harness.lambda_double import LambdaDouble
from harness.util import wait_for

BLOB = bytes(range(256)) * 64  # 16 KB with every byte value: NUL, CR, LF, 0x80-0xff
TEXT = b"a line of text for the template's #request.content\n" * 400  # 20 KB


@pytest.fixture(scope="module")
def fw() -> Iterator[FrameworkLambda]:
    with FrameworkLambda() as d:
        yield d


@pytest.fixture(autouse=True)
def _fresh_fw(request: pytest.FixtureRequest) -> None:
    if "fw" in request.fixturenames:
        request.getfixturevalue("fw").reset()


def api(envoys, fw: FrameworkLambda, function: str, **extra):
    """A listener whose function is the backend: the buffer filter after the filter holds
    the request headers until the function answered."""
    cfg = {
        "region": "us-east-1",
        "accessKey": "AKIAE2EFRAMEWORK0001",
        "secretKey": "e2e-framework-secret",
        "function": function,
        "payloadFormat": "API_GATEWAY_V1" if function == "rest-v1" else "API_GATEWAY_V2",
        "sendToConsumer": True,
        "cluster": "lambda",
        "endpoint": fw.url,
        **extra,
    }
    return envoys.get(cfg, lambda_to=fw.port, hold_request_headers=True, tag="api")


def raw_request(listener, method: str, path: str, headers: list[tuple[str, str]], body: bytes = b"") -> tuple[int, list[tuple[str, str]], bytes]:
    """One HTTP/1.1 request with repeated headers (requests merges them)."""
    conn = http.client.HTTPConnection("127.0.0.1", listener.port, timeout=10)
    try:
        conn.putrequest(method, path)
        for k, v in headers:
            conn.putheader(k, v)
        if body:
            conn.putheader("content-length", str(len(body)))
        conn.endheaders(body or None)
        r = conn.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        conn.close()


# ----------------------------------------------------------------------------- frameworks
@pytest.mark.parametrize("function", ["rest-v1", "http-v2"])
def test_path_routing_and_the_frameworks_own_404(envoys, fw, backend, function):
    listener = api(envoys, fw, function)
    ok = listener.get("/items/42")
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"id": "42", "route": "item"}
    assert ok.headers["content-type"] == "application/json"
    expect.content_length_ok(ok)
    missing = listener.get("/nowhere")
    assert missing.status_code == 404
    assert missing.json() == {"statusCode": 404, "message": "Not found"}
    expect.backend_not_called(backend)
    paths = [e.get("path") or e.get("rawPath") for e in fw.events_of(function)]
    assert paths == ["/items/42", "/nowhere"]


def test_v1_multi_value_query_and_headers(envoys, fw):
    listener = api(envoys, fw, "rest-v1")
    got = listener.get("/search?tag=a&tag=b%20c&q=x")
    assert got.status_code == 200, got.text
    assert got.json() == {"query": {"tag": "b c", "q": "x"}, "multi": {"tag": ["a", "b c"], "q": ["x"]}}
    status, _, body = raw_request(listener, "GET", "/version", [("x-api-version", "2"), ("x-multi", "1"), ("x-multi", "2")])
    assert status == 200, body
    assert json.loads(body) == {"version": "2", "x-multi": ["1", "2"]}


def test_v2_query_is_comma_joined_and_headers_route(envoys, fw):
    listener = api(envoys, fw, "http-v2")
    assert listener.get("/search?tag=a&tag=b").json()["query"] == {"tag": "a,b"}
    assert listener.get("/version", headers={"x-api-version": "3"}).json()["version"] == "3"
    assert listener.get("/version").json()["version"] == "1"


@pytest.mark.parametrize("function", ["rest-v1", "http-v2"])
def test_json_post_answers_201_with_custom_headers_and_two_cookies(envoys, fw, backend, function):
    listener = api(envoys, fw, function)
    status, headers, body = raw_request(listener, "POST", "/items", [("content-type", "application/json")], b'{"name": "widget"}')
    assert status == 201, body
    assert json.loads(body) == {"created": {"name": "widget"}}
    names = [k.lower() for k, _ in headers]
    values = {k.lower(): v for k, v in headers}
    assert values["x-created-by"] == "powertools"
    assert values["location"] == "/items/7"
    assert values["content-type"] == "application/json"
    assert int(values["content-length"]) == len(body)
    cookies = [v.split(";")[0] for k, v in headers if k.lower() == "set-cookie"]
    assert cookies == ["session=abc", "theme=dark"], headers
    assert names.count("content-type") == 1
    expect.backend_not_called(backend)


@pytest.mark.parametrize("function", ["rest-v1", "http-v2"])
def test_binary_response_and_binary_request_body(envoys, fw, function):
    listener = api(envoys, fw, function)
    logo = listener.get("/logo.png")
    assert logo.status_code == 200
    assert logo.headers["content-type"] == "image/png"
    assert logo.content == PNG
    up = listener.post("/upload", body=BLOB, headers={"content-type": "application/octet-stream"})
    assert up.status_code == 200, up.text
    assert up.json() == {"sha256": hashlib.sha256(BLOB).hexdigest(), "length": len(BLOB), "isBase64Encoded": True}
    event = fw.events_of(function)[-1]
    assert base64.b64decode(event["body"]) == BLOB


def test_a_function_exception_is_the_invalid_response_error(envoys, fw):
    listener = api(envoys, fw, "rest-v1")
    resp = listener.post("/items", body=b"not json", headers={"content-type": "application/json"})
    expect.invoke_error(resp)


# ----------------------------------------------------------------------------- malformed
@pytest.mark.parametrize(
    "answer,why",
    [
        ({"body": "no status"}, "statusCode is missing"),
        ({"statusCode": "abc"}, "statusCode"),
        ({"statusCode": 200, "body": {"an": "object"}}, "body"),
        ({"statusCode": 200, "body": "%%%", "isBase64Encoded": True}, "base64"),
        ({"statusCode": 200, "headers": {"x-bad": "a\r\nset-cookie: x=1"}}, "CR, LF or NUL"),
        ([1, 2, 3], "object"),
    ],
    ids=["no-status", "bad-status", "object-body", "bad-base64", "crlf-header", "not-object"],
)
def test_a_malformed_proxy_response_is_a_502_with_its_key(envoys, double, double_config, backend, answer, why):
    cfg = double_config(function="api", payload=None, scope=None, payloadFormat="API_GATEWAY_V1", sendToConsumer=True, maxAttempts=1)
    listener = envoys.get(cfg, lambda_to="double", hold_request_headers=True)
    double.enqueue(LambdaDouble.ok(answer))
    resp = listener.get("/anything")
    body = expect.error_body(resp, 502, "AWS_LAMBDA_INVALID_PROXY_RESPONSE", "The lambda function's answer is not a valid proxy response.")
    assert why in body["details"], body
    expect.backend_not_called(backend)
    listener.wait_access_log("lambda_error_key=AWS_LAMBDA_INVALID_PROXY_RESPONSE")


# ----------------------------------------------------------------------------- holding the headers
HOLD = {"allow_on_headers_stop_iteration": True}


def slow_post(listener, path: str, body: bytes, pause_s: float = 0.3) -> tuple[int, bytes]:
    """Headers first, the body `pause_s` later: without anything holding the headers, the
    router has sent them upstream by the time the body is complete."""
    conn = http.client.HTTPConnection("127.0.0.1", listener.port, timeout=10)
    try:
        conn.putrequest("POST", path)
        conn.putheader("content-type", "application/octet-stream")
        conn.putheader("content-length", str(len(body)))
        conn.endheaders()
        time.sleep(pause_s)
        conn.send(body)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def test_hold_request_headers_needs_no_buffer_filter(envoys, fw, backend):
    """allow_on_headers_stop_iteration in the Wasm config and holdRequestHeaders: the filter
    pauses the headers itself; the body still reaches it, the backend is never contacted."""
    cfg = {
        "region": "us-east-1", "accessKey": "AKIAE2EFRAMEWORK0001", "secretKey": "e2e-framework-secret",
        "function": "rest-v1", "payloadFormat": "API_GATEWAY_V1", "sendToConsumer": True,
        "holdRequestHeaders": True, "cluster": "lambda", "endpoint": fw.url,
    }  # fmt: skip
    listener = envoys.get(cfg, lambda_to=fw.port, hold_request_headers=False, plugin_extra=HOLD, tag="hold")
    big = BLOB * 20  # 320 KB, several body callbacks
    status, body = slow_post(listener, "/upload", big)
    assert status == 200, body
    assert json.loads(body) == {"sha256": hashlib.sha256(big).hexdigest(), "length": len(big), "isBase64Encoded": True}
    assert listener.get("/items/3").json() == {"id": "3", "route": "item"}
    expect.backend_not_called(backend)
    time.sleep(0.3)  # Envoy writes its log file every 100 ms
    assert "put envoy.filters.http.buffer after this filter" not in listener.log_text(), "the headers were held: no warning"


def test_hold_request_headers_calls_the_backend_only_after_the_function(envoys, double, double_config, backend):
    cfg = double_config(scope="REQUEST_CONTENT", payload="{#request.content}", holdRequestHeaders=True, maxAttempts=1)
    listener = envoys.get(cfg, lambda_to="double", hold_request_headers=False, plugin_extra=HOLD, tag="hold")
    double.enqueue(LambdaDouble.api_error(403, "AccessDeniedException", "no"))
    status, _ = slow_post(listener, "/upload", TEXT)
    assert status == 500
    expect.backend_not_called(backend)
    status, _ = slow_post(listener, "/upload", TEXT)
    assert status == 200
    assert [r.body for r in backend.requests] == [TEXT], "the backend got the held body once, after the call"
    assert double.invocations()[-1].body == TEXT


def test_a_missing_buffer_filter_is_warned_once_naming_the_fix(envoys, double, double_config, backend):
    cfg = double_config(scope="REQUEST_CONTENT", payload="{#request.content}", sendToConsumer=True)
    listener = envoys.get(cfg, lambda_to="double", hold_request_headers=False, fresh=True, tag="unheld")
    for _ in range(2):
        status, body = slow_post(listener, "/upload", TEXT)
        assert status == 200 and body == TEXT
    wait_for(lambda: "put envoy.filters.http.buffer after this filter" in listener.log_text(), timeout=5, what="the warning")
    time.sleep(0.3)  # a second one would have been flushed by now
    warnings = [line for line in listener.log_text().splitlines() if "put envoy.filters.http.buffer after this filter" in line]
    assert len(warnings) == 1, warnings
    assert "[warning]" in warnings[0] and "holdRequestHeaders" in warnings[0]
    assert backend.requests, "the backend was contacted before the function answered: what the warning is about"


# ----------------------------------------------------------------------------- limits, response scopes
def test_an_event_over_lambdas_limit_is_refused_before_calling(envoys, double, double_config, backend):
    # Event invocations take 1 MB: the buffer filter lets 1.5 MB through, the filter refuses it.
    cfg = double_config(function="api", payload=None, scope=None, payloadFormat="API_GATEWAY_V2", sendToConsumer=True, invocationType="Event")
    listener = envoys.get(cfg, lambda_to="double", hold_request_headers=True, buffer_limit_bytes=2 * 1024 * 1024)
    resp = listener.post("/big", body=b"x" * (1536 * 1024), headers={"content-type": "text/plain"})
    expect.error_body(resp, 413, "AWS_LAMBDA_PAYLOAD_TOO_LARGE", "The lambda payload exceeds the size AWS Lambda accepts.")
    assert double.invocations() == []
    expect.backend_not_called(backend)
    # Within the limit, an Event invocation has no proxy response: the Lambda API's 202.
    resp = listener.post("/small", body=b"x" * 1024, headers={"content-type": "text/plain"})
    assert resp.status_code == 202 and resp.content == b""
    assert json.loads(double.invocations()[-1].body)["rawPath"] == "/small"


PROXY_PAYLOAD = '{"statusCode": 203, "headers": {"x-from-function": "yes", "content-type": "text/plain"}, "body": "replaced by the function"}'


def test_response_scope_replaces_status_headers_and_body(envoys, moto, moto_config, backend):
    """moto echoes the payload template, which is a proxy response here."""
    backend.always(Reply(201, {"content-type": "application/json", "x-backend": "scripted"}, {"from": "backend"}))
    cfg = moto_config(scope="RESPONSE", sendToConsumer=True, responseFormat="API_GATEWAY_V1", payload=PROXY_PAYLOAD)
    resp = envoys.get(cfg).get("/thing")
    assert resp.status_code == 203, resp.text
    assert resp.text == "replaced by the function"
    assert resp.headers["x-from-function"] == "yes" and resp.headers["content-type"] == "text/plain"
    assert "x-backend" not in resp.headers
    expect.content_length_ok(resp)
    assert len(backend.requests) == 1


def test_response_content_scope_replaces_only_the_body(envoys, moto, moto_config, backend):
    backend.always(Reply(201, {"content-type": "application/json", "x-backend": "scripted"}, {"from": "backend"}))
    cfg = moto_config(scope="RESPONSE_CONTENT", sendToConsumer=True, responseFormat="API_GATEWAY_V1", payload=PROXY_PAYLOAD)
    resp = envoys.get(cfg).get("/thing")
    assert resp.status_code == 201, "the backend's status had gone when the function answered"
    assert resp.headers["x-backend"] == "scripted"
    assert resp.text == "replaced by the function"
    expect.content_length_ok(resp)
