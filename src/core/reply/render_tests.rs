//! Rendering a template, the built-in answer, and `answer` falling back.

use super::*;
use crate::core::errors::{ErrorKey, ErrorParams, PolicyError};
use crate::core::template::{Map, Value};

/// The caller's roots: `#request` (headers, path), `#properties`, and an `#error` to be shadowed.
struct Caller;

impl Root for Caller {
    fn lookup(&self, name: &str) -> Option<Value> {
        match name {
            "request" => {
                let mut headers = Map::new_case_insensitive();
                headers.insert("x-tenant", Value::str("acme"));
                let mut r = Map::new();
                r.insert("path", Value::str("/orders"));
                r.insert("headers", Value::map(headers));
                Some(Value::map(r))
            }
            "properties" => {
                let mut p = Map::new();
                p.insert("team", Value::str("payments"));
                p.insert("big", Value::from("x".repeat(render::MAX_BODY_BYTES + 1)));
                Some(Value::map(p))
            }
            "error" => Some(Value::str("the caller's, never seen")),
            _ => None,
        }
    }
}

fn timeout() -> PolicyError {
    PolicyError::new(
        ErrorKey::Timeout,
        "Lambda did not answer within 250 ms (timeout)",
    )
    .with_params(ErrorParams {
        function: Some("orders".into()),
        region: Some("eu-west-1".into()),
        status: Some(504),
        aws_request_id: Some("r-1".into()),
        ..ErrorParams::default()
    })
}

fn one(media_json: &str) -> ResponseTemplates {
    let json = format!(r#"{{"AWS_LAMBDA_TIMEOUT": {{"*/*": {media_json}}}}}"#);
    ResponseTemplates::from_json("responseTemplates", json.as_bytes())
        .unwrap()
        .templates
}

fn reply(templates: &ResponseTemplates, accept: &[&str]) -> Reply {
    let a = answer(
        templates,
        &timeout(),
        &Accept::parse(accept.iter().copied()),
        &Caller,
    );
    assert!(matches!(a.source, Source::Template(_)), "{:?}", a.source);
    a.reply
}

fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn body(r: &Reply) -> &str {
    std::str::from_utf8(&r.body).unwrap()
}

#[test]
fn error_fields_in_the_body() {
    let t = one(
        r#"{"status": 504, "body": "{#error.statusCode}|{#error.key}|{#error.message}|{#error.cause}|{#error.parameters['function']}"}"#,
    );
    let r = reply(&t, &["application/json"]);
    assert_eq!(r.status, 504);
    assert_eq!(
        body(&r),
        "500|AWS_LAMBDA_TIMEOUT|An error occurs while invoking lambda function.|Lambda did not answer within 250 ms (timeout)|orders"
    );
}

#[test]
fn parameters_in_the_body() {
    let t = one(
        r#"{"status": 504, "body": "{#parameters['function']}|{#parameters['region']}|{#parameters['status'] + 1}|{#parameters['awsRequestId']}|{#parameters['parentErrorKey']}|{#parameters['qualifier'] == null}|{#parameters['awsErrorType']}"}"#,
    );
    assert_eq!(
        body(&reply(&t, &[])),
        "orders|eu-west-1|505|r-1|AWS_LAMBDA_INVALID_RESPONSE|true|"
    );
}

#[test]
fn the_callers_roots_are_there_and_error_shadows_theirs() {
    let t = one(
        r#"{"status": 504, "body": "{#request.path} {#request.headers['X-Tenant']} {#properties['team']} {#error.key}"}"#,
    );
    assert_eq!(
        body(&reply(&t, &[])),
        "/orders acme payments AWS_LAMBDA_TIMEOUT"
    );
}

#[test]
fn content_type_is_the_first_accept_value_for_a_body() {
    let t = one(r#"{"status": 504, "body": "{\"e\": \"{#error.key}\"}"}"#);
    let r = reply(
        &t,
        &[
            "application/xml;q=0.5, application/json;charset=utf-8",
            "text/plain",
        ],
    );
    // The first range as written (not the best one): Gravitee copies the request's Accept.
    assert_eq!(header(&r, "content-type"), Some("application/xml"));
    assert_eq!(body(&r), r#"{"e": "AWS_LAMBDA_TIMEOUT"}"#);
    // No Accept: no content type (as Gravitee), unless the template sets one.
    assert_eq!(header(&reply(&t, &[]), "content-type"), None);
}

#[test]
fn template_headers_are_set_and_win_over_accept() {
    let t = one(
        r#"{"status": 502, "headers": {"Content-Type": "application/problem+json", "X-Error": "lambda"}, "body": "{}"}"#,
    );
    let r = reply(&t, &["application/json"]);
    assert_eq!(
        r.headers,
        [
            (
                "content-type".to_string(),
                "application/problem+json".to_string()
            ),
            ("x-error".to_string(), "lambda".to_string())
        ]
    );
}

#[test]
fn empty_body_means_no_body_and_no_content_type() {
    let none = one(r#"{"status": 503, "headers": {"Retry-After": "1"}}"#);
    let r = reply(&none, &["application/json"]);
    assert_eq!(r.status, 503);
    assert!(r.body.is_empty());
    assert_eq!(r.headers, [("retry-after".to_string(), "1".to_string())]);
    // A body that renders empty is no body either.
    let blank = one(r#"{"status": 503, "body": "{#parameters['qualifier']}"}"#);
    let r = reply(&blank, &["application/json"]);
    assert!(r.body.is_empty());
    assert_eq!(header(&r, "content-type"), None);
}

#[test]
fn a_render_failure_falls_back_to_the_builtin_answer() {
    for failing in [
        r#"{#request.nothing.deeper}"#,
        r#"{#properties['big']}"#,
        r#"{#error.key.noSuchMethod()}"#,
    ] {
        let t = one(&format!(r#"{{"status": 504, "body": "{failing}"}}"#));
        let e = timeout();
        let a = answer(&t, &e, &Accept::parse(["application/json"]), &Caller);
        let Source::Fallback(selected, why) = &a.source else {
            panic!("{failing}: {:?}", a.source)
        };
        assert_eq!(selected.key, "AWS_LAMBDA_TIMEOUT");
        assert!(!why.message.contains("xxxx"), "{}", why.message);
        assert_eq!(a.reply, builtin(&e, &Accept::parse(["application/json"])));
        assert_eq!(a.reply.status, 500);
        assert!(a.propagates_error_key());
    }
}

#[test]
fn builtin_is_json_when_the_client_takes_it() {
    let e = timeout();
    for accept in [
        &[][..],
        &["*/*"],
        &["application/*"],
        &["text/html, application/json"],
    ] {
        let r = builtin(&e, &Accept::parse(accept.iter().copied()));
        assert_eq!(r.status, 500);
        assert_eq!(
            header(&r, "content-type"),
            Some("application/json"),
            "{accept:?}"
        );
        assert_eq!(body(&r), e.body());
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["key"], "AWS_LAMBDA_INVALID_RESPONSE");
        assert_eq!(v["http_status_code"], 500);
    }
}

#[test]
fn builtin_is_the_message_as_text_otherwise() {
    let e = PolicyError::new(ErrorKey::InvalidStatusCode, "Status Code: 302");
    let r = builtin(&e, &Accept::parse(["text/html"]));
    assert_eq!(r.status, 400);
    assert_eq!(header(&r, "content-type"), Some("text/plain"));
    assert_eq!(
        body(&r),
        "Invalid status code from lambda function response."
    );
}

#[test]
fn no_template_is_the_builtin_answer() {
    let e = timeout();
    let accept = Accept::parse(["text/plain"]);
    let none = ResponseTemplates::default();
    let a = answer(&none, &e, &accept, &Caller);
    assert!(matches!(a.source, Source::BuiltIn));
    assert_eq!(a.reply, builtin(&e, &accept));
    assert!(a.propagates_error_key());
}

#[test]
fn propagation_of_the_key_follows_the_template() {
    let e = timeout();
    let accept = Accept::parse([]);
    let quiet = one(r#"{"status": 504}"#);
    assert!(!answer(&quiet, &e, &accept, &Caller).propagates_error_key());
    let loud = one(r#"{"status": 504, "propagateErrorKeyToLogs": true}"#);
    assert!(answer(&loud, &e, &accept, &Caller).propagates_error_key());
}
