"""Function references (name, full ARN, partial ARN, alias, qualifier) and invocation types.

moto checks the SigV4 signature of each form (an ARN's ``:`` is ``%3A`` on the wire and
``%253A`` in the canonical URI; a wrong encoding is a 403); its docker-free Lambda does
not resolve names, so the double checks exactly what was sent on the wire.
"""

from __future__ import annotations

import json

import pytest

from harness import expect
from harness.lambda_double import LambdaDouble
from harness.moto import ACCOUNT_ID

FULL_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:echo"
PARTIAL_ARN = f"{ACCOUNT_ID}:function:echo"

# (function field, qualifier field, path segment expected on the wire, query expected)
FUNCTION_FORMS = [
    pytest.param("echo", None, "echo", "", id="name"),
    pytest.param(FULL_ARN, None, FULL_ARN.replace(":", "%3A"), "", id="full-arn"),
    pytest.param(PARTIAL_ARN, None, PARTIAL_ARN.replace(":", "%3A"), "", id="partial-arn"),
    pytest.param("echo:live", None, "echo%3Alive", "", id="name-colon-alias"),
    pytest.param("echo", "live", "echo", "Qualifier=live", id="qualifier-alias"),
    pytest.param(FULL_ARN, "1", FULL_ARN.replace(":", "%3A"), "Qualifier=1", id="arn-qualifier-version"),
]


@pytest.mark.parametrize("function, qualifier, wire_name, query", FUNCTION_FORMS)
def test_function_forms_are_signed_correctly_for_moto(envoys, moto, backend, moto_config, function, qualifier, wire_name, query):
    payload = {"form": function, "qualifier": qualifier or ""}
    cfg = moto_config(function=function, qualifier=qualifier, sendToConsumer=True, payload=json.dumps(payload))
    envoy = envoys.get(cfg)
    before = len(moto.invoke_calls())

    resp = envoy.get("/fn")

    assert resp.status_code == 200, f"moto refused the call (signature?): {resp.text}"
    assert resp.json() == payload
    calls = moto.invoke_calls()[before:]
    assert len(calls) == 1
    assert calls[0]["path"] == f"/2015-03-31/functions/{wire_name}/invocations"
    assert calls[0]["query"] == query
    expect.backend_not_called(backend)


@pytest.mark.parametrize("function, qualifier, wire_name, query", FUNCTION_FORMS)
def test_function_forms_on_the_wire(envoys, double, double_config, function, qualifier, wire_name, query):
    cfg = double_config(function=function, qualifier=qualifier, sendToConsumer=True)
    envoy = envoys.get(cfg, lambda_to="double")

    resp = envoy.get("/fn")

    assert resp.status_code == 200, resp.text
    [req] = double.invocations()
    assert req.method == "POST"
    assert req.raw_path == f"/2015-03-31/functions/{wire_name}/invocations"
    assert req.query == query
    assert LambdaDouble.function_name(req) == function
    assert req.header("host") == double.url.removeprefix("http://"), "the endpoint's host:port is the :authority"
    assert (req.header("X-Amz-Invocation-Type") or "RequestResponse") == "RequestResponse"


@pytest.mark.parametrize(
    "kind, path, status",
    [("Event", "/event", 202), ("DryRun", "/dry-run", 204)],
)
def test_event_and_dry_run_invocations_answer_with_the_lambda_status(envoys, moto, backend, moto_config, kind, path, status):
    cfg = moto_config(invocationType=kind, sendToConsumer=True, payload='{"async": true}')
    envoy = envoys.get(cfg)
    before = len(moto.invoke_calls())

    resp = envoy.get(path)

    assert resp.status_code == status, resp.text
    if status == 204:
        assert resp.content == b"", "a DryRun answer has no body"
    else:
        expect.content_length_ok(resp)
    calls = moto.invoke_calls()[before:]
    assert len(calls) == 1
    assert calls[0]["headers"].get("x-amz-invocation-type") == kind
    expect.backend_not_called(backend)


def test_event_invocation_without_send_to_consumer_reaches_backend(envoys, moto, backend, moto_config):
    cfg = moto_config(invocationType="Event", sendToConsumer=False, payload='{"async": true}')
    envoy = envoys.get(cfg)
    before = len(moto.invoke_calls())

    resp = envoy.get("/event-upstream")

    expect.backend_echo(resp)
    assert len(backend.requests) == 1
    assert [c["headers"].get("x-amz-invocation-type") for c in moto.invoke_calls()[before:]] == ["Event"]


def test_event_on_the_wire_gives_empty_202(envoys, double, double_config, backend):
    # The real API answers an Event with 202 and no body (moto echoes the payload).
    envoy = envoys.get(double_config(invocationType="Event", sendToConsumer=True), lambda_to="double")

    resp = envoy.get("/event")

    assert resp.status_code == 202
    assert resp.content == b""
    [req] = double.invocations()
    assert req.header("X-Amz-Invocation-Type") == "Event"


def test_log_type_tail_is_requested(envoys, double, double_config):
    envoy = envoys.get(double_config(logType="Tail", sendToConsumer=True, payload='{"t": 1}'), lambda_to="double")

    resp = envoy.get("/tail")

    assert resp.status_code == 200
    assert resp.json() == {"t": 1}
    [req] = double.invocations()
    assert req.header("X-Amz-Log-Type") == "Tail"
    assert "x-amz-log-result" not in {k.lower() for k in resp.headers}, "Lambda headers are not copied to the consumer"


def test_default_log_type_does_not_ask_for_logs(envoys, double, double_config):
    envoy = envoys.get(double_config(sendToConsumer=True), lambda_to="double")

    resp = envoy.get("/no-tail")

    assert resp.status_code == 200
    [req] = double.invocations()
    assert (req.header("X-Amz-Log-Type") or "None") == "None"


def test_no_payload_sends_an_empty_body(envoys, double, double_config):
    cfg = double_config(sendToConsumer=True)
    del cfg["payload"]
    envoy = envoys.get(cfg, lambda_to="double")

    resp = envoy.get("/no-payload")

    assert resp.status_code == 200
    [req] = double.invocations()
    assert req.body == b""
    assert resp.content == b""


def test_request_is_signed_for_the_configured_region(envoys, double, double_config):
    envoy = envoys.get(double_config(region="eu-west-3", sendToConsumer=True), lambda_to="double")

    assert envoy.get("/region").status_code == 200
    [req] = double.invocations()
    auth = req.header("authorization") or ""
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIAE2EDOUBLE0000001/"), auth
    assert "/eu-west-3/lambda/aws4_request" in auth
    assert req.header("x-amz-date"), "SigV4 needs X-Amz-Date"


def test_queued_moto_result_is_what_the_consumer_gets(envoys, moto, moto_config):
    # The function's own result (not the echo) reaches the consumer untouched.
    envoy = envoys.get(moto_config(sendToConsumer=True, payload='{"ignored": true}'))
    moto.queue_results({"statusCode": 200, "body": "from the function"})
    resp = None
    try:
        resp = envoy.get("/queued")
    finally:
        if resp is None or resp.status_code != 200:
            # moto's queue is shared by every later Invoke: consume what we queued.
            moto.invoke_directly("demo", b'{"drain": true}')

    assert resp.status_code == 200
    assert resp.json() == {"statusCode": 200, "body": "from the function"}
