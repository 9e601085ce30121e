"""A scriptable Lambda Invoke API for what moto cannot do.

Function errors (``X-Amz-Function-Error``), throttling (429), 5xx, slow answers,
``X-Amz-Log-Result``, odd statuses (302), non-JSON payloads. It checks no signature
(moto does that) but records every request (method, path with query, headers, body) so
tests can assert exactly what the filter sent: path encoding, ``Qualifier``,
``X-Amz-Invocation-Type``, ``X-Amz-Log-Type``, the Authorization that was *not* forwarded.

Default answer, like the real API for a function that returns its event:
``RequestResponse`` -> 200 with the request body echoed; ``Event`` -> 202, empty body;
``DryRun`` -> 204. Headers: ``content-type: application/json``, ``x-amzn-RequestId``,
``X-Amz-Executed-Version: $LATEST``. Queue other answers with ``enqueue`` or make one
sticky with ``always``.
"""

from __future__ import annotations

import base64
import itertools
import json
from urllib.parse import unquote

from .httpserver import Recorded, Reply, ScriptedServer

_ids = itertools.count(1)


def request_id() -> str:
    return f"e2e-{next(_ids):08d}-0000-4000-8000-000000000000"


class LambdaDouble(ScriptedServer):
    name = "lambda-double"

    def default_reply(self, req: Recorded) -> Reply:
        kind = req.header("X-Amz-Invocation-Type") or "RequestResponse"
        headers = {"content-type": "application/json", "x-amzn-RequestId": request_id()}
        if kind == "Event":
            return Reply(202, headers, b"")
        if kind == "DryRun":
            return Reply(204, headers, b"")
        headers["X-Amz-Executed-Version"] = "$LATEST"
        if (req.header("X-Amz-Log-Type") or "None") == "Tail":
            headers["X-Amz-Log-Result"] = base64.b64encode(b"START RequestId: e2e\nEND\n").decode()
        return Reply(200, headers, req.body)

    # -- canned answers --------------------------------------------------------------
    @staticmethod
    def ok(body: bytes | str | dict | list, status: int = 200, **extra_headers: str) -> Reply:
        headers = {"content-type": "application/json", "x-amzn-RequestId": request_id(), "X-Amz-Executed-Version": "$LATEST"}
        headers.update({k.replace("_", "-"): v for k, v in extra_headers.items()})
        return Reply(status, headers, body)

    @staticmethod
    def function_error(kind: str = "Unhandled", message: str = "boom") -> Reply:
        body = {"errorMessage": message, "errorType": "Exception", "stackTrace": []}
        return Reply(
            200,
            {
                "content-type": "application/json",
                "x-amzn-RequestId": request_id(),
                "X-Amz-Function-Error": kind,
                "X-Amz-Executed-Version": "$LATEST",
            },
            body,
        )

    @staticmethod
    def api_error(status: int, error_type: str, message: str) -> Reply:
        return Reply(
            status,
            {"content-type": "application/json", "x-amzn-RequestId": request_id(), "x-amzn-ErrorType": error_type},
            {"Type": "User" if status < 500 else "Service", "message": message},
        )

    @classmethod
    def throttled(cls) -> Reply:
        return cls.api_error(429, "TooManyRequestsException", "Rate Exceeded.")

    @classmethod
    def service_error(cls) -> Reply:
        return cls.api_error(500, "ServiceException", "Internal failure")

    @classmethod
    def not_found(cls, name: str = "nope") -> Reply:
        return cls.api_error(404, "ResourceNotFoundException", f"Function not found: arn:aws:lambda:us-east-1:123456789012:function:{name}")

    @staticmethod
    def slow(delay_s: float, body: bytes | str | dict = b'{"late": true}') -> Reply:
        return Reply(200, {"content-type": "application/json", "x-amzn-RequestId": request_id()}, body, delay_s=delay_s)

    # -- reading what was received ----------------------------------------------------
    def invocations(self) -> list[Recorded]:
        return [r for r in list(self.requests) if r.raw_path.endswith("/invocations")]

    @staticmethod
    def function_in_path(req: Recorded) -> str:
        """The ``{FunctionName}`` path segment as sent (still percent-encoded)."""
        parts = req.raw_path.split("/")
        # /2015-03-31/functions/{fn}/invocations
        return parts[3] if len(parts) >= 5 else ""

    @classmethod
    def function_name(cls, req: Recorded) -> str:
        return unquote(cls.function_in_path(req))

    @staticmethod
    def json_body(req: Recorded):
        return json.loads(req.body)
