"""Self-tests of the harness, independent of the filter module: moto checks signatures
as the suite relies on, the double and the backend answer and record as documented."""

from __future__ import annotations

import json

import pytest
import requests
from botocore.exceptions import ClientError

from harness.lambda_double import LambdaDouble
from harness.httpserver import Reply


def test_moto_refuses_unknown_keys_and_wrong_secrets(moto, world):
    with pytest.raises(ClientError) as unknown:
        moto.client("lambda", "AKIAUNKNOWN000000000", "x").invoke(FunctionName="demo", Payload=b"{}")
    assert unknown.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError) as wrong:
        moto.client("lambda", world.access_key, "wrong-secret").invoke(FunctionName="demo", Payload=b"{}")
    assert "SignatureDoesNotMatch" in str(wrong.value)


def test_moto_accepts_the_real_key_and_echoes(moto):
    before = len(moto.invoke_calls())
    got = moto.invoke_directly("demo", b'{"a": 1}')
    assert got["status"] == 200 and got["payload"] == b'{"a": 1}'
    [call] = moto.invoke_calls()[before:]
    assert call["body"] == b'{"a": 1}'


@pytest.mark.parametrize("fn", ["arn:aws:lambda:us-east-1:123456789012:function:echo", "123456789012:function:echo", "echo:live"])
def test_moto_checks_arn_paths_as_sent(moto, fn):
    before = len(moto.invoke_calls())
    assert moto.invoke_directly(fn, b'{"arn": true}')["status"] == 200
    [call] = moto.invoke_calls()[before:]
    assert "%3A" in call["path"] and ":" not in call["path"]


def test_moto_invocation_types(moto):
    assert moto.invoke_directly("demo", b'{"e": 1}', InvocationType="Event")["status"] == 202
    dry = moto.invoke_directly("demo", b'{"d": 1}', InvocationType="DryRun")
    assert dry["status"] == 204 and dry["payload"] == b""


def test_moto_queue_and_sts(moto, world):
    moto.queue_results({"queued": True})
    assert json.loads(moto.invoke_directly("demo", b'{"x": 1}')["payload"]) == {"queued": True}
    before = len(moto.assume_role_calls())
    creds = moto.assume_role("harness")
    assert creds["AccessKeyId"].startswith("ASIA")
    assert len(moto.assume_role_calls()) == before + 1
    lam = moto.client("lambda", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert lam.invoke(FunctionName="demo", Payload=b'{"r": 1}')["StatusCode"] == 200


def test_double_defaults_and_script(double):
    url = f"{double.url}/2015-03-31/functions/f/invocations"
    r = requests.post(url, data=b'{"p": 1}', headers={"X-Amz-Invocation-Type": "RequestResponse"}, timeout=5)
    assert r.status_code == 200 and r.content == b'{"p": 1}' and r.headers["x-amzn-RequestId"]
    assert requests.post(url, data=b"x", headers={"X-Amz-Invocation-Type": "Event"}, timeout=5).status_code == 202
    assert requests.post(url, data=b"x", headers={"X-Amz-Invocation-Type": "DryRun"}, timeout=5).status_code == 204
    double.enqueue(LambdaDouble.function_error("Handled"))
    r = requests.post(url, data=b"x", timeout=5)
    assert r.headers["X-Amz-Function-Error"] == "Handled"
    double.always(LambdaDouble.throttled())
    assert requests.post(url, data=b"x", timeout=5).status_code == 429
    assert requests.post(url, data=b"x", timeout=5).status_code == 429
    assert len(double.invocations()) == 6
    assert double.invocations()[0].header("x-amz-invocation-type") == "RequestResponse"


def test_backend_echo(backend):
    r = requests.post(f"{backend.url}/p?q=1", data=b"body", headers={"x-a": "1"}, timeout=5)
    assert r.json()["path"] == "/p?q=1" and r.json()["body"] == "body" and r.json()["headers"]["x-a"] == "1"
    backend.always(Reply(201, {"x-custom": "y"}, b"made"))
    r = requests.get(f"{backend.url}/", timeout=5)
    assert (r.status_code, r.content, r.headers["x-custom"]) == (201, b"made", "y")
    assert len(backend.requests) == 2
