//! Gravitee parity in the stream: the condition where the scope acts, and
//! (`error_answers_tests.rs`) the error answers.

use super::*;
use crate::core::host::Metric;

fn with_accept(accept: &str) -> FakeHost {
    let mut f = with_request();
    f.request_headers
        .push(("accept".to_string(), accept.to_string()));
    f
}

fn reply(f: &FakeHost) -> (u32, Headers, String) {
    let replies = f.replies.borrow();
    assert_eq!(replies.len(), 1, "one reply");
    let (status, headers, body) = replies[0].clone();
    (status, headers, String::from_utf8(body).unwrap())
}

/// A REQUEST-scope stream of `json` whose call is answered with `answer`
/// (no headers: a transport failure).
fn failed(json: &str, fake: FakeHost, answer: Headers) -> Rc<FakeHost> {
    let (mut s, f) = stream(json, fake);
    s.on_request_headers(true);
    s.on_lambda_answer(7, answer, Vec::new());
    f
}

fn content_type(headers: &Headers) -> Option<&str> {
    crate::core::callout::header_value(headers, "content-type")
}

fn untouched(f: &FakeHost) {
    assert!(f.dispatched.borrow().is_empty(), "no call");
    assert!(f.replies.borrow().is_empty(), "no reply");
    assert!(
        f.filter_state.borrow().is_empty(),
        "no variable, no filter state"
    );
    assert_eq!(f.resumed_request.get() + f.resumed_response.get(), 0);
}

/// The callback that reached the scope's phase called Lambda (and paused)
/// or let the stream go on.
fn ran(f: &FakeHost, action: Action, called: bool) {
    assert_eq!(f.dispatched.borrow().len(), usize::from(called));
    let expected = if called {
        Action::Pause
    } else {
        Action::Continue
    };
    assert_eq!(action, expected);
}

const WHEN_HEADER: &str = r#""condition":"{#request.headers['x-run'] != null}""#;

#[test]
fn request_scope_condition_true_calls_false_leaves_the_stream_alone() {
    let json = format!(r#"{{"function":"demo",{WHEN_HEADER}}}"#);
    let (mut s, f) = stream(&json, with_request());
    assert_eq!(s.on_request_headers(true), Action::Continue);
    untouched(&f);

    let mut fake = with_request();
    fake.request_headers
        .push(("x-run".to_string(), "1".to_string()));
    let (mut s, f) = stream(&json, fake);
    assert_eq!(s.on_request_headers(true), Action::Pause);
    assert_eq!(f.dispatched.borrow().len(), 1);
}

#[test]
fn an_evaluation_error_skips_with_one_warning_and_a_count() {
    let (mut s, f) = stream(
        r#"{"function":"demo","condition":"{#request.headers['x-user'][0]}"}"#,
        with_request(),
    );
    assert_eq!(s.on_request_headers(true), Action::Continue);
    untouched(&f);
    assert_eq!(*f.metrics.borrow(), vec![Metric::ConditionError]);
    let logs = f.logs.borrow();
    let warned: Vec<_> = logs.iter().filter(|l| l.contains("skipped")).collect();
    assert_eq!(warned.len(), 1, "{logs:?}");
    assert!(warned[0].starts_with("[stream 3]"), "{}", warned[0]);
    assert!(!warned[0].contains("alice"), "no request data in the log");
}

#[test]
fn an_evaluation_error_with_fail_answers_500() {
    let (mut s, f) = stream(
        r#"{"function":"demo","condition":"{#request.headers['x-user'][0]}","onConditionError":"FAIL"}"#,
        with_request(),
    );
    assert_eq!(s.on_request_headers(true), Action::Pause);
    assert!(f.dispatched.borrow().is_empty());
    let (status, _, body) = reply(&f);
    assert_eq!(status, 500);
    assert!(body.contains("GATEWAY_POLICY_INTERNAL_ERROR"), "{body}");
    assert_eq!(*f.metrics.borrow(), vec![Metric::ConditionError]);
    assert_eq!(
        f.error_key().as_deref(),
        Some("GATEWAY_POLICY_INTERNAL_ERROR")
    );
}

#[test]
fn request_content_false_on_headers_never_holds_the_body() {
    let json = format!(
        r#"{{"function":"demo","scope":"REQUEST_CONTENT","payload":"{{#request.content}}",{WHEN_HEADER}}}"#
    );
    let (mut s, f) = stream(&json, with_request());
    assert_eq!(s.on_request_headers(false), Action::Continue);
    assert_eq!(s.on_request_body(10, false), Action::Continue, "not held");
    assert_eq!(s.on_request_body(10, true), Action::Continue);
    assert_eq!(s.on_request_trailers(), Action::Continue);
    untouched(&f);
}

#[test]
fn request_content_condition_reading_the_body_is_evaluated_at_its_end() {
    let json = r#"{"function":"demo","scope":"REQUEST_CONTENT","payload":"{#request.content}","condition":"{#request.content == 'go'}"}"#;
    for (body, called) in [(&b"go"[..], true), (&b"no"[..], false)] {
        let mut fake = with_request();
        fake.request_body = body.to_vec();
        let (mut s, f) = stream(json, fake);
        assert_eq!(s.on_request_headers(false), Action::Continue);
        assert_eq!(s.on_request_body(2, false), Action::Pause, "held");
        // Trailers end the body too.
        ran(&f, s.on_request_trailers(), called);
        if !called {
            untouched(&f);
            assert_eq!(s.held.budget().used(), 0, "the body's budget is given back");
        }
    }
}

#[test]
fn response_scopes_evaluate_on_response_headers_with_the_response() {
    let json = r#"{"function":"demo","scope":"RESPONSE","condition":"{#response.status == 201}"}"#;
    for (status, called) in [("201", true), ("200", false)] {
        let (mut s, f) = stream(
            json,
            FakeHost {
                response_headers: headers(&[(":status", status)]),
                ..with_request()
            },
        );
        assert_eq!(s.on_request_headers(true), Action::Continue);
        ran(&f, s.on_response_headers(false), called);
    }
}

#[test]
fn response_content_false_on_headers_leaves_the_headers_and_body_alone() {
    let (mut s, f) = stream(
        r#"{"function":"demo","scope":"RESPONSE_CONTENT","sendToConsumer":true,"payload":"{#response.content}","condition":"{#response.status == 201}"}"#,
        with_response(),
    );
    assert_eq!(s.on_response_headers(false), Action::Continue);
    assert!(
        f.response_header_changes.borrow().is_empty(),
        "content-length kept"
    );
    assert_eq!(s.on_response_body(7, true), Action::Continue);
    untouched(&f);
}

#[path = "error_answers_tests.rs"]
mod error_answers;
