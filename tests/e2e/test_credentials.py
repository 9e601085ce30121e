"""Credentials: VM environment, session tokens, assumed roles (cached, shared, refreshed),
STS failures and recovery, and secrets that never leak. moto checks every signature."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

from harness import expect
from harness.sts import assume_role_ok, sts_error


def _credential_of(call: dict) -> str:
    m = re.search(r"Credential=([^/]+)/", call["headers"].get("authorization", ""))
    return m.group(1) if m else ""


def _no_static_keys(cfg: dict) -> dict:
    cfg.pop("accessKey", None)
    cfg.pop("secretKey", None)
    return cfg


# ----------------------------------------------------------------------------- environment
def test_keys_from_vm_environment_key_values(envoys, moto, world, moto_config):
    cfg = _no_static_keys(moto_config(sendToConsumer=True, payload='{"from": "env"}'))
    envoy = envoys.get(cfg, env={"AWS_ACCESS_KEY_ID": world.access_key, "AWS_SECRET_ACCESS_KEY": world.secret_key})
    before = len(moto.invoke_calls())

    resp = envoy.get("/env-creds")

    assert resp.status_code == 200, resp.text
    assert resp.json() == {"from": "env"}
    [call] = moto.invoke_calls()[before:]
    assert _credential_of(call) == world.access_key


def test_keys_from_host_environment_via_host_env_keys(envoys, moto, world, moto_config):
    cfg = _no_static_keys(moto_config(sendToConsumer=True, payload='{"from": "host-env"}'))
    envoy = envoys.get(
        cfg,
        host_env_keys=["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
        process_env={"AWS_ACCESS_KEY_ID": world.access_key, "AWS_SECRET_ACCESS_KEY": world.secret_key},
    )

    resp = envoy.get("/host-env-creds")

    assert resp.status_code == 200, resp.text
    assert resp.json() == {"from": "host-env"}


def test_wrong_secret_in_host_environment_is_refused_and_appears_nowhere(envoys, backend, world, moto_config):
    """The secret reaches the VM from Envoy's process environment only, so it is in no
    Envoy configuration: the whole debug log must be free of it."""
    secret = "WRONG-env-secret-e2e-0a1b2c3d4e5f"
    cfg = _no_static_keys(moto_config(sendToConsumer=False))
    envoy = envoys.get(
        cfg,
        host_env_keys=["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
        process_env={"AWS_ACCESS_KEY_ID": world.access_key, "AWS_SECRET_ACCESS_KEY": secret},
    )

    resp = envoy.get("/env-wrong")

    expect.invoke_error(resp)
    assert "Status Code: 403" in resp.text
    assert secret not in resp.text
    expect.backend_not_called(backend)
    time.sleep(0.5)  # log flush
    log = envoy.log_text()
    assert "/env-wrong" in log, "the debug log covers this request"
    assert secret not in log


def test_configuration_keys_win_over_environment(envoys, moto, world, moto_config):
    cfg = moto_config(sendToConsumer=True, payload='{"from": "config"}')
    envoy = envoys.get(cfg, env={"AWS_ACCESS_KEY_ID": "AKIANOTVALID00000000", "AWS_SECRET_ACCESS_KEY": "nope"})

    resp = envoy.get("/config-wins")

    assert resp.status_code == 200, resp.text


# ----------------------------------------------------------------------------- session token
def test_session_token_in_configuration(envoys, moto, moto_config):
    creds = moto.assume_role("e2e-static-session")
    cfg = moto_config(accessKey=creds["AccessKeyId"], secretKey=creds["SecretAccessKey"], sessionToken=creds["SessionToken"], sendToConsumer=True, payload='{"from": "session"}')
    envoy = envoys.get(cfg, tag="session-token")
    before = len(moto.invoke_calls())

    resp = envoy.get("/session")

    assert resp.status_code == 200, resp.text
    [call] = moto.invoke_calls()[before:]
    assert call["headers"].get("x-amz-security-token") == creds["SessionToken"]
    assert "x-amz-security-token" in call["headers"]["authorization"].lower(), "the token header is signed"
    time.sleep(0.5)  # log flush
    assert expect.secret_lines(envoy.log_text(), creds["SecretAccessKey"]) == []
    assert expect.secret_lines(envoy.log_text(), creds["SessionToken"], allow_header_dump=("x-amz-security-token",)) == []


def test_session_token_from_vm_environment(envoys, moto, moto_config):
    creds = moto.assume_role("e2e-env-session")
    cfg = _no_static_keys(moto_config(sendToConsumer=True, payload='{"from": "env-session"}'))
    envoy = envoys.get(
        cfg,
        env={"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"], "AWS_SESSION_TOKEN": creds["SessionToken"]},
    )

    resp = envoy.get("/env-session")

    assert resp.status_code == 200, resp.text


def test_wrong_session_token_is_refused(envoys, moto, backend, moto_config):
    creds = moto.assume_role("e2e-bad-token")
    cfg = moto_config(accessKey=creds["AccessKeyId"], secretKey=creds["SecretAccessKey"], sessionToken="not-the-token", sendToConsumer=False)
    envoy = envoys.get(cfg)

    resp = envoy.get("/bad-token")

    expect.invoke_error(resp)
    assert "Status Code: 403" in resp.text
    expect.backend_not_called(backend)


# ----------------------------------------------------------------------------- assumed role
def test_role_is_assumed_once_for_many_requests(envoys, moto, world, moto_config):
    cfg = moto_config(roleArn=world.role_arn, stsEndpoint=world.endpoint, stsCluster="sts", sendToConsumer=True, payload='{"via": "role"}')
    envoy = envoys.get(cfg, fresh=True, tag="role-once")
    sts_before = len(moto.assume_role_calls())
    inv_before = len(moto.invoke_calls())

    statuses = [envoy.get(f"/role/{i}").status_code for i in range(20)]

    assert statuses == [200] * 20, statuses
    assert envoy.stat("cluster.sts.upstream_rq_total") == 1, "one STS call for 20 requests"
    sts_calls = moto.assume_role_calls()[sts_before:]
    assert len(sts_calls) == 1
    form = parse_qs(sts_calls[0]["body"].decode())
    assert form["RoleArn"] == [world.role_arn]
    assert form["RoleSessionName"] == ["gravitee"], "roleSessionName defaults to gravitee"
    assert _credential_of(sts_calls[0]) == world.access_key, "AssumeRole is signed with the base key"
    invokes = moto.invoke_calls()[inv_before:]
    assert len(invokes) == 20
    keys = {_credential_of(c) for c in invokes}
    assert len(keys) == 1 and next(iter(keys)).startswith("ASIA"), f"Lambda calls signed with the assumed-role key: {keys}"
    assert all(c["headers"].get("x-amz-security-token") for c in invokes)


def test_concurrent_first_requests_share_one_sts_call(envoys, moto, world, moto_config):
    cfg = moto_config(roleArn=world.role_arn, roleSessionName="e2e-burst", stsEndpoint=world.endpoint, sendToConsumer=True, payload='{"via": "burst"}')
    envoy = envoys.get(cfg, fresh=True, tag="role-burst")

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda i: envoy.get(f"/burst/{i}").status_code, range(16)))

    assert statuses == [200] * 16, statuses
    assert envoy.stat("cluster.sts.upstream_rq_total") == 1, "streams waiting for the first fetch do not fetch again"


def test_role_session_token_and_secrets_not_in_logs(envoys, moto, world, moto_config):
    """Base keys from the process environment (so in no Envoy configuration), role
    assumed through moto: the base secret appears nowhere in the debug log, the session
    token only in Envoy's own dump of the callout's headers."""
    cfg = _no_static_keys(
        moto_config(roleArn=world.role_arn, roleSessionName="e2e-leak-check", stsEndpoint=world.endpoint, sendToConsumer=True, payload='{"leak": "check"}')
    )
    envoy = envoys.get(
        cfg,
        fresh=True,
        tag="role-leak",
        host_env_keys=["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
        process_env={"AWS_ACCESS_KEY_ID": world.access_key, "AWS_SECRET_ACCESS_KEY": world.secret_key},
    )
    before = len(moto.invoke_calls())

    assert envoy.get("/leak").status_code == 200
    [call] = moto.invoke_calls()[before:]
    token = call["headers"]["x-amz-security-token"]
    time.sleep(0.5)  # log flush

    log = envoy.log_text()
    assert "/leak" in log
    assert world.secret_key not in log, "the base secret is in Envoy's debug log"
    leaks = expect.secret_lines(log, token, allow_header_dump=("x-amz-security-token",))
    assert leaks == [], f"the session token was logged: {leaks[:2]}"


def test_wrong_base_secret_fails_at_sts_without_leaking(envoys, moto, backend, world, moto_config):
    secret = "WRONG-base-secret-for-sts-e2e-77aa88bb"
    cfg = moto_config(secretKey=secret, roleArn=world.role_arn, stsEndpoint=world.endpoint, sendToConsumer=False)
    envoy = envoys.get(cfg, fresh=True, tag="role-wrong-base")
    inv_before = len(moto.invoke_calls())

    resp = envoy.get("/sts-refused")

    expect.invoke_error(resp)
    assert "403" in resp.text
    assert secret not in resp.text
    time.sleep(0.5)  # log flush
    assert expect.secret_lines(envoy.log_text(), secret) == []
    expect.backend_not_called(backend)
    assert moto.invoke_calls()[inv_before:] == [], "no Lambda call without credentials"


def test_sts_down_then_back(envoys, moto, world, sts_double, backend, moto_config):
    """STS fails -> documented 500 with the STS error; once STS answers, the filter
    recovers (after its back-off) without a restart."""
    creds = moto.assume_role("gravitee")
    sts_double.always(sts_error(503, "ServiceUnavailable", "STS is down"))
    cfg = moto_config(roleArn=world.role_arn, stsEndpoint=sts_double.url, sendToConsumer=True, payload='{"sts": "back"}')
    envoy = envoys.get(cfg, sts_to="sts_double", fresh=True, tag="sts-down")

    down = envoy.get("/sts-down")

    expect.invoke_error(down)
    assert "STS AssumeRole failed: Status Code: 503; Error Code: ServiceUnavailable" in down.text, down.text
    expect.backend_not_called(backend)
    failed_calls = len(sts_double.requests)
    assert failed_calls >= 1

    sts_double.always(assume_role_ok(creds, world.role_arn))
    deadline = time.monotonic() + 20
    statuses = []
    while time.monotonic() < deadline:
        r = envoy.get("/sts-back")
        statuses.append(r.status_code)
        if r.status_code == 200:
            assert r.json() == {"sts": "back"}
            break
        expect.invoke_error(r)
        time.sleep(0.5)
    assert statuses[-1] == 200, f"never recovered: {statuses}"
    time.sleep(0.5)  # log flush
    log = envoy.log_text()
    assert creds["SecretAccessKey"] not in log, "the assumed-role secret (STS answer body) was logged"
    assert expect.secret_lines(log, creds["SessionToken"], allow_header_dump=("x-amz-security-token",)) == []
    # Back-off: a broken STS is not hammered (at most one call per failed request).
    assert len(sts_double.requests) <= failed_calls + len(statuses)
