"""Ways a request could skip the policy or hurt the VM: bodies that end in trailers
(HTTP/2 and HTTP/1.1 chunked), a gRPC-style response, an empty held body, Envoy's own
error replies in response scopes, the per-VM buffer budget, credential waits that
outlast the call timeout, repeated content types, and the timer at rest.
"""

from __future__ import annotations

import socket
import threading
import time

import requests

from harness import expect, h2
from harness.envoy import cluster, render_listener, start_expect_failure
from harness.httpserver import Reply
from harness.lambda_double import LambdaDouble
from harness.util import HOST, wait_for

FAILING = LambdaDouble.function_error("Unhandled", "always fails")


def _content_config(double_config, **kw):
    return double_config(scope="REQUEST_CONTENT", payload="{#request.content}", **kw)


# ----------------------------------------------------------------------------- trailers
def test_h2_request_ending_in_trailers_still_calls_lambda_and_spares_the_backend(envoys, double, backend, double_config):
    envoy = envoys.get(_content_config(double_config), lambda_to="double")
    double.always(FAILING)

    resp = h2.request(envoy.port, "/upload", b'{"n": 1}', trailers=[("x-checksum", "abc")])

    assert resp.status == 500, resp
    assert b"AWS_LAMBDA_INVALID_RESPONSE" in resp.body
    [call] = double.invocations()
    assert call.body == b'{"n": 1}', "the body held until the trailers is the payload"
    expect.backend_not_called(backend)


def test_h2_request_with_trailers_goes_on_to_the_backend_after_success(envoys, double, backend, double_config):
    envoy = envoys.get(_content_config(double_config), lambda_to="double")

    resp = h2.request(envoy.port, "/upload", b"abc" * 1000, trailers=[("x-checksum", "abc")])

    assert resp.status == 200, resp
    assert len(double.invocations()) == 1
    [seen] = backend.wait_for_requests(1)
    assert seen.body == b"abc" * 1000


def test_h2_send_to_consumer_with_trailers_answers_with_the_function(envoys, double, backend, double_config):
    envoy = envoys.get(_content_config(double_config, sendToConsumer=True), lambda_to="double")
    double.always(LambdaDouble.ok({"from": "lambda"}))

    resp = h2.request(envoy.port, "/upload", b"payload", trailers=[("x-t", "1")])

    assert (resp.status, resp.body) == (200, b'{"from": "lambda"}')
    expect.backend_not_called(backend)


def _chunked_with_trailers(port: int, body: bytes) -> bytes:
    """An HTTP/1.1 POST in one chunk followed by a trailer section; returns the raw answer."""
    request = (
        b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: x-checksum\r\n"
        b"Connection: close\r\n\r\n" + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\nx-checksum: abc\r\n\r\n"
    )
    with socket.create_connection((HOST, port), timeout=10) as s:
        s.sendall(request)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


def test_http1_chunked_trailers_still_call_lambda(envoys, double, backend, double_config):
    envoy = envoys.get(
        _content_config(double_config),
        lambda_to="double",
        hcm_extra={"http_protocol_options": {"enable_trailers": True}},
    )
    double.always(FAILING)

    raw = _chunked_with_trailers(envoy.port, b'{"chunked": true}')

    assert raw.startswith(b"HTTP/1.1 500"), raw[:200]
    [call] = double.invocations()
    assert call.body == b'{"chunked": true}'
    expect.backend_not_called(backend)


def test_grpc_style_response_with_trailers_calls_lambda(envoys, double, double_config):
    with h2.GrpcStyleUpstream(body=b"\x00\x00\x00\x00\x05hello") as upstream:
        envoy = envoys.get(
            double_config(scope="RESPONSE_CONTENT", payload="{#response.content.length()}"),
            lambda_to="double",
            extra_clusters=[_h2_cluster("grpc", upstream.port)],
            route_cluster="grpc",
            fresh=True,
            tag="grpc",
        )

        resp = h2.request(envoy.port, "/pkg.Svc/Call", b"\x00\x00\x00\x00\x00", headers=[("content-type", "application/grpc")])

        assert resp.status == 200, resp
        assert resp.body == b"\x00\x00\x00\x00\x05hello"
        assert resp.trailers.get("grpc-status") == "0", "the trailers were held and then passed on"
        [call] = double.invocations()
        assert call.body == b"10", "the function saw the whole response body"


# ----------------------------------------------------------------------------- response phase
def _h2_cluster(name: str, port: int) -> dict:
    c = cluster(name, port)
    c["typed_extension_protocol_options"] = {
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
            "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
            "explicit_http_config": {"http2_protocol_options": {}},
        }
    }
    return c


def test_response_content_send_to_consumer_with_an_empty_backend_body(envoys, double, double_config):
    # Headers first, then an empty DATA frame that ends the stream: the headers went on,
    # the body callback sees 0 bytes and end of stream.
    with h2.GrpcStyleUpstream(body=b"", trailers=False) as upstream:
        envoy = envoys.get(
            double_config(scope="RESPONSE_CONTENT", sendToConsumer=True, payload="x"),
            lambda_to="double",
            extra_clusters=[_h2_cluster("h2-empty", upstream.port)],
            route_cluster="h2-empty",
            fresh=True,
            tag="empty-body",
        )
        double.always(LambdaDouble.ok({"replaced": True}))

        resp = envoy.get("/empty")

        assert resp.status_code == 200, resp.text
        assert resp.json() == {"replaced": True}
        assert upstream.requests == 1


def test_envoy_local_replies_are_not_sent_to_lambda(envoys, double, backend, double_config):
    envoy = envoys.get(double_config(scope="RESPONSE", sendToConsumer=True), lambda_to="double", route_timeout="0.3s")
    backend.always(Reply(200, {}, b"late", delay_s=1.0))

    resp = envoy.get("/slow-backend")

    assert resp.status_code == 504, resp.text
    assert "upstream request timeout" in resp.text
    assert double.invocations() == [], "Envoy's own 504 is not the backend's response"


def test_invoke_on_local_replies_opts_in(envoys, double, backend, double_config):
    envoy = envoys.get(
        double_config(scope="RESPONSE", sendToConsumer=True, invokeOnLocalReplies=True, payload='{"status": "{#response.status}"}'),
        lambda_to="double",
        route_timeout="0.3s",
    )
    backend.always(Reply(200, {}, b"late", delay_s=1.0))

    resp = envoy.get("/slow-backend")

    assert resp.status_code == 200
    [call] = double.invocations()
    assert call.json() == {"status": "504"}


# ----------------------------------------------------------------------------- memory budget
def test_buffer_budget_answers_503_to_the_stream_over_it_and_the_others_go_on(envoys, double, double_config):
    # 1 MiB for the VM: one 700 KB body at a time.
    envoy = envoys.get(
        _content_config(double_config, sendToConsumer=True, maxBufferedBytes=1048576), lambda_to="double", fresh=True, tag="budget"
    )
    double.always(Reply(200, {"content-type": "application/json"}, b'{"ok": 1}', delay_s=1.5))
    body = b"x" * 700_000
    results: list[requests.Response] = []

    def send() -> None:
        results.append(envoy.post("/big", body=body, headers={"content-type": "text/plain"}, timeout=15))

    first = threading.Thread(target=send)
    first.start()
    double.wait_for_requests(1, timeout=10)
    send()  # while the first one holds its payload
    first.join()

    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 503], [r.text[:200] for r in results]
    refused = next(r for r in results if r.status_code == 503)
    assert refused.json()["key"] == "AWS_LAMBDA_OVERLOADED"
    assert envoy.stat("wasmcustom.aws_lambda.overloaded") == 1
    assert len(double.invocations()) == 1, "the refused stream never called Lambda"
    double.always(LambdaDouble.ok({"ok": 2}))
    assert envoy.post("/big", body=body, headers={"content-type": "text/plain"}).status_code == 200, "the budget was given back"


def test_max_buffered_bytes_is_validated(double_config):
    log = start_expect_failure(double_config(maxBufferedBytes=1000))
    assert "field `maxBufferedBytes`: must be between 1048576" in log


# ----------------------------------------------------------------------------- credentials wait
def test_waiting_for_credentials_ends_at_the_call_timeout(envoys, double, sts_double, double_config):
    envoy = envoys.get(
        double_config(roleArn="arn:aws:iam::123456789012:role/slow", stsEndpoint=sts_double.url, stsCluster="sts", apiCallTimeoutMs=800),
        lambda_to="double",
        sts_to="sts_double",
        fresh=True,
        tag="slow-sts",
    )
    sts_double.always(Reply(503, {}, b"", delay_s=3.0))

    resp = envoy.get("/needs-credentials")

    body = expect.invoke_error(resp)
    assert "no AWS credentials within 800 ms" in body["details"], body
    assert double.invocations() == []


# ----------------------------------------------------------------------------- answers
def test_repeated_content_type_from_lambda_reaches_the_consumer_once(envoys, double, double_config):
    envoy = envoys.get(double_config(sendToConsumer=True), lambda_to="double")
    double.always(Reply(200, [("content-type", "application/json"), ("content-type", "text/html")], b"{}"))

    resp = envoy.get("/ct")

    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/json"


# ----------------------------------------------------------------------------- at rest
def test_the_timer_is_off_at_rest_also_after_retries_and_reloads(envoys, double, double_config):
    envoy = envoys.get(double_config(), lambda_to="double", fresh=True, tag="timer")
    double.enqueue(LambdaDouble.throttled())
    start = envoy.log_size()
    assert envoy.get("/retried").status_code == 200, "a throttled call is retried on the timer"
    # Envoy flushes its log every 100 ms (later under load).
    wait_for(lambda: "timer fired, 1 streams due" in envoy.log_since(start), timeout=5, what="the retry on the timer")
    for n in range(5):
        # A new configuration for the same listener: a new root context, the old one is done.
        new = render_listener(double_config(payload=f'{{"reload": {n}}}'), envoy.port, name=envoy.name, module=envoys.module)
        envoy.envoy.replace_listener(new)
    assert envoy.get("/after-reloads").status_code == 200
    assert double.invocations()[-1].json() == {"reload": 4}, "the last configuration serves"
    time.sleep(0.3)
    offset = envoy.log_size()

    time.sleep(2.0)

    assert "timer fired" not in envoy.log_since(offset), "the root's timer fires with nothing to wait for"



def test_a_stream_waiting_across_a_reload_is_still_answered_by_the_timer(envoys, double, sts_double, double_config):
    def cfg(n: int) -> dict:
        return double_config(
            roleArn="arn:aws:iam::123456789012:role/slow",
            stsEndpoint=sts_double.url,
            stsCluster="sts",
            apiCallTimeoutMs=1500,
            payload=f'{{"reload": {n}}}',
        )

    envoy = envoys.get(cfg(0), lambda_to="double", sts_to="sts_double", fresh=True, tag="reload-wait")
    sts_double.always(Reply(503, {}, b"", delay_s=4.0))
    result: list[requests.Response] = []
    waiting = threading.Thread(target=lambda: result.append(envoy.get("/waits", timeout=15)))
    waiting.start()
    sts_double.wait_for_requests(1, timeout=5)

    # The listener gets a new configuration while the stream waits: its root context is done.
    envoy.envoy.replace_listener(render_listener(cfg(1), envoy.port, name=envoy.name, module=envoys.module))
    waiting.join()

    body = expect.invoke_error(result[0])
    assert "no AWS credentials within 1500 ms" in body["details"], "the old root's timer still ended the wait"
