"""Every scope, with and without sendToConsumer, against moto (signature checked).

moto's docker-free Lambda echoes the payload it receives, so "the function's payload" the
consumer sees is the evaluated ``payload`` template: that proves the template was
evaluated in the right phase (``#request.content``, ``#response.content``, ...).
"""

from __future__ import annotations

import json
import uuid

import pytest

from harness import expect
from harness.httpserver import Reply


def _invokes_since(moto, before: int) -> list[dict]:
    return moto.invoke_calls()[before:]


# ----------------------------------------------------------------------------- REQUEST
def test_request_send_to_consumer_answers_with_lambda_and_skips_backend(envoys, moto, backend, moto_config):
    cfg = moto_config(
        scope="REQUEST",
        sendToConsumer=True,
        payload='{"phase": "request", "user": "{#request.headers[\'x-user\'][0]}", "path": "{#request.path}"}',
    )
    envoy = envoys.get(cfg)
    before = len(moto.invoke_calls())

    resp = envoy.get("/orders/7", headers={"x-user": "alice"})

    assert resp.status_code == 200, resp.text
    assert resp.json() == {"phase": "request", "user": "alice", "path": "/orders/7"}
    expect.content_length_ok(resp)
    assert "x-backend" not in resp.headers
    expect.backend_not_called(backend)
    calls = _invokes_since(moto, before)
    assert len(calls) == 1
    assert calls[0]["path"] == "/2015-03-31/functions/demo/invocations"
    assert json.loads(calls[0]["body"]) == {"phase": "request", "user": "alice", "path": "/orders/7"}


def test_request_without_send_to_consumer_calls_lambda_then_backend(envoys, moto, backend, moto_config):
    cfg = moto_config(scope="REQUEST", sendToConsumer=False, payload='{"phase": "request", "method": "{#request.method}"}')
    envoy = envoys.get(cfg)
    before = len(moto.invoke_calls())

    resp = envoy.post("/things?q=1", body=b"plain body", headers={"content-type": "text/plain"})

    echo = expect.backend_echo(resp)
    assert echo["method"] == "POST"
    assert echo["path"] == "/things?q=1"
    assert echo["body"] == "plain body"
    assert len(backend.requests) == 1
    calls = _invokes_since(moto, before)
    assert len(calls) == 1, "the Lambda is called in addition to the backend"
    assert json.loads(calls[0]["body"]) == {"phase": "request", "method": "POST"}


# ----------------------------------------------------------------------------- REQUEST_CONTENT
def test_request_content_send_to_consumer_sees_request_body(envoys, moto, backend, moto_config):
    cfg = moto_config(scope="REQUEST_CONTENT", sendToConsumer=True, payload='{"received": {#request.content}}')
    envoy = envoys.get(cfg)
    before = len(moto.invoke_calls())

    resp = envoy.post("/submit", body=json.dumps({"order": 42, "items": ["a", "b"]}), headers={"content-type": "application/json"})

    assert resp.status_code == 200, resp.text
    assert resp.json() == {"received": {"order": 42, "items": ["a", "b"]}}
    expect.content_length_ok(resp)
    expect.backend_not_called(backend)
    assert len(_invokes_since(moto, before)) == 1


@pytest.mark.parametrize("hold_request_headers", [True, False], ids=["buffer-filter-after", "alone"])
def test_request_content_without_send_to_consumer_forwards_body_unchanged(envoys, moto, backend, moto_config, hold_request_headers):
    # Large enough to arrive in several chunks; bytes the JSON payload must not alter.
    line = "line with \"quotes\", tabs\t and unicode \u00e9\u4e2d\n"
    body = (line * 6000).encode()  # ~300 KB
    cfg = moto_config(scope="REQUEST_CONTENT", sendToConsumer=False, payload="{#request.content}")
    envoy = envoys.get(cfg, hold_request_headers=hold_request_headers)
    before = len(moto.invoke_calls())

    resp = envoy.post("/upload", body=body, headers={"content-type": "text/plain; charset=utf-8"})

    assert resp.status_code == 200, resp.text[:300]
    assert len(backend.requests) == 1
    got = backend.requests[0]
    assert got.body == body, f"backend got {len(got.body)} bytes, sent {len(body)}"
    assert got.header("content-type") == "text/plain; charset=utf-8"
    calls = _invokes_since(moto, before)
    assert len(calls) == 1
    assert calls[0]["body"] == body, "the Lambda payload is #request.content, all of it"


# ----------------------------------------------------------------------------- RESPONSE
def _response_scope_call(envoys, moto, backend, moto_config, *, send_to_consumer: bool):
    """A backend answering 201 ``created by backend`` (with ``x-custom: kept``), the policy in
    ``RESPONSE`` with a payload naming the backend's status: (the consumer's answer, how many
    Invoke calls moto had seen before it)."""
    backend.always(Reply(201, {"content-type": "text/plain", "x-custom": "kept"}, b"created by backend"))
    cfg = moto_config(scope="RESPONSE", sendToConsumer=send_to_consumer, payload='{"phase": "response", "backendStatus": "{#response.status}"}')
    envoy = envoys.get(cfg)
    before = len(moto.invoke_calls())
    return envoy.get("/resource"), before


def test_response_send_to_consumer_replaces_backend_answer(envoys, moto, backend, moto_config):
    resp, before = _response_scope_call(envoys, moto, backend, moto_config, send_to_consumer=True)

    assert len(backend.requests) == 1, "response phases call the backend exactly once"
    assert resp.status_code == 200, f"consumer gets the Lambda API status, not the backend's 201: {resp.text}"
    assert resp.json() == {"phase": "response", "backendStatus": "201"}
    assert b"created by backend" not in resp.content
    expect.content_length_ok(resp)
    assert len(_invokes_since(moto, before)) == 1


def test_response_without_send_to_consumer_keeps_backend_answer(envoys, moto, backend, moto_config):
    resp, before = _response_scope_call(envoys, moto, backend, moto_config, send_to_consumer=False)

    assert resp.status_code == 201
    assert resp.content == b"created by backend"
    assert resp.headers.get("x-custom") == "kept"
    expect.content_length_ok(resp)
    assert len(backend.requests) == 1
    calls = _invokes_since(moto, before)
    assert len(calls) == 1, "the Lambda is called after the backend answered"
    assert json.loads(calls[0]["body"]) == {"phase": "response", "backendStatus": "201"}


# ----------------------------------------------------------------------------- RESPONSE_CONTENT
def test_response_content_send_to_consumer_sees_backend_body(envoys, moto, backend, moto_config):
    backend.always(Reply(200, {"content-type": "application/json", "x-backend": "scripted"}, {"items": [1, 2, 3]}))
    cfg = moto_config(scope="RESPONSE_CONTENT", sendToConsumer=True, payload='{"wrapped": {#response.content}}')
    envoy = envoys.get(cfg)
    before = len(moto.invoke_calls())

    resp = envoy.get("/list")

    assert resp.status_code == 200, resp.text
    assert resp.json() == {"wrapped": {"items": [1, 2, 3]}}
    expect.content_length_ok(resp)
    assert len(backend.requests) == 1
    assert len(_invokes_since(moto, before)) == 1


def test_response_content_without_send_to_consumer_keeps_backend_body(envoys, moto, backend, moto_config):
    marker = uuid.uuid4().hex
    big = ("x" * 1000 + "\n") * 200 + marker  # ~200 KB, several chunks
    backend.always(Reply(202, {"content-type": "text/plain", "x-custom": "kept"}, big))
    cfg = moto_config(scope="RESPONSE_CONTENT", sendToConsumer=False, payload="{#response.content}")
    envoy = envoys.get(cfg)
    before = len(moto.invoke_calls())

    resp = envoy.get("/big")

    assert resp.status_code == 202
    assert resp.text == big
    assert resp.headers.get("x-custom") == "kept"
    expect.content_length_ok(resp)
    assert len(backend.requests) == 1
    calls = _invokes_since(moto, before)
    assert len(calls) == 1
    assert calls[0]["body"] == big.encode(), "the Lambda payload is #response.content, all of it"
