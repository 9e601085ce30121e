//! Gravitee parity of the error answers: response templates chosen by the
//! precise key and the request's `Accept`, the built-in answer, the fallbacks.

use super::*;

const TEMPLATES: &str = r#""responseTemplates":{
    "AWS_LAMBDA_THROTTLED":{"application/json":{"status":503,"headers":{"Retry-After":"1"},
        "body":"{\"key\":\"{#error.key}\",\"status\":{#parameters['status']},\"fn\":\"{#parameters['function']}\",\"id\":\"{#parameters['awsRequestId']}\",\"parent\":\"{#parameters['parentErrorKey']}\",\"user\":\"{#request.headers['x-user'][0]}\"}"}},
    "AWS_LAMBDA_INVALID_RESPONSE":{"text/plain":{"status":502,"body":"parent {#error.key}"}},
    "DEFAULT":{"*/*":{"status":500,"body":"default {#error.key}"}}
}"#;

fn throttled() -> Headers {
    headers(&[
        (":status", "429"),
        ("x-amzn-requestid", "req-9"),
        ("x-amzn-errortype", "TooManyRequestsException"),
    ])
}

#[test]
fn the_precise_keys_template_renders_error_parameters_and_request() {
    let json = format!(r#"{{"function":"demo","maxAttempts":1,{TEMPLATES}}}"#);
    let f = failed(
        &json,
        with_accept("text/plain;q=0.5, application/json"),
        throttled(),
    );
    let (status, hs, body) = reply(&f);
    assert_eq!(status, 503);
    assert!(hs.contains(&("retry-after".to_string(), "1".to_string())));
    // Gravitee: the first Accept value as written, unless the template sets it.
    assert_eq!(content_type(&hs), Some("text/plain"));
    assert_eq!(
        body,
        r#"{"key":"AWS_LAMBDA_THROTTLED","status":429,"fn":"demo","id":"req-9","parent":"AWS_LAMBDA_INVALID_RESPONSE","user":"alice"}"#
    );
}

#[test]
fn parent_then_default_then_built_in() {
    let json = format!(r#"{{"function":"demo","maxAttempts":1,{TEMPLATES}}}"#);
    // A timeout (no status) has no template of its own: its parent's text/plain one.
    let f = failed(&json, with_accept("text/plain"), Vec::new());
    assert_eq!(
        reply(&f),
        (
            502,
            headers(&[("content-type", "text/plain")]),
            "parent AWS_LAMBDA_UNREACHABLE".to_string()
        )
    );
    // The parent has templates but none for JSON: the built-in answer (DEFAULT is not tried).
    let f = failed(&json, with_accept("application/json"), Vec::new());
    let (status, hs, body) = reply(&f);
    assert_eq!((status, content_type(&hs)), (500, Some("application/json")));
    assert!(
        body.contains("\"key\":\"AWS_LAMBDA_INVALID_RESPONSE\""),
        "{body}"
    );
    // No parent: DEFAULT.
    let f = failed(
        &json,
        with_accept("application/json"),
        headers(&[(":status", "302")]),
    );
    assert_eq!(reply(&f).2, "default AWS_LAMBDA_INVALID_STATUS_CODE");
}

#[test]
fn the_built_in_answer_is_text_when_the_client_takes_no_json() {
    let (mut s, f) = stream(
        r#"{"function":"demo","maxAttempts":1}"#,
        with_accept("text/html"),
    );
    s.on_request_headers(true);
    s.on_lambda_answer(7, Vec::new(), Vec::new());
    assert_eq!(
        reply(&f),
        (
            500,
            headers(&[("content-type", "text/plain")]),
            "An error occurs while invoking lambda function.".to_string()
        )
    );
}

#[test]
fn response_scopes_use_the_accept_read_on_request_headers() {
    let (mut s, f) = stream(
        r#"{"function":"demo","scope":"RESPONSE","maxAttempts":1}"#,
        FakeHost {
            response_headers: headers(&[(":status", "200")]),
            ..with_accept("text/html")
        },
    );
    s.on_request_headers(true);
    f.request_headers_gone.set(true);
    s.on_response_headers(false);
    s.on_lambda_answer(7, Vec::new(), Vec::new());
    assert_eq!(content_type(&reply(&f).1), Some("text/plain"));
}

#[test]
fn a_template_that_fails_to_render_falls_back_counted_and_logged_once() {
    let (mut s, f) = stream(
        r#"{"function":"demo","maxAttempts":1,"responseTemplates":{"DEFAULT":{"*/*":{"status":418,"body":"{#request.nothing.deeper}"}}}}"#,
        with_request(),
    );
    s.on_request_headers(true);
    s.on_lambda_answer(7, Vec::new(), Vec::new());
    let (status, hs, body) = reply(&f);
    assert_eq!((status, content_type(&hs)), (500, Some("application/json")));
    assert!(body.contains("AWS_LAMBDA_INVALID_RESPONSE"), "{body}");
    let count = f
        .metrics
        .borrow()
        .iter()
        .filter(|m| **m == Metric::ResponseTemplateError)
        .count();
    assert_eq!(count, 1);
    let logs = f.logs.borrow();
    assert_eq!(
        logs.iter()
            .filter(|l| l.contains("failed to render"))
            .count(),
        1,
        "{logs:?}"
    );
}

#[test]
fn precise_keys_of_cluster_and_size_failures() {
    let (mut s, f) = stream(
        r#"{"function":"demo"}"#,
        FakeHost {
            refuse_dispatch: true,
            ..with_request()
        },
    );
    s.on_request_headers(true);
    assert_eq!(f.error_key().as_deref(), Some("AWS_LAMBDA_UNREACHABLE"));

    let (mut s, f) = stream(r#"{"function":"demo"}"#, with_request());
    s.on_request_headers(true);
    let big = vec![b'x'; crate::core::aws::answer::MAX_ANSWER_BYTES + 1];
    s.on_lambda_answer(7, headers(&[(":status", "200")]), big);
    assert_eq!(
        f.error_key().as_deref(),
        Some("AWS_LAMBDA_RESPONSE_TOO_LARGE")
    );
    assert_eq!(reply(&f).0, 500);
}

#[test]
fn a_template_reading_the_body_keeps_it_until_the_error() {
    let (mut s, f) = stream(
        r#"{"function":"demo","scope":"REQUEST_CONTENT","payload":"x","maxAttempts":1,"responseTemplates":{"DEFAULT":{"*/*":{"status":400,"body":"got {#request.content}"}}}}"#,
        FakeHost {
            request_body: b"abc".to_vec(),
            ..with_request()
        },
    );
    s.on_request_headers(false);
    s.on_request_body(3, true);
    s.on_lambda_answer(7, Vec::new(), Vec::new());
    assert_eq!(reply(&f).2, "got abc");
}
