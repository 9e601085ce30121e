#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::core::callout::CalloutRequest;
use crate::core::credentials::cache::{CredentialCache, FetchEvent};
use crate::core::credentials::cache_state::{EXPIRY_SKEW, LOST_MARGIN};
use crate::core::credentials::fetch::{Answer, Fetch, Step};
use crate::core::credentials::{Lookup, Provider};
use crate::core::testing::{at, FakeHost, NoopHost, T0};

/// One call per fetch: 200 gives credentials for `life`, another status fails.
#[derive(Debug)]
struct OneStep {
    life: Duration,
    key: &'static str,
}

impl Fetch for OneStep {
    fn start(&mut self, _now: SystemTime) -> Step {
        Step::Call(CalloutRequest::new(
            "sts",
            "POST",
            "/".into(),
            "sts",
            Duration::from_secs(5),
        ))
    }
    fn on_answer(&mut self, answer: Answer<'_>) -> Step {
        let (status, now) = (answer.status, answer.now);
        match status {
            Some(200) => {
                let mut c = Credentials::new(self.key, "sharedsecret", Some("sharedtoken".into()));
                c.expiration = Some(now + self.life);
                Step::Done(Ok(c))
            }
            _ => Step::Done(Err("STS AssumeRole failed: Status Code: 503".into())),
        }
    }
}

const HOUR: Duration = Duration::from_secs(3600);

fn t(secs: u64) -> SystemTime {
    at(T0 + secs)
}

/// The fingerprint of the settings the roots share (`fingerprint.rs` makes real ones).
fn fp() -> String {
    "5e77a1e55e77a1e55e77a1e55e77a1e5".to_string()
}

/// One root: a cache over `host`, sharing under `fp` as `owner`.
fn root(host: &Rc<FakeHost>, fp: &str, owner: u64, key: &'static str) -> CredentialCache {
    let fetch = OneStep { life: HOUR, key };
    let shared = SharedCredentials::new(host.clone(), fp.to_string(), owner);
    CredentialCache::new(None, Some(Box::new(fetch))).with_shared(shared)
}

/// One root's shared entry, created as configuration creates it, with its current read.
fn one_entry() -> (Rc<FakeHost>, SharedCredentials, Option<Entry>, u32) {
    let host = Rc::new(FakeHost::default());
    let s = SharedCredentials::new(host.clone(), fp(), 1);
    s.ensure();
    let (entry, cas) = s.read().unwrap();
    (host, s, entry, cas)
}

fn two_roots() -> (Rc<FakeHost>, CredentialCache, CredentialCache) {
    let host = Rc::new(FakeHost::default());
    let a = root(&host, &fp(), 1, "ASIAFIRST");
    let b = root(&host, &fp(), 2, "ASIASECOND");
    (host, a, b)
}

fn key_id(l: Lookup) -> Option<String> {
    match l {
        Lookup::Ready(c) => Some(c.access_key_id.clone()),
        _ => None,
    }
}

/// Root `c` fetches now: a stream asks, the call goes, STS answers `status`.
fn fetch(c: &CredentialCache, status: u16, now: SystemTime) -> FetchEvent {
    let _ = c.credentials(1, now);
    assert!(c.poll(now).is_some(), "this root should fetch");
    c.on_answer(Answer::new(Some(status), b"", now))
}

/// A stream asks root `b` for credentials: is it kept waiting while a fetch starts at once?
fn asks_and_fetches(b: &CredentialCache) -> bool {
    matches!(b.credentials(5, t(0)), Lookup::Pending) && b.poll(t(0)).is_some()
}

fn entry_key() -> String {
    format!("{KEY_PREFIX}{}", fp())
}

#[test]
fn a_root_adopts_what_another_fetched_without_a_call() {
    let (host, a, b) = two_roots();
    assert!(matches!(fetch(&a, 200, t(0)), FetchEvent::Fetched));
    assert_eq!(key_id(b.credentials(7, t(1))).as_deref(), Some("ASIAFIRST"));
    assert!(b.poll(t(1)).is_none());
    assert_eq!(b.counters(), (0, 0, 0), "b never fetched");
    assert_eq!(
        host.dispatched.borrow().len(),
        0,
        "the caches hand out calls, the host sent none"
    );
    assert!(!format!("{b:?}").contains("sharedsecret"));
    // Nothing waits: b's timer is needed only for the refresh, as a's.
    assert_eq!(b.next_poll_at(t(1)), a.next_poll_at(t(1)));
}

#[test]
fn credentials_too_close_to_expiry_are_not_adopted() {
    let (_host, a, b) = two_roots();
    assert!(matches!(fetch(&a, 200, t(0)), FetchEvent::Fetched));
    let late = t(0) + HOUR - EXPIRY_SKEW;
    assert!(key_id(b.credentials(5, late)).is_none());
    assert!(b.poll(late).is_some(), "b fetches instead");
}

#[test]
fn credentials_due_for_refresh_are_adopted_by_a_root_that_has_none_then_refreshed_once() {
    let (_host, a, b) = two_roots();
    assert!(matches!(fetch(&a, 200, t(0)), FetchEvent::Fetched));
    let due = a.next_poll_at(t(0)).unwrap();
    assert!(due < t(0) + HOUR);
    // b starts inside the refresh margin: it serves with a's credentials…
    assert_eq!(key_id(b.credentials(5, due)).as_deref(), Some("ASIAFIRST"));
    // …and the refresh is fetched by one of the two.
    assert!(a.poll(due).is_some(), "a takes the lease");
    assert!(b.poll(due).is_none(), "b waits for it");
    assert!(matches!(
        a.on_answer(Answer::new(Some(200), b"", due)),
        FetchEvent::Fetched
    ));
    assert!(b.poll(due + WATCH).is_none());
    assert!(
        b.next_poll_at(due + WATCH).unwrap() > due + HOUR / 2,
        "b took the new ones"
    );
    assert_eq!((a.counters().0, b.counters().0), (2, 0));
}

#[test]
fn roots_with_other_settings_never_share() {
    let host = Rc::new(FakeHost::default());
    let other = "0the4se77a1e55e77a1e55e77a1e5000".to_string();
    let a = root(&host, &fp(), 1, "ASIAFIRST");
    let b = root(&host, &other, 2, "ASIAOTHER");
    assert!(matches!(fetch(&a, 200, t(0)), FetchEvent::Fetched));
    assert!(asks_and_fetches(&b), "b fetches its own");
    assert_eq!(host.shared_data.borrow().len(), 2);
}

#[test]
fn an_entry_of_another_fingerprint_under_the_key_is_ignored() {
    let (host, a, b) = two_roots();
    assert!(matches!(fetch(&a, 200, t(0)), FetchEvent::Fetched));
    let key = entry_key();
    let text = String::from_utf8(host.get_shared_data(&key).unwrap().0).unwrap();
    let forged = text.replace(&fp(), "0123456789abcdef0123456789abcdef");
    host.set_shared_data(&key, forged.as_bytes(), 0).unwrap();
    assert!(key_id(b.credentials(5, t(1))).is_none());
    assert!(b.poll(t(1)).is_some());
}

#[test]
fn a_corrupt_entry_is_ignored_then_overwritten() {
    // Which bytes are no entry: `shared_entry_tests.rs`.
    let no_secret = format!("aws-lambda credentials 1\n{}\n\n\nASIAX\n\n\n\n", fp());
    for bytes in [
        b"not an entry".to_vec(),
        vec![0xff; 40],
        no_secret.into_bytes(),
    ] {
        let host = Rc::new(FakeHost::default());
        let b = root(&host, &fp(), 2, "ASIASECOND");
        host.set_shared_data(&entry_key(), &bytes, 0).unwrap();
        let case = String::from_utf8_lossy(&bytes).into_owned();
        assert!(asks_and_fetches(&b), "{case}");
        let fetched = b.on_answer(Answer::new(Some(200), b"", t(0)));
        assert!(matches!(fetched, FetchEvent::Fetched));
        let c = root(&host, &fp(), 3, "ASIATHIRD");
        assert_eq!(
            key_id(c.credentials(6, t(1))).as_deref(),
            Some("ASIASECOND")
        );
    }
}

#[test]
fn without_shared_data_each_root_fetches() {
    let host: Rc<dyn Host> = Rc::new(NoopHost {
        request_headers: Vec::new(),
        body: Vec::new(),
        now: t(0),
    });
    let shared = SharedCredentials::new(host, fp(), 1);
    let c = CredentialCache::new(
        None,
        Some(Box::new(OneStep {
            life: HOUR,
            key: "ASIA",
        })),
    )
    .with_shared(shared);
    assert!(matches!(fetch(&c, 200, t(0)), FetchEvent::Fetched));
}

#[path = "shared_lease_tests.rs"]
mod lease;
