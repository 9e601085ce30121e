"""moto in server mode as the Lambda, IAM and STS of the end-to-end tests.

``moto_server`` runs as a subprocess on 127.0.0.1 with ``INITIAL_NO_AUTH_ACTION_COUNT=N``:
the first N *AWS actions* are free (we use them, with dummy keys, to create a user, its
key, a role and the functions) and every later call must carry a valid SigV4 signature
from a key moto issued. moto checks it with botocore's signer, an implementation that
shares no code with the filter's (Rust ``aws-sigv4``): that is the point.

Facts established by reading moto 5.2.5 (``moto/core/authorization.py``,
``moto/iam/access_control.py``, ``moto/awslambda/responses.py``,
``moto/awslambda_simple/models.py``, ``moto/core/responses.py``) and by trying them
(see the report / the docstrings below). Surprises are marked SURPRISE.

Authentication
  * Only AWS actions count against INITIAL_NO_AUTH_ACTION_COUNT. ``/moto-api/*`` calls
    (``config``, ``static/lambda-simple/response``, ``reset-auth``, ``recorder``) are not
    AWS actions: they are free, unauthenticated and do not consume the budget. Every AWS
    action consumes one, whether it succeeds or not, so the budget is exact.
  * Once the budget is spent each call is checked: the access key must be one IAM issued
    (``AKIA…``: IAM user key; or, when ``X-Amz-Security-Token`` is present and the key is
    not ``AKIA…``, an STS assumed-role key whose token must match) -> otherwise 403
    ``InvalidClientTokenId``; then the signature is recomputed with botocore
    ``SigV4Auth(credentials, service, region)`` over: the method, the *raw* request path
    as it arrived (percent-encoding preserved, then botocore quotes it again, so a
    function ARN sent as ``%3A`` is canonicalised as ``%253A`` exactly as AWS wants),
    the query string, only the headers listed in ``SignedHeaders`` and the body
    -> mismatch is 403 ``SignatureDoesNotMatch``; then the IAM policy of the
    user/role must allow ``lambda:Invoke`` (``sts:AssumeRole``) -> else 403 AccessDenied.
  * The error body is XML (``<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch``)
    with ``content-type: text/html`` and *no* ``x-amzn-ErrorType`` header (real Lambda
    sends JSON and the header).
  * SURPRISE: a signed request with an EMPTY body is always refused with
    SignatureDoesNotMatch. moto hands botocore ``data=body or querystring-dict`` and for a
    body-less POST the "querystring" is filled with the request *headers*, so botocore
    hashes a urlencoded header dump instead of the empty payload. boto3 itself fails the
    same way (``lambda.invoke(FunctionName=...)`` without Payload -> 403). Hence every
    test that goes to moto sends a non-empty payload; empty payloads are tested against
    the Lambda double.
  * ``AssumeRole`` is checked twice: the caller's policy must allow ``sts:AssumeRole`` and
    the role's trust policy must name the caller: moto compares the principal literally
    (``arn:aws:iam::ACCOUNT:user/NAME`` or ``"*"``); ``:root`` does NOT match a user.
  * Temporary keys from ``AssumeRole`` start with ``ASIA``; a Lambda call signed with them
    and carrying the right ``X-Amz-Security-Token`` is accepted; a wrong token gives 403
    ``InvalidClientTokenId``. Expiration is one hour ahead (DurationSeconds default 3600).

Lambda (docker-free backend, turned on by ``POST /moto-api/config
{"lambda": {"use_docker": false}}`` which answers 201 and the whole config)
  * ``Invoke`` answers 200 with the request payload as body (an echo), or with the next
    result queued by ``POST /moto-api/static/lambda-simple/response``. An empty payload
    would be answered ``Simple Lambda happy path OK`` (unreachable in practice, see above).
  * SURPRISE: the queue is one FIFO per (account, region), shared by *every* function, and
    it survives until consumed: a test that queues results must consume all of them.
  * SURPRISE: the docker-free backend never looks the function up: an unknown name, a
    full ARN, a partial ARN, ``name:alias`` and any ``?Qualifier=`` all answer 200 with the
    echo. Function resolution is therefore checked on the wire with the Lambda double;
    moto checks that the ARN-shaped paths are *signed* correctly.
  * ``X-Amz-Invocation-Type: Event`` -> 202 and (SURPRISE) the echo as body (AWS sends an
    empty body); ``DryRun`` -> 204, empty body. Response headers: ``content-type:
    application/json``, ``x-amzn-requestid``, ``x-amz-crc32``; no
    ``X-Amz-Executed-Version``; ``X-Amz-Log-Result`` never (no logs without docker).
  * Werkzeug answers every request with ``connection: close``.

Counting calls: moto offers no per-action counter, but its request *recorder* does the
job: with ``MOTO_ENABLE_RECORDING=true`` and ``MOTO_RECORDER_FILEPATH`` every request
(except ``/moto-api/recorder/*``) is appended as one JSON line (headers, method, raw url,
base64 body). ``Moto.calls()`` parses that file; ``assume_role_calls()`` and
``invoke_calls()`` filter it. Envoy's ``cluster.sts.upstream_rq_total`` is the other count.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from .util import HOST, StopWaiting, free_port, log_dir, register_process, stop_process, wait_for

ACCOUNT_ID = "123456789012"  # moto's default account; IAM keys it issues map to it
REGION = "us-east-1"
USER_NAME = "e2e-user"
ROLE_NAME = "e2e-lambda-role"
FUNCTIONS = ("demo", "echo")  # `echo` also gets version 1 and alias `live`
ALIAS = "live"

ALLOW_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def _moto_server_bin() -> str:
    candidate = Path(sys.executable).with_name("moto_server")
    return str(candidate) if candidate.exists() else "moto_server"


def _function_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("lambda_function.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


@dataclass
class MotoWorld:
    """What the setup created: the real credentials every test signs with."""

    endpoint: str
    access_key: str
    secret_key: str
    user_arn: str
    role_arn: str
    account_id: str = ACCOUNT_ID
    region: str = REGION
    function_arns: dict[str, str] = field(default_factory=dict)
    alias_arn: str = ""
    version: str = ""


class Moto:
    """One ``moto_server`` subprocess plus the world the tests need inside it."""

    # The AWS actions `setup()` performs with dummy keys. INITIAL_NO_AUTH_ACTION_COUNT is
    # set to exactly this many, so the first call after setup is already checked
    # (`setup()` proves it with a dummy-key call that must be refused).
    SETUP_ACTIONS = (
        "iam:CreateUser",
        "iam:PutUserPolicy",
        "iam:CreateAccessKey",
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "lambda:CreateFunction(demo)",
        "lambda:CreateFunction(echo)",
        "lambda:PublishVersion(echo)",
        "lambda:CreateAlias(echo:live)",
    )

    def __init__(self, port: int | None = None, log_name: str = "moto", *, auth: bool = True) -> None:
        self.port = port or free_port()
        self.endpoint = f"http://{HOST}:{self.port}"
        self.auth = auth
        self.log_path = log_dir() / f"{log_name}-{self.port}.log"
        self.recording_path = log_dir() / f"{log_name}-{self.port}-recording.jsonl"
        self.proc: subprocess.Popen | None = None
        self.world: MotoWorld | None = None

    # -- process -----------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> "Moto":
        env = dict(os.environ)
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "MOTO_ACCOUNT_ID"):
            env.pop(key, None)
        if self.auth:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(len(self.SETUP_ACTIONS))
        env["MOTO_ENABLE_RECORDING"] = "true"
        env["MOTO_RECORDER_FILEPATH"] = str(self.recording_path)
        self.recording_path.write_text("")
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.proc = register_process(
            subprocess.Popen(
                [_moto_server_bin(), "-H", HOST, "-p", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        )

        def up() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise StopWaiting(f"moto_server exited with {self.proc.returncode}; see {self.log_path}")
            return requests.get(f"{self.endpoint}/moto-api/config", timeout=1).status_code == 201

        wait_for(up, timeout=timeout, interval=0.1, what=f"moto_server on :{self.port}")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self) -> "Moto":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- clients -----------------------------------------------------------------------
    def client(self, service: str, access_key: str = "dummy", secret_key: str = "dummy", session_token: str | None = None):
        import boto3  # installed with moto
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            aws_session_token=session_token,
            config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=10),
        )

    def real_client(self, service: str):
        w = self.require_world()
        return self.client(service, w.access_key, w.secret_key)

    # -- setup -------------------------------------------------------------------------
    def setup(self) -> MotoWorld:
        """Turn on the docker-free Lambda and create the user, key, role and functions.

        Uses exactly ``len(SETUP_ACTIONS)`` free actions, then proves that signature
        checking is on.
        """
        r = requests.post(f"{self.endpoint}/moto-api/config", json={"lambda": {"use_docker": False}}, timeout=5)
        r.raise_for_status()
        assert r.json()["lambda"]["use_docker"] is False, r.text

        iam = self.client("iam")
        user = iam.create_user(UserName=USER_NAME)["User"]
        iam.put_user_policy(UserName=USER_NAME, PolicyName="allow-all", PolicyDocument=ALLOW_ALL)
        key = iam.create_access_key(UserName=USER_NAME)["AccessKey"]
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": user["Arn"]}, "Action": "sts:AssumeRole"}
                ],
            }
        )
        role = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=trust)["Role"]
        iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="allow-all", PolicyDocument=ALLOW_ALL)

        lam = self.client("lambda")
        code = _function_zip()
        arns = {}
        for name in FUNCTIONS:
            fn = lam.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=role["Arn"],
                Handler="lambda_function.handler",
                Code={"ZipFile": code},
            )
            arns[name] = fn["FunctionArn"]
        version = lam.publish_version(FunctionName="echo")["Version"]
        alias = lam.create_alias(FunctionName="echo", Name=ALIAS, FunctionVersion=version)

        self.world = MotoWorld(
            endpoint=self.endpoint,
            access_key=key["AccessKeyId"],
            secret_key=key["SecretAccessKey"],
            user_arn=user["Arn"],
            role_arn=role["Arn"],
            function_arns=arns,
            alias_arn=alias["AliasArn"],
            version=version,
        )
        if self.auth:
            self.assert_auth_enforced()
        return self.world

    def assert_auth_enforced(self) -> None:
        """A call with a key moto never issued must now be refused (403)."""
        from botocore.exceptions import ClientError

        try:
            self.client("lambda").invoke(FunctionName="demo", Payload=b'{"probe": true}')
        except ClientError as exc:
            status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
            assert status == 403, exc.response
            return
        raise AssertionError("moto accepted an unsigned-key call: INITIAL_NO_AUTH_ACTION_COUNT is too high")

    def require_world(self) -> MotoWorld:
        if self.world is None:
            raise RuntimeError("Moto.setup() has not run")
        return self.world

    # -- Lambda helpers ----------------------------------------------------------------
    def queue_results(self, *results: str | bytes | dict | list, region: str = REGION) -> None:
        """Queue what the next ``Invoke`` calls return (FIFO, shared by all functions)."""
        encoded = []
        for r in results:
            if isinstance(r, (dict, list)):
                r = json.dumps(r)
            elif isinstance(r, bytes):
                r = r.decode()
            encoded.append(r)
        resp = requests.post(
            f"{self.endpoint}/moto-api/static/lambda-simple/response",
            json={"results": encoded, "region": region},
            timeout=5,
        )
        assert resp.status_code == 201, resp.text

    def invoke_directly(self, function: str, payload: bytes, **kwargs: Any) -> dict:
        """Invoke through boto3 with the real key (what a correct client gets)."""
        r = self.real_client("lambda").invoke(FunctionName=function, Payload=payload, **kwargs)
        return {"status": r["StatusCode"], "payload": r["Payload"].read(), "headers": r["ResponseMetadata"]["HTTPHeaders"]}

    def assume_role(self, session_name: str = "gravitee") -> dict:
        return self.real_client("sts").assume_role(RoleArn=self.require_world().role_arn, RoleSessionName=session_name)["Credentials"]

    # -- recorder ----------------------------------------------------------------------
    def calls(self) -> list[dict]:
        """Every request moto received since start (or ``reset_calls``): dicts with
        ``method``, ``url``, ``path``, ``headers`` and ``body`` (bytes)."""
        out = []
        if not self.recording_path.exists():
            return out
        from urllib.parse import urlsplit

        for line in self.recording_path.read_text().splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            body = entry.get("body") or ""
            if entry.get("body_encoded"):
                body_bytes = base64.b64decode(body)
            else:
                body_bytes = body.encode() if isinstance(body, str) else b""
            out.append(
                {
                    "method": entry["method"],
                    "url": entry["url"],
                    "path": urlsplit(entry["url"]).path,
                    "query": urlsplit(entry["url"]).query,
                    "headers": {k.lower(): v for k, v in entry["headers"].items()},
                    "body": body_bytes,
                }
            )
        return out

    def reset_calls(self) -> None:
        requests.post(f"{self.endpoint}/moto-api/recorder/reset-recording", timeout=5)

    def invoke_calls(self) -> list[dict]:
        return [c for c in self.calls() if c["method"] == "POST" and c["path"].endswith("/invocations")]

    def assume_role_calls(self) -> list[dict]:
        return [c for c in self.calls() if b"Action=AssumeRole" in c["body"]]
