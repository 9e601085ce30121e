//! The state machine against a fake host: what is paused, dispatched,
//! resumed and replied, for every scope.

use super::*;
use crate::core::credentials::StaticCredentials as Fixed;
use crate::core::host::{Headers, Metric};
use crate::core::testing::stream::{
    answer_function_error, answer_ok, ok, reply_for_content_type, request, sent_then_resumed,
    stream, stream_with, with_request, with_response, With,
};
use crate::core::testing::{at, headers, FakeHost, T0};
use std::cell::RefCell;
use std::time::Duration;

#[path = "parity_tests.rs"]
mod parity;

#[test]
fn request_scope_invokes_then_resumes() {
    let (mut s, f) = stream(
        r#"{"function":"demo","payload":"{\"user\":\"{#request.headers['X-User'][0]}\"}","variables":[{"name":"answer","value":"{#jsonPath(#lambdaResponse.content, '$.v')}"}]}"#,
        with_request(),
    );
    assert_eq!(s.on_request_headers(false), Action::Pause);
    let (cluster, headers, body, timeout) = f.dispatched.borrow()[0].clone();
    assert_eq!(cluster, "lambda");
    assert_eq!(body, br#"{"user":"alice"}"#);
    assert_eq!(timeout, Duration::from_secs(30));
    assert!(!headers
        .iter()
        .any(|(n, v)| n == "authorization" && v.contains("downstream")));
    answer_ok(&mut s, r#"{"v":"42"}"#);
    assert_eq!(f.resumed_request.get(), 1);
    assert!(f.replies.borrow().is_empty());
    assert_eq!(f.state("answer").as_deref(), Some("42"));
}

#[test]
fn request_scope_send_to_consumer_replies_with_the_function_result() {
    let (mut s, f) = stream(
        r#"{"function":"demo","sendToConsumer":true}"#,
        with_request(),
    );
    s.on_request_headers(true);
    answer_ok(&mut s, r#"{"hello":"world"}"#);
    let replies = f.replies.borrow();
    assert_eq!(replies[0].0, 200);
    assert_eq!(replies[0].2, br#"{"hello":"world"}"#);
    assert!(replies[0]
        .1
        .contains(&("content-type".to_string(), "application/json".to_string())));
    assert_eq!(f.resumed_request.get(), 0);
}

#[test]
fn send_to_consumer_never_forwards_cr_lf_or_nul_from_the_lambda_content_type() {
    let (status, hs) = reply_for_content_type("text/plain\r\nset-cookie: a=b\0");
    assert_eq!(status, 200);
    assert_eq!(
        hs,
        headers(&[("content-type", "text/plain  set-cookie: a=b ")])
    );
}

#[test]
fn wrong_token_is_ignored() {
    let (mut s, f) = stream(r#"{"function":"demo"}"#, with_request());
    s.on_request_headers(true);
    let (hs, b) = ok("{}");
    s.on_lambda_answer(99, hs, b);
    assert_eq!(f.resumed_request.get(), 0);
    answer_ok(&mut s, "{}");
    assert_eq!(f.resumed_request.get(), 1);
}

#[test]
fn request_content_buffers_then_uses_the_body() {
    let (mut s, f) = stream(
        r#"{"function":"demo","scope":"REQUEST_CONTENT","payload":"{#request.content}"}"#,
        FakeHost {
            request_headers: request(),
            request_body: b"{\"a\":1}".to_vec(),
            ..Default::default()
        },
    );
    assert_eq!(s.on_request_headers(false), Action::Continue);
    assert_eq!(s.on_request_body(3, false), Action::Pause);
    assert!(f.dispatched.borrow().is_empty());
    assert_eq!(s.on_request_body(7, true), Action::Pause);
    sent_then_resumed(&mut s, &f, b"{\"a\":1}", &f.resumed_request);
}

#[test]
fn request_headers_are_copied_only_when_a_template_reads_more_than_the_content() {
    let run = |payload: &str| {
        let json =
            format!(r#"{{"function":"demo","scope":"REQUEST_CONTENT","payload":{payload:?}}}"#);
        let (mut s, f) = stream(
            &json,
            FakeHost {
                request_headers: request(),
                request_body: b"{}".to_vec(),
                ..Default::default()
            },
        );
        s.on_request_headers(false);
        s.on_request_body(2, true);
        let sent = String::from_utf8(f.dispatched.borrow()[0].2.clone()).unwrap();
        let copies = f.header_copies.get();
        (sent, copies)
    };
    assert_eq!(run("{#request.content}"), ("{}".to_string(), 0));
    let (sent, copies) = run("{#request.content} {#request.path}");
    assert_eq!(copies, 1);
    assert!(sent.starts_with("{} /"), "{sent}");
}

#[test]
fn envoy_local_reply_passes_while_the_request_body_is_buffered() {
    let (mut s, f) = stream(
        r#"{"function":"demo","scope":"REQUEST_CONTENT","payload":"{#request.content}"}"#,
        with_request(),
    );
    assert_eq!(s.on_request_headers(false), Action::Continue);
    assert_eq!(s.on_request_body(65536, false), Action::Pause);
    // Envoy answers 413 itself: its reply must not be held by this filter.
    assert_eq!(s.on_response_headers(false), Action::Continue);
    assert_eq!(s.on_response_body(10, true), Action::Continue);
    assert!(f.dispatched.borrow().is_empty());
}

#[path = "response_tests.rs"]
mod response;

#[path = "outcomes_tests.rs"]
mod outcomes;

#[path = "retries_tests.rs"]
mod retries;

#[path = "reliability_tests.rs"]
mod reliability;

#[path = "waits_tests.rs"]
mod waits;

#[path = "backend_tests.rs"]
mod backend;
