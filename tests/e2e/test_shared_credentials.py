"""Credentials shared across the process: the root contexts of every instance of the filter, in
every worker's VM (same vm_id), with the same credential settings fetch once (proxy-wasm shared
data, a lease taken with compare-and-swap). Counted at the STS double, in an Envoy of its own."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs

import pytest

from harness.sts import assume_role_ok
from harness.util import wait_for

WORKERS = 2
INSTANCES = 3
OTHER_ROLE = "arn:aws:iam::123456789012:role/e2e-other-role"


def _sts(sts_double, creds: dict, life_s: int | None = None) -> None:
    """The double answers every AssumeRole with moto's credentials, for the role asked, expiring
    ``life_s`` after each call (None: as moto issued them)."""

    def answer(req):
        role = parse_qs(req.body.decode()).get("RoleArn", [""])[0]
        c = dict(creds)
        if life_s is not None:
            c["Expiration"] = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=life_s)
        return assume_role_ok(c, role)

    sts_double.always(answer)


def _role_calls(sts_double) -> list[str]:
    return [parse_qs(r.body.decode()).get("RoleArn", [""])[0] for r in sts_double.requests if r.method == "POST"]


def _instances(envoys, envoy, moto_config, sts_double, roles: list[str], **extra) -> list:
    return [
        envoys.listen(
            envoy,
            moto_config(roleArn=role, stsEndpoint=sts_double.url, sendToConsumer=True, payload=f'{{"instance": {i}}}', **extra),
            tag=f"shared-{i}",
        )
        for i, role in enumerate(roles)
    ]


def _through_every_worker(listener, i: int, at_most: int = 120) -> int:
    """Requests on new connections until each worker served this listener; every one succeeds with
    this instance's payload. Returns how many were sent."""
    prefix = f"listener.127.0.0.1_{listener.port}.worker_"

    def connections() -> dict[str, int]:
        return {k: v for k, v in listener.stats(prefix).items() if k.endswith(".downstream_cx_total")}

    before = connections()
    for n in range(1, at_most + 1):
        r = listener.get(f"/instance-{i}/{n}")
        assert r.status_code == 200, r.text
        assert r.json() == {"instance": i}
        served = [k for k, v in connections().items() if v > before.get(k, 0)]
        if len(served) == WORKERS:
            return n
    pytest.fail(f"{listener.name}: the kernel never handed a connection to every worker in {at_most}")


def test_instances_with_the_same_role_in_every_worker_fetch_once(envoys, moto, world, sts_double, moto_config):
    _sts(sts_double, moto.assume_role("gravitee"))
    envoy = envoys.fresh_process(concurrency=WORKERS, sts_to="sts_double", tag="shared-creds")
    listeners = _instances(envoys, envoy, moto_config, sts_double, [world.role_arn] * INSTANCES)
    for i, listener in enumerate(listeners):
        _through_every_worker(listener, i)
    assert _role_calls(sts_double) == [world.role_arn], f"{WORKERS} workers x {INSTANCES} instances"
    assert envoy.stat("wasmcustom.aws_lambda.credentials.fetched") == 1


def test_instances_with_different_roles_fetch_each_their_own(envoys, moto, world, sts_double, moto_config):
    _sts(sts_double, moto.assume_role("gravitee"))
    envoy = envoys.fresh_process(concurrency=WORKERS, sts_to="sts_double", tag="two-roles")
    listeners = _instances(envoys, envoy, moto_config, sts_double, [world.role_arn, OTHER_ROLE, world.role_arn, OTHER_ROLE])
    for i, listener in enumerate(listeners):
        _through_every_worker(listener, i)
    assert sorted(_role_calls(sts_double)) == sorted([world.role_arn, OTHER_ROLE])


def test_with_sharing_off_each_instance_fetches_in_each_worker(envoys, moto, world, sts_double, moto_config):
    _sts(sts_double, moto.assume_role("gravitee"))
    envoy = envoys.fresh_process(concurrency=WORKERS, sts_to="sts_double", tag="not-shared")
    listeners = _instances(envoys, envoy, moto_config, sts_double, [world.role_arn] * INSTANCES, shareCredentials=False)
    for i, listener in enumerate(listeners):
        _through_every_worker(listener, i)
    assert len(_role_calls(sts_double)) == WORKERS * INSTANCES


def test_refreshed_credentials_are_fetched_once_and_requests_go_on(envoys, moto, world, sts_double, moto_config):
    # 30 s credentials: refreshed when a quarter of their life is left, about 22 s after each fetch
    # (still usable then: a stream never waits for the refresh).
    _sts(sts_double, moto.assume_role("gravitee"), life_s=30)
    envoy = envoys.fresh_process(concurrency=WORKERS, sts_to="sts_double", tag="shared-refresh")
    listeners = _instances(envoys, envoy, moto_config, sts_double, [world.role_arn] * INSTANCES)
    for i, listener in enumerate(listeners):
        _through_every_worker(listener, i)
    assert len(_role_calls(sts_double)) == 1

    # Nothing is asked: the roots' timers refresh ahead of expiry, one of them for all.
    wait_for(lambda: len(_role_calls(sts_double)) >= 2, timeout=40, interval=0.2, what="the refresh")
    for i, listener in enumerate(listeners):
        _through_every_worker(listener, i)
    assert len(_role_calls(sts_double)) == 2, "one refresh for the whole process"
    assert envoy.stat("wasmcustom.aws_lambda.credentials.fetch_failed") == 0
