"""The shipped Docker harness, run as README's Docker section tells a user to run it.

`make build`'s module, `docker-compose -f envoy/docker-compose.yaml up -d` (under a project
name of its own, on free ports), README's curl lines against the published ports, then
`down -v`. The only override turns moto's signature checking on: moto gets
INITIAL_NO_AUTH_ACTION_COUNT; the test spends three free calls on an IAM user and its key
(after `up -d moto`), `moto-setup` the other two, and Envoy gets that key. Skipped when no
Docker engine answers; the images are the local stand-ins of `make docker-images`.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Iterator

import pytest
import requests

from harness.compose import ComposeProject, build_stand_in_images, compose_command, docker_engine_answers
from harness.moto import ALLOW_ALL, REGION
from harness.util import HOST, REPO_ROOT, wait_for

if not docker_engine_answers():
    pytest.skip("no Docker engine (`docker info` fails): the docker-compose test is skipped", allow_module_level=True)
COMPOSE = compose_command()
if COMPOSE is None:
    pytest.skip("a Docker engine answers but no Compose tool is installed (docker-compose or docker compose)", allow_module_level=True)

MODULE = REPO_ROOT / "target" / "wasm32-wasip1" / "release" / "envoy_lambda_policy.wasm"
# moto-setup (tools/demo.py setup) makes two AWS calls (CreateRole, CreateFunction); the
# test makes three (CreateUser, PutUserPolicy, CreateAccessKey). Every later call is checked.
TEST_SETUP_CALLS = 3
FREE_CALLS = TEST_SETUP_CALLS + 2
DUMMY_KEY = "dummy"


def readme_docker_block() -> list[str]:
    """The lines of the sh block of README's `### Docker` section."""
    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("### Docker\n", 1)[1].split("\n### ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "README's Docker section has no sh block"
    return block.group(1).splitlines()


def moto_client(project: ComposeProject, service: str, key: str = DUMMY_KEY, secret: str = DUMMY_KEY):
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=f"http://{HOST}:{project.ports[5000]}",
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=10),
    )


def moto_override(envoy_key: dict[str, str] | None) -> str:
    text = f"services:\n  moto:\n    environment:\n      INITIAL_NO_AUTH_ACTION_COUNT: \"{FREE_CALLS}\"\n"
    if envoy_key:
        text += "  envoy:\n    environment:\n" + "".join(f"      {k}: {json.dumps(v)}\n" for k, v in envoy_key.items())
    return text


def start_with_signature_checking(project: ComposeProject) -> dict[str, str]:
    """`up -d moto`, an IAM user and key from the free calls, then `up -d` with that key in Envoy."""
    project.set_override(moto_override(None))
    project.up("moto")
    moto = f"http://{HOST}:{project.ports[5000]}"
    wait_for(lambda: requests.get(f"{moto}/moto-api/config", timeout=1).ok, timeout=60, interval=0.2, what="moto in its container")
    iam = moto_client(project, "iam")
    iam.create_user(UserName="compose-e2e")
    iam.put_user_policy(UserName="compose-e2e", PolicyName="allow-all", PolicyDocument=ALLOW_ALL)
    key = iam.create_access_key(UserName="compose-e2e")["AccessKey"]
    credentials = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    project.set_override(moto_override(credentials))
    project.up()
    admin = f"http://{HOST}:{project.ports[9901]}"
    wait_for(lambda: requests.get(f"{admin}/ready", timeout=1).text.strip() == "LIVE", timeout=90, interval=0.25, what="Envoy /ready in its container")
    return credentials


@pytest.fixture(scope="module")
def stand_in_images() -> None:
    build_stand_in_images()


@pytest.fixture
def stack(request: pytest.FixtureRequest, stand_in_images: None) -> Iterator[ComposeProject]:
    if not MODULE.exists():
        pytest.fail(f"filter module not built: {MODULE} (run `make build`)", pytrace=False)
    assert COMPOSE is not None
    project = ComposeProject(COMPOSE)
    failures_before = request.session.testsfailed
    started = False
    try:
        start_with_signature_checking(project)
        started = True
        yield project
    finally:
        try:
            if not started or request.session.testsfailed > failures_before:
                print(f"---- {' '.join(COMPOSE)} -p {project.name} logs\n{project.logs()}")
        finally:
            left = project.close()
        assert not left, f"left over after down -v: {left}"


def run_readme_line(line: str, project: ComposeProject) -> str:
    """A README curl line, its localhost ports replaced by the published ones."""
    for container, published in project.ports.items():
        line = line.replace(f"localhost:{container}/", f"{HOST}:{published}/")
    out = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, f"{line}: exit {out.returncode}\n{out.stdout}{out.stderr}"
    return out.stdout


def test_readme_docker_steps_run_against_the_shipped_compose_file(stack: ComposeProject):
    block = readme_docker_block()
    compose_file = "-f envoy/docker-compose.yaml"
    assert any(line.startswith(f"docker-compose {compose_file} up -d") for line in block), block
    assert f"docker-compose {compose_file} down -v" in block, block
    curls = [line for line in block if line.startswith("curl ")]
    assert len(curls) == 3, curls

    # signature checking is on: a key moto never issued is refused
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as refused:
        moto_client(stack, "lambda").invoke(FunctionName="demo", Payload=b'{"probe": true}')
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    lambda_answer = run_readme_line(curls[0], stack)
    assert json.loads(lambda_answer) == {"message": "hello from Lambda", "method": "GET", "path": "/hello"}

    backend_answer = run_readme_line(curls[1], stack)
    head, _, body = backend_answer.replace("\r\n", "\n").partition("\n\n")
    assert head.startswith("HTTP/1.1 200"), backend_answer
    headers = dict(h.split(": ", 1) for h in head.splitlines()[1:])
    assert headers.get("x-backend") == "demo", headers
    assert headers.get("x-seen-lambda-path") == "/hello", headers
    assert body == "hello from the demo backend\n"

    assert run_readme_line(curls[2], stack).strip() == "cluster.lambda.upstream_rq_2xx: 2"
    stats = requests.get(f"http://{HOST}:{stack.ports[9901]}/stats?filter=^cluster\\.lambda\\.upstream_rq_", timeout=5).text
    counters = dict(line.split(": ") for line in stats.splitlines())
    assert counters.get("cluster.lambda.upstream_rq_total") == "2", stats
    assert counters.get("cluster.lambda.upstream_rq_4xx", "0") == "0", stats

    # the module make build produced, mounted read-only
    inspect = subprocess.run(
        ["docker", "inspect", "-f", "{{json .Mounts}}", stack.container_id("envoy")], capture_output=True, text=True, timeout=30
    )
    mounts = {m["Destination"]: m for m in json.loads(inspect.stdout)}
    wasm = mounts["/etc/envoy/envoy_lambda_policy.wasm"]
    assert wasm["Source"] == str(MODULE.resolve()) and wasm["RW"] is False, wasm
    assert mounts["/etc/envoy/envoy.yaml"]["RW"] is False


def test_readme_curl_lines_name_the_compose_ports():
    """The curl lines go to ports the compose file publishes (checked without Docker)."""
    import yaml

    published = set()
    for service in yaml.safe_load((REPO_ROOT / "envoy" / "docker-compose.yaml").read_text())["services"].values():
        for spec in service.get("ports", []):
            m = re.fullmatch(r"127\.0\.0\.1:\$\{(\w+):-(\d+)\}:(\d+)", spec)
            assert m, spec
            assert m.group(2) == m.group(3), spec
            published.add(int(m.group(3)))
    for line in readme_docker_block():
        if line.startswith("curl "):
            m = re.search(r"localhost:(\d+)/", line)
            assert m and int(m.group(1)) in published, line
