"""The seed's example configuration, verbatim, against moto.

Only what cannot work outside Gravitee is changed: ``endpoint`` (the seed's
``http://aws-lambda-url/function`` placeholder) points at moto, ``cluster`` names the
Envoy cluster, and the placeholder keys are replaced by the key moto issued.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness import expect

# Copied character for character from the seed (`aws-lambda-policy.md`, "HTTP proxy API
# example"). test_constant_matches_the_seed checks it when the seed is at hand.
SEED_EXAMPLE = """\
"configuration": {
    "variables": [
      {
        "name": "lambdaResponse",
        "value": "{#jsonPath(#lambdaResponse.content, '$')}"
      }
    ],
    "secretKey": "secretKey",
    "accessKey":"accessKey",
    "payload": "{ \\"key\\": \\"value\\" }",
    "scope": "REQUEST",
    "function": "lambda-example",
    "region": "us-east-1",
    "sendToConsumer": true,
    "endpoint": "http://aws-lambda-url/function"
}"""

SEED_DOC_CANDIDATES = [
    Path(__file__).resolve().parents[3] / "shared" / "seed" / "aws-lambda-policy.md",
    Path("/work/shared/seed/aws-lambda-policy.md"),
]


def seed_configuration() -> dict:
    return json.loads("{" + SEED_EXAMPLE + "}")["configuration"]


def test_constant_matches_the_seed():
    doc = next((p for p in SEED_DOC_CANDIDATES if p.exists()), None)
    if doc is None:
        pytest.skip("seed document not available in this checkout")
    blocks = re.findall(r"```json\n(.*?)\n```", doc.read_text(), flags=re.S)
    assert SEED_EXAMPLE in blocks, "SEED_EXAMPLE drifted from the seed's example"


def _seed_against_moto(world) -> dict:
    cfg = seed_configuration()
    assert cfg["accessKey"] == "accessKey" and cfg["secretKey"] == "secretKey"
    cfg["accessKey"] = world.access_key
    cfg["secretKey"] = world.secret_key
    cfg["endpoint"] = world.endpoint
    cfg["cluster"] = "lambda"
    return cfg


def test_seed_example_answers_the_consumer_with_the_lambda_result(envoys, moto, backend, world):
    cfg = _seed_against_moto(world)
    envoy = envoys.get(cfg, variables=["lambdaResponse"])
    before = len(moto.invoke_calls())

    resp = envoy.get("/seed-example")

    assert resp.status_code == 200, resp.text
    assert resp.content == b'{ "key": "value" }', "moto echoes the payload; sendToConsumer returns it as is"
    expect.content_length_ok(resp)
    expect.backend_not_called(backend)
    calls = moto.invoke_calls()[before:]
    assert len(calls) == 1
    assert calls[0]["path"] == "/2015-03-31/functions/lambda-example/invocations"
    assert calls[0]["headers"]["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={world.access_key}/")
    assert "/us-east-1/lambda/aws4_request" in calls[0]["headers"]["authorization"]
    # The variable was evaluated on success: the access log prints the filter state.
    line = envoy.wait_access_log('"GET /seed-example"')
    value = line.split("var.lambdaResponse=", 1)[1]
    assert '"key"' in value and '"value"' in value, line


def test_seed_example_variable_reaches_the_backend_when_not_sent_to_consumer(envoys, backend, world):
    cfg = _seed_against_moto(world)
    cfg["sendToConsumer"] = False
    envoy = envoys.get(cfg, variables=["lambdaResponse"])

    resp = envoy.get("/seed-example-upstream")

    echo = expect.backend_echo(resp)
    header = echo["headers"].get("x-lambda-lambdaresponse")
    assert header is not None, echo["headers"]
    assert json.loads(header) == {"key": "value"}
