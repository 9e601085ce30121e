//! Fuzz target: what the Lambda API (or Envoy, or an STS endpoint) answers.
//!
//! Input format (see `fuzz/seeds/answer/`):
//!
//! ```text
//! <mode byte>\n
//! name: value\n          response headers, one a line, up to the first empty line;
//! name: value\n          `:status: 200` is the status (no `:status` line: transport
//! \n                     failure); `\r`, `\n`, `\0` and `\\` in a line are escapes
//! body bytes             everything after the empty line
//! ```
//!
//! The mode byte picks the configuration (`mode % 4`, see [`CONFIGS`]) and,
//! with bit 3 set (`8`, `9`, `:`, `;`), answers only when the call timed out.
//!
//! Checked:
//! * `LambdaAnswer::from_callout` / `outcome` / `verdict` never panic, and
//!   `verdict` is `Ok` exactly on success;
//! * the real `Stream` state machine, driven against a fake host and fed the
//!   same answer on every attempt (retries included): it ends exactly once
//!   (one local reply or one resume) unless it still waits for a retry; no
//!   header value of a local reply and no filter-state value holds CR, LF or
//!   NUL; a 500 / 400 / 413 local reply is a JSON error body with a `key`;
//! * `sts::parse_answer` on the same status and body never panics, and its
//!   error text never holds the body (see `sts_answer` for why that check is sound).
//!
//! Run with `cargo +nightly fuzz run answer fuzz/corpus/answer fuzz/seeds/answer` from the
//! repository root (new inputs go to the first, gitignored, directory).
#![no_main]

mod answer_input;

use answer_input::{decode, Input};
use envoy_lambda_policy::core::aws::answer::{LambdaAnswer, Outcome};
use envoy_lambda_policy::core::config::{from_json, Config};
use envoy_lambda_policy::core::credentials::{sts, Credentials, StaticCredentials};
use envoy_lambda_policy::core::stream::budget::Budget;
use envoy_lambda_policy::core::stream::{Action, Stream};
use envoy_lambda_policy::core::testing::{headers, FakeHost};
use libfuzzer_sys::fuzz_target;
use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The fixed configurations, by `mode % 4`.
const CONFIGS: [&str; 4] = [
    // REQUEST, the function's answer goes to the consumer, two variables.
    r#"{"function":"demo","scope":"REQUEST","sendToConsumer":true,
        "variables":[
          {"name":"a","value":"{#jsonPath(#lambdaResponse.content, '$.a')}"},
          {"name":"h","value":"{#lambdaResponse.headers['x-h'][0]}"}]}"#,
    // RESPONSE_CONTENT, the backend body replaced by the function's answer.
    r#"{"function":"demo","scope":"RESPONSE_CONTENT","sendToConsumer":true,
        "payload":"{#response.content}",
        "variables":[
          {"name":"status","value":"{#lambdaResponse.status}"},
          {"name":"fe","value":"{#lambdaResponse.functionError}"}]}"#,
    // Event invocation, retried.
    r#"{"function":"demo","invocationType":"Event","maxAttempts":3,
        "payload":"{\"k\":\"v\"}",
        "variables":[{"name":"s","value":"{#lambdaResponse.status}"}]}"#,
    // RESPONSE, backend headers kept, log tail read, up to 10 attempts within a budget.
    r#"{"function":"demo","scope":"RESPONSE","sendToConsumer":true,"logType":"Tail",
        "maxAttempts":10,"readTimeoutMs":1000,"apiCallTimeoutMs":5000,
        "variables":[
          {"name":"log","value":"{#lambdaResponse.logResult}"},
          {"name":"rid","value":"{#lambdaResponse.requestId}"},
          {"name":"ver","value":"{#lambdaResponse.executedVersion}"}]}"#,
];

thread_local! {
    /// The parsed [`CONFIGS`] (`Rc` is not `Send`: one set per thread).
    static PARSED: Vec<Rc<Config>> = CONFIGS
        .iter()
        .map(|json| {
            let env = |_: &str| None;
            match from_json(json.as_bytes(), &env) {
                Ok(p) => Rc::new(p.config),
                Err(e) => panic!("fixed configuration refused: {e}"),
            }
        })
        .collect();
}

const T0: u64 = 1_700_000_000;
const BACKEND_BODY: &[u8] = b"hello";

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0)
}

/// The fake host of the shared test support, answering as a backend would:
/// one token per dispatch (101, 102…), the request and response below.
fn fake() -> FakeHost {
    FakeHost {
        request_headers: headers(&[
            (":method", "POST"),
            (":path", "/orders?q=1"),
            (":authority", "api.example.com"),
            ("x-user", "alice"),
        ]),
        response_headers: headers(&[
            (":status", "201"),
            ("content-type", "text/plain"),
            ("content-length", "5"),
            ("x-backend", "yes"),
        ]),
        response_body: BACKEND_BODY.to_vec(),
        now: Cell::new(t0()),
        token: Cell::new(101),
        token_step: 1,
        ..Default::default()
    }
}

fn header_safe(v: &str) -> bool {
    !v.contains(['\r', '\n', '\0'])
}

/// (a) The answer on its own.
fn answer(input: &Input) -> LambdaAnswer {
    let a = LambdaAnswer::from_callout(&input.headers, input.body.clone());
    for timed_out in [false, true] {
        let outcome = a.outcome(timed_out);
        match a.verdict(outcome, 30_000) {
            Ok(()) => assert_eq!(outcome, Outcome::Success),
            Err(e) => {
                assert_ne!(outcome, Outcome::Success);
                assert_error_body(e.status(), e.body().as_bytes());
            }
        }
    }
    a
}

fn assert_error_body(status: u32, body: &[u8]) {
    let v: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => panic!("a {status} reply has no JSON body ({e}): {body:?}"),
    };
    assert!(
        v.get("key").and_then(|k| k.as_str()).is_some(),
        "a {status} reply has no key: {v}"
    );
}

/// (b) The stream state machine.
fn stream(input: &Input) {
    let cfg = PARSED.with(|c| c[input.config].clone());
    let fake = Rc::new(fake());
    let creds = StaticCredentials(Some(Rc::new(Credentials::new("AKID", "SECRET", None))));
    let mut s = Stream::new(1, cfg.clone(), fake.clone(), Rc::new(creds), Rc::new(Budget::new(64 << 20)));
    let started = match input.config {
        1 => {
            assert_eq!(s.on_request_headers(true), Action::Continue);
            assert_eq!(s.on_response_headers(false), Action::Continue);
            s.on_response_body(BACKEND_BODY.len(), true)
        }
        3 => {
            assert_eq!(s.on_request_headers(true), Action::Continue);
            s.on_response_headers(false)
        }
        _ => s.on_request_headers(true),
    };
    assert_eq!(started, Action::Pause);
    assert_eq!(fake.dispatched.borrow().len() as u32, 1);

    let elapsed = if input.timed_out {
        cfg.timeout
    } else {
        Duration::ZERO
    };
    let far_future = t0() + Duration::from_secs(86_400);
    let mut last_token = 0;
    for _ in 0..10 {
        let token = s.lambda_token();
        assert_eq!(
            token,
            Some(fake.last_token.get()),
            "the stream waits for the latest call"
        );
        last_token = fake.last_token.get();
        fake.now.set(t0() + elapsed);
        s.on_lambda_answer(last_token, input.headers.clone(), input.body.clone());
        fake.now.set(t0());
        if s.retry_due().is_none() {
            break;
        }
        assert_eq!(fake.ends(), 0, "ended while waiting for a retry");
        let before = fake.dispatched.borrow().len() as u32;
        s.on_timer(far_future);
        assert_eq!(
            fake.dispatched.borrow().len() as u32,
            before + 1,
            "a due retry sends the call"
        );
    }
    assert!(fake.dispatched.borrow().len() as u32 <= cfg.retry.max_attempts);

    if s.retry_due().is_some() {
        assert_eq!(fake.ends(), 0, "ended while waiting for a retry");
    } else {
        assert_eq!(s.lambda_token(), None);
        assert_eq!(fake.ends(), 1, "the stream must end exactly once");
        // A late duplicate of the answer changes nothing.
        s.on_lambda_answer(last_token, input.headers.clone(), input.body.clone());
        assert_eq!(fake.ends(), 1, "a late answer ended the stream again");
    }
    assert!(fake.replaced_bodies.borrow().len() as u32 <= fake.resumed_response.get());

    for (status, headers, body) in fake.replies.borrow().iter() {
        for (name, value) in headers {
            assert!(
                header_safe(name) && header_safe(value),
                "reply header {name:?}: {value:?}"
            );
        }
        if matches!(status, 400 | 413 | 500) {
            assert_error_body(*status, body);
        }
    }
    for (name, value) in fake.filter_state.borrow().iter() {
        assert!(
            header_safe(value),
            "filter state {name} holds CR, LF or NUL: {value:?}"
        );
    }
}

/// (c) The same status and body as an STS AssumeRole answer.
///
/// Its error text must not hold the body. Checked for bodies over 40 bytes,
/// unless a body-free error text (one that `parse_answer` writes without
/// anything from the body) holds the body too. Sound: the only parts of an
/// error taken from the body are
/// * an AWS error code: at most 64 characters of `[A-Za-z0-9._:-]` taken
///   from well-formed XML, so from a body that holds a `<`, which no part of
///   that error text holds;
/// * the `Expiration` text, Debug-quoted (`"…"`), from well-formed XML. Such
///   a body starts with whitespace or `<` and ends with `>` or whitespace, so
///   it could only sit inside the quotes. Any character there is either
///   copied from the body (Debug escapes only add a backslash to it) or is a
///   character the body cannot hold (Debug escapes every control, unprintable
///   and combining character), which then came from a reference such as
///   `&#1;`, whose escape `\u{1}` is no longer in characters other than
///   backslashes. So the quoted text holds at most as many non-backslash
///   characters as the element text it came from, and fewer than the whole
///   body, which also holds the markup around that text.
fn sts_answer(status: Option<u16>, body: &[u8]) {
    let Err(e) = sts::parse_answer(status, body, "sts") else {
        return;
    };
    if body.len() <= 40 || !e.as_bytes().windows(body.len()).any(|w| w == body) {
        return;
    }
    let s = status.unwrap_or_default();
    let body_free = [
        "STS unreachable through cluster sts".to_string(),
        format!("STS AssumeRole failed: Status Code: {s}; the answer holds no AWS error"),
        format!("STS AssumeRole answer (status {s}) is not well-formed XML"),
        format!("STS AssumeRole answer (status {s}) has no AccessKeyId in AssumeRoleResult/Credentials"),
        format!("STS AssumeRole answer (status {s}) has no SecretAccessKey in AssumeRoleResult/Credentials"),
        format!("STS AssumeRole answer (status {s}) has no SessionToken in AssumeRoleResult/Credentials"),
        format!("STS AssumeRole answer (status {s}) has no Expiration in AssumeRoleResult/Credentials"),
    ];
    assert!(
        body_free
            .iter()
            .any(|f| f.as_bytes().windows(body.len()).any(|w| w == body)),
        "the STS error text holds the body: {e:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = decode(data) else { return };
    let a = answer(&input);
    stream(&input);
    sts_answer(a.status, &input.body);
});
