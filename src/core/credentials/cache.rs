//! The credentials cache shared by every stream of the VM: one fetch in
//! flight at most, refreshed ahead of expiry, with a back-off after failures.
//! Deterministic on the `now` passed in.

use crate::core::callout::CalloutRequest;
use crate::core::credentials::fetch::{Fetch, Step};
use crate::core::credentials::shared::{SharedCredentials, Turn};
use crate::core::credentials::{Credentials, Lookup, Provider, StaticCredentials};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

/// Credentials are refreshed this long before they expire…
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// …or, for short-lived ones, when this fraction (1/N) of their lifetime is left.
const SHORT_LIFETIME_DIVISOR: u32 = 4;
/// Credentials that expire within this are not handed out any more.
pub const EXPIRY_SKEW: Duration = Duration::from_secs(5);
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A call with no answer after its timeout plus this is considered lost.
pub const LOST_MARGIN: Duration = Duration::from_secs(5);

struct Held {
    creds: Rc<Credentials>,
    /// When a refresh becomes due (None: never expires).
    refresh_at: Option<SystemTime>,
}

struct Inner {
    fixed: Option<Rc<Credentials>>,
    fetcher: Option<Box<dyn Fetch>>,
    current: Option<Held>,
    /// A stream is waiting, or the first fetch has not run yet.
    wanted: bool,
    /// The call in flight: when it is considered lost, and its cluster.
    in_flight: Option<(SystemTime, String)>,
    last_error: Option<String>,
    failed_at: Option<SystemTime>,
    consecutive_failures: u32,
    /// Every failure since the last success came while the held credentials
    /// were still usable (refreshes): the back-off then ends when they expire.
    failing_refresh: bool,
    waiters: Vec<u32>,
    woken: Vec<u32>,
    counters: (u64, u64, u64),
    /// The entry shared with the other roots of the process that have the same settings.
    shared: Option<SharedCredentials>,
    /// Another root holds the lease of the shared entry: when to look again.
    watch_at: Option<SystemTime>,
    /// A stream's lookup adopted shared credentials: the timer is to be armed for their refresh.
    adopted: bool,
}

/// The credentials cache shared by every stream of the VM (in the root context behind `Rc`).
pub struct CredentialCache {
    inner: RefCell<Inner>,
}

/// Credentials that do not expire within [`EXPIRY_SKEW`] of `now`.
fn usable_at(creds: &Credentials, now: SystemTime) -> bool {
    creds.expiration.is_none_or(|e| now + EXPIRY_SKEW < e)
}

impl Inner {
    fn usable(&self, now: SystemTime) -> Option<&Held> {
        self.current.as_ref().filter(|h| usable_at(&h.creds, now))
    }

    /// New credentials, fetched or adopted from the shared entry: the waiters are woken.
    fn hold(&mut self, creds: Credentials, refresh_at: Option<SystemTime>) {
        self.current = Some(Held {
            creds: Rc::new(creds),
            refresh_at,
        });
        self.consecutive_failures = 0;
        self.failed_at = None;
        self.last_error = None;
        self.failing_refresh = false;
        self.wanted = false;
        self.watch_at = None;
        let waiters = std::mem::take(&mut self.waiters);
        self.woken.extend(waiters);
    }

    fn backoff(&self) -> Duration {
        let exp = self.consecutive_failures.saturating_sub(1).min(5);
        (FIRST_BACKOFF * 2u32.pow(exp)).min(MAX_BACKOFF)
    }

    /// Time left before a new fetch may start after a failure. Failed
    /// refreshes never hold it past the expiry of the credentials still held:
    /// from then on, streams wait for a fetch, not for the back-off.
    fn backoff_left(&self, now: SystemTime) -> Option<Duration> {
        let mut until = self.failed_at? + self.backoff();
        if self.failing_refresh {
            let expires = self.current.as_ref().and_then(|h| h.creds.expiration);
            if let Some(unusable) = expires.and_then(|e| e.checked_sub(EXPIRY_SKEW)) {
                until = until.min(unusable);
            }
        }
        let left = until.duration_since(now).ok().filter(|d| !d.is_zero())?;
        // A clock that went back must not stretch the wait.
        Some(left.min(self.backoff()))
    }

    /// Follows one step of the fetcher: the next call to send, or how the fetch ended.
    fn follow(&mut self, step: Step, now: SystemTime) -> FetchEvent {
        match step {
            Step::Call(req) => {
                self.in_flight = Some((now + req.timeout + LOST_MARGIN, req.cluster.clone()));
                FetchEvent::Next(req)
            }
            Step::Done(result) => self.finish(result, now),
        }
    }

    fn finish(&mut self, result: Result<Credentials, String>, now: SystemTime) -> FetchEvent {
        self.in_flight = None;
        let result = result.and_then(|c| match c.expiration {
            Some(exp) if exp <= now + EXPIRY_SKEW => {
                Err("the credentials received are already expired (check the clock)".to_string())
            }
            _ => Ok(c),
        });
        let event = match result {
            Ok(creds) => {
                let refresh_at = creds.expiration.map(|exp| {
                    let life = exp.duration_since(now).unwrap_or_default();
                    let margin = REFRESH_MARGIN.min(life / SHORT_LIFETIME_DIVISOR);
                    exp.checked_sub(margin).unwrap_or(exp)
                });
                if let Some(shared) = &self.shared {
                    shared.publish(&creds, refresh_at);
                }
                self.hold(creds, refresh_at);
                self.counters.1 += 1;
                FetchEvent::Fetched
            }
            Err(e) => {
                if let Some(shared) = &self.shared {
                    shared.release();
                }
                self.counters.2 += 1;
                let refreshing = self.usable(now).is_some();
                self.failing_refresh =
                    refreshing && (self.consecutive_failures == 0 || self.failing_refresh);
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                self.failed_at = Some(now);
                self.last_error = Some(e.clone());
                FetchEvent::Failed(e)
            }
        };
        self.wanted = false;
        let waiters = std::mem::take(&mut self.waiters);
        self.woken.extend(waiters);
        event
    }
}

/// What became of a credentials fetch after one of its calls.
#[derive(Debug)]
pub enum FetchEvent {
    /// Send this call next (a multi-step fetch, or the first call of one).
    Next(CalloutRequest),
    /// New credentials are held; the waiting streams are to be woken.
    Fetched,
    /// The fetch failed (the reason, with no secret); waiting streams are woken to fail.
    Failed(String),
    /// Nothing was in flight: the answer is not the cache's.
    Ignored,
}

impl FetchEvent {
    /// The call to send next, if any.
    pub fn next_call(self) -> Option<CalloutRequest> {
        match self {
            FetchEvent::Next(req) => Some(req),
            _ => None,
        }
    }
}

impl CredentialCache {
    /// `fixed` is what streams get when there is no `fetcher` (static or environment
    /// keys without a role); with a fetcher, the first fetch starts when a stream
    /// first asks. Envoy runs a root context on its main thread too, which never
    /// serves a stream: an eager fetch there would be one STS call wasted per VM.
    pub fn new(fixed: Option<Rc<Credentials>>, fetcher: Option<Box<dyn Fetch>>) -> Self {
        CredentialCache {
            inner: RefCell::new(Inner {
                fixed,
                fetcher,
                current: None,
                wanted: false,
                in_flight: None,
                last_error: None,
                failed_at: None,
                consecutive_failures: 0,
                failing_refresh: false,
                waiters: Vec::new(),
                woken: Vec::new(),
                counters: (0, 0, 0),
                shared: None,
                watch_at: None,
                adopted: false,
            }),
        }
    }

    /// Shares the fetched credentials with the other roots of the process
    /// that have the same settings (see `shared.rs`).
    pub fn with_shared(self, shared: SharedCredentials) -> Self {
        shared.ensure();
        self.inner.borrow_mut().shared = Some(shared);
        self
    }

    /// Root's timer asks: is there a call to send now? (first fetch wanted, refresh due
    /// ahead of expiry, retry after back-off). Returns the first call of a new fetch and
    /// marks it in flight; the glue remembers the token of the dispatch itself.
    pub fn poll(&self, now: SystemTime) -> Option<CalloutRequest> {
        let mut inner = self.inner.borrow_mut();
        let inner = &mut *inner;
        inner.fetcher.as_ref()?;
        if let Some((deadline, cluster)) = &inner.in_flight {
            if now < *deadline {
                return None;
            }
            // Lost (a cancelled callout is never answered): the fetch fails, waiters are
            // told, and the usual rules (back-off) decide when the next one starts.
            let lost = format!(
                "no answer from cluster {cluster} to the credentials fetch: considered lost"
            );
            // The waiters woken here are taken by the next `take_woken`.
            let _ = inner.finish(Err(lost), now);
        }
        let due = match inner.usable(now) {
            Some(held) => held.refresh_at.is_some_and(|r| now >= r),
            None => inner.wanted,
        };
        if !due || inner.backoff_left(now).is_some() {
            return None;
        }
        if let Some(shared) = &inner.shared {
            let holding = inner.usable(now).is_some();
            match shared.take_turn(now, holding, &|c| usable_at(c, now)) {
                Turn::Adopt(creds, refresh_at) => {
                    inner.hold(creds, refresh_at);
                    return None;
                }
                Turn::Wait(at) => {
                    inner.watch_at = Some(at);
                    return None;
                }
                Turn::Fetch => inner.watch_at = None,
            }
        }
        inner.counters.0 += 1;
        inner.wanted = false;
        let step = inner.fetcher.as_mut()?.start(now);
        inner.follow(step, now).next_call()
    }

    /// When the root's timer must next call [`poll`](Self::poll): the loss
    /// deadline of a call in flight, the refresh ahead of expiry, or the end of
    /// a back-off while a stream waits. None: nothing to do until a stream asks.
    pub fn next_poll_at(&self, now: SystemTime) -> Option<SystemTime> {
        let inner = self.inner.borrow();
        inner.fetcher.as_ref()?;
        if let Some((deadline, _)) = &inner.in_flight {
            return Some(*deadline);
        }
        let due = match inner.usable(now) {
            Some(held) => held.refresh_at?,
            None if inner.wanted => now,
            None => return None,
        };
        let due = match inner.backoff_left(now) {
            Some(left) => due.max(now + left),
            None => due,
        };
        // Waiting for another root's fetch: the next look, not at once.
        Some(inner.watch_at.map_or(due, |at| due.max(at)))
    }

    /// The answer to the call `poll`/`on_answer` sent: the next call of a
    /// multi-step fetch, or how the fetch ended.
    pub fn on_answer(
        &self,
        status: Option<u16>,
        headers: &[(String, String)],
        body: &[u8],
        now: SystemTime,
    ) -> FetchEvent {
        let mut inner = self.inner.borrow_mut();
        let inner = &mut *inner;
        if inner.in_flight.is_none() {
            return FetchEvent::Ignored;
        }
        let Some(fetcher) = inner.fetcher.as_mut() else {
            return FetchEvent::Ignored;
        };
        let step = fetcher.on_answer(status, headers, body, now);
        inner.follow(step, now)
    }

    /// Whether a stream's lookup adopted shared credentials since the last call.
    pub fn take_adopted(&self) -> bool {
        std::mem::take(&mut self.inner.borrow_mut().adopted)
    }

    /// Streams to wake (their ids) because the fetch ended (success or failure); drains the waiters.
    pub fn take_woken(&self) -> Vec<u32> {
        std::mem::take(&mut self.inner.borrow_mut().woken)
    }

    /// The dispatch of a call failed at once (unknown cluster…): the fetch fails with this reason.
    pub fn on_dispatch_error(&self, reason: &str, now: SystemTime) -> FetchEvent {
        let mut inner = self.inner.borrow_mut();
        if inner.in_flight.is_none() {
            return FetchEvent::Ignored;
        }
        inner.finish(Err(reason.to_string()), now)
    }

    /// (fetches started, successes, failures).
    #[cfg(test)]
    pub fn counters(&self) -> (u64, u64, u64) {
        self.inner.borrow().counters
    }
}

impl Provider for CredentialCache {
    fn credentials(&self, stream_id: u32, now: SystemTime) -> Lookup {
        let mut inner = self.inner.borrow_mut();
        if inner.fetcher.is_none() {
            return StaticCredentials(inner.fixed.clone()).credentials(stream_id, now);
        }
        if let Some(held) = inner.usable(now) {
            // Inside the refresh margin the next poll starts a refresh; nobody waits.
            return Lookup::Ready(held.creds.clone());
        }
        // Credentials another root published; streams already waiting are woken by the poll.
        let offer = match (&inner.shared, &inner.in_flight) {
            (Some(shared), None) if inner.waiters.is_empty() => {
                shared.offer(&|c| usable_at(c, now))
            }
            _ => None,
        };
        if let Some((creds, refresh_at)) = offer {
            inner.hold(creds, refresh_at);
            inner.adopted = true;
            if let Some(held) = &inner.current {
                return Lookup::Ready(held.creds.clone());
            }
        }
        if inner.in_flight.is_none() {
            if let Some(left) = inner.backoff_left(now) {
                let err = inner
                    .last_error
                    .as_deref()
                    .unwrap_or("fetching AWS credentials failed");
                let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                return Lookup::Failed(format!("{err}; retrying in {secs} s"));
            }
            inner.wanted = true;
        }
        if !inner.waiters.contains(&stream_id) {
            inner.waiters.push(stream_id);
        }
        Lookup::Pending
    }
}

impl fmt::Debug for CredentialCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Ok(inner) = self.inner.try_borrow() else {
            return f.write_str("CredentialCache { <in use> }");
        };
        f.debug_struct("CredentialCache")
            .field("fixed", &inner.fixed)
            .field("fetcher", &inner.fetcher)
            .field(
                "current",
                &inner.current.as_ref().map(|h| (&h.creds, h.refresh_at)),
            )
            .field("wanted", &inner.wanted)
            .field("in_flight", &inner.in_flight)
            .field("last_error", &inner.last_error)
            .field("consecutive_failures", &inner.consecutive_failures)
            .field("waiters", &inner.waiters)
            .field("counters", &inner.counters)
            .field("shared", &inner.shared)
            .finish()
    }
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
