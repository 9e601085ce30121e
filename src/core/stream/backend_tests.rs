//! The function as an API backend, against the fake host of the stream tests: the
//! event sent in place of the template, the proxy response as the consumer's answer
//! (the limits and the rest: `backend_limits_tests.rs`).

use super::*;
use crate::core::config::{from_json, Scope};
use base64::Engine;
use serde_json::{json, Value};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn api(extra: &str) -> String {
    format!(r#"{{"function":"api","payloadFormat":"API_GATEWAY_V1","sendToConsumer":true{extra}}}"#)
}

fn posted(body: &[u8], content_type: &str) -> FakeHost {
    let mut headers = request();
    headers.push(("content-type".to_string(), content_type.to_string()));
    headers.push(("x-request-id".to_string(), "rid-1".to_string()));
    FakeHost {
        request_headers: headers,
        request_body: body.to_vec(),
        properties: vec![
            ("source.address".to_string(), b"203.0.113.7:50000".to_vec()),
            ("request.protocol".to_string(), b"HTTP/1.1".to_vec()),
        ],
        ..Default::default()
    }
}

/// The router has already sent the request headers upstream.
fn started_upstream(mut f: FakeHost) -> FakeHost {
    f.properties
        .push(("upstream.address".to_string(), b"10.0.0.9:80".to_vec()));
    f
}

/// Runs a request with this body through the headers and body callbacks.
fn send_body(s: &mut Stream, len: usize) -> Action {
    assert_eq!(s.on_request_headers(false), Action::Continue);
    s.on_request_body(len, true)
}

fn sent_event(f: &FakeHost) -> Value {
    serde_json::from_slice(&f.dispatched.borrow()[0].2).unwrap()
}

fn reply(f: &FakeHost) -> (u32, Headers, Vec<u8>) {
    f.replies.borrow()[0].clone()
}

#[test]
fn the_v1_event_replaces_the_template_and_the_proxy_response_is_the_answer() {
    let (mut s, f) = stream(&api(""), posted(br#"{"name":"w"}"#, "application/json"));
    assert_eq!(send_body(&mut s, 12), Action::Pause);
    let ev = sent_event(&f);
    assert_eq!(ev["httpMethod"], "POST");
    assert_eq!(ev["path"], "/orders");
    assert_eq!(
        ev["multiValueQueryStringParameters"],
        json!({"q": ["1", "2"]})
    );
    assert_eq!(ev["body"], r#"{"name":"w"}"#);
    assert_eq!(ev["isBase64Encoded"], false);
    assert_eq!(ev["requestContext"]["identity"]["sourceIp"], "203.0.113.7");
    assert_eq!(ev["requestContext"]["protocol"], "HTTP/1.1");
    assert_eq!(ev["requestContext"]["requestId"], "rid-1");
    assert_eq!(
        ev["requestContext"]["requestTimeEpoch"],
        1_700_000_000_000u64
    );
    let answer = json!({
        "statusCode": 201,
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "X-Custom": ["yes"]},
        "headers": {"Content-Length": "999"},
        "body": B64.encode(b"\x89PNG\r\n"),
        "isBase64Encoded": true
    });
    answer_ok(&mut s, &answer.to_string());
    let (status, hs, body) = reply(&f);
    assert_eq!(status, 201);
    assert_eq!(body, b"\x89PNG\r\n");
    assert_eq!(
        hs,
        headers(&[
            ("set-cookie", "a=1"),
            ("set-cookie", "b=2"),
            ("x-custom", "yes"),
            ("content-type", "application/json"),
        ]),
        "content-length dropped (recomputed), both cookies kept"
    );
    assert_eq!(f.resumed_request.get(), 0, "the backend is not called");
    assert_eq!(s.held.budget().used(), 0);
}

#[test]
fn a_binary_body_travels_base64_and_the_default_scope_is_request_content() {
    let blob: Vec<u8> = (0..=255u8).collect();
    let (mut s, f) = stream(
        r#"{"function":"api","payloadFormat":"API_GATEWAY_V2"}"#,
        posted(&blob, "application/octet-stream"),
    );
    assert_eq!(s.cfg.scope, Scope::RequestContent);
    assert_eq!(send_body(&mut s, blob.len()), Action::Pause);
    let ev = sent_event(&f);
    assert_eq!(ev["version"], "2.0");
    assert_eq!(ev["isBase64Encoded"], true);
    assert_eq!(
        B64.decode(ev["body"].as_str().unwrap()).unwrap(),
        blob,
        "the body arrives intact"
    );
    // Without sendToConsumer the request goes on to the backend after the call.
    answer_ok(&mut s, r#"{"statusCode": 500}"#);
    assert_eq!(f.resumed_request.get(), 1);
    assert!(f.replies.borrow().is_empty());
}

#[test]
fn a_malformed_proxy_response_is_a_502_with_its_key() {
    for bad in [
        r#"[1, 2]"#,
        r#"{"body": "no status"}"#,
        r#"{"statusCode": 99}"#,
        r#"{"statusCode": 200, "body": {"not": "a string"}}"#,
        r#"{"statusCode": 200, "body": "!!", "isBase64Encoded": true}"#,
        r#"{"statusCode": 200, "headers": {"x": "a\r\nb"}}"#,
    ] {
        let (mut s, f) = stream(&api(""), posted(b"", "text/plain"));
        s.on_request_headers(true);
        answer_ok(&mut s, bad);
        let (status, _, body) = reply(&f);
        assert_eq!(status, 502, "{bad}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["key"], "AWS_LAMBDA_INVALID_PROXY_RESPONSE", "{bad}");
        assert!(!body["details"].as_str().unwrap().is_empty());
        assert_eq!(
            f.error_key().as_deref(),
            Some("AWS_LAMBDA_INVALID_PROXY_RESPONSE")
        );
    }
}

#[test]
fn a_function_error_stays_invalid_response_and_event_invocations_are_not_mapped() {
    let (mut s, f) = stream(&api(""), posted(b"", "text/plain"));
    s.on_request_headers(true);
    answer_function_error(&mut s, "Unhandled", br#"{"errorMessage":"boom"}"#);
    let (status, _, body) = reply(&f);
    assert_eq!(status, 500);
    assert!(String::from_utf8_lossy(&body).contains("AWS_LAMBDA_INVALID_RESPONSE"));

    let (mut s, f) = stream(
        &api(r#","invocationType":"Event""#),
        posted(b"", "text/plain"),
    );
    s.on_request_headers(true);
    s.on_lambda_answer(7, headers(&[(":status", "202")]), Vec::new());
    let (status, _, body) = reply(&f);
    assert_eq!((status, body.len()), (202, 0), "Lambda's 202, not a 502");
}

#[test]
fn response_replaces_status_headers_and_body_response_content_only_the_body() {
    let cfg = |scope: &str| {
        format!(
            r#"{{"function":"api","scope":"{scope}","sendToConsumer":true,"responseFormat":"API_GATEWAY_V2","payload":"{{}}"}}"#
        )
    };
    let answer =
        r#"{"statusCode": 418, "headers": {"x-from": "fn"}, "cookies": ["c=1"], "body": "teapot"}"#;
    let backend = headers(&[(":status", "200"), ("x-backend", "1")]);

    let (mut s, f) = stream(
        &cfg("RESPONSE"),
        FakeHost {
            response_headers: backend.clone(),
            ..with_request()
        },
    );
    s.on_request_headers(true);
    assert_eq!(s.on_response_headers(false), Action::Pause);
    answer_ok(&mut s, answer);
    let (status, hs, body) = reply(&f);
    assert_eq!((status, body.as_slice()), (418, b"teapot".as_slice()));
    assert_eq!(hs, headers(&[("x-from", "fn"), ("set-cookie", "c=1")]));

    let (mut s, f) = stream(
        &cfg("RESPONSE_CONTENT"),
        FakeHost {
            response_headers: backend,
            response_body: b"backend body".to_vec(),
            ..with_request()
        },
    );
    s.on_request_headers(true);
    assert_eq!(s.on_response_headers(false), Action::Continue);
    assert_eq!(s.on_response_body(12, true), Action::Pause);
    answer_ok(&mut s, answer);
    assert!(f.replies.borrow().is_empty());
    assert_eq!(
        f.replaced_bodies.borrow().last().map(Vec::as_slice),
        Some(b"teapot".as_slice())
    );
}

#[path = "backend_limits_tests.rs"]
mod limits;
