//! The state machine against a fake host: what is paused, dispatched,
//! resumed and replied, for every scope.

use super::*;
use crate::core::credentials::StaticCredentials as Fixed;
use crate::core::host::{Headers, Metric};
use crate::core::testing::stream::{ok, request, stream, stream_with, with_request, With};
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
    let (hs, b) = ok(r#"{"v":"42"}"#);
    s.on_lambda_answer(7, hs, b);
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
    let (hs, b) = ok(r#"{"hello":"world"}"#);
    s.on_lambda_answer(7, hs, b);
    let replies = f.replies.borrow();
    assert_eq!(replies[0].0, 200);
    assert_eq!(replies[0].2, br#"{"hello":"world"}"#);
    assert!(replies[0]
        .1
        .contains(&("content-type".to_string(), "application/json".to_string())));
    assert_eq!(f.resumed_request.get(), 0);
}

/// The status and headers of the local reply that carries a function's
/// answer whose content-type is `content_type`.
pub(super) fn reply_for_content_type(content_type: &str) -> (u32, Headers) {
    let (mut s, f) = stream(
        r#"{"function":"demo","sendToConsumer":true}"#,
        with_request(),
    );
    s.on_request_headers(true);
    let hs = headers(&[(":status", "200"), ("content-type", content_type)]);
    s.on_lambda_answer(7, hs, b"{}".to_vec());
    let reply = f.replies.borrow()[0].clone();
    (reply.0, reply.1)
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
    let (hs, b) = ok("{}");
    s.on_lambda_answer(7, hs, b);
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
    assert_eq!(f.dispatched.borrow()[0].2, b"{\"a\":1}");
    let (hs, b) = ok("{}");
    s.on_lambda_answer(7, hs, b);
    assert_eq!(f.resumed_request.get(), 1);
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
fn response_scope_send_to_consumer_keeps_backend_headers() {
    let (mut s, f) = stream(
        r#"{"function":"demo","scope":"RESPONSE","sendToConsumer":true,"payload":"{#response.status}"}"#,
        FakeHost {
            request_headers: request(),
            response_headers: headers(&[
                (":status", "201"),
                ("content-length", "5"),
                ("x-backend", "yes"),
            ]),
            ..Default::default()
        },
    );
    assert_eq!(s.on_request_headers(true), Action::Continue);
    assert_eq!(s.on_response_headers(false), Action::Pause);
    assert_eq!(f.dispatched.borrow()[0].2, b"201");
    let (hs, b) = ok("new body");
    s.on_lambda_answer(7, hs, b);
    let replies = f.replies.borrow();
    assert_eq!(replies[0].0, 200);
    assert_eq!(replies[0].2, b"new body");
    assert!(replies[0]
        .1
        .contains(&("x-backend".to_string(), "yes".to_string())));
    assert!(!replies[0].1.iter().any(|(n, _)| n == "content-length"));
}

#[test]
fn response_content_resumes_without_send_to_consumer() {
    let (mut s, f) = stream(
        r#"{"function":"demo","scope":"RESPONSE_CONTENT","payload":"{#response.content}"}"#,
        FakeHost {
            response_headers: headers(&[(":status", "200")]),
            response_body: b"backend".to_vec(),
            ..Default::default()
        },
    );
    assert_eq!(s.on_response_headers(false), Action::Continue);
    assert_eq!(s.on_response_body(7, true), Action::Pause);
    assert_eq!(f.dispatched.borrow()[0].2, b"backend");
    let (hs, b) = ok("{}");
    s.on_lambda_answer(7, hs, b);
    assert_eq!(f.resumed_response.get(), 1);
}

#[test]
fn function_error_gives_500_and_no_resume() {
    let (mut s, f) = stream(r#"{"function":"demo"}"#, with_request());
    s.on_request_headers(true);
    s.on_lambda_answer(
        7,
        headers(&[(":status", "200"), ("x-amz-function-error", "Unhandled")]),
        b"{}".to_vec(),
    );
    let replies = f.replies.borrow();
    assert_eq!(replies[0].0, 500);
    let body = String::from_utf8(replies[0].2.clone()).unwrap();
    assert!(body.contains("AWS_LAMBDA_INVALID_RESPONSE"), "{body}");
    assert_eq!(f.resumed_request.get(), 0);
}

#[test]
fn transport_failure_gives_500() {
    let (mut s, f) = stream(r#"{"function":"demo","maxAttempts":1}"#, with_request());
    s.on_request_headers(true);
    s.on_lambda_answer(7, Vec::new(), Vec::new());
    assert_eq!(f.replies.borrow()[0].0, 500);
}

#[test]
fn failing_variable_gives_template_variable_exception() {
    let (mut s, f) = stream(
        r#"{"function":"demo","variables":[{"name":"v","value":"{#jsonPath(#lambdaResponse.content, '$.a')}"}]}"#,
        with_request(),
    );
    s.on_request_headers(true);
    let (hs, b) = ok("not json");
    s.on_lambda_answer(7, hs, b);
    let replies = f.replies.borrow();
    assert_eq!(replies[0].0, 500);
    assert!(
        String::from_utf8_lossy(&replies[0].2).contains("AWS_LAMBDA_TEMPLATE_VARIABLE_EXCEPTION")
    );
    assert_eq!(f.state("v"), None);
    assert_eq!(
        f.state("lambda_error_key").as_deref(),
        Some("AWS_LAMBDA_TEMPLATE_VARIABLE_EXCEPTION")
    );
}

#[test]
fn variables_see_earlier_variables_and_filter_state() {
    let (mut s, f) = stream(
        r#"{"function":"demo","variables":[{"name":"a","value":"x"},{"name":"b","value":"{#context.attributes['a']}-{#context.attributes['upstream_var']}"}]}"#,
        FakeHost {
            properties: vec![("upstream_var".into(), b"from-filter-state".to_vec())],
            ..with_request()
        },
    );
    s.on_request_headers(true);
    let (hs, b) = ok("{}");
    s.on_lambda_answer(7, hs, b);
    assert_eq!(f.state("b").as_deref(), Some("x-from-filter-state"));
}

#[test]
fn unknown_cluster_fails_at_once() {
    let (mut s, f) = stream(
        r#"{"function":"demo"}"#,
        FakeHost {
            request_headers: request(),
            refuse_dispatch: true,
            ..Default::default()
        },
    );
    assert_eq!(s.on_request_headers(true), Action::Pause);
    assert_eq!(f.replies.borrow()[0].0, 500);
}

#[test]
fn no_credentials_gives_500_with_advice() {
    let fake = Rc::new(with_request());
    let without_keys = With {
        id: 1,
        creds: Rc::new(Fixed(None)),
        budget: Some(Rc::new(Budget::new(1 << 20))),
    };
    let mut s = stream_with(r#"{"function":"demo"}"#, &fake, without_keys);
    s.on_request_headers(true);
    let replies = fake.replies.borrow();
    assert_eq!(replies[0].0, 500);
    assert!(String::from_utf8_lossy(&replies[0].2).contains("AWS_ACCESS_KEY_ID"));
    assert_eq!(
        fake.state("lambda_error_key").as_deref(),
        Some("AWS_LAMBDA_CREDENTIALS_ERROR")
    );
}

#[test]
fn oversized_event_payload_is_refused_before_calling() {
    let (mut s, f) = stream(
        r#"{"function":"demo","scope":"REQUEST_CONTENT","invocationType":"Event","payload":"{#request.content}"}"#,
        FakeHost {
            request_headers: request(),
            request_body: vec![b'a'; 1024 * 1024 + 1],
            ..Default::default()
        },
    );
    s.on_request_headers(false);
    s.on_request_body(1024 * 1024 + 1, true);
    assert!(f.dispatched.borrow().is_empty());
    assert_eq!(f.replies.borrow()[0].0, 413);
}

#[test]
fn log_lines_carry_the_stream_id_and_no_secret() {
    let (mut s, f) = stream(r#"{"function":"demo"}"#, with_request());
    s.on_request_headers(true);
    let logs = f.logs.borrow();
    assert!(!logs.is_empty());
    assert!(logs
        .iter()
        .all(|l| l.starts_with("[stream 3]") && !l.contains("SECRET")));
}

#[test]
fn response_content_send_to_consumer_replaces_the_body_in_place() {
    let (mut s, f) = stream(
        r#"{"function":"demo","scope":"RESPONSE_CONTENT","sendToConsumer":true,"payload":"{#response.content}"}"#,
        FakeHost {
            response_headers: headers(&[(":status", "200"), ("content-length", "7")]),
            response_body: b"backend".to_vec(),
            ..Default::default()
        },
    );
    assert_eq!(s.on_response_headers(false), Action::Continue);
    assert_eq!(
        f.response_header_changes.borrow()[0],
        ("content-length".to_string(), None),
        "the length changes: it must not go out"
    );
    assert_eq!(s.on_response_body(7, true), Action::Pause);
    s.on_lambda_answer(7, headers(&[(":status", "202")]), b"from lambda".to_vec());
    assert_eq!(
        f.replaced_bodies.borrow().last().map(Vec::as_slice),
        Some(&b"from lambda"[..])
    );
    assert_eq!(
        f.response_header_changes.borrow().len(),
        1,
        "no header is touched after the headers went on"
    );
    assert_eq!(f.resumed_response.get(), 1);
    assert!(f.replies.borrow().is_empty());
}

#[test]
fn filter_state_values_carry_no_line_breaks_but_templates_see_them() {
    let (mut s, f) = stream(
        r#"{"function":"demo","variables":[{"name":"v","value":"{#jsonPath(#lambdaResponse.content, '$.v')}"},{"name":"w","value":"{#context.attributes['v'].length()}"}]}"#,
        with_request(),
    );
    s.on_request_headers(true);
    let (hs, b) = ok(r#"{"v":"a\r\nx-injected: evil\u0000"}"#);
    s.on_lambda_answer(7, hs, b);
    let state = f.filter_state.borrow();
    let v = state.iter().find(|(n, _)| n == "v").unwrap();
    assert_eq!(v.1, "a  x-injected: evil ");
    let w = state.iter().find(|(n, _)| n == "w").unwrap();
    assert_eq!(w.1, "20", "the template saw the exact value");
    assert!(state.contains(&("lambda_status".to_string(), "200".to_string())));
    assert!(state.contains(&("lambda_request_id".to_string(), "rid".to_string())));
}

#[test]
fn the_precise_error_key_is_published() {
    let (mut s, f) = stream(r#"{"function":"demo","maxAttempts":1}"#, with_request());
    s.on_request_headers(true);
    s.on_lambda_answer(7, headers(&[(":status", "429")]), Vec::new());
    assert!(f.filter_state.borrow().contains(&(
        "lambda_error_key".to_string(),
        "AWS_LAMBDA_THROTTLED".to_string()
    )));
    // The consumer's default answer still names the Gravitee key.
    let body = String::from_utf8(f.replies.borrow()[0].2.clone()).unwrap();
    assert!(
        body.contains("\"key\":\"AWS_LAMBDA_INVALID_RESPONSE\""),
        "{body}"
    );
}

#[test]
fn outcomes_are_counted() {
    let (mut s, f) = stream(r#"{"function":"demo"}"#, with_request());
    s.on_request_headers(true);
    s.on_lambda_answer(
        7,
        headers(&[(":status", "200"), ("x-amz-function-error", "Handled")]),
        Vec::new(),
    );
    assert_eq!(*f.metrics.borrow(), vec![Metric::FunctionError]);
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

fn later() -> SystemTime {
    at(T0 + 10)
}

#[test]
fn throttled_then_ok_succeeds_after_a_retry() {
    let (mut s, f) = stream(r#"{"function":"demo"}"#, with_request());
    s.on_request_headers(true);
    s.on_lambda_answer(7, headers(&[(":status", "429")]), Vec::new());
    assert!(
        f.replies.borrow().is_empty(),
        "a throttled call is retried, not answered"
    );
    let due = s.retry_due().unwrap();
    assert!(due > f.now() && due <= f.now() + Duration::from_millis(25));
    s.on_timer(later());
    assert_eq!(f.dispatched.borrow().len(), 2);
    let (hs, b) = ok("{}");
    s.on_lambda_answer(7, hs, b);
    assert_eq!(f.resumed_request.get(), 1);
    assert!(f.metrics.borrow().contains(&Metric::Retry));
}

#[test]
fn attempts_never_exceed_max_attempts() {
    let (mut s, f) = stream(r#"{"function":"demo","maxAttempts":3}"#, with_request());
    s.on_request_headers(true);
    for _ in 0..3 {
        s.on_lambda_answer(7, headers(&[(":status", "503")]), Vec::new());
        s.on_timer(later());
    }
    assert_eq!(f.dispatched.borrow().len(), 3);
    assert_eq!(f.replies.borrow().len(), 1);
    assert_eq!(f.replies.borrow()[0].0, 500);
    assert_eq!(s.retry_due(), None);
}

#[test]
fn function_errors_and_client_errors_are_not_retried() {
    for (status, extra) in [
        ("200", Some(("x-amz-function-error", "Unhandled"))),
        ("403", None),
        ("404", None),
    ] {
        let (mut s, f) = stream(r#"{"function":"demo"}"#, with_request());
        s.on_request_headers(true);
        let mut hs = headers(&[(":status", status)]);
        if let Some((n, v)) = extra {
            hs.push((n.to_string(), v.to_string()));
        }
        s.on_lambda_answer(7, hs, Vec::new());
        assert_eq!(s.retry_due(), None, "{status}");
        assert_eq!(f.replies.borrow().len(), 1, "{status}");
    }
}

#[test]
fn no_retry_when_disabled_or_out_of_budget() {
    for json in [
        r#"{"function":"demo","maxAttempts":1}"#,
        r#"{"function":"demo","invocationType":"Event","retryEventInvocations":false}"#,
        r#"{"function":"demo","apiCallTimeoutMs":20}"#,
    ] {
        let (mut s, f) = stream(json, with_request());
        s.on_request_headers(true);
        s.on_lambda_answer(7, Vec::new(), Vec::new());
        assert_eq!(s.retry_due(), None, "{json}");
        assert_eq!(f.replies.borrow()[0].0, 500, "{json}");
    }
}

#[path = "reliability_tests.rs"]
mod reliability;

#[path = "backend_tests.rs"]
mod backend;
