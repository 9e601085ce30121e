"""Self-test of the framework Lambda double (no Envoy): hand-written events shaped as AWS
documents them go in through the Invoke API, and the real Powertools and Mangum apps
answer with the proxy responses those frameworks produce."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Iterator

import pytest
import requests

from harness.framework_lambda import PNG, FrameworkLambda
from harness.util import REPO_ROOT

# The documented sample shapes the Rust event builder is compared with (src/core/apigw).
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "apigw"


@pytest.fixture(scope="module")
def fw() -> Iterator[FrameworkLambda]:
    with FrameworkLambda() as d:
        yield d


@pytest.fixture(autouse=True)
def _fresh(fw: FrameworkLambda) -> None:
    fw.reset()


def invoke(fw: FrameworkLambda, function: str, event: dict, kind: str = "RequestResponse") -> requests.Response:
    url = f"{fw.url}/2015-03-31/functions/{function}/invocations"
    return requests.post(url, data=json.dumps(event).encode(), headers={"X-Amz-Invocation-Type": kind}, timeout=10)


def answer(fw: FrameworkLambda, function: str, event: dict) -> dict:
    r = invoke(fw, function, event)
    assert r.status_code == 200 and "X-Amz-Function-Error" not in r.headers, r.text
    return r.json()


def body_of(resp: dict) -> bytes:
    body = resp.get("body") or ""
    return base64.b64decode(body) if resp.get("isBase64Encoded") else body.encode()


def v1_event(method: str, path: str, query: list[tuple[str, str]] = (), headers: list[tuple[str, str]] = (), body: bytes = b"", binary: bool = False) -> dict:
    multi_h: dict[str, list[str]] = {}
    for k, v in [("host", "api.example.com"), *headers]:
        multi_h.setdefault(k, []).append(v)
    multi_q: dict[str, list[str]] = {}
    for k, v in query:
        multi_q.setdefault(k, []).append(v)
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {k: vs[-1] for k, vs in multi_h.items()},
        "multiValueHeaders": multi_h,
        "queryStringParameters": {k: vs[-1] for k, vs in multi_q.items()} or None,
        "multiValueQueryStringParameters": multi_q or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "httpMethod": method,
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "pytest"},
            "path": path,
            "protocol": "HTTP/1.1",
            "requestId": "r-1",
            "requestTime": "03/Dec/2026:09:12:00 +0000",
            "requestTimeEpoch": 1796289120000,
            "resourcePath": path,
            "stage": "$default",
        },
        "body": (base64.b64encode(body).decode() if binary else body.decode()) if body else None,
        "isBase64Encoded": binary and bool(body),
    }


def v2_event(method: str, path: str, query: str = "", headers: list[tuple[str, str]] = (), cookies: list[str] = (), body: bytes = b"", binary: bool = False) -> dict:
    joined: dict[str, str] = {}
    for k, v in [("host", "api.example.com"), *headers]:
        joined[k] = f"{joined[k]},{v}" if k in joined else v
    params: dict[str, str] = {}
    for piece in filter(None, query.split("&")):
        k, _, v = piece.partition("=")
        params[k] = f"{params[k]},{v}" if k in params else v
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": joined,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "pytest"},
            "requestId": "r-2",
            "routeKey": "$default",
            "stage": "$default",
            "time": "03/Dec/2026:09:12:00 +0000",
            "timeEpoch": 1796289120000,
        },
        "isBase64Encoded": binary and bool(body),
    }
    if cookies:
        event["cookies"] = list(cookies)
    if params:
        event["queryStringParameters"] = params
    if body:
        event["body"] = base64.b64encode(body).decode() if binary else body.decode()
    return event


BLOB = bytes(range(256)) * 4


@pytest.mark.parametrize("function", ["rest-v1", "http-v2", "url-v2"])
def test_path_parameters_and_the_frameworks_own_404(fw, function):
    make = v1_event if function == "rest-v1" else v2_event
    ok = answer(fw, function, make("GET", "/items/42"))
    assert ok["statusCode"] == 200 and json.loads(body_of(ok)) == {"id": "42", "route": "item"}
    missing = answer(fw, function, make("GET", "/nowhere"))
    assert missing["statusCode"] == 404
    assert json.loads(body_of(missing)) == {"statusCode": 404, "message": "Not found"}
    assert [e.get("path") or e.get("rawPath") for e in fw.events_of(function)] == ["/items/42", "/nowhere"]


def test_v1_multi_value_query_and_headers(fw):
    resp = answer(fw, "rest-v1", v1_event("GET", "/search", query=[("tag", "a"), ("tag", "b c"), ("q", "x")]))
    got = json.loads(body_of(resp))
    assert got["multi"] == {"tag": ["a", "b c"], "q": ["x"]}
    assert got["query"] == {"tag": "b c", "q": "x"}
    resp = answer(fw, "rest-v1", v1_event("GET", "/version", headers=[("x-api-version", "2"), ("x-multi", "1"), ("x-multi", "2")]))
    assert json.loads(body_of(resp)) == {"version": "2", "x-multi": ["1", "2"]}
    # Powertools answers v1 with multiValueHeaders.
    assert resp["multiValueHeaders"]["Content-Type"] == ["application/json"]


def test_v2_query_is_comma_joined_and_headers_route(fw):
    resp = answer(fw, "http-v2", v2_event("GET", "/search", query="tag=a&tag=b"))
    assert json.loads(body_of(resp))["query"] == {"tag": "a,b"}
    resp = answer(fw, "http-v2", v2_event("GET", "/version", headers=[("x-api-version", "3")]))
    assert json.loads(body_of(resp))["version"] == "3"


def test_json_post_answers_201_with_headers_and_two_cookies(fw):
    v1 = answer(fw, "rest-v1", v1_event("POST", "/items", headers=[("content-type", "application/json")], body=b'{"name": "w"}'))
    assert v1["statusCode"] == 201 and json.loads(body_of(v1)) == {"created": {"name": "w"}}
    assert v1["multiValueHeaders"]["x-created-by"] == ["powertools"]
    assert [c.split(";")[0] for c in v1["multiValueHeaders"]["Set-Cookie"]] == ["session=abc", "theme=dark"]
    v2 = answer(fw, "http-v2", v2_event("POST", "/items", headers=[("content-type", "application/json")], body=b'{"name": "w"}'))
    assert v2["statusCode"] == 201 and v2["headers"]["x-created-by"] == "powertools"
    assert [c.split(";")[0] for c in v2["cookies"]] == ["session=abc", "theme=dark"]


@pytest.mark.parametrize("function", ["rest-v1", "http-v2"])
def test_binary_response_and_binary_request_body(fw, function):
    make = v1_event if function == "rest-v1" else v2_event
    logo = answer(fw, function, make("GET", "/logo.png"))
    assert logo["isBase64Encoded"] is True and body_of(logo) == PNG
    up = answer(fw, function, make("POST", "/upload", headers=[("content-type", "application/octet-stream")], body=BLOB, binary=True))
    assert json.loads(body_of(up)) == {"sha256": hashlib.sha256(BLOB).hexdigest(), "length": len(BLOB), "isBase64Encoded": True}


def test_mangum_reads_both_shapes(fw):
    v1 = answer(fw, "asgi", v1_event("POST", "/echo", query=[("a", "1")], headers=[("content-type", "application/octet-stream")], body=BLOB, binary=True))
    got = json.loads(body_of(v1))
    assert (got["method"], got["path"], got["length"]) == ("POST", "/echo", len(BLOB))
    assert got["sha256"] == hashlib.sha256(BLOB).hexdigest()
    assert sorted(v1["multiValueHeaders"]["set-cookie"]) == ["a=1", "b=2"]
    v2 = answer(fw, "asgi", v2_event("GET", "/echo", query="a=1&a=2", cookies=["s=1", "t=2"]))
    got = json.loads(body_of(v2))
    assert (got["path"], got["query"]) == ("/echo", "a=1&a=2")
    assert ["cookie", "s=1; t=2"] in got["headers"]
    assert sorted(v2["cookies"]) == ["a=1", "b=2"]
    assert answer(fw, "asgi", v2_event("GET", "/missing"))["statusCode"] == 404


def test_invocation_types_unknown_functions_and_bad_events(fw):
    assert invoke(fw, "rest-v1", v1_event("GET", "/items/1"), kind="Event").status_code == 202
    assert invoke(fw, "rest-v1", v1_event("GET", "/items/1"), kind="DryRun").status_code == 204
    assert fw.events_of("rest-v1") == []
    assert invoke(fw, "nope", {}).status_code == 404
    r = requests.post(f"{fw.url}/2015-03-31/functions/rest-v1/invocations", data=b"not json", timeout=10)
    assert r.headers.get("X-Amz-Function-Error") == "Unhandled"
    # An event the framework cannot read is the function's error, as on Lambda.
    r = invoke(fw, "rest-v1", {"unexpected": True})
    assert r.headers.get("X-Amz-Function-Error") == "Unhandled"


@pytest.mark.parametrize(
    ("function", "sample"),
    [("rest-v1", "v1-request.json"), ("http-v2", "v2-request.json"), ("url-v2", "v2-request.json"), ("asgi", "v1-request.json"), ("asgi", "v2-request.json")],
)
def test_the_documented_samples_are_read_by_the_frameworks(fw, function, sample):
    event = json.loads((FIXTURES / sample).read_text())
    resp = answer(fw, function, event)
    assert resp["statusCode"] == 200, resp
    got = json.loads(body_of(resp))
    if function == "asgi":
        assert (got["method"], got["path"]) == ("POST", "/items/42")
        assert got["sha256"] == hashlib.sha256(b'{"name": "widget"}').hexdigest()
    else:
        assert got == {"id": "42", "updated": {"name": "widget"}}
