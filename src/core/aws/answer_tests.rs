#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

fn answer(headers: &[(&str, &str)], body: &str) -> LambdaAnswer {
    LambdaAnswer::from_callout(headers, body.as_bytes().to_vec())
}

/// A 200 answer with one more header.
fn ok_with(header: (&str, &str), body: &str) -> LambdaAnswer {
    answer(&[(":status", "200"), header], body)
}

#[test]
fn ok_is_success() {
    let a = ok_with(("X-Amz-Executed-Version", "$LATEST"), "{}");
    assert_eq!(a.outcome(false), Outcome::Success);
    assert_eq!(a.executed_version.as_deref(), Some("$LATEST"));
    assert!(a.verdict(Outcome::Success, 1).is_ok());
}

#[test]
fn an_answer_over_lambdas_limit_is_refused_whatever_its_status() {
    let limit = LambdaAnswer::from_callout(&[(":status", "200")], vec![b'x'; MAX_ANSWER_BYTES]);
    assert_eq!(limit.outcome(false), Outcome::Success);
    let over = LambdaAnswer::from_callout(&[(":status", "200")], vec![b'x'; MAX_ANSWER_BYTES + 1]);
    assert_eq!(over.outcome(false), Outcome::Oversized);
    let e = over.verdict(Outcome::Oversized, 1).unwrap_err();
    assert_eq!(e.key, ErrorKey::InvalidResponse);
    assert!(e.details.contains("6291456 bytes"), "{}", e.details);
}

#[test]
fn function_error_is_invalid_response() {
    let a = ok_with(
        ("x-amz-function-error", "Handled"),
        "{\"errorMessage\":\"boom\"}",
    );
    assert_eq!(a.outcome(false), Outcome::FunctionError);
    let e = a.verdict(Outcome::FunctionError, 1).unwrap_err();
    assert_eq!(e.key, ErrorKey::InvalidResponse);
    assert_eq!(e.details, "Status Code: 200; Function Error: Handled");
    assert!(!e.body().contains("boom"));
}

#[test]
fn api_error_names_status_and_type() {
    let a = answer(
        &[
            (":status", "403"),
            ("x-amzn-ErrorType", "SignatureDoesNotMatch:http://internal"),
            ("x-amzn-RequestId", "r-1"),
        ],
        "{\"message\":\"nope\"}",
    );
    let e = a.verdict(a.outcome(false), 1).unwrap_err();
    assert_eq!(e.status(), 500);
    assert_eq!(
        e.details,
        "Status Code: 403; Error Code: SignatureDoesNotMatch; Request ID: r-1"
    );
}

#[test]
fn error_type_from_json_body() {
    let a = answer(
        &[(":status", "429")],
        "{\"__type\":\"com.amazon#TooManyRequestsException\",\"message\":\"x\"}",
    );
    let e = a.verdict(a.outcome(false), 1).unwrap_err();
    assert_eq!(
        e.details,
        "Status Code: 429; Error Code: TooManyRequestsException"
    );
}

#[test]
fn redirect_is_invalid_status_code() {
    let a = answer(&[(":status", "302")], "");
    let e = a.verdict(a.outcome(false), 1).unwrap_err();
    assert_eq!(e.key, ErrorKey::InvalidStatusCode);
    assert_eq!(e.status(), 400);
}

#[test]
fn envoys_own_503_is_a_transport_failure_but_lambdas_is_not() {
    let envoy = answer(&[(":status", "503")], "upstream connect error");
    assert_eq!(envoy.outcome(false), Outcome::TransportError);
    let lambda = answer(
        &[
            (":status", "503"),
            ("x-amzn-RequestId", "r-1"),
            ("x-amzn-ErrorType", "ServiceException"),
        ],
        "{}",
    );
    assert_eq!(lambda.outcome(false), Outcome::ApiError);
}

#[test]
fn no_status_is_transport_failure_or_timeout() {
    let a = answer(&[], "");
    assert_eq!(a.outcome(false), Outcome::TransportError);
    assert_eq!(a.outcome(true), Outcome::Timeout);
    let e = a.verdict(Outcome::Timeout, 250).unwrap_err();
    assert!(e.details.contains("250 ms"));
}

/// Event and DryRun statuses are a success; Envoy's own 504 is a timeout
/// only at the call's deadline.
#[test]
fn outcomes_by_status_and_deadline() {
    for (status, body, at_deadline, outcome) in [
        ("202", "", false, Outcome::Success),
        ("204", "", false, Outcome::Success),
        ("504", "upstream request timeout", true, Outcome::Timeout),
        ("504", "", false, Outcome::ApiError),
    ] {
        let got = answer(&[(":status", status)], body).outcome(at_deadline);
        assert_eq!(got, outcome, "{status} {body:?} at deadline {at_deadline}");
    }
}

#[test]
fn log_result_is_decoded() {
    let a = ok_with(("x-amz-log-result", "aGVsbG8="), "");
    assert_eq!(a.log_result.as_deref(), Some("hello"));
}
