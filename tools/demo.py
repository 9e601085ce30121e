#!/usr/bin/env python3
"""The `make run` demo: moto (signature checking on) as Lambda, Envoy with envoy/envoy.yaml.

    .venv/bin/python tools/demo.py            # run (default): start both, print curl lines, wait
    .venv/bin/python tools/demo.py setup --endpoint http://moto:5000
                                              # only prepare a running moto (docker-compose)

`run` starts ``moto_server`` on 127.0.0.1:5000 with INITIAL_NO_AUTH_ACTION_COUNT so that,
after the set-up calls, moto verifies every SigV4 signature; creates an IAM user with an
access key and the `demo` function; then starts Envoy (envoy/envoy.yaml, from the
repository root) with that key in its environment (AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY, forwarded to the Wasm VM by `host_env_keys`); and a local Lambda
Invoke API on 127.0.0.1:5001 that runs a Powertools app (tests/e2e/harness/framework_lambda.py),
the API of :10003. Ctrl-C stops them.
Logs: tests/e2e/.logs/demo-*.log.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODULE = REPO / "target" / "wasm32-wasip1" / "release" / "envoy_lambda_policy.wasm"
ENVOY_CONFIG = REPO / "envoy" / "envoy.yaml"
MOTO_PORT = 5000
API_LAMBDA_PORT = 5001  # the Powertools app behind :10003 (cluster api_lambda)
PORTS = (10000, 10001, 10002, 10003, 9901)


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("lambda_function.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


def setup_only(endpoint: str, timeout: float = 60.0) -> int:
    """Prepare a moto that checks no signatures (docker-compose): docker-free Lambda on,
    function `demo` created. Needs only boto3 and requests (both ship with moto)."""
    import boto3
    import requests

    deadline = time.monotonic() + timeout
    while True:
        try:
            r = requests.post(f"{endpoint}/moto-api/config", json={"lambda": {"use_docker": False}}, timeout=2)
            r.raise_for_status()
            break
        except Exception as exc:  # noqa: BLE001 - moto still starting
            if time.monotonic() > deadline:
                print(f"moto at {endpoint} not reachable: {exc}", file=sys.stderr)
                return 1
            time.sleep(0.5)
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="demo", aws_secret_access_key="demo")
    iam = boto3.client("iam", **kw)
    role = iam.create_role(
        RoleName="demo-lambda-role",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
    )["Role"]
    boto3.client("lambda", **kw).create_function(
        FunctionName="demo", Runtime="python3.12", Role=role["Arn"], Handler="lambda_function.handler", Code={"ZipFile": _zip()}
    )
    print(f"moto at {endpoint}: docker-free Lambda on, function `demo` created")
    return 0


def run() -> int:
    sys.path.insert(0, str(REPO / "tests" / "e2e"))
    from harness.envoy import envoy_binary  # noqa: E402 - the test harness is the demo's library
    from harness.framework_lambda import FrameworkLambda
    from harness.moto import Moto
    from harness.util import log_dir, port_open, register_process, stop_process, wait_for

    if not MODULE.exists():
        print(f"{MODULE} is missing: run `make build` first", file=sys.stderr)
        return 1
    busy = [p for p in (MOTO_PORT, API_LAMBDA_PORT, *PORTS) if port_open(p)]
    if busy:
        print(f"ports already in use on 127.0.0.1: {busy} (another demo running?)", file=sys.stderr)
        return 1

    moto = Moto(port=MOTO_PORT, log_name="demo-moto")
    api_lambda = FrameworkLambda(port=API_LAMBDA_PORT)
    envoy_proc = None
    stopping = False

    def on_signal(signum, frame):  # noqa: ANN001
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        moto.start()
        api_lambda.start()
        world = moto.setup()  # creates user, key, role, `demo` and `echo`; then auth is on
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=world.access_key, AWS_SECRET_ACCESS_KEY=world.secret_key)
        envoy_log = log_dir() / "demo-envoy.log"
        with open(envoy_log, "wb") as out:
            envoy_proc = register_process(
                subprocess.Popen(
                    [envoy_binary(), "-c", str(ENVOY_CONFIG.relative_to(REPO)), "--concurrency", "1", "--use-dynamic-base-id", "-l", "info"],
                    cwd=REPO,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            )

        def ready() -> bool:
            if envoy_proc.poll() is not None:
                raise SystemExit(f"envoy exited ({envoy_proc.returncode}); see {envoy_log}:\n" + envoy_log.read_text()[-3000:])
            import requests

            return requests.get("http://127.0.0.1:9901/ready", timeout=1).text.strip() == "LIVE" and port_open(10000)

        wait_for(ready, timeout=30, what="envoy ready")
        print(
            f"""
moto (Lambda, IAM, STS; signatures checked) on http://127.0.0.1:{MOTO_PORT}   log: {moto.log_path}
Envoy with envoy/envoy.yaml                                    log: {envoy_log}
a Powertools app behind a local Lambda Invoke API on http://127.0.0.1:{API_LAMBDA_PORT} (the API of :10003)
IAM user {world.user_arn}, key {world.access_key} (in Envoy's environment only)

Try:
  # the Lambda answers the consumer (sendToConsumer: true)
  curl -s http://127.0.0.1:10000/hello
  curl -s -X POST http://127.0.0.1:10000/orders/42
  # the Lambda is called in addition; the demo backend answers, and echoes the variable
  # the filter published as filter state (x-seen-lambda-path)
  curl -si http://127.0.0.1:10001/hello
  # a function is the API: Powertools routes the API Gateway v2 event, its proxy
  # response is the answer (status, headers, two cookies, body)
  curl -si http://127.0.0.1:10003/items/42
  curl -si -X POST http://127.0.0.1:10003/items -H 'content-type: application/json' -d '{{"name": "widget"}}'
  curl -s 'http://127.0.0.1:10003/search?tag=a&tag=b'
  curl -si http://127.0.0.1:10003/nowhere
  # Envoy's view
  curl -s http://127.0.0.1:9901/stats | grep -E 'cluster.lambda.upstream_rq_(total|2xx)'

Ctrl-C stops them.""",
            flush=True,
        )
        while not stopping:
            if envoy_proc.poll() is not None:
                print(f"envoy exited ({envoy_proc.returncode}); see {envoy_log}", file=sys.stderr)
                return 1
            if moto.proc is None or moto.proc.poll() is not None:
                print(f"moto exited; see {moto.log_path}", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        if envoy_proc is not None:
            stop_process(envoy_proc)
        moto.stop()
        api_lambda.stop()
        print("stopped Envoy, moto and the API's Lambda")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd")
    sub.add_parser("run", help="start moto and Envoy (default)")
    p_setup = sub.add_parser("setup", help="prepare an already running moto without auth (docker-compose)")
    p_setup.add_argument("--endpoint", default=f"http://127.0.0.1:{MOTO_PORT}")
    args = parser.parse_args(argv)
    if args.cmd == "setup":
        return setup_only(args.endpoint)
    return run()


if __name__ == "__main__":
    raise SystemExit(main())
