//! The state of the credentials cache and its rules: when credentials are
//! usable and due for refresh, the back-off after failures, and how a fetch
//! ends. `cache.rs` drives it.

use crate::core::callout::CalloutRequest;
use crate::core::credentials::fetch::{Fetch, Step};
use crate::core::credentials::shared::SharedCredentials;
use crate::core::credentials::Credentials;
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

pub(super) struct Held {
    pub(super) creds: Rc<Credentials>,
    /// When a refresh becomes due (None: never expires).
    pub(super) refresh_at: Option<SystemTime>,
}

pub(super) struct Inner {
    pub(super) fixed: Option<Rc<Credentials>>,
    pub(super) fetcher: Option<Box<dyn Fetch>>,
    pub(super) current: Option<Held>,
    /// A stream is waiting, or the first fetch has not run yet.
    pub(super) wanted: bool,
    /// The call in flight: when it is considered lost, and its cluster.
    pub(super) in_flight: Option<(SystemTime, String)>,
    pub(super) last_error: Option<String>,
    pub(super) failed_at: Option<SystemTime>,
    pub(super) consecutive_failures: u32,
    /// Every failure since the last success came while the held credentials
    /// were still usable (refreshes): the back-off then ends when they expire.
    pub(super) failing_refresh: bool,
    pub(super) waiters: Vec<u32>,
    pub(super) woken: Vec<u32>,
    pub(super) counters: (u64, u64, u64),
    /// The entry shared with the other roots of the process that have the same settings.
    pub(super) shared: Option<SharedCredentials>,
    /// Another root holds the lease of the shared entry: when to look again.
    pub(super) watch_at: Option<SystemTime>,
    /// A stream's lookup adopted shared credentials: the timer is to be armed for their refresh.
    pub(super) adopted: bool,
}

/// Credentials that do not expire within [`EXPIRY_SKEW`] of `now`.
pub(super) fn usable_at(creds: &Credentials, now: SystemTime) -> bool {
    creds.expiration.is_none_or(|e| now + EXPIRY_SKEW < e)
}

impl Inner {
    pub(super) fn usable(&self, now: SystemTime) -> Option<&Held> {
        self.current.as_ref().filter(|h| usable_at(&h.creds, now))
    }

    /// New credentials, fetched or adopted from the shared entry: the waiters are woken.
    pub(super) fn hold(&mut self, creds: Credentials, refresh_at: Option<SystemTime>) {
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

    pub(super) fn backoff(&self) -> Duration {
        let exp = self.consecutive_failures.saturating_sub(1).min(5);
        (FIRST_BACKOFF * 2u32.pow(exp)).min(MAX_BACKOFF)
    }

    /// Time left before a new fetch may start after a failure. Failed
    /// refreshes never hold it past the expiry of the credentials still held:
    /// from then on, streams wait for a fetch, not for the back-off.
    pub(super) fn backoff_left(&self, now: SystemTime) -> Option<Duration> {
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
    pub(super) fn follow(&mut self, step: Step, now: SystemTime) -> FetchEvent {
        match step {
            Step::Call(req) => {
                self.in_flight = Some((now + req.timeout + LOST_MARGIN, req.cluster.clone()));
                FetchEvent::Next(req)
            }
            Step::Done(result) => self.finish(result, now),
        }
    }

    pub(super) fn finish(
        &mut self,
        result: Result<Credentials, String>,
        now: SystemTime,
    ) -> FetchEvent {
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
