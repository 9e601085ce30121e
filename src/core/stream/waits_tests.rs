//! Streams that wait: for credentials (until the call's timeout) and for the
//! root's waiters, their timer and the answers the root forwards.

use super::*;
use crate::core::credentials::cache::CredentialCache;
use crate::core::credentials::{Lookup, Provider};
use crate::core::secret::Credentials;
use crate::core::stream::waiters::Waiters;

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
