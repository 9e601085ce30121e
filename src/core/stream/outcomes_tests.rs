//! What a call's outcome gives: error answers and keys, variables and filter
//! state, log lines and counters.

use super::*;

#[test]
fn function_error_gives_500_and_no_resume() {
    let (mut s, f) = stream(r#"{"function":"demo"}"#, with_request());
    s.on_request_headers(true);
    answer_function_error(&mut s, "Unhandled", b"{}");
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
    answer_ok(&mut s, "not json");
    let key = "AWS_LAMBDA_TEMPLATE_VARIABLE_EXCEPTION";
    assert!(f.failed(500, key).contains(key));
    assert_eq!(f.state("v"), None);
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
    answer_ok(&mut s, "{}");
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
    let body = fake.failed(500, "AWS_LAMBDA_CREDENTIALS_ERROR");
    assert!(body.contains("AWS_ACCESS_KEY_ID"), "{body}");
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
fn filter_state_values_carry_no_line_breaks_but_templates_see_them() {
    let (mut s, f) = stream(
        r#"{"function":"demo","variables":[{"name":"v","value":"{#jsonPath(#lambdaResponse.content, '$.v')}"},{"name":"w","value":"{#context.attributes['v'].length()}"}]}"#,
        with_request(),
    );
    s.on_request_headers(true);
    answer_ok(&mut s, r#"{"v":"a\r\nx-injected: evil\u0000"}"#);
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
    let body = f.failed(500, "AWS_LAMBDA_THROTTLED");
    // The consumer's default answer still names the Gravitee key.
    assert!(
        body.contains("\"key\":\"AWS_LAMBDA_INVALID_RESPONSE\""),
        "{body}"
    );
}

#[test]
fn outcomes_are_counted() {
    let (mut s, f) = stream(r#"{"function":"demo"}"#, with_request());
    s.on_request_headers(true);
    answer_function_error(&mut s, "Handled", b"");
    assert_eq!(*f.metrics.borrow(), vec![Metric::FunctionError]);
}
