//! Fixtures of the API Gateway event tests: the request, the API it reaches
//! and the event built from them, as JSON.

use super::headers;
use crate::core::apigw::event::{build_event, HttpRequest};
use crate::core::apigw::settings::PayloadFormat;
use crate::core::apigw::{ApiGateway, Resource};
use serde_json::{json, Value};

/// The time of every request: 03/Dec/2026:09:12:00 +0000.
pub const T: u64 = 1_796_289_120_000;

/// A `method` request to `path` on `https://api.example.com`, then the `extra` headers.
pub fn request(method: &str, path: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut h = headers(&[
        (":method", method),
        (":path", path),
        (":authority", "api.example.com"),
        (":scheme", "https"),
    ]);
    h.extend(headers(extra));
    h
}

/// A GET [`request`].
pub fn get(path: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    request("GET", path, extra)
}

/// An API whose resource is the path template `resource`, the rest default.
#[allow(clippy::unwrap_used)]
pub fn at_resource(resource: &str) -> ApiGateway {
    ApiGateway {
        resource: Some(Resource::compile(resource).unwrap()),
        ..ApiGateway::default()
    }
}

/// API `api_id` of account 123456789012, deployed to `stage` with one stage
/// variable, its route `route_key` matching the path template `resource`.
pub fn deployed(
    api_id: &str,
    stage: &str,
    (name, value): (&str, &str),
    route_key: &str,
    resource: &str,
) -> ApiGateway {
    ApiGateway {
        stage: stage.into(),
        stage_variables: vec![(name.into(), value.into())],
        api_id: api_id.into(),
        account_id: "123456789012".into(),
        route_key: route_key.into(),
        ..at_resource(resource)
    }
}

/// The event of `format` for the request `h` with `body`, to the default API.
pub fn event(format: PayloadFormat, h: &[(String, String)], body: &[u8]) -> Value {
    build(format, &ApiGateway::default(), h, body)
}

/// A request context as both API Gateway formats write it: `fields` after
/// those they open with, for API `api_id` of [`deployed`] called on
/// api.example.com.
#[allow(clippy::unwrap_used)]
pub fn context(api_id: &str, fields: Value) -> Value {
    let mut context = json!({
        "accountId": "123456789012",
        "apiId": api_id,
        "domainName": "api.example.com",
        "domainPrefix": "api",
    });
    let map = context.as_object_mut().unwrap();
    map.extend(fields.as_object().unwrap().clone());
    context
}

/// The event of `format` for the request `h` with `body`, from 203.0.113.7, at [`T`].
#[allow(clippy::unwrap_used)]
pub fn build(
    format: PayloadFormat,
    api: &ApiGateway,
    h: &[(String, String)],
    body: &[u8],
) -> Value {
    let req = HttpRequest {
        headers: h,
        body,
        source_ip: Some("203.0.113.7:41234"),
        protocol: None,
        time_ms: T,
    };
    let bytes = build_event(format, api, &req).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
