//! The lease: a root waits while another fetches, takes over a lease that
//! ended or cannot be one, and gets it back at once after a failure or when
//! the root that held it goes away.

use super::*;

#[test]
fn while_another_root_fetches_a_root_waits_then_adopts_and_wakes_its_streams() {
    let (_host, a, b) = two_roots();
    let _ = a.credentials(1, t(0));
    assert!(a.poll(t(0)).is_some(), "a takes the lease");
    assert!(key_id(b.credentials(5, t(0))).is_none());
    assert!(b.poll(t(0)).is_none(), "the lease is a's: b does not fetch");
    assert_eq!(
        b.next_poll_at(t(0)),
        Some(t(0) + WATCH),
        "b looks again shortly"
    );
    assert!(b.take_woken().is_empty());
    assert!(matches!(
        a.on_answer(Answer::new(Some(200), b"", t(0))),
        FetchEvent::Fetched
    ));
    assert!(b.poll(t(0) + WATCH).is_none(), "adopted, no call");
    assert_eq!(b.take_woken(), vec![5]);
    assert_eq!(key_id(b.credentials(5, t(1))).as_deref(), Some("ASIAFIRST"));
    assert_eq!(b.counters().0, 0);
}

#[test]
fn an_expired_lease_is_taken_over() {
    let (_host, a, b) = two_roots();
    let _ = a.credentials(1, t(0));
    assert!(
        a.poll(t(0)).is_some(),
        "a takes the lease and is never answered"
    );
    let _ = b.credentials(5, t(0));
    assert!(b.poll(t(0) + LEASE - Duration::from_millis(1)).is_none());
    assert_eq!(
        b.next_poll_at(t(0) + LEASE - Duration::from_millis(1)),
        Some(t(0) + LEASE),
        "b looks again when the lease ends, not later"
    );
    assert!(
        b.poll(t(0) + LEASE).is_some(),
        "the lease expired: b fetches"
    );
    assert!(
        LEASE >= Duration::from_secs(5) + LOST_MARGIN,
        "a lease outlives one call"
    );
}

#[test]
fn a_lease_longer_than_any_root_takes_is_not_honoured() {
    let host = Rc::new(FakeHost::default());
    let b = root(&host, &fp(), 2, "ASIASECOND");
    let until = (T0 + 3600) * 1000;
    let forged = format!("aws-lambda credentials 1\n{}\n9\n{until}\n\n\n\n\n", fp());
    host.set_shared_data(&entry_key(), forged.as_bytes(), 0)
        .unwrap();
    assert!(asks_and_fetches(&b), "b fetches instead of waiting an hour");
}

#[test]
fn a_failed_fetch_gives_the_lease_back() {
    let (_host, a, b) = two_roots();
    assert!(matches!(fetch(&a, 503, t(0)), FetchEvent::Failed(_)));
    assert!(asks_and_fetches(&b), "the lease is free at once: b tries");
}

#[test]
fn a_root_that_goes_away_mid_fetch_gives_the_lease_back() {
    let (_host, a, b) = two_roots();
    let _ = a.credentials(1, t(0));
    assert!(a.poll(t(0)).is_some());
    a.abandon();
    assert!(
        asks_and_fetches(&b),
        "b need not wait for the lease to expire"
    );
}

#[test]
fn a_cas_mismatch_means_another_root_wrote_first() {
    let (host, s, entry, cas) = one_entry();
    // Another root writes between this root's read and its write.
    let (bytes, _) = host.get_shared_data(&entry_key()).unwrap();
    host.set_shared_data(&entry_key(), &bytes, cas).unwrap();
    let turn = s.decide(entry, cas, t(0), false, &|_| true);
    assert!(matches!(turn, Turn::Wait(w) if w == t(0) + WATCH));
    assert!(!s.leased.get());
    let (entry, cas) = s.read().unwrap();
    assert!(matches!(
        s.decide(entry, cas, t(0), false, &|_| true),
        Turn::Fetch
    ));
    assert!(s.leased.get());
}

#[test]
fn a_lease_taken_at_a_later_now_than_this_roots_is_honoured() {
    let (_host, a, b) = two_roots();
    // Each root reads the time once per callback: b's tick began just before
    // a (another worker) took the lease with its own, later, reading.
    let later = t(0) + Duration::from_millis(1);
    let _ = a.credentials(1, later);
    assert!(a.poll(later).is_some(), "a takes the lease");
    let _ = b.credentials(5, t(0));
    assert!(b.poll(t(0)).is_none(), "the lease is a's: b does not fetch");
    assert_eq!(b.counters().0, 0);
}

#[test]
fn a_write_that_keeps_meeting_other_writes_gives_up_with_a_warning() {
    let (host, s, entry, cas) = one_entry();
    assert!(matches!(
        s.decide(entry, cas, t(0), false, &|_| true),
        Turn::Fetch
    ));
    host.shared_data_contended.set(true);
    s.release();
    let logs = host.logs.borrow();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(
        logs[0].contains("changed under each of 16 writes"),
        "{logs:?}"
    );
    let (entry, _) = s.read().unwrap();
    assert!(
        entry.unwrap().lease.is_some_and(|l| l.owner == 1),
        "the lease stays until it expires"
    );
}
