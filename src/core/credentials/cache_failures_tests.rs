//! Failed fetches: the error streams get, the back-off before the next
//! fetch, failed refreshes, lost calls and calls that cannot be sent.

use super::*;

#[test]
fn failure_wakes_waiters_with_the_error_then_retries_after_backoff() {
    let (c, _) = asked(3600);
    assert!(c.poll(t(0)).is_some());
    assert!(answer(&c, Some(403), t(0)).is_none());
    assert_eq!(c.take_woken(), vec![1]);
    assert_eq!(
        failed(c.credentials(1, t(0))),
        "STS AssumeRole failed: Status Code: 403; Error Code: AccessDenied; retrying in 1 s"
    );
    assert!(c.poll(t(0)).is_none());
    assert!(
        c.poll(t(5)).is_none(),
        "after a failure, a request starts the next fetch"
    );
    assert!(is_pending(c.credentials(2, t(5))));
    assert!(c.poll(t(5)).is_some());
    assert!(answer(&c, Some(200), t(5)).is_none());
    assert_eq!(c.take_woken(), vec![2]);
    assert_eq!(c.counters(), (2, 1, 1));
}

#[test]
fn backoff_doubles_to_30_s_and_resets_on_success() {
    let (c, _) = cache(1, 3600);
    let mut now = t(0);
    for wait in [1, 2, 4, 8, 16, 30, 30] {
        assert!(is_pending(c.credentials(1, now)));
        assert!(c.poll(now).is_some());
        assert!(answer(&c, None, now).is_none());
        let e = failed(c.credentials(1, now));
        assert_eq!(
            e,
            format!("STS unreachable through cluster sts; retrying in {wait} s")
        );
        let almost = now + Duration::from_secs(wait) - Duration::from_millis(1);
        assert!(failed(c.credentials(1, almost)).ends_with("retrying in 1 s"));
        assert!(c.poll(almost).is_none());
        now += Duration::from_secs(wait);
    }
    assert!(is_pending(c.credentials(1, now)));
    succeed(&c, now);
    // Expired later, and STS fails again: back to 1 s.
    now += Duration::from_secs(3600);
    assert!(is_pending(c.credentials(1, now)));
    assert!(c.poll(now).is_some());
    let _ = answer(&c, Some(500), now);
    assert!(failed(c.credentials(1, now)).ends_with("retrying in 1 s"));
}

#[test]
fn failed_refresh_keeps_serving_and_retries_with_backoff() {
    let (c, _) = asked(3600);
    succeed(&c, t(0));
    assert!(c.poll(t(3300)).is_some());
    let _ = answer(&c, Some(403), t(3300));
    assert!(ready(c.credentials(1, t(3300))).expiration == Some(t(3600)));
    assert!(c.poll(t(3300)).is_none());
    assert!(c.poll(t(3301)).is_some(), "retried after 1 s");
    let _ = answer(&c, Some(403), t(3301));
    assert!(c.poll(t(3302)).is_none());
    assert!(c.poll(t(3303)).is_some(), "then after 2 s");
    // Expired while STS is down: streams get the error during the back-off.
    let _ = answer(&c, Some(403), t(3596));
    assert!(failed(c.credentials(1, t(3597))).contains("Error Code: AccessDenied; retrying in 3 s"));
}

#[test]
fn failed_refreshes_never_hold_the_backoff_past_expiry() {
    let (c, _) = asked(3600);
    succeed(&c, t(0));
    assert_eq!(c.take_woken(), vec![1]);
    // STS fails at every refresh attempt: 1, 2, 4, 8, 16, then 30 s apart.
    let mut at = 3300;
    while at < 3595 {
        assert!(c.poll(t(at)).is_some(), "refresh attempt at {at}");
        let _ = answer(&c, Some(503), t(at));
        assert!(ready(c.credentials(1, t(at))).expiration == Some(t(3600)));
        let next = c.next_poll_at(t(at)).unwrap();
        at = next.duration_since(t(0)).unwrap().as_secs();
    }
    assert_eq!(
        at, 3595,
        "the last wait ends when the held keys stop being usable"
    );
    // STS is back: the first stream after expiry waits for a fetch, it is not failed.
    assert!(is_pending(c.credentials(1, t(3595))));
    assert!(c.poll(t(3595)).is_some());
    assert!(answer(&c, Some(200), t(3595)).is_none());
    assert_eq!(c.take_woken(), vec![1]);
    assert!(ready(c.credentials(1, t(3596))).expiration == Some(t(7195)));
}

#[test]
fn lost_fetch_fails_and_is_restarted() {
    let (c, starts) = asked(3600);
    assert!(c.poll(t(0)).is_some());
    assert!(c.poll(t(9)).is_none(), "still within timeout + margin");
    assert!(c.poll(t(10)).is_none(), "lost, then back-off");
    assert_eq!(c.take_woken(), vec![1]);
    assert!(failed(c.credentials(1, t(10))).contains("cluster sts"));
    assert!(is_pending(c.credentials(1, t(11))));
    assert!(c.poll(t(11)).is_some());
    assert_eq!((starts.get(), c.counters()), (2, (2, 0, 1)));
}

#[test]
fn dispatch_error_fails_the_fetch() {
    let (c, _) = cache(1, 3600);
    assert!(is_pending(c.credentials(4, t(0))));
    assert!(c.poll(t(0)).is_some());
    c.on_dispatch_error("dispatch to cluster sts failed: BadArgument", t(0));
    assert_eq!(c.take_woken(), vec![4]);
    assert_eq!(
        failed(c.credentials(4, t(0))),
        "dispatch to cluster sts failed: BadArgument; retrying in 1 s"
    );
    c.on_dispatch_error("again", t(0));
    assert_eq!(c.counters(), (1, 0, 1), "nothing in flight: ignored");
}
