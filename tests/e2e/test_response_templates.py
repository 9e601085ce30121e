"""Gravitee's response templates in the real Envoy: which template answers a failure
(precise key, its parent, DEFAULT; the request's Accept ordered by q), how it is rendered
(#error, #parameters, #request, headers, content-type), the built-in answer when nothing
matches, the fallback when a template fails to render, refused template configurations,
and the precise key in the access log.

Failures are scripted with the Lambda double (``maxAttempts: 1``: one call a failure);
the seed's example runs against moto with a wrong secret (moto refuses the signature).
"""

from __future__ import annotations

import json
import re
import time

import pytest
import requests

from harness import expect
from harness.envoy import Topology, render_bootstrap, validate_yaml
from harness.httpserver import Reply
from harness.lambda_double import LambdaDouble
from harness.util import REPO_ROOT, free_port, wait_for
from test_config_refusal import GOOD, PLUGIN_REFUSED
from test_seed_example import seed_configuration

ERROR_JSON = '{"key": "{#error.key}", "parent": "{#parameters[\'parentErrorKey\']}"}'


def _cfg(double_config, templates: dict, **more) -> dict:
    return double_config(sendToConsumer=False, maxAttempts=1, responseTemplates=templates, **more)


def _get(envoy, path: str, accept: str | None = None, **headers: str) -> requests.Response:
    hs = dict(headers)
    if accept is not None:
        hs["Accept"] = accept
    return envoy.get(path, headers=hs)


# ----------------------------------------------------------------------------- selection
def test_the_precise_keys_template_answers(envoys, double, backend, double_config):
    double.always(LambdaDouble.throttled())
    templates = {
        "AWS_LAMBDA_THROTTLED": {"application/json": {"status": 503, "body": ERROR_JSON}},
        "AWS_LAMBDA_INVALID_RESPONSE": {"application/json": {"status": 502, "body": "parent"}},
    }
    envoy = envoys.get(_cfg(double_config, templates), lambda_to="double")

    resp = _get(envoy, "/precise", accept="application/json")

    assert resp.status_code == 503, resp.text
    assert resp.json() == {"key": "AWS_LAMBDA_THROTTLED", "parent": "AWS_LAMBDA_INVALID_RESPONSE"}
    expect.backend_not_called(backend)


def test_the_parents_template_answers_a_key_without_one(envoys, double, double_config):
    double.always(LambdaDouble.function_error("Unhandled"))
    templates = {"AWS_LAMBDA_INVALID_RESPONSE": {"application/json": {"status": 502, "body": ERROR_JSON}}}
    envoy = envoys.get(_cfg(double_config, templates), lambda_to="double")

    resp = _get(envoy, "/parent", accept="application/json")

    assert resp.status_code == 502, resp.text
    assert resp.json() == {"key": "AWS_LAMBDA_FUNCTION_ERROR", "parent": "AWS_LAMBDA_INVALID_RESPONSE"}


def test_default_answers_a_key_with_no_template_nor_parent_template(envoys, double, double_config):
    double.always(Reply(302, {"location": "http://127.0.0.1:1/x", "content-type": "application/json"}, b"{}"))
    templates = {
        "AWS_LAMBDA_TIMEOUT": {"*/*": {"status": 504, "body": "timeout"}},
        "DEFAULT": {"*/*": {"status": 599, "body": "default {#error.key}"}},
    }
    envoy = envoys.get(_cfg(double_config, templates), lambda_to="double")

    resp = _get(envoy, "/default")

    assert resp.status_code == 599, resp.text
    assert resp.text == "default AWS_LAMBDA_INVALID_STATUS_CODE"


def test_default_is_not_consulted_when_the_keys_templates_do_not_match(envoys, double, double_config):
    double.always(LambdaDouble.throttled())
    templates = {
        "AWS_LAMBDA_THROTTLED": {"application/xml": {"status": 503, "body": "<throttled/>"}},
        "DEFAULT": {"*/*": {"status": 599, "body": "default"}},
    }
    envoy = envoys.get(_cfg(double_config, templates), lambda_to="double")

    resp = _get(envoy, "/no-default", accept="application/json")

    expect.invoke_error(resp)  # Gravitee's built-in answer, as for no template at all


@pytest.mark.parametrize(
    "accept, chosen",
    [
        pytest.param("application/json;q=0.4, text/plain;q=0.9", "text/plain", id="higher-q-wins"),
        pytest.param("*/*, application/json", "application/json", id="concrete-before-wildcard"),
        pytest.param("text/html, text/*;q=0.8", "*/*", id="no-type-matches-wildcard-template"),
        pytest.param("text/plain;q=0, application/json;q=0.1", "application/json", id="q0-is-refused"),
    ],
)
def test_accept_is_ordered_by_q_then_concrete_types(envoys, double, double_config, accept, chosen):
    double.always(LambdaDouble.throttled())
    templates = {
        "AWS_LAMBDA_THROTTLED": {
            media: {"status": 503, "body": f"from {media}", "headers": {"content-type": "text/plain"}}
            for media in ("application/json", "text/plain", "*/*")
        }
    }
    envoy = envoys.get(_cfg(double_config, templates), lambda_to="double", tag="accept")

    resp = _get(envoy, "/accept", accept=accept)

    assert resp.status_code == 503, resp.text
    assert resp.text == f"from {chosen}"


def test_no_matching_template_gives_the_built_in_answer_by_accept(envoys, double, double_config):
    double.always(LambdaDouble.throttled())
    templates = {"AWS_LAMBDA_THROTTLED": {"application/xml": {"status": 503, "body": "<x/>"}}}
    envoy = envoys.get(_cfg(double_config, templates), lambda_to="double")

    as_text = _get(envoy, "/builtin-text", accept="text/html")
    assert as_text.status_code == 500, as_text.text
    assert as_text.headers["content-type"] == "text/plain"
    assert as_text.text == expect.INVOKE_MESSAGE

    for accept in (None, "*/*", "text/html, application/json;q=0.1"):
        resp = _get(envoy, "/builtin-json", accept=accept)
        body = expect.invoke_error(resp)  # JSON whenever the client takes JSON
        assert "Status Code: 429" in body["details"], body


# ----------------------------------------------------------------------------- rendering
def test_error_fields_and_parameters_reach_the_body(envoys, double, double_config):
    reply = LambdaDouble.function_error("Handled", "division by zero")
    request_id = dict(reply.header_items())["x-amzn-RequestId"]
    double.always(reply)
    body = (
        '{"statusCode": {#error.statusCode}, "key": "{#error.key}", "message": "{#error.message}", '
        '"cause": "{#error.cause}", "function": "{#parameters[\'function\']}", "region": "{#parameters[\'region\']}", '
        '"qualifier": "{#parameters[\'qualifier\']}", "status": {#parameters[\'status\']}, '
        '"awsRequestId": "{#parameters[\'awsRequestId\']}", "functionError": "{#error.parameters[\'functionError\']}", '
        '"user": "{#request.headers[\'x-user\'][0]}"}'
    )
    templates = {"AWS_LAMBDA_FUNCTION_ERROR": {"application/json": {"status": 500, "body": body}}}
    envoy = envoys.get(_cfg(double_config, templates, qualifier="live", region="eu-west-1"), lambda_to="double")

    resp = _get(envoy, "/fields", accept="application/json", **{"x-user": "alice"})

    assert resp.status_code == 500, resp.text
    assert resp.json() == {
        "statusCode": 500,
        "key": "AWS_LAMBDA_FUNCTION_ERROR",
        "message": expect.INVOKE_MESSAGE,
        "cause": "Status Code: 200; Function Error: Handled",
        "function": "echo",
        "region": "eu-west-1",
        "qualifier": "live",
        "status": 200,
        "awsRequestId": request_id,
        "functionError": "Handled",
        "user": "alice",
    }
    assert "division by zero" not in resp.text, "the function's own error text is never copied"


def test_api_error_parameters_name_the_aws_error_type(envoys, double, double_config):
    double.always(LambdaDouble.not_found("echo"))
    templates = {"AWS_LAMBDA_NOT_FOUND": {"*/*": {"status": 404, "body": "{#parameters['status']} {#parameters['awsErrorType']}"}}}
    envoy = envoys.get(_cfg(double_config, templates), lambda_to="double")

    resp = _get(envoy, "/not-found")

    assert (resp.status_code, resp.text) == (404, "404 ResourceNotFoundException")


def test_template_headers_are_set(envoys, double, double_config):
    double.always(LambdaDouble.throttled())
    templates = {
        "AWS_LAMBDA_THROTTLED": {
            "*/*": {"status": 429, "headers": {"Retry-After": "3", "X-Error-Key": "throttled"}, "body": "slow down"}
        }
    }
    envoy = envoys.get(_cfg(double_config, templates), lambda_to="double")

    resp = _get(envoy, "/headers")

    assert resp.status_code == 429, resp.text
    assert resp.headers["retry-after"] == "3"
    assert resp.headers["x-error-key"] == "throttled"
    assert resp.text == "slow down"
    expect.content_length_ok(resp)
    assert resp.headers.get("connection", "").lower() != "close", "Envoy keeps the connection (Gravitee closes it)"


def test_content_type_rules(envoys, double, double_config):
    double.always(LambdaDouble.throttled())
    templates = {
        "AWS_LAMBDA_THROTTLED": {
            "*/*": {"status": 503, "body": "first accept value"},
            "application/problem+json": {"status": 503, "body": '{"title": "x"}', "headers": {"Content-Type": "application/problem+json; charset=utf-8"}},
            "text/plain": {"status": 503},
        }
    }
    envoy = envoys.get(_cfg(double_config, templates), lambda_to="double")

    # A body: the first Accept value, as the client wrote it (Gravitee's choice).
    resp = _get(envoy, "/ct-accept", accept="text/csv;charset=utf-8, application/json;q=0.5")
    assert resp.text == "first accept value"
    assert resp.headers["content-type"] == "text/csv;charset=utf-8"
    # The template's own content-type wins.
    resp = _get(envoy, "/ct-template", accept="application/problem+json")
    assert resp.headers["content-type"] == "application/problem+json; charset=utf-8"
    # No body: no content-type, no body.
    resp = _get(envoy, "/ct-empty", accept="text/plain")
    assert resp.status_code == 503
    assert resp.content == b""
    assert "content-type" not in resp.headers
    assert resp.headers.get("content-length") == "0"


def test_a_template_that_fails_to_render_falls_back_and_is_counted(envoys, double, double_config):
    double.always(LambdaDouble.throttled())
    templates = {"AWS_LAMBDA_THROTTLED": {"*/*": {"status": 503, "body": "{#request.nothing.deeper}"}}}
    envoy = envoys.get(_cfg(double_config, templates), lambda_to="double", tag="render-fails")
    before = envoy.stat("wasmcustom.aws_lambda.response_template_error")
    offset = envoy.log_size()

    resp = _get(envoy, "/render-fails")

    body = expect.invoke_error(resp)
    assert "Status Code: 429" in body["details"]
    assert envoy.stat("wasmcustom.aws_lambda.response_template_error") == before + 1
    # Envoy flushes its log every 100 ms (later under load): wait for the line, then for a second one.
    wait_for(lambda: "failed to render" in envoy.log_since(offset), timeout=5, what="the render warning")
    time.sleep(0.3)
    lines = [line for line in envoy.log_since(offset).splitlines() if "failed to render" in line]
    assert len(lines) == 1, lines
    assert "[stream " in lines[0] and "AWS_LAMBDA_THROTTLED" in lines[0], lines[0]


def test_response_scope_templates_see_the_accept_and_the_response(envoys, double, backend, double_config):
    backend.always(Reply(201, {"content-type": "text/plain"}, b"created"))
    double.always(LambdaDouble.function_error("Unhandled"))
    templates = {
        "AWS_LAMBDA_FUNCTION_ERROR": {
            "text/plain": {"status": 502, "body": "backend said {#response.status}, {#request.headers['x-user'][0]}"},
            "application/json": {"status": 502, "body": "json"},
        }
    }
    envoy = envoys.get(_cfg(double_config, templates, scope="RESPONSE"), lambda_to="double")

    resp = _get(envoy, "/response-scope", accept="text/plain, application/json;q=0.5", **{"x-user": "bob"})

    assert resp.status_code == 502, resp.text
    assert resp.text == "backend said 201, bob"
    assert resp.headers["content-type"] == "text/plain"
    assert len(backend.requests) == 1


@pytest.mark.parametrize("scope", ["REQUEST", "REQUEST_CONTENT", "RESPONSE"])
def test_the_built_in_answer_follows_the_accept_in_every_scope(envoys, double, backend, double_config, scope):
    """Envoy exposes the request headers only while they are held: outside the REQUEST
    scope the filter reads Accept on request headers (reading it when the failure is
    answered fails in Envoy with BadArgument, which the SDK turns into a VM abort)."""
    backend.always(Reply(201, {"content-type": "text/plain"}, b"created"))
    double.always(LambdaDouble.function_error("Unhandled"))
    envoy = envoys.get(double_config(scope=scope, maxAttempts=1, sendToConsumer=False, payload="x"), lambda_to="double")
    created = envoy.stat("wasm.envoy.wasm.runtime.v8.created")

    resp = envoy.post("/accept-in-scope", body=b"abc", headers={"Accept": "text/html"})

    assert resp.status_code == 500, resp.text
    assert resp.headers["content-type"] == "text/plain"
    assert resp.text == expect.INVOKE_MESSAGE
    assert envoy.stat("wasm.envoy.wasm.runtime.v8.created") == created, "the VM is the same"
    assert "panicked" not in envoy.log_text()


# ----------------------------------------------------------------------------- README's example
def _readme_templates() -> dict:
    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("### Response templates", 1)[1]
    block = section.split("```json\n", 1)[1].split("\n```", 1)[0]
    return json.loads("{" + block + "}")["responseTemplates"]


def test_the_readmes_worked_example(envoys, double, backend, double_config):
    templates = _readme_templates()
    cfg = double_config(sendToConsumer=False, maxAttempts=1, responseTemplates=templates, variables=[{"name": "v", "value": "{#jsonPath(#lambdaResponse.content, '$.a')}"}])
    envoy = envoys.get(cfg, lambda_to="double", variables=["v"])

    throttled = LambdaDouble.throttled()
    double.always(throttled)
    resp = _get(envoy, "/readme-json", accept="application/json")
    assert resp.status_code == 503 and resp.headers["retry-after"] == "1", resp.text
    assert resp.json() == {"error": "AWS_LAMBDA_THROTTLED", "requestId": dict(throttled.header_items())["x-amzn-RequestId"]}
    resp = _get(envoy, "/readme-html", accept="text/html")
    assert (resp.status_code, resp.headers["content-type"], resp.text) == (500, "text/plain", expect.INVOKE_MESSAGE)

    double.always(LambdaDouble.function_error("Unhandled"))
    resp = _get(envoy, "/readme-function-error", accept="text/html")
    assert (resp.status_code, resp.text) == (502, "The function failed (AWS_LAMBDA_FUNCTION_ERROR).")

    double.always(LambdaDouble.ok(b"not json"))
    resp = _get(envoy, "/readme-variable")
    assert (resp.status_code, resp.content) == (500, b"")
    expect.backend_not_called(backend)


# ----------------------------------------------------------------------------- observability
def test_the_access_log_carries_the_precise_key(envoys, double, double_config):
    double.always(LambdaDouble.throttled())
    envoy = envoys.get(double_config(sendToConsumer=True, maxAttempts=1), lambda_to="double")

    expect.invoke_error(envoy.get("/precise-key-logged"))

    line = envoy.wait_access_log('"GET /precise-key-logged"')
    assert "lambda_error_key=AWS_LAMBDA_THROTTLED" in line, line


# ----------------------------------------------------------------------------- the seed's example
def test_seed_example_with_templates(envoys, moto, backend, world):
    cfg = seed_configuration()
    cfg.update(accessKey=world.access_key, secretKey=world.secret_key, endpoint=world.endpoint, cluster="lambda")
    cfg["responseTemplates"] = {
        "AWS_LAMBDA_ACCESS_DENIED": {
            "application/json": {"status": 502, "body": '{"error": "{#error.key}", "status": {#parameters[\'status\']}}'}
        },
        "DEFAULT": {"*/*": {"status": 500, "body": "failed"}},
    }
    ok = envoys.get(cfg, variables=["lambdaResponse"])
    resp = ok.get("/seed-templates")
    assert resp.status_code == 200, resp.text
    assert resp.content == b'{ "key": "value" }', "templates change nothing on success"

    cfg["secretKey"] = "WRONG-secret-for-the-seed-templates-0000"
    refused = envoys.get(cfg, variables=["lambdaResponse"])
    resp = refused.get("/seed-templates-refused", headers={"Accept": "application/json"})
    assert resp.status_code == 502, resp.text
    assert resp.json() == {"error": "AWS_LAMBDA_ACCESS_DENIED", "status": 403}, "moto refused the signature"
    expect.backend_not_called(backend)


# ----------------------------------------------------------------------------- refusals
def _template(**fields) -> dict:
    return {"status": 500, **fields}


REFUSED = [
    ("status-out-of-range", {"AWS_LAMBDA_TIMEOUT": {"application/json": {"status": 99}}}, "responseTemplates.AWS_LAMBDA_TIMEOUT.application/json.status"),
    ("status-not-a-number", {"AWS_LAMBDA_TIMEOUT": {"*/*": {"status": "504"}}}, "responseTemplates.AWS_LAMBDA_TIMEOUT.\\*/\\*.status"),
    ("status-missing", {"DEFAULT": {"*/*": {"body": "x"}}}, "responseTemplates.DEFAULT.\\*/\\*.status"),
    ("unknown-field", {"DEFAULT": {"*/*": _template(colour="red")}}, "colour"),
    ("body-does-not-compile", {"DEFAULT": {"*/*": _template(body="{#error.key")}}, "responseTemplates.DEFAULT.\\*/\\*.body"),
    ("header-with-crlf", {"DEFAULT": {"*/*": _template(headers={"X-A": "a\r\nX-B: b"})}}, "responseTemplates.DEFAULT.\\*/\\*.headers.X-A"),
    ("managed-header", {"DEFAULT": {"*/*": _template(headers={"Content-Length": "1"})}}, "headers.Content-Length"),
    ("not-a-media-type", {"DEFAULT": {"json": _template()}}, "responseTemplates.DEFAULT.json"),
    ("templates-not-an-object", [], "responseTemplates"),
]


@pytest.fixture(scope="module")
def topo() -> Topology:
    p = free_port()
    return Topology(lambda_port=p, sts_port=p, backend_port=p)


@pytest.mark.parametrize("templates, path", [pytest.param(t, p, id=i) for i, t, p in REFUSED])
def test_refused_template_configurations_name_the_path(wasm_module, topo, templates, path):
    cfg = {**GOOD, "responseTemplates": templates}
    ok, out = validate_yaml(render_bootstrap(json.dumps(cfg), topo, module=wasm_module), tag="validate-templates")

    assert not ok, f"accepted {templates!r}"
    assert PLUGIN_REFUSED.search(out), out[-3000:]
    wasm_lines = [line for line in out.splitlines() if "[wasm]" in line or "wasm log" in line]
    named = [line for line in wasm_lines if re.search(path, line)]
    assert len(named) == 1, f"one line names {path!r}:\n" + "\n".join(wasm_lines[-20:])
    assert "panicked" not in out


def test_both_spellings_and_every_template_field_validate(wasm_module, topo):
    templates = {
        "AWS_LAMBDA_TIMEOUT": {"application/json": {"status": 504, "headers": {"Retry-After": "1"}, "body": "{#error.key}", "propagateErrorKeyToLogs": True}},
        "DEFAULT": {"*/*": {"status": 500}},
    }
    for field in ("responseTemplates", "response_templates"):
        cfg = {**GOOD, field: templates}
        ok, out = validate_yaml(render_bootstrap(json.dumps(cfg), topo, module=wasm_module), tag="validate-templates-ok")
        assert ok, out[-3000:]
