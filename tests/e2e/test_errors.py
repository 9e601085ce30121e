"""Errors and faults: what the consumer gets, that the backend is spared, and that Envoy
and the VM stay healthy (the next request succeeds).

Scripted with the Lambda double except the wrong secret, which moto refuses itself.
"""

from __future__ import annotations

import socket
import time

import pytest
import requests

from harness import expect
from harness.lambda_double import LambdaDouble
from harness.httpserver import Reply

WRONG_SECRET = "WRONG-e2e-secret-must-not-leak-9f8e7d6c5b4a"


def _next_request_succeeds(envoy, double) -> None:
    """Health check after a fault: default double answer -> 200 echo."""
    double.always(None)
    resp = envoy.get("/healthy-again")
    assert resp.status_code == 200, f"Envoy/VM did not recover: {resp.status_code} {resp.text[:300]}"


def _vm_failures(envoy) -> dict[str, int]:
    return {k: v for k, v in envoy.stats("wasm").items() if ("reload" in k or "fail" in k) and v}


# ----------------------------------------------------------------------------- moto
def test_wrong_secret_is_refused_by_moto_and_not_leaked(envoys, moto, backend, moto_config):
    envoy = envoys.get(moto_config(secretKey=WRONG_SECRET, sendToConsumer=False), tag="wrong-secret")
    before = len(moto.invoke_calls())
    log_offset = envoy.log_size()

    resp = envoy.get("/wrong-secret", headers={"x-probe": "1"})

    body = expect.invoke_error(resp)
    assert "Status Code: 403" in resp.text, body
    assert WRONG_SECRET not in resp.text
    expect.backend_not_called(backend)
    calls = moto.invoke_calls()[before:]
    assert calls, "the call reached moto (and moto refused it)"
    time.sleep(0.5)  # Envoy flushes its log every 100 ms (see harness/envoy.py)
    assert "[debug]" in envoy.log_since(log_offset), "Envoy's debug log is being written"
    leaks = expect.secret_lines(envoy.log_text(), WRONG_SECRET)
    assert leaks == [], f"the secret appears in Envoy's debug log: {leaks[:3]}"


def test_wrong_secret_with_send_to_consumer_also_fails(envoys, backend, moto_config):
    envoy = envoys.get(moto_config(secretKey=WRONG_SECRET, sendToConsumer=True))

    resp = envoy.get("/wrong-secret-stc")

    expect.invoke_error(resp)
    assert "Status Code: 403" in resp.text
    expect.backend_not_called(backend)


# ----------------------------------------------------------------------------- function errors
@pytest.mark.parametrize("kind", ["Unhandled", "Handled"])
def test_function_error_gives_500_and_no_retry(envoys, double, backend, double_config, kind):
    double.always(LambdaDouble.function_error(kind, "division by zero"))
    envoy = envoys.get(double_config(sendToConsumer=False), lambda_to="double")

    resp = envoy.get("/function-error")

    expect.invoke_error(resp)
    assert kind in resp.text, "the details name the function error"
    expect.backend_not_called(backend)
    assert len(double.invocations()) == 1, "a function error is never retried"
    _next_request_succeeds(envoy, double)


def test_function_error_in_response_phase_replaces_backend_answer(envoys, double, backend, double_config):
    backend.always(Reply(200, {"content-type": "text/plain", "x-backend": "echo"}, b"backend body"))
    double.always(LambdaDouble.function_error("Unhandled"))
    envoy = envoys.get(double_config(scope="RESPONSE", sendToConsumer=False), lambda_to="double")

    resp = envoy.get("/function-error-response")

    assert len(backend.requests) == 1
    expect.invoke_error(resp)
    assert b"backend body" not in resp.content


# ----------------------------------------------------------------------------- API errors
@pytest.mark.parametrize(
    "reply, status, error_type",
    [
        pytest.param(LambdaDouble.throttled(), 429, "TooManyRequestsException", id="429-throttled"),
        pytest.param(LambdaDouble.service_error(), 500, "ServiceException", id="500-service"),
        pytest.param(LambdaDouble.api_error(502, "BadGateway", "bad gateway"), 502, "BadGateway", id="502"),
        pytest.param(LambdaDouble.api_error(413, "RequestTooLargeException", "too large"), 413, "RequestTooLargeException", id="413"),
        pytest.param(LambdaDouble.not_found("echo"), 404, "ResourceNotFoundException", id="404-not-found"),
        pytest.param(LambdaDouble.api_error(403, "AccessDeniedException", "denied"), 403, "AccessDeniedException", id="403-denied"),
    ],
)
def test_lambda_api_error_gives_500_with_details(envoys, double, backend, double_config, reply, status, error_type):
    double.always(reply)  # sticky: retries (if any) see the same error
    envoy = envoys.get(double_config(sendToConsumer=True), lambda_to="double")

    resp = envoy.get("/api-error")

    expect.invoke_error(resp)
    assert f"Status Code: {status}" in resp.text
    assert error_type in resp.text, "the details carry the AWS error type"
    expect.backend_not_called(backend)
    retryable = status == 429 or status >= 500
    assert len(double.invocations()) == (3 if retryable else 1), "throttling and 5xx: 3 attempts (maxAttempts default); other 4xx: one"
    _next_request_succeeds(envoy, double)


def test_redirect_status_gives_400_invalid_status_code(envoys, double, backend, double_config):
    double.always(Reply(302, {"location": "http://127.0.0.1:1/elsewhere", "content-type": "application/json"}, b"{}"))
    envoy = envoys.get(double_config(sendToConsumer=False), lambda_to="double")

    resp = envoy.get("/redirect")

    expect.status_error(resp)
    expect.backend_not_called(backend)
    _next_request_succeeds(envoy, double)


def test_throttled_then_ok_succeeds_after_one_retry(envoys, double, backend, double_config):
    """One 429, then the default answer: retried as AWS SDKs do, the consumer gets the result."""
    double.enqueue(LambdaDouble.throttled())
    envoy = envoys.get(double_config(sendToConsumer=True, payload='{"after": "throttle"}'), lambda_to="double", tag="retry-once")
    retries_before = envoy.stat("wasmcustom.aws_lambda.retries")

    resp = envoy.get("/throttle-once")

    assert resp.status_code == 200, resp.text
    assert resp.json() == {"after": "throttle"}
    assert len(double.invocations()) == 2
    assert envoy.stat("wasmcustom.aws_lambda.retries") == retries_before + 1
    expect.backend_not_called(backend)


@pytest.mark.parametrize("max_attempts", [1, 2, 5])
def test_attempts_never_exceed_max_attempts(envoys, double, backend, double_config, max_attempts):
    double.always(LambdaDouble.service_error())
    envoy = envoys.get(double_config(sendToConsumer=False, maxAttempts=max_attempts), lambda_to="double")

    resp = envoy.get("/always-failing")

    expect.invoke_error(resp)
    assert "Status Code: 500" in resp.text
    time.sleep(0.3)  # a retry sent after the answer would show up by now
    assert len(double.invocations()) == max_attempts
    expect.backend_not_called(backend)
    _next_request_succeeds(envoy, double)


def test_event_invocations_are_not_retried_when_told_so(envoys, double, double_config):
    double.always(LambdaDouble.throttled())
    envoy = envoys.get(double_config(invocationType="Event", retryEventInvocations=False), lambda_to="double")

    resp = envoy.get("/event-no-retry")

    expect.invoke_error(resp)
    assert len(double.invocations()) == 1


# ----------------------------------------------------------------------------- transport
def test_timeout_gives_500_before_the_slow_answer(envoys, double, backend, double_config):
    double.always(LambdaDouble.slow(4.0))
    envoy = envoys.get(double_config(readTimeoutMs=400, sendToConsumer=False), lambda_to="double")

    started = time.monotonic()
    resp = envoy.get("/slow", timeout=15)
    elapsed = time.monotonic() - started

    expect.invoke_error(resp)
    assert elapsed < 3.5, f"took {elapsed:.1f}s: readTimeoutMs=400 was not honoured"
    expect.backend_not_called(backend)
    assert len(double.invocations()) >= 1
    _next_request_succeeds(envoy, double)


def test_tightest_timeout_wins(envoys, double, double_config):
    double.always(LambdaDouble.slow(4.0))
    cfg = double_config(readTimeoutMs=20000, apiCallTimeoutMs=500, apiCallAttemptTimeoutMs=15000, sendToConsumer=True)
    envoy = envoys.get(cfg, lambda_to="double")

    started = time.monotonic()
    resp = envoy.get("/slow-tightest", timeout=15)
    elapsed = time.monotonic() - started

    expect.invoke_error(resp)
    assert elapsed < 3.5, f"took {elapsed:.1f}s: apiCallTimeoutMs=500 is the tightest"


def test_unreachable_lambda_gives_500(envoys, backend, double_config, refused_port):
    envoy = envoys.get(double_config(endpoint=f"http://127.0.0.1:{refused_port}", sendToConsumer=False), lambda_to="closed")
    before = envoy.stat("wasmcustom.aws_lambda.invocations.transport_error")

    resp = envoy.get("/unreachable")

    expect.invoke_error(resp)
    assert "Lambda API unreachable" in resp.text, resp.text
    assert envoy.stat("wasmcustom.aws_lambda.invocations.transport_error") == before + 3, "3 attempts (maxAttempts), each a transport error"
    expect.backend_not_called(backend)
    assert envoy.stat("cluster.lambda.upstream_cx_connect_fail") >= 1, "the callout really tried the closed port"
    assert requests.get(f"{envoy.admin}/ready", timeout=2).text.strip() == "LIVE"


def test_unknown_cluster_gives_500(envoys, double, backend, double_config):
    envoy = envoys.get(double_config(cluster="no_such_cluster", sendToConsumer=False), lambda_to="double")

    resp = envoy.get("/no-cluster")

    expect.invoke_error(resp)
    expect.backend_not_called(backend)
    assert double.requests == []


def test_consumer_disconnect_while_lambda_pending_leaves_envoy_healthy(envoys, double, backend, double_config):
    double.enqueue(LambdaDouble.slow(1.5))
    envoy = envoys.get(double_config(sendToConsumer=False), lambda_to="double")
    failures_before = _vm_failures(envoy)

    with socket.create_connection(("127.0.0.1", envoy.port), timeout=2) as s:
        s.sendall(b"GET /disconnect HTTP/1.1\r\nHost: e2e\r\n\r\n")
        double.wait_for_requests(1, timeout=5)
        # The consumer goes away while the callout is pending.
    time.sleep(2.0)  # the slow answer arrives after the stream is gone

    expect.backend_not_called(backend)
    _next_request_succeeds(envoy, double)
    assert _vm_failures(envoy) == failures_before
    assert "panicked" not in envoy.log_text()


def test_request_body_over_buffer_limit_is_413_without_lambda_call(envoys, double, backend, double_config):
    envoy = envoys.get(double_config(scope="REQUEST_CONTENT", sendToConsumer=False, payload="{#request.content}"), lambda_to="double", buffer_limit_bytes=65536)

    resp = envoy.post("/too-big", body=b"z" * (512 * 1024), headers={"content-type": "application/octet-stream"})

    assert resp.status_code == 413, resp.text[:300]
    assert double.requests == [], "no Lambda call for a body that could not be buffered"
    time.sleep(0.3)  # an upstream request opened by mistake would show up by now
    expect.backend_not_called(backend)


# ----------------------------------------------------------------------------- variables
def test_variable_needing_json_on_a_non_json_answer_gives_template_error(envoys, double, backend, double_config):
    double.always(LambdaDouble.ok(b"this is not json"))
    cfg = double_config(sendToConsumer=False, variables=[{"name": "field", "value": "{#jsonPath(#lambdaResponse.content, '$.field')}"}])
    envoy = envoys.get(cfg, lambda_to="double", variables=["field"])

    resp = envoy.get("/not-json")

    expect.variable_error(resp)
    expect.backend_not_called(backend)

    double.always(LambdaDouble.ok({"field": "fine"}))
    ok = envoy.get("/json-again")
    assert ok.status_code == 200, ok.text
    assert ok.json()["headers"].get("x-lambda-field") == "fine"


# ----------------------------------------------------------------------------- headers to Lambda
def test_downstream_credentials_never_reach_lambda(envoys, double, double_config):
    envoy = envoys.get(double_config(sendToConsumer=True), lambda_to="double")

    resp = envoy.get(
        "/private",
        headers={
            "Authorization": "Bearer downstream-token-abc",
            "Cookie": "session=downstream-cookie",
            "x-api-key": "downstream-api-key",
            "x-user": "alice",
        },
    )

    assert resp.status_code == 200
    [req] = double.invocations()
    auth = req.header("authorization") or ""
    assert auth.startswith("AWS4-HMAC-SHA256 "), f"Lambda must get a SigV4 Authorization, got {auth!r}"
    assert len(req.header_all("authorization")) == 1
    raw = repr(req.headers)
    for leaked in ("downstream-token-abc", "downstream-cookie", "downstream-api-key", "alice"):
        assert leaked not in raw, f"{leaked} reached Lambda: {raw}"
    assert "cookie" not in req.header_names


# ----------------------------------------------------------------------------- large answers
def test_lambda_answer_at_the_limit_is_sent_whole(envoys, double, double_config):
    body = b"x" * (6 * 1024 * 1024)  # Lambda's synchronous response limit
    double.always(LambdaDouble.ok(body))
    envoy = envoys.get(double_config(sendToConsumer=True), lambda_to="double")

    resp = envoy.get("/answer-at-limit", timeout=30)

    assert resp.status_code == 200, resp.text[:300]
    assert resp.content == body
    expect.content_length_ok(resp)


def test_lambda_answer_over_the_limit_is_refused(envoys, double, backend, double_config):
    double.always(LambdaDouble.ok(b"x" * (8 * 1024 * 1024)))
    envoy = envoys.get(double_config(sendToConsumer=False), lambda_to="double")
    before = envoy.stat("wasmcustom.aws_lambda.invocations.oversized")

    resp = envoy.get("/answer-over-limit", timeout=30)

    expect.invoke_error(resp)
    assert "larger than 6291456 bytes" in resp.text
    expect.backend_not_called(backend)
    assert len(double.invocations()) == 1, "an oversized answer is not retried"
    assert envoy.stat("wasmcustom.aws_lambda.invocations.oversized") == before + 1
    _next_request_succeeds(envoy, double)


# ----------------------------------------------------------------------------- fail-fast limits
def test_event_payload_over_one_mb_is_refused_before_calling_lambda(envoys, double, backend, double_config):
    body = b"e" * (1024 * 1024 + 1)  # Lambda accepts 1 MB for Event invocations
    cfg = double_config(scope="REQUEST_CONTENT", invocationType="Event", payload="{#request.content}", sendToConsumer=False)
    envoy = envoys.get(cfg, lambda_to="double", buffer_limit_bytes=4 * 1024 * 1024)
    before = envoy.stat("wasmcustom.aws_lambda.payload_too_large")

    resp = envoy.post("/event-too-big", body=body, headers={"content-type": "application/octet-stream"})

    err = expect.error_body(resp, 413, "AWS_LAMBDA_PAYLOAD_TOO_LARGE", "The lambda payload exceeds the size AWS Lambda accepts.")
    assert "1048577 bytes" in err.get("details", ""), err
    assert double.requests == [], "refused before any Lambda call"
    expect.backend_not_called(backend)
    assert envoy.stat("wasmcustom.aws_lambda.payload_too_large") == before + 1

    ok = envoy.post("/event-fits", body=b"e" * 1024, headers={"content-type": "application/octet-stream"})
    assert ok.status_code == 200, ok.text[:300]
    assert len(double.invocations()) == 1
