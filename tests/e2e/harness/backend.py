"""The echo backend (the upstream behind Envoy): records each request and, by default,
answers 200 with a JSON description of what it received:

    {"method": "POST", "path": "/x?q=1", "headers": {"lower-name": "value", ...},
     "body": "<request body as text>", "body_length": 12}

Repeated headers are joined with ", ". Script other answers per test with
``enqueue``/``always`` (e.g. ``Reply(201, {"x-backend": "yes"}, b"created")``).
"""

from __future__ import annotations

from .httpserver import Recorded, Reply, ScriptedServer


def describe(req: Recorded) -> dict:
    headers: dict[str, str] = {}
    for k, v in req.headers:
        k = k.lower()
        headers[k] = f"{headers[k]}, {v}" if k in headers else v
    return {
        "method": req.method,
        "path": req.path,
        "headers": headers,
        "body": req.body.decode("utf-8", errors="replace"),
        "body_length": len(req.body),
    }


class EchoBackend(ScriptedServer):
    name = "backend"

    def default_reply(self, req: Recorded) -> Reply:
        return Reply(200, {"content-type": "application/json", "x-backend": "echo"}, describe(req))
