"""Assertions on what the consumer sees, shared by the test modules."""

from __future__ import annotations

import json
import re
from typing import Any

import requests

INVOKE_MESSAGE = "An error occurs while invoking lambda function."
STATUS_MESSAGE = "Invalid status code from lambda function response."
VARIABLE_MESSAGE = "An error occurs while processing context variables."


def error_body(resp: requests.Response, status: int, key: str, message: str) -> dict[str, Any]:
    """The policy's default error answer: status, JSON content type, message/key/status."""
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text[:500]}"
    ctype = resp.headers.get("content-type", "")
    assert ctype.startswith("application/json"), f"content-type {ctype!r}: {resp.text[:300]}"
    body = json.loads(resp.content)
    assert body.get("message") == message, body
    assert body.get("key") == key, body
    assert body.get("http_status_code") == status, body
    assert "x-backend" not in {k.lower() for k in resp.headers}, "the backend answered"
    return body


def invoke_error(resp: requests.Response) -> dict[str, Any]:
    return error_body(resp, 500, "AWS_LAMBDA_INVALID_RESPONSE", INVOKE_MESSAGE)


def status_error(resp: requests.Response) -> dict[str, Any]:
    return error_body(resp, 400, "AWS_LAMBDA_INVALID_STATUS_CODE", STATUS_MESSAGE)


def variable_error(resp: requests.Response) -> dict[str, Any]:
    return error_body(resp, 500, "AWS_LAMBDA_TEMPLATE_VARIABLE_EXCEPTION", VARIABLE_MESSAGE)


def content_length_ok(resp: requests.Response) -> None:
    """The consumer got a body whose length matches the content-length header (when one
    was sent); chunked answers have none."""
    cl = resp.headers.get("content-length")
    if cl is not None:
        assert int(cl) == len(resp.content), f"content-length {cl} but {len(resp.content)} bytes"
    else:
        assert resp.headers.get("transfer-encoding", "").lower() == "chunked", dict(resp.headers)


def backend_echo(resp: requests.Response) -> dict[str, Any]:
    """The consumer's body is the echo backend's description of what it received."""
    assert resp.status_code == 200, resp.text[:500]
    assert resp.headers.get("x-backend") == "echo", dict(resp.headers)
    return resp.json()


# Envoy itself prints, at debug level, (1) the configuration it loads, under its `config`
# component ("[debug][config] ... config: {...}" for each filter, and "Filesystem config
# update accepted for ...:" followed by the whole LDS resource as proto text, which holds
# the plugin configuration, so a key put in the configuration shows up there) and (2) every
# request's headers, one per line as "'name', 'value'" (so the X-Amz-Security-Token of a
# callout shows up there). Neither is the filter's doing (the filter logs under [wasm]);
# ``secret_lines`` ignores exactly those records and nothing else.
_RECORD_START = re.compile(r"^\[\d{4}-\d\d-\d\d ")
_ENVOY_CONFIG_RECORD = re.compile(r"\]\[debug\]\[config\]")
_HEADER_DUMP = re.compile(r"^'([^']+)', '")


def secret_lines(log: str, secret: str, allow_header_dump: tuple[str, ...] = ()) -> list[str]:
    """Log lines that contain ``secret``, except inside Envoy's own `[debug][config]`
    records and its header dumps of the headers named in ``allow_header_dump``."""
    assert secret, "empty secret"
    allowed = {h.lower() for h in allow_header_dump}
    out = []
    in_config_record = False
    for line in log.splitlines():
        if _RECORD_START.match(line):
            in_config_record = bool(_ENVOY_CONFIG_RECORD.search(line))
        if secret not in line or in_config_record:
            continue
        m = _HEADER_DUMP.match(line)
        if m and m.group(1).lower() in allowed:
            continue
        out.append(line)
    return out


def backend_not_called(backend) -> None:
    """No request, not even an aborted one, reached the backend."""
    reqs = list(backend.requests)
    if reqs:
        r = reqs[0]
        cl = r.header("content-length")
        raise AssertionError(
            f"the backend received {len(reqs)} request(s): {r.method} {r.path} with {len(r.body)} of {cl or '?'} body bytes"
            + (" (headers sent upstream, then reset: the router started the upstream request while the filter still held the body)" if cl and len(r.body) < int(cl) else "")
        )
