//! Built events against the documented samples in tests/fixtures/apigw: the same field
//! names at every level and the same JSON types, but for the fields listed as left out
//! (what an authorizer, mTLS or API Gateway's own ids would fill).

use super::settings::PayloadFormat;
use crate::core::testing::apigw::{build, deployed, request};
use serde_json::Value;

/// Objects whose keys are data (header names, parameters), not field names.
const DATA_MAPS: [&str; 7] = [
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
    "query_string_parameters",
];

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Differences between `sample` and `built`, as `path: what`.
fn diff(path: &str, sample: &Value, built: &Value, left_out: &[&str], out: &mut Vec<String>) {
    if kind(sample) != kind(built) {
        out.push(format!(
            "{path}: {} in the sample, {} built",
            kind(sample),
            kind(built)
        ));
        return;
    }
    let (Value::Object(s), Value::Object(b)) = (sample, built) else {
        return;
    };
    let data = DATA_MAPS.iter().any(|m| path.ends_with(&format!(".{m}")));
    if data {
        return;
    }
    for (k, sv) in s {
        let p = format!("{path}.{k}");
        match b.get(k) {
            Some(bv) => diff(&p, sv, bv, left_out, out),
            None if left_out.contains(&p.as_str()) => {}
            None => out.push(format!("{p}: missing")),
        }
    }
    for k in b.keys().filter(|k| !s.contains_key(*k)) {
        out.push(format!("{path}.{k}: not in the sample"));
    }
}

fn sample(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/apigw/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn built(format: PayloadFormat) -> Value {
    let api = deployed(
        "abcdef1234",
        "prod",
        ("color", "blue"),
        "$default",
        "/items/{id}",
    );
    let h = request(
        "POST",
        "/items/42?tag=a&tag=b",
        &[
            ("content-type", "application/json"),
            ("user-agent", "curl/8.5.0"),
            ("cookie", "session=abc; theme=dark"),
        ],
    );
    build(format, &api, &h, b"{\"name\": \"widget\"}")
}

fn check(format: PayloadFormat, file: &str, left_out: &[&str]) {
    let mut out = Vec::new();
    diff("$", &sample(file), &built(format), left_out, &mut out);
    assert!(out.is_empty(), "{file}:\n{}", out.join("\n"));
}

#[test]
fn v1_has_the_documented_shape() {
    check(
        PayloadFormat::ApiGatewayV1,
        "v1-request.json",
        &[
            "$.requestContext.authorizer",
            "$.requestContext.extendedRequestId",
            "$.requestContext.resourceId",
        ],
    );
}

#[test]
fn v2_has_the_documented_shape() {
    check(
        PayloadFormat::ApiGatewayV2,
        "v2-request.json",
        &[
            "$.requestContext.authentication",
            "$.requestContext.authorizer",
        ],
    );
}

#[test]
fn envoy_has_the_native_filter_shape() {
    check(PayloadFormat::Envoy, "envoy-request.json", &[]);
}

#[test]
fn the_comparison_sees_a_missing_field_and_a_wrong_type() {
    let mut out = Vec::new();
    let s: Value = serde_json::json!({"a": 1, "b": {"c": "x"}, "headers": {"k": "v"}});
    let b: Value = serde_json::json!({"a": "1", "b": {}, "headers": {}, "z": null});
    diff("$", &s, &b, &[], &mut out);
    assert_eq!(
        out,
        vec![
            "$.a: number in the sample, string built",
            "$.b.c: missing",
            "$.z: not in the sample",
        ]
    );
}
