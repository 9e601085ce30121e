//! The Envoy native filter's envelope.

use super::settings::PayloadFormat::Envoy;
use crate::core::testing::apigw::{event, get, request};
use serde_json::json;

#[test]
fn the_envelope_as_envoy_sends_it() {
    let h = request(
        "POST",
        "/orders/7?a=1&a=2&b=x%20y&c",
        &[
            ("x-m", "1"),
            ("content-type", "application/json"),
            ("x-m", "2"),
        ],
    );
    let got = event(Envoy, &h, b"{\"n\":1}");
    assert_eq!(
        got,
        json!({
            "raw_path": "/orders/7?a=1&a=2&b=x%20y&c",
            "method": "POST",
            "headers": {"x-m": "1,2", "content-type": "application/json"},
            "query_string_parameters": {"a": "1", "b": "x%20y", "c": ""},
            "body": "{\"n\":1}",
            "is_base64_encoded": false
        })
    );
}

#[test]
fn every_field_is_present_when_empty() {
    let got = event(Envoy, &get("/", &[]), b"");
    assert_eq!(
        got,
        json!({
            "raw_path": "/",
            "method": "GET",
            "headers": {},
            "query_string_parameters": {},
            "body": "",
            "is_base64_encoded": false
        })
    );
}

#[test]
fn binary_bodies_are_base64() {
    let got = event(
        Envoy,
        &get("/b", &[("content-type", "application/octet-stream")]),
        &[255, 0],
    );
    assert_eq!(
        (got["body"].as_str(), got["is_base64_encoded"].as_bool()),
        (Some("/wA="), Some(true))
    );
}
