"""Filter state for access logs (``wasm.lambda_status``, ``wasm.lambda_request_id``,
``wasm.lambda_duration_ms``, ``wasm.lambda_error_key``) and a VM that stays up."""

from __future__ import annotations

import re
import time

from harness import expect
from harness.lambda_double import LambdaDouble


def test_access_log_shows_lambda_status_and_request_id(envoys, double, double_config):
    reply = LambdaDouble.ok({"ok": True})
    request_id = dict(reply.header_items())["x-amzn-RequestId"]
    double.always(reply)
    envoy = envoys.get(double_config(sendToConsumer=True), lambda_to="double")

    assert envoy.get("/observed-ok").status_code == 200

    line = envoy.wait_access_log('"GET /observed-ok"')
    assert "lambda_status=200" in line, line
    assert f"lambda_request_id={request_id}" in line, line
    m = re.search(r"lambda_duration_ms=(\d+)", line)
    assert m and int(m.group(1)) < 10_000, line
    assert "lambda_error_key=-" in line, line


def test_access_log_shows_error_key(envoys, double, double_config):
    double.always(LambdaDouble.throttled())
    envoy = envoys.get(double_config(sendToConsumer=True), lambda_to="double")

    expect.invoke_error(envoy.get("/observed-error"))

    line = envoy.wait_access_log('"GET /observed-error"')
    assert "lambda_error_key=AWS_LAMBDA_THROTTLED" in line, line  # the precise key
    assert "lambda_status=429" in line, line


def test_many_requests_keep_one_vm(envoys, double, backend, double_config):
    envoy = envoys.get(double_config(sendToConsumer=False), lambda_to="double")
    created_before = envoy.stat("wasm.envoy.wasm.runtime.v8.created")

    for i in range(100):
        if i % 10 == 3:
            double.enqueue(LambdaDouble.function_error("Unhandled"))
        resp = envoy.get(f"/loop/{i}")
        assert resp.status_code == (500 if i % 10 == 3 else 200), (i, resp.text[:200])

    assert envoy.stat("wasm.envoy.wasm.runtime.v8.created") == created_before, "a VM was re-created (crash?)"
    assert len(backend.requests) == 90
    assert "panicked" not in envoy.log_text()


def test_counters_and_latency_histogram_on_prometheus(envoys, double, double_config):
    double.always(LambdaDouble.function_error("Unhandled"))
    envoy = envoys.get(double_config(sendToConsumer=True), lambda_to="double", tag="prometheus")
    expect.invoke_error(envoy.get("/prom-function-error"))
    double.always(None)
    assert envoy.get("/prom-ok").status_code == 200

    # Envoy strips its custom "wasmcustom" namespace on Prometheus: the names start with aws_lambda_.
    def value(text: str, metric: str) -> float:
        m = re.search(rf"^{metric}(?:\{{[^}}]*\}})? (\S+)$", text, re.M)
        assert m, f"{metric} not on /stats/prometheus"
        return float(m.group(1))

    text = envoy.prometheus()
    assert value(text, "aws_lambda_invocations_success") >= 1
    assert value(text, "aws_lambda_invocations_function_error") >= 1
    assert value(text, "aws_lambda_retries") >= 0
    deadline = time.monotonic() + 12  # histograms appear after Envoy's stats flush (5 s)
    while value(text, "aws_lambda_duration_ms_count") < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
        text = envoy.prometheus()
    assert value(text, "aws_lambda_duration_ms_count") >= 2, "one latency sample per call"
