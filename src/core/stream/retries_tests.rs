//! Retries: what is retried, when, and how many times.

use super::*;

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
    answer_ok(&mut s, "{}");
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
