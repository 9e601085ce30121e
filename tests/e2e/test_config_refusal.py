"""Configurations Envoy must refuse (``on_configure`` returns false) and ones it must accept.

Each refused configuration is run through ``envoy --mode validate``: it must fail, say
that the Wasm plugin could not be created, and name the offending field (the filter logs
one line with the field and the reason). A control case proves that the same bootstrap
with a good configuration validates, so a refusal is the configuration's doing.
"""

from __future__ import annotations

import json
import re

import pytest

from harness.envoy import Topology, render_bootstrap, start_expect_failure, validate_yaml
from harness.util import free_port, wait_for

GOOD = {"function": "demo", "endpoint": "http://127.0.0.1:5000", "accessKey": "AKIAEXAMPLEKEY000001", "secretKey": "e2e-secret"}

PLUGIN_REFUSED = re.compile(r"Unable to create Wasm plugin|Failed to configure base Wasm plugin|failed to load", re.I)


def _with(**changes) -> dict:
    cfg = dict(GOOD)
    for k, v in changes.items():
        if v is _DROP:
            cfg.pop(k, None)
        else:
            cfg[k] = v
    return cfg


_DROP = object()

# (id, plugin configuration (dict -> JSON, str -> verbatim), words the output must contain)
REFUSED = [
    ("unknown-field", _with(bogusField=1), ["bogusField"]),
    ("unknown-field-in-variable", _with(variables=[{"name": "a", "value": "x", "extra": 1}]), ["extra"]),
    ("missing-function", _with(function=_DROP), ["function"]),
    ("bad-scope", _with(scope="SOMETIMES"), ["scope"]),
    ("bad-invocation-type", _with(invocationType="Later"), ["invocationType"]),
    ("bad-log-type", _with(logType="Verbose"), ["logType"]),
    ("broken-payload-template", _with(payload="{#request.headers[}"), ["payload"]),
    ("broken-variable-template", _with(variables=[{"name": "v", "value": "{#request.headers[}"}]), ["variables"]),
    ("invalid-json", '{"function": "demo",', ["json|eof|configuration"]),
    ("empty-configuration", "", ["configuration|empty|eof"]),
    ("function-wrong-type", _with(function=42), ["function"]),
    ("send-to-consumer-wrong-type", _with(sendToConsumer="yes"), ["sendToConsumer"]),
    ("timeout-wrong-type", _with(readTimeoutMs="1000"), ["readTimeoutMs"]),
    ("variables-wrong-type", _with(variables={"name": "a"}), ["variables"]),
    ("access-key-without-secret", _with(secretKey=_DROP), ["secretKey"]),
    ("endpoint-not-a-url", _with(endpoint="lambda.local:5000/x y"), ["endpoint"]),
    ("max-attempts-zero", _with(maxAttempts=0), ["maxAttempts"]),
]


@pytest.fixture(scope="module")
def topo() -> Topology:
    # --mode validate never connects: any ports do.
    p = free_port()
    return Topology(lambda_port=p, sts_port=p, backend_port=p)


def test_control_good_configuration_validates(wasm_module, topo):
    ok, out = validate_yaml(render_bootstrap(GOOD, topo, module=wasm_module), tag="validate-good")
    assert ok, out[-3000:]


@pytest.mark.parametrize("configuration, words", [pytest.param(c, w, id=i) for i, c, w in REFUSED])
def test_refused_configuration_fails_validation_and_names_the_field(wasm_module, topo, configuration, words):
    text = configuration if isinstance(configuration, str) else json.dumps(configuration)
    ok, out = validate_yaml(render_bootstrap(text, topo, module=wasm_module), tag="validate-refused")

    assert not ok, f"envoy --mode validate accepted {text!r}"
    assert PLUGIN_REFUSED.search(out), out[-3000:]
    wasm_lines = "\n".join(line for line in out.splitlines() if "[wasm]" in line or "wasm log" in line)
    for word in words:
        assert re.search(word, wasm_lines, re.I), f"no wasm log line names {word!r}:\n{wasm_lines[-3000:]}"
    assert "panicked" not in out


def test_refused_configuration_stops_envoy_from_starting(wasm_module):
    log = start_expect_failure(_with(scope="SOMETIMES"), module=wasm_module)
    assert PLUGIN_REFUSED.search(log), log[-3000:]
    assert "scope" in log


ACCEPTED = [
    pytest.param(_with(ssl={"trustAll": True, "hostnameVerifier": False}), id="ssl"),
    pytest.param(_with(connectionTimeoutMs=1500), id="connectionTimeoutMs"),
    pytest.param(_with(roleArn="arn:aws:iam::123456789012:role/r", roleSessionName="s", stsCluster="sts", stsEndpoint="http://127.0.0.1:5000"), id="role"),
    pytest.param({"function": "demo", "accessKey": "AKIAEXAMPLEKEY000001", "secretKey": "s"}, id="defaults-only"),
    pytest.param({"function": "arn:aws:lambda:us-east-1:123456789012:function:demo:live", "accessKey": "AKIAEXAMPLEKEY000001", "secretKey": "s"}, id="arn-with-alias"),
]
EVERY_FIELD = _with(
    scope="RESPONSE_CONTENT",
    region="eu-west-1",
    payload="{#response.content}",
    invocationType="DryRun",
    qualifier="live",
    logType="Tail",
    variables=[{"name": "a", "value": "{#lambdaResponse.status}"}],
    sendToConsumer=True,
    readTimeoutMs=1000,
    apiCallAttemptTimeoutMs=2000,
    apiCallTimeoutMs=3000,
    connectionTimeoutMs=500,
    ssl={"trustAll": True},
    cluster="lambda",
    properties={"env": "test"},
    maxAttempts=4,
    retryEventInvocations=False,
)


def test_every_field_validates(wasm_module, topo):
    ok, out = validate_yaml(render_bootstrap(EVERY_FIELD, topo, module=wasm_module), tag="validate-accepted")
    assert ok, out[-3000:]


@pytest.mark.parametrize("configuration", ACCEPTED)
def test_accepted_configuration_loads_in_a_running_envoy(envoys, configuration):
    # The pool adds a listener through LDS; Envoy rejects the update (and the pool raises
    # with the log) if on_configure returns false.
    listener = envoys.get(configuration, lambda_to="closed", tag="accepted")
    assert listener.running()


def test_ssl_and_connect_timeout_are_accepted_by_a_running_envoy(envoys, moto, moto_config):
    cfg = moto_config(ssl={"trustAll": True}, connectionTimeoutMs=1500, sendToConsumer=True, payload='{"ssl": "ignored"}')
    envoy = envoys.get(cfg)

    resp = envoy.get("/ssl")

    assert resp.status_code == 200, resp.text
    assert resp.json() == {"ssl": "ignored"}
    # Envoy writes its log file every 100 ms: wait for the lines rather than race the flush.
    warnings = wait_for(
        lambda: [line for line in envoy.log_text().splitlines() if "[wasm]" in line and ("ssl" in line or "connectionTimeoutMs" in line)],
        timeout=5,
        what="the warnings about ssl/connectionTimeoutMs in Envoy's log",
    )
    assert warnings, "the filter says once that ssl/connectionTimeoutMs belong to the Envoy cluster"
