"""The policy's ``condition`` in the real Envoy: true runs the policy, false leaves the
stream untouched (no call, no variables, the backend gets the request as sent), an
evaluation error skips the policy with one warning and the ``condition_error`` counter,
or answers 500 with ``onConditionError: FAIL``; in a request and a response scope, and
in the ``*_CONTENT`` scopes (a condition on headers never holds the body; one that reads
the body is evaluated at its end).
"""

from __future__ import annotations

import json
import re
import time

import pytest

from harness import expect
from harness.envoy import Topology, render_bootstrap, validate_yaml
from harness.httpserver import Reply
from harness.lambda_double import LambdaDouble
from harness.util import free_port
from test_config_refusal import GOOD, PLUGIN_REFUSED

ON_HEADER = "{#request.headers['x-run'][0] == 'yes'}"
# Renders the header's value: anything but true/false (or no header) cannot be evaluated.
HEADER_VALUE = "{#request.headers['x-run'][0]}"
ON_STATUS = "{#response.status == 201}"


def _untouched(envoy, double, path: str) -> str:
    """Lambda was not called and the filter published nothing: its access-log line."""
    assert double.requests == [], "no Lambda call"
    line = envoy.wait_access_log(f'"GET {path}"')
    assert "lambda_status=-" in line and "lambda_error_key=-" in line, line
    return line


def _policy_error_lines(envoy, offset: int, mark: str) -> list[str]:
    """The skip warnings containing ``mark`` written since ``offset``: waits for the first
    (Envoy flushes its log every 100 ms, later under load), then a little longer for any
    second one. The log is the whole shared Envoy's, and every listener's plugin has the
    same name: ``mark`` tells this request's warning apart from another test's, flushed late."""

    def lines() -> list[str]:
        return [line for line in envoy.log_since(offset).splitlines() if "[wasm]" in line and "the policy is skipped" in line and mark in line]

    deadline = time.monotonic() + 5
    while not lines() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    return lines()


# ----------------------------------------------------------------------------- REQUEST
def test_request_condition_true_runs_the_policy(envoys, double, backend, double_config):
    envoy = envoys.get(double_config(sendToConsumer=True, payload='{"ran": true}', condition=ON_HEADER), lambda_to="double")

    resp = envoy.get("/cond-true", headers={"x-run": "yes"})

    assert resp.status_code == 200, resp.text
    assert resp.json() == {"ran": True}
    assert len(double.invocations()) == 1
    expect.backend_not_called(backend)


def test_request_condition_false_leaves_the_request_alone(envoys, double, backend, double_config):
    cfg = double_config(sendToConsumer=True, condition=ON_HEADER, variables=[{"name": "v", "value": "x"}])
    envoy = envoys.get(cfg, lambda_to="double", variables=["v"])

    resp = envoy.get("/cond-false", headers={"x-run": "no"})

    echo = expect.backend_echo(resp)
    assert echo["path"] == "/cond-false"
    assert "x-lambda-v" not in echo["headers"] or echo["headers"]["x-lambda-v"] == "", echo["headers"]
    line = _untouched(envoy, double, "/cond-false")
    assert "var.v=-" in line, line


def test_request_condition_error_skips_with_a_warning_and_a_count(envoys, double, backend, double_config):
    envoy = envoys.get(double_config(sendToConsumer=True, condition=HEADER_VALUE), lambda_to="double", tag="cond-error")
    before = envoy.stat("wasmcustom.aws_lambda.condition_error")
    offset = envoy.log_size()

    resp = envoy.get("/cond-error", headers={"x-run": "perhaps-secret"})

    expect.backend_echo(resp)
    assert double.requests == []
    assert envoy.stat("wasmcustom.aws_lambda.condition_error") == before + 1
    lines = _policy_error_lines(envoy, offset, mark="(a text of 14 chars)")
    assert len(lines) == 1, lines
    assert "[stream " in lines[0] and "onConditionError SKIP" in lines[0], lines[0]
    assert "perhaps-secret" not in lines[0], "no request data in the log"

    # true / false still decide once the value is one of them (any case).
    assert envoy.get("/cond-error-true", headers={"x-run": "TRUE"}).json() == {"hello": "world"}
    assert len(double.invocations()) == 1


def test_request_condition_error_with_fail_answers_500(envoys, double, backend, double_config):
    cfg = double_config(sendToConsumer=True, condition=HEADER_VALUE, onConditionError="FAIL")
    envoy = envoys.get(cfg, lambda_to="double")
    before = envoy.stat("wasmcustom.aws_lambda.condition_error")

    resp = envoy.get("/cond-fail")

    expect.error_body(resp, 500, "GATEWAY_POLICY_INTERNAL_ERROR", "An error occurs while evaluating the policy condition.")
    assert double.requests == []
    expect.backend_not_called(backend)
    assert envoy.stat("wasmcustom.aws_lambda.condition_error") == before + 1
    line = envoy.wait_access_log('"GET /cond-fail"')
    assert "lambda_error_key=GATEWAY_POLICY_INTERNAL_ERROR" in line, line


def test_fail_mode_answer_can_be_templated(envoys, double, double_config):
    templates = {"GATEWAY_POLICY_INTERNAL_ERROR": {"*/*": {"status": 400, "body": "bad condition input"}}}
    cfg = double_config(condition=HEADER_VALUE, onConditionError="FAIL", responseTemplates=templates)
    envoy = envoys.get(cfg, lambda_to="double")

    resp = envoy.get("/cond-fail-template", headers={"x-run": "?"})

    assert (resp.status_code, resp.text) == (400, "bad condition input")


# ----------------------------------------------------------------------------- RESPONSE
def test_response_condition_true_and_false(envoys, double, backend, double_config):
    envoy = envoys.get(double_config(scope="RESPONSE", sendToConsumer=True, payload='{"replaced": true}', condition=ON_STATUS), lambda_to="double")

    backend.always(Reply(201, {"content-type": "text/plain", "x-backend": "scripted"}, b"created"))
    resp = envoy.get("/resp-true")
    assert resp.status_code == 200 and resp.json() == {"replaced": True}, resp.text
    assert len(double.invocations()) == 1

    double.reset()
    backend.always(Reply(200, {"content-type": "text/plain", "x-backend": "scripted"}, b"kept"))
    resp = envoy.get("/resp-false")
    assert (resp.status_code, resp.content) == (200, b"kept")
    _untouched(envoy, double, "/resp-false")


def test_response_condition_error_skips_and_fail_answers_500(envoys, double, backend, double_config):
    backend.always(Reply(200, {"content-type": "text/plain", "x-backend": "scripted"}, b"kept"))
    broken = "{#response.headers['x-nope'][0]}"
    skip = envoys.get(double_config(scope="RESPONSE", sendToConsumer=True, condition=broken), lambda_to="double", tag="resp-cond-error")
    before = skip.stat("wasmcustom.aws_lambda.condition_error")

    resp = skip.get("/resp-error")
    assert (resp.status_code, resp.content) == (200, b"kept")
    assert double.requests == []
    assert skip.stat("wasmcustom.aws_lambda.condition_error") == before + 1

    fail = envoys.get(double_config(scope="RESPONSE", sendToConsumer=True, condition=broken, onConditionError="FAIL"), lambda_to="double")
    resp = fail.get("/resp-fail")
    expect.error_body(resp, 500, "GATEWAY_POLICY_INTERNAL_ERROR", "An error occurs while evaluating the policy condition.")
    assert double.requests == []


# ----------------------------------------------------------------------------- *_CONTENT
@pytest.mark.parametrize("run", [True, False])
def test_request_content_condition_on_the_body(envoys, double, backend, double_config, run):
    cfg = double_config(scope="REQUEST_CONTENT", sendToConsumer=True, payload="{#request.content}", condition="{#request.content.startsWith('go')}")
    envoy = envoys.get(cfg, lambda_to="double")
    body = ("go " if run else "stop ") + "x" * 70000  # several body callbacks

    resp = envoy.post("/content-cond", body=body, headers={"content-type": "text/plain"})

    if run:
        assert resp.status_code == 200, resp.text[:300]
        assert resp.text == body, "the double echoes the payload"
        expect.backend_not_called(backend)
    else:
        echo = expect.backend_echo(resp)
        assert echo["body"] == body, "the backend got the whole body, held and let go"
        assert double.requests == []


def test_request_content_condition_on_headers_never_holds_the_body(envoys, double, backend, double_config):
    cfg = double_config(scope="REQUEST_CONTENT", sendToConsumer=True, payload="{#request.content}", condition=ON_HEADER)
    # A body over the buffer limit: held, it would get Envoy's 413; passed through, it reaches the backend.
    envoy = envoys.get(cfg, lambda_to="double", buffer_limit_bytes=65536, hold_request_headers=False)
    body = b"b" * (256 * 1024)

    resp = envoy.post("/content-cond-headers", body=body, headers={"content-type": "application/octet-stream", "x-run": "no"})

    echo = expect.backend_echo(resp)
    assert echo["body_length"] == len(body)
    assert double.requests == []


def test_response_content_condition_false_keeps_the_backend_answer(envoys, double, backend, double_config):
    backend.always(Reply(200, {"content-type": "text/plain", "x-backend": "scripted"}, b"backend body"))
    cfg = double_config(scope="RESPONSE_CONTENT", sendToConsumer=True, payload="{#response.content}", condition=ON_STATUS)
    envoy = envoys.get(cfg, lambda_to="double")

    resp = envoy.get("/resp-content-false")

    assert (resp.status_code, resp.content) == (200, b"backend body")
    assert resp.headers.get("content-length") == str(len(b"backend body")), "the length was not touched"
    assert double.requests == []


# ----------------------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    "fields, named",
    [
        pytest.param({"condition": "maybe"}, "condition", id="constant-neither-true-nor-false"),
        pytest.param({"condition": "{#request.method =="}, "condition", id="does-not-compile"),
        pytest.param({"condition": True}, "condition", id="not-a-string"),
        pytest.param({"onConditionError": "ABORT"}, "onConditionError", id="unknown-mode"),
    ],
)
def test_refused_condition_configurations_name_the_field(wasm_module, fields, named):
    p = free_port()
    cfg = {**GOOD, **fields}
    ok, out = validate_yaml(render_bootstrap(json.dumps(cfg), Topology(p, p, p), module=wasm_module), tag="validate-condition")

    assert not ok, f"accepted {fields!r}"
    assert PLUGIN_REFUSED.search(out), out[-3000:]
    lines = [line for line in out.splitlines() if ("[wasm]" in line or "wasm log" in line) and re.search(f"field `{named}`", line)]
    assert len(lines) == 1, out[-3000:]
