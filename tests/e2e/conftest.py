"""Fixtures of the end-to-end suite.

Session-scoped: ``moto`` (Lambda/IAM/STS with signature checking), ``double`` (scripted
Lambda API), ``backend`` (echo upstream), ``envoys`` (a pool of running Envoys reused
when a configuration repeats). Each test starts with an empty double/backend script and
record. ``wasm_module`` fails the test with a clear message when the module is not built.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from harness.backend import EchoBackend
from harness.envoy import EnvoyPool, wasm_path
from harness.lambda_double import LambdaDouble
from harness.moto import Moto, MotoWorld
from harness.util import closed_port, log_dir, prune_old_logs

# Keys the double is signed with (it checks no signature). The secret is recognisable so
# tests can grep logs and bodies for it.
DOUBLE_ACCESS_KEY = "AKIAE2EDOUBLE0000001"
DOUBLE_SECRET_KEY = "e2e-double-secret-DO-NOT-LEAK-0123456789"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Logs go to tests/e2e/.logs/run-<pid>/ (`.logs/latest`); directories of finished
    runs are removed (set E2E_KEEP_LOGS=1 to keep them)."""
    if os.environ.get("E2E_KEEP_LOGS"):
        log_dir()
        return
    prune_old_logs()


@pytest.fixture(scope="session")
def wasm_module() -> Path:
    path = wasm_path()
    if not path.exists():
        pytest.fail(f"filter module not built: {path} (run `make build`, or set E2E_WASM_PATH)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def moto() -> Iterator[Moto]:
    m = Moto(log_name="moto").start()
    try:
        m.setup()
        yield m
    finally:
        m.stop()


@pytest.fixture(scope="session")
def world(moto: Moto) -> MotoWorld:
    return moto.require_world()


@pytest.fixture(scope="session")
def double() -> Iterator[LambdaDouble]:
    with LambdaDouble() as d:
        yield d


@pytest.fixture(scope="session")
def backend() -> Iterator[EchoBackend]:
    with EchoBackend() as b:
        yield b


@pytest.fixture(scope="session")
def sts_double() -> Iterator[LambdaDouble]:
    """A second scripted server standing in for STS (see harness/sts.py)."""
    d = LambdaDouble()
    d.name = "sts-double"
    with d:
        yield d


@pytest.fixture(scope="session")
def refused_port() -> int:
    """A port nothing listens on: a Lambda cluster pointing here is unreachable."""
    return closed_port()


@pytest.fixture(scope="session")
def envoys(
    wasm_module: Path, moto: Moto, double: LambdaDouble, sts_double: LambdaDouble, backend: EchoBackend, refused_port: int
) -> Iterator[EnvoyPool]:
    pool = EnvoyPool(
        {"moto": moto.port, "double": double.port, "sts_double": sts_double.port, "backend": backend.port, "closed": refused_port},
        module=wasm_module,
        max_running=int(os.environ.get("E2E_MAX_ENVOYS", "3")),
    )
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture(autouse=True)
def _clean_scripts(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts with empty queues and records on the double and the backend;
    dedicated (``fresh=True``) Envoys are stopped when the test ends."""
    for name in ("double", "sts_double", "backend"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()
    yield
    if "envoys" in request.fixturenames:
        request.getfixturevalue("envoys").release_fresh()


# ----------------------------------------------------------------------------- configs
def _config_maker(base: dict) -> Callable[..., dict]:
    """``make(**overrides)``: ``base`` with the overrides applied; an override of None removes the key."""

    def make(**overrides: Any) -> dict:
        cfg = {**base, **overrides}
        return {k: v for k, v in cfg.items() if v is not None}

    return make


def _base_config(region: str, access_key: str, secret_key: str, function: str, endpoint: str) -> dict:
    return {
        "scope": "REQUEST",
        "region": region,
        "accessKey": access_key,
        "secretKey": secret_key,
        "function": function,
        "payload": '{"hello": "world"}',
        "cluster": "lambda",
        "endpoint": endpoint,
    }


@pytest.fixture
def moto_config(world: MotoWorld):
    """Filter configuration against moto with the real key, overridable per test."""
    return _config_maker(_base_config(world.region, world.access_key, world.secret_key, "demo", world.endpoint))


@pytest.fixture
def double_config(double: LambdaDouble):
    """Filter configuration against the Lambda double, overridable per test."""
    return _config_maker(_base_config("us-east-1", DOUBLE_ACCESS_KEY, DOUBLE_SECRET_KEY, "echo", double.url))
