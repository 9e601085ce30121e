//! API Gateway's proxy responses. v1 (REST API): `statusCode`, `headers`,
//! `multiValueHeaders` (wins per name), `body`, `isBase64Encoded`; anything malformed is
//! refused. v2 (HTTP API, Function URL): the same without `multiValueHeaders`, plus
//! `cookies`; a payload without `statusCode` is inferred as a 200 JSON body.

use super::fields::{self, Object};
use super::headers::{clean, default_content_type};
use super::ProxyResponse;
use serde_json::Value;

const JSON: &str = "application/json";

fn status_of(obj: &Object) -> Result<u16, String> {
    match fields::field(obj, &["statusCode"]) {
        Some((name, v)) => fields::status(name, v),
        None => Err("statusCode is missing".to_string()),
    }
}

pub(super) fn v1(payload: &[u8]) -> Result<ProxyResponse, String> {
    let obj = fields::object(payload)?;
    let status = status_of(&obj)?;
    let single = fields::headers("headers", obj.get("headers"))?;
    let multi = fields::multi_headers("multiValueHeaders", obj.get("multiValueHeaders"))?;
    let mut raw: Vec<(String, String)> = single
        .into_iter()
        .filter(|(k, _)| !multi.iter().any(|(m, _)| m.eq_ignore_ascii_case(k)))
        .collect();
    raw.extend(multi);
    let mut headers = clean(raw)?;
    default_content_type(&mut headers, JSON);
    let body = fields::body(&obj, &["body"], &["isBase64Encoded"])?;
    Ok(ProxyResponse {
        status,
        headers,
        body,
    })
}

/// What API Gateway assumes when the function returns no `statusCode`: 200, JSON, the
/// payload as body (a JSON string gives its text).
fn inferred(body: Vec<u8>) -> ProxyResponse {
    ProxyResponse {
        status: 200,
        headers: vec![("content-type".to_string(), JSON.to_string())],
        body,
    }
}

pub(super) fn v2(payload: &[u8]) -> Result<ProxyResponse, String> {
    let obj = match serde_json::from_slice::<Value>(payload) {
        Ok(Value::Object(obj)) if fields::field(&obj, &["statusCode"]).is_some() => obj,
        Ok(Value::String(text)) => return Ok(inferred(text.into_bytes())),
        _ => return Ok(inferred(payload.to_vec())),
    };
    let status = status_of(&obj)?;
    let mut raw = fields::headers("headers", obj.get("headers"))?;
    for cookie in fields::strings("cookies", obj.get("cookies"))? {
        raw.push(("set-cookie".to_string(), cookie));
    }
    let headers = clean(raw)?;
    let body = fields::body(&obj, &["body"], &["isBase64Encoded"])?;
    Ok(ProxyResponse {
        status,
        headers,
        body,
    })
}
