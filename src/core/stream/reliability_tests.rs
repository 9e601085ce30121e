//! Trailers, the buffer budget, local replies, credential waits and the
//! waiters' timer, against the fake host of the stream tests.

use super::*;
use crate::core::credentials::cache::CredentialCache;
use crate::core::credentials::{Lookup, Provider};
use crate::core::secret::Credentials;
use crate::core::stream::waiters::Waiters;

fn content(scope: &str, fake: FakeHost) -> (Stream, Rc<FakeHost>) {
    let part = if scope == "REQUEST_CONTENT" {
        "request"
    } else {
        "response"
    };
    let json =
        format!(r#"{{"function":"demo","scope":"{scope}","payload":"{{#{part}.content}}"}}"#);
    stream(&json, fake)
}

#[test]
fn request_trailers_end_the_body_and_are_held() {
    let (mut s, f) = content(
        "REQUEST_CONTENT",
        FakeHost {
            request_body: b"hello world".to_vec(),
            ..with_request()
        },
    );
    assert_eq!(s.on_request_headers(false), Action::Continue);
    assert_eq!(s.on_request_body(5, false), Action::Pause);
    assert!(f.dispatched.borrow().is_empty());
    assert_eq!(
        s.on_request_trailers(),
        Action::Pause,
        "trailers wait for the function"
    );
    assert_eq!(
        f.dispatched.borrow()[0].2,
        b"hello",
        "the body Envoy held so far"
    );
    let (hs, b) = ok("{}");
    s.on_lambda_answer(7, hs, b);
    assert_eq!(f.resumed_request.get(), 1);
}

#[test]
fn response_trailers_end_the_body() {
    let (mut s, f) = content(
        "RESPONSE_CONTENT",
        FakeHost {
            response_body: b"grpc-frame".to_vec(),
            ..with_request()
        },
    );
    s.on_request_headers(false);
    assert_eq!(s.on_response_headers(false), Action::Continue);
    assert_eq!(s.on_response_body(10, false), Action::Pause);
    assert_eq!(s.on_response_trailers(), Action::Pause);
    assert_eq!(f.dispatched.borrow()[0].2, b"grpc-frame");
    let (hs, b) = ok("{}");
    s.on_lambda_answer(7, hs, b);
    assert_eq!(f.resumed_response.get(), 1);
}

#[test]
fn trailers_outside_a_held_body_pass() {
    let (mut s, f) = stream(r#"{"function":"demo"}"#, with_request());
    assert_eq!(s.on_request_trailers(), Action::Continue);
    assert_eq!(s.on_response_trailers(), Action::Continue);
    assert!(f.dispatched.borrow().is_empty());
}

fn with_budget(json: &str, fake: FakeHost, budget: &Rc<Budget>) -> (Stream, Rc<FakeHost>) {
    let fake = Rc::new(fake);
    let with = With {
        id: 5,
        budget: Some(budget.clone()),
        ..With::default()
    };
    (stream_with(json, &fake, with), fake)
}

#[test]
fn a_body_over_the_budget_gets_503_and_the_budget_is_given_back() {
    let json = r#"{"function":"demo","scope":"REQUEST_CONTENT","payload":"{#request.content}","sendToConsumer":true}"#;
    let budget = Rc::new(Budget::new(1000));
    let body = || FakeHost {
        request_body: vec![b'x'; 600],
        ..with_request()
    };
    let (mut first, f1) = with_budget(json, body(), &budget);
    first.on_request_headers(false);
    assert_eq!(first.on_request_body(600, true), Action::Pause);
    assert_eq!(f1.dispatched.borrow().len(), 1);
    assert_eq!(
        budget.used(),
        600,
        "the payload only: the body is not held twice"
    );

    let (mut second, f2) = with_budget(json, body(), &budget);
    second.on_request_headers(false);
    assert_eq!(second.on_request_body(600, true), Action::Pause);
    assert!(f2.dispatched.borrow().is_empty());
    let replies = f2.replies.borrow();
    assert_eq!(replies[0].0, 503);
    assert!(String::from_utf8_lossy(&replies[0].2).contains("AWS_LAMBDA_OVERLOADED"));
    assert!(f2.metrics.borrow().contains(&Metric::Overloaded));
    assert_eq!(budget.used(), 600, "the refused stream took nothing");

    let (hs, b) = ok("{}");
    assert_eq!(first.reserve_answer(b.len()), Ok(2));
    first.on_lambda_answer(7, hs, b);
    assert_eq!(f1.replies.borrow()[0].0, 200);
    assert_eq!(budget.used(), 0, "given back when the stream ends");
    assert_eq!(budget.peak(), 602);
}

#[test]
fn an_answer_over_the_budget_is_not_read() {
    let budget = Rc::new(Budget::new(1000));
    let (mut s, f) = with_budget(r#"{"function":"demo"}"#, with_request(), &budget);
    s.on_request_headers(true);
    let refused = s.reserve_answer(5000).unwrap_err();
    assert!(
        f.replies.borrow().is_empty(),
        "answered in the stream's context, by the caller"
    );
    s.on_answer_refused(refused);
    assert_eq!(f.replies.borrow()[0].0, 503);
    assert_eq!(budget.used(), 0);
}

/// The attribute `response.code_details` (None: Envoy does not have it).
fn code_details(details: Option<&str>) -> Vec<(String, Vec<u8>)> {
    details
        .map(|d| ("response.code_details".to_string(), d.as_bytes().to_vec()))
        .into_iter()
        .collect()
}

#[test]
fn envoy_local_replies_are_not_sent_to_the_function() {
    for (details, invoked) in [
        (Some("upstream_response_timeout"), false),
        (Some("via_upstream"), true),
        (None, true),
    ] {
        let (mut s, f) = stream(
            r#"{"function":"demo","scope":"RESPONSE"}"#,
            FakeHost {
                properties: code_details(details),
                ..with_request()
            },
        );
        s.on_request_headers(true);
        let action = s.on_response_headers(false);
        assert_eq!(
            f.dispatched.borrow().len(),
            usize::from(invoked),
            "{details:?}"
        );
        assert_eq!(action == Action::Pause, invoked, "{details:?}");
    }
    let (mut s, f) = stream(
        r#"{"function":"demo","scope":"RESPONSE","invokeOnLocalReplies":true}"#,
        FakeHost {
            properties: code_details(Some("upstream_response_timeout")),
            ..with_request()
        },
    );
    s.on_response_headers(false);
    assert_eq!(f.dispatched.borrow().len(), 1, "opted in");
}

#[test]
fn an_empty_body_after_the_headers_went_on_is_replaced_not_replied() {
    let (mut s, f) = stream(
        r#"{"function":"demo","scope":"RESPONSE_CONTENT","sendToConsumer":true}"#,
        with_request(),
    );
    assert_eq!(s.on_response_headers(false), Action::Continue);
    assert_eq!(s.on_response_body(0, true), Action::Pause);
    let (hs, b) = ok(r#"{"from":"lambda"}"#);
    s.on_lambda_answer(7, hs, b);
    assert!(
        f.replies.borrow().is_empty(),
        "the headers are gone: no local reply"
    );
    assert_eq!(
        f.replaced_bodies.borrow().last().map(Vec::as_slice),
        Some(&br#"{"from":"lambda"}"#[..])
    );
    assert_eq!(f.resumed_response.get(), 1);
}

#[test]
fn only_the_first_of_repeated_content_types_reaches_the_consumer() {
    let (status, hs) = reply_for_content_type("application/json,text/html");
    assert_eq!(status, 200);
    assert_eq!(hs, headers(&[("content-type", "application/json")]));
}

/// Credentials that never come.
struct Never;

impl Provider for Never {
    fn credentials(&self, _stream_id: u32, _now: SystemTime) -> Lookup {
        Lookup::Pending
    }
}

#[test]
fn a_credentials_wait_ends_at_the_call_timeout() {
    let json = r#"{"function":"demo","apiCallTimeoutMs":800}"#;
    let fake = Rc::new(with_request());
    let never = With {
        creds: Rc::new(Never),
        budget: Some(Rc::new(Budget::new(1 << 20))),
        ..With::default()
    };
    let mut s = stream_with(json, &fake, never);
    assert_eq!(s.on_request_headers(true), Action::Pause);
    let until = fake.now() + Duration::from_millis(800);
    assert_eq!(s.wake_at(), Some(until));
    s.on_timer(until - Duration::from_millis(1));
    assert!(fake.replies.borrow().is_empty(), "not yet");
    s.on_timer(until);
    let replies = fake.replies.borrow();
    assert_eq!(replies[0].0, 500);
    assert!(String::from_utf8_lossy(&replies[0].2).contains("no AWS credentials within 800 ms"));
    assert_eq!(s.wake_at(), None);
}

/// A root's waiters and one stream (id 3, static keys, 3 attempts) whose
/// first Lambda call went out, with a budget of `budget` bytes.
fn waiting_root(budget: usize) -> (Waiters, Rc<RefCell<Stream>>, Rc<FakeHost>) {
    let fake = Rc::new(with_request());
    let creds = Rc::new(CredentialCache::new(
        Some(Rc::new(Credentials::new("AKID", "SECRET", None))),
        None,
    ));
    let waiters = Waiters::new(fake.clone(), creds.clone());
    let with = With {
        creds,
        budget: Some(Rc::new(Budget::new(budget))),
        ..With::default()
    };
    let s = stream_with(r#"{"function":"demo"}"#, &fake, with);
    let s = Rc::new(RefCell::new(s));
    s.borrow_mut().on_request_headers(true);
    (waiters, s, fake)
}

#[test]
fn the_timer_runs_only_while_a_stream_waits_for_the_root() {
    let (waiters, s, fake) = waiting_root(1 << 20);
    waiters.after_event(3, &s);
    assert!(
        fake.timers.borrow().is_empty(),
        "a call in flight needs no timer"
    );
    assert!(waiters.is_empty());

    s.borrow_mut()
        .on_lambda_answer(7, headers(&[(":status", "429")]), Vec::new());
    waiters.after_event(3, &s);
    let armed = fake.timers.borrow().clone();
    assert_eq!(armed.len(), 1);
    let after = armed[0].unwrap();
    assert!(after >= Duration::from_millis(1) && after <= Duration::from_millis(25));
    assert_eq!(waiters.len(), 1);

    fake.now.set(at(T0) + Duration::from_millis(30));
    waiters.on_tick();
    assert_eq!(fake.dispatched.borrow().len(), 2, "the retry went out");
    assert_eq!(*fake.entered.borrow(), vec![3]);
    assert_eq!(
        fake.timers.borrow().last(),
        Some(&None),
        "stopped: nothing waits"
    );
    assert_eq!(waiters.armed(), None);

    let (hs, b) = ok("{}");
    assert!(waiters.on_callout(7, b.len(), |_| (hs, b)), "forwarded");
    assert_eq!(fake.resumed_request.get(), 1);
    assert!(waiters.is_empty());
    assert!(
        !waiters.on_callout(7, 0, |_| (Vec::new(), Vec::new())),
        "only once"
    );
}

#[test]
fn a_root_that_is_done_serves_its_waiting_streams_then_stops() {
    let (idle, _, _) = waiting_root(1 << 20);
    assert!(idle.drain(), "nothing waits: done at once");

    let (waiters, s, fake) = waiting_root(1 << 20);
    s.borrow_mut()
        .on_lambda_answer(7, headers(&[(":status", "503")]), Vec::new());
    waiters.after_event(3, &s);
    assert!(!waiters.drain(), "a retry is pending");
    assert!(!waiters.drained());
    assert!(waiters.armed().is_some(), "the timer still runs for it");
    fake.now.set(at(T0) + Duration::from_millis(30));
    waiters.on_tick();
    assert!(!waiters.drained(), "its answer is still to come");
    let (hs, b) = ok("{}");
    assert!(waiters.on_callout(7, b.len(), |_| (hs, b)));
    assert!(waiters.drained());
    assert_eq!(fake.resumed_request.get(), 1);
}

#[test]
fn a_forwarded_answer_over_the_budget_is_refused_in_the_streams_context() {
    let (waiters, s, fake) = waiting_root(1000);
    s.borrow_mut()
        .on_lambda_answer(7, headers(&[(":status", "429")]), Vec::new());
    waiters.after_event(3, &s);
    fake.now.set(at(T0) + Duration::from_millis(30));
    waiters.on_tick();
    assert_eq!(
        *fake.entered.borrow(),
        vec![3],
        "the retry went out from the root"
    );
    let read = std::cell::Cell::new(false);
    assert!(waiters.on_callout(7, 5000, |_| {
        read.set(true);
        (Vec::new(), Vec::new())
    }));
    assert!(!read.get(), "the answer was not copied into the VM");
    assert_eq!(
        *fake.entered.borrow(),
        vec![3, 3],
        "the 503 went out with the stream's context current"
    );
    assert_eq!(fake.replies.borrow()[0].0, 503);
    assert!(waiters.is_empty());
}
