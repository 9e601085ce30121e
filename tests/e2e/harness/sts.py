"""STS answers for a double standing in for STS (to break it and mend it on demand).

The credentials inside are real ones moto issued (``Moto.assume_role()``), so a Lambda
call signed with them is accepted by moto: the double only controls *when* STS works.
"""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

from .httpserver import Reply


def _iso(value: dt.datetime | str) -> str:
    if isinstance(value, str):
        return value
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def assume_role_ok(creds: dict, role_arn: str, session_name: str = "gravitee") -> Reply:
    """The XML AWS STS sends for a successful AssumeRole (2011-06-15 API)."""
    body = f"""<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>{escape(creds["AccessKeyId"])}</AccessKeyId>
      <SecretAccessKey>{escape(creds["SecretAccessKey"])}</SecretAccessKey>
      <SessionToken>{escape(creds["SessionToken"])}</SessionToken>
      <Expiration>{_iso(creds["Expiration"])}</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <AssumedRoleId>AROAE2E:{escape(session_name)}</AssumedRoleId>
      <Arn>{escape(role_arn.replace(":iam:", ":sts:").replace(":role/", ":assumed-role/"))}/{escape(session_name)}</Arn>
    </AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>e2e-sts-0001</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>
"""
    return Reply(200, {"content-type": "text/xml"}, body)


def sts_error(status: int = 503, code: str = "ServiceUnavailable", message: str = "STS is down") -> Reply:
    body = f"""<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>{"Sender" if status < 500 else "Receiver"}</Type><Code>{code}</Code><Message>{escape(message)}</Message></Error>
  <RequestId>e2e-sts-err</RequestId>
</ErrorResponse>
"""
    return Reply(status, {"content-type": "text/xml"}, body)
