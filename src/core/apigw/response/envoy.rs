//! The response envelope of Envoy's native `aws_lambda` filter: `status_code` (or
//! `statusCode`; 0 or absent keeps 200), `headers`, `cookies` (one `set-cookie` each),
//! `body`, `is_base64_encoded` (or `isBase64Encoded`); `content-type` defaults to JSON.
//! Unknown fields are ignored, as Envoy's JSON parser does.

use super::fields;
use super::headers::{clean, default_content_type};
use super::ProxyResponse;
use serde_json::Value;

pub(super) fn map(payload: &[u8]) -> Result<ProxyResponse, String> {
    let obj = fields::object(payload)?;
    let status = match fields::field(&obj, &["status_code", "statusCode"]) {
        None => 200,
        Some((_, Value::Number(n))) if n.as_u64() == Some(0) => 200,
        Some((name, v)) => fields::status(name, v)?,
    };
    let mut raw = fields::headers("headers", obj.get("headers"))?;
    for cookie in fields::strings("cookies", obj.get("cookies"))? {
        raw.push(("set-cookie".to_string(), cookie));
    }
    let mut headers = clean(raw)?;
    default_content_type(&mut headers, "application/json");
    let body = fields::body(&obj, &["body"], &["is_base64_encoded", "isBase64Encoded"])?;
    Ok(ProxyResponse {
        status,
        headers,
        body,
    })
}
