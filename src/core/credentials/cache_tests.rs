#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::core::credentials::fetch::{Answer, Step};
use crate::core::credentials::sts::AssumeRole;
use crate::core::testing::role;
use std::cell::Cell;
use std::time::Duration;
use std::time::UNIX_EPOCH;

/// A scripted source: `steps` calls per fetch; 200 continues, other statuses fail.
#[derive(Debug)]
struct Mock {
    steps: u32,
    left: u32,
    life: Duration,
    starts: Rc<Cell<u32>>,
}

fn req(n: u32) -> CalloutRequest {
    let headers = vec![(":path".to_string(), format!("/step{n}"))];
    CalloutRequest {
        cluster: "sts".into(),
        headers,
        body: Vec::new(),
        timeout: Duration::from_secs(5),
    }
}

impl Fetch for Mock {
    fn start(&mut self, _now: SystemTime) -> Step {
        self.starts.set(self.starts.get() + 1);
        self.left = self.steps;
        Step::Call(req(1))
    }
    fn on_answer(&mut self, answer: Answer<'_>) -> Step {
        let (status, now) = (answer.status, answer.now);
        match status {
            Some(200) if self.left > 1 => {
                self.left -= 1;
                Step::Call(req(self.steps - self.left + 1))
            }
            Some(200) => {
                let mut c = Credentials::new("ASIACACHE", "cachesecret", Some("cachetoken".into()));
                c.expiration = Some(now + self.life);
                Step::Done(Ok(c))
            }
            Some(s) => Step::Done(Err(format!(
                "STS AssumeRole failed: Status Code: {s}; Error Code: AccessDenied"
            ))),
            None => Step::Done(Err("STS unreachable through cluster sts".into())),
        }
    }
}

fn t(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

fn cache(steps: u32, life_secs: u64) -> (CredentialCache, Rc<Cell<u32>>) {
    let starts = Rc::new(Cell::new(0));
    let mock = Mock {
        steps,
        left: 0,
        life: Duration::from_secs(life_secs),
        starts: starts.clone(),
    };
    (CredentialCache::new(None, Some(Box::new(mock))), starts)
}

/// A cache as [`cache`] makes it with one call per fetch, and stream 1
/// that asked at `t(0)` and waits.
fn asked(life_secs: u64) -> (CredentialCache, Rc<Cell<u32>>) {
    let (c, starts) = cache(1, life_secs);
    assert!(is_pending(c.credentials(1, t(0))));
    (c, starts)
}

fn is_pending(l: Lookup) -> bool {
    matches!(l, Lookup::Pending)
}

fn failed(l: Lookup) -> String {
    match l {
        Lookup::Failed(e) => e,
        other => panic!("expected Failed, got {other:?}"),
    }
}

fn ready(l: Lookup) -> Rc<Credentials> {
    match l {
        Lookup::Ready(c) => c,
        other => panic!("expected Ready, got {other:?}"),
    }
}

/// STS answers the call in flight with `status` (None: unreachable): the next call, if any.
fn answer(c: &CredentialCache, status: Option<u16>, now: SystemTime) -> Option<CalloutRequest> {
    c.on_answer(Answer::new(status, b"", now)).next_call()
}

/// Runs a one-step fetch to success at `now`.
fn succeed(c: &CredentialCache, now: SystemTime) {
    assert!(c.poll(now).is_some(), "a fetch should start");
    assert!(answer(c, Some(200), now).is_none());
}

#[test]
fn fixed_or_nothing_without_fetcher() {
    let creds = Rc::new(Credentials::new("AKID", "fixedsecret", None));
    let c = CredentialCache::new(Some(creds.clone()), None);
    assert_eq!(ready(c.credentials(1, t(0))), creds);
    assert!(c.poll(t(0)).is_none());
    let none = CredentialCache::new(None, None);
    assert!(failed(none.credentials(1, t(0))).starts_with("no AWS credentials"));
    assert!(!format!("{c:?}").contains("fixedsecret"));
}

#[test]
fn first_fetch_waits_for_a_stream() {
    let (c, starts) = cache(1, 3600);
    assert!(c.poll(t(0)).is_none(), "no stream asked yet: no fetch");
    assert!(is_pending(c.credentials(1, t(0))));
    let call = c.poll(t(0)).unwrap();
    assert_eq!(call.header(":path"), Some("/step1"));
    assert!(c.poll(t(1)).is_none(), "one fetch in flight at most");
    assert_eq!(starts.get(), 1);
}

#[test]
fn concurrent_streams_wait_on_one_fetch_and_success_wakes_all() {
    let (c, starts) = asked(3600);
    assert!(is_pending(c.credentials(2, t(0))));
    assert!(c.poll(t(0)).is_some());
    assert!(is_pending(c.credentials(3, t(0))));
    assert!(
        is_pending(c.credentials(1, t(0))),
        "asking twice registers once"
    );
    assert!(c.poll(t(0)).is_none());
    assert!(c.take_woken().is_empty());
    assert!(answer(&c, Some(200), t(1)).is_none());
    assert_eq!(c.take_woken(), vec![1, 2, 3]);
    assert!(c.take_woken().is_empty());
    for id in 1..=3 {
        assert_eq!(ready(c.credentials(id, t(1))).access_key_id, "ASIACACHE");
    }
    assert!(c.poll(t(2)).is_none(), "never refresh per request");
    assert_eq!((starts.get(), c.counters()), (1, (1, 1, 0)));
}

#[test]
fn multi_step_fetch_follows_each_call() {
    let (c, _) = cache(3, 3600);
    assert!(is_pending(c.credentials(7, t(0))));
    assert_eq!(c.poll(t(0)).unwrap().header(":path"), Some("/step1"));
    assert_eq!(
        answer(&c, Some(200), t(0)).unwrap().header(":path"),
        Some("/step2")
    );
    assert!(c.take_woken().is_empty());
    assert_eq!(
        answer(&c, Some(200), t(0)).unwrap().header(":path"),
        Some("/step3")
    );
    assert!(answer(&c, Some(200), t(0)).is_none());
    assert_eq!(c.take_woken(), vec![7]);
    assert_eq!(c.counters(), (1, 1, 0));
}

#[test]
fn refresh_ahead_of_expiry_without_waiting() {
    let (c, starts) = asked(3600);
    succeed(&c, t(0));
    assert_eq!(c.take_woken(), vec![1]);
    assert!(c.poll(t(3299)).is_none(), "not due before expiry - 5 min");
    assert!(c.poll(t(3300)).is_some(), "due 5 min before expiry");
    assert!(
        ready(c.credentials(9, t(3301))).expiration == Some(t(3600)),
        "old creds served while refreshing"
    );
    assert!(answer(&c, Some(200), t(3302)).is_none());
    assert!(c.take_woken().is_empty(), "nobody waited");
    assert_eq!(
        ready(c.credentials(9, t(3303))).expiration,
        Some(t(3302 + 3600))
    );
    assert_eq!(starts.get(), 2);
}

#[test]
fn short_lived_credentials_use_a_quarter_of_their_lifetime() {
    let (c, _) = asked(60);
    succeed(&c, t(0));
    assert!(c.poll(t(44)).is_none());
    assert!(c.poll(t(45)).is_some());
}

#[test]
fn stray_answer_is_ignored() {
    let (c, _) = cache(1, 3600);
    assert!(answer(&c, Some(200), t(0)).is_none());
    assert_eq!(c.counters(), (0, 0, 0));
}

#[test]
fn already_expired_credentials_are_a_failure() {
    let (c, _) = asked(0);
    succeed(&c, t(0));
    assert!(failed(c.credentials(1, t(0))).contains("already expired"));
    assert_eq!(c.counters(), (1, 0, 1));
}

#[test]
fn debug_never_prints_a_secret() {
    let role = role();
    let base = Credentials::new("AKIDBASE", "basesecret", Some("basetoken".into()));
    let c = CredentialCache::new(
        None,
        Some(Box::new(AssumeRole::new(role, "us-east-1", Some(base)))),
    );
    assert!(is_pending(c.credentials(1, t(0))));
    let call = c.poll(t(0)).unwrap();
    let xml = "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAX</AccessKeyId>\
        <SecretAccessKey>tempsecret</SecretAccessKey><SessionToken>temptoken</SessionToken>\
        <Expiration>2023-11-15T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>";
    let in_flight = format!("{c:?} {call:?}");
    assert!(c
        .on_answer(Answer::new(Some(200), xml.as_bytes(), t(0)))
        .next_call()
        .is_none());
    let creds = ready(c.credentials(1, t(0)));
    let all = format!("{in_flight} {c:?} {creds:?} {:?}", c.credentials(1, t(0)));
    assert!(all.contains("ASIAX") && all.contains("AKIDBASE"), "{all}");
    for secret in ["basesecret", "basetoken", "tempsecret", "temptoken"] {
        assert!(!all.contains(secret), "{secret} in {all}");
    }
}

#[test]
fn the_timer_is_needed_only_for_a_call_in_flight_a_refresh_or_a_waiting_stream() {
    let (c, _) = cache(1, 3600);
    assert_eq!(c.next_poll_at(t(0)), None, "nobody asked yet");
    assert!(is_pending(c.credentials(1, t(0))));
    assert_eq!(c.next_poll_at(t(0)), Some(t(0)), "a stream waits: now");
    assert!(c.poll(t(0)).is_some());
    assert_eq!(
        c.next_poll_at(t(0)),
        Some(t(10)),
        "in flight: its loss deadline"
    );
    assert!(answer(&c, Some(200), t(0)).is_none());
    assert_eq!(
        c.next_poll_at(t(1)),
        Some(t(3300)),
        "the refresh ahead of expiry"
    );
    let static_keys =
        CredentialCache::new(Some(Rc::new(Credentials::new("AKID", "s", None))), None);
    assert!(matches!(static_keys.credentials(1, t(0)), Lookup::Ready(_)));
    assert_eq!(static_keys.next_poll_at(t(0)), None, "static keys: never");
}

#[path = "cache_failures_tests.rs"]
mod failures;
