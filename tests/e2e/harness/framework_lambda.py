"""A Lambda Invoke API that runs real web-framework code from PyPI on the event it receives.

``POST /2015-03-31/functions/<name>/invocations`` hands the JSON event to the app named
``<name>`` and answers with what the framework returns, as Lambda would:

* ``rest-v1``: Powertools' ``APIGatewayRestResolver`` (API Gateway REST, payload 1.0);
* ``http-v2``: Powertools' ``APIGatewayHttpResolver`` (HTTP API, payload 2.0);
* ``url-v2``: Powertools' ``LambdaFunctionUrlResolver`` (Function URL, payload 2.0);
* ``asgi``: a plain ASGI app behind Mangum, which tells v1 from v2 by the event's shape.

The Powertools apps share their routes: ``GET /items/<id>`` (path parameter), ``POST|PUT /items/<id>`` (JSON echoed), ``GET
/search`` (query, multi-value in v1), ``GET /version`` (routed on ``x-api-version``),
``POST /items`` (JSON in, 201 with custom headers and two cookies), ``GET /logo.png``
(a binary ``image/png``), ``POST /upload`` (the sha256 and length of the body received),
and the framework's own 404 for anything else. An exception in an app becomes a function
error (``X-Amz-Function-Error: Unhandled``), an unknown name the Lambda API's 404;
``Event`` and ``DryRun`` invocations answer as ``LambdaDouble`` does without running the
app. Every event received is kept in ``events`` (function name, decoded JSON).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import threading
from typing import Any, Callable

from aws_lambda_powertools.event_handler import (
    APIGatewayHttpResolver,
    APIGatewayRestResolver,
    LambdaFunctionUrlResolver,
    Response,
)
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.shared.cookies import Cookie
from mangum import Mangum

from .httpserver import Recorded, Reply
from .lambda_double import LambdaDouble

# The 8-byte PNG signature and an empty IHDR-less chunk: not an image viewer's delight,
# but binary (NUL, 0x89, CR LF) and typed image/png.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x00IEND\xaeB`\x82"


def body_bytes(event: dict) -> bytes:
    """The request body as the event carries it (base64 decoded when flagged)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode()


def add_routes(app: ApiGatewayResolver) -> ApiGatewayResolver:
    @app.get("/items/<item_id>")
    def get_item(item_id: str):
        return {"id": item_id, "route": "item"}

    @app.put("/items/<item_id>")
    @app.post("/items/<item_id>")
    def update_item(item_id: str):
        return {"id": item_id, "updated": app.current_event.json_body}

    @app.get("/search")
    def search():
        ev = app.current_event
        multi = getattr(ev, "multi_value_query_string_parameters", None)
        return {"query": ev.query_string_parameters or {}, "multi": multi}

    @app.get("/version")
    def version():
        ev = app.current_event
        wanted = ev.headers.get("x-api-version", "1")
        multi = getattr(ev, "multi_value_headers", None) or {}
        return {"version": wanted, "x-multi": multi.get("x-multi")}

    @app.post("/items")
    def create_item():
        item = app.current_event.json_body
        return Response(
            status_code=201,
            content_type="application/json",
            body=json.dumps({"created": item}),
            headers={"x-created-by": "powertools", "location": "/items/7"},
            cookies=[Cookie(name="session", value="abc", path="/"), Cookie(name="theme", value="dark", http_only=True)],
        )

    @app.get("/logo.png")
    def logo():
        return Response(status_code=200, content_type="image/png", body=PNG)

    @app.post("/upload")
    def upload():
        data = body_bytes(app.current_event.raw_event)
        return {
            "sha256": hashlib.sha256(data).hexdigest(),
            "length": len(data),
            "isBase64Encoded": bool(app.current_event.raw_event.get("isBase64Encoded")),
        }

    return app


async def asgi_echo(scope: dict, receive: Callable, send: Callable) -> None:
    """Answers every request with what the ASGI scope and body say."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/missing":
        await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"no such thing"})
        return
    answer = {
        "method": scope["method"],
        "path": scope["path"],
        "query": scope["query_string"].decode(),
        "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]],
        "sha256": hashlib.sha256(body).hexdigest(),
        "length": len(body),
    }
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(answer).encode()})


class LambdaContext:
    """What the frameworks read from Lambda's context object."""

    def __init__(self, function_name: str, request_id: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.memory_limit_in_mb = 128
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "e2e"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def with_event_loop(handler: Callable[[dict, Any], Any]) -> Callable[[dict, Any], Any]:
    """Mangum runs the app on the thread's event loop, which a server thread lacks."""

    def run(event: dict, context: Any) -> Any:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            return handler(event, context)
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    return run


def _apps() -> dict[str, Callable[[dict, Any], Any]]:
    rest = add_routes(APIGatewayRestResolver())
    http = add_routes(APIGatewayHttpResolver())
    url = add_routes(LambdaFunctionUrlResolver())
    asgi = with_event_loop(Mangum(asgi_echo, lifespan="off"))
    return {"rest-v1": rest.resolve, "http-v2": http.resolve, "url-v2": url.resolve, "asgi": asgi}


class FrameworkLambda(LambdaDouble):
    name = "framework-lambda"

    def __init__(self, port: int | None = None) -> None:
        super().__init__(port)
        self.apps = _apps()
        # Resolvers keep the current event on the app: one invocation at a time.
        self._run = threading.Lock()
        self.events: list[tuple[str, dict]] = []

    def reset(self) -> None:
        super().reset()
        with self._run:
            self.events.clear()

    def events_of(self, function: str) -> list[dict]:
        with self._run:
            return [e for f, e in self.events if f == function]

    def default_reply(self, req: Recorded) -> Reply:
        kind = req.header("X-Amz-Invocation-Type") or "RequestResponse"
        if not req.raw_path.endswith("/invocations") or kind != "RequestResponse":
            return super().default_reply(req)
        function = self.function_name(req)
        app = self.apps.get(function)
        if app is None:
            return self.not_found(function)
        try:
            event = json.loads(req.body)
        except ValueError:
            return self.function_error("Unhandled", "the event is not JSON")
        rid = (req.header("x-amzn-RequestId") or "").strip() or "e2e-framework"
        with self._run:
            self.events.append((function, event))
            try:
                result = app(event, LambdaContext(function, rid))
            except Exception as e:  # noqa: BLE001 - a function error, as Lambda reports it
                return self.function_error("Unhandled", f"{type(e).__name__}: {e}")
        return self.ok(result)
