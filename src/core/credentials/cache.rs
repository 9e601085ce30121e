//! The credentials cache shared by every stream of the VM: one fetch in
//! flight at most, refreshed ahead of expiry, with a back-off after failures.
//! With sharing on, a fetch that is due first looks at what the process's
//! other roots fetched (`shared.rs`). Deterministic on the `now` passed in
//! (and on the shared entry).

use crate::core::callout::CalloutRequest;
use crate::core::credentials::cache_state::{usable_at, Inner};
use crate::core::credentials::fetch::{Answer, Fetch};
use crate::core::credentials::shared::{SharedCredentials, Turn};
use crate::core::credentials::{Credentials, Lookup, Provider, StaticCredentials};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::time::SystemTime;

pub use crate::core::credentials::cache_state::FetchEvent;

/// The credentials cache shared by every stream of the VM (in the root context behind `Rc`).
pub struct CredentialCache {
    inner: RefCell<Inner>,
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
    pub fn on_answer(&self, answer: Answer<'_>) -> FetchEvent {
        let mut inner = self.inner.borrow_mut();
        let inner = &mut *inner;
        if inner.in_flight.is_none() {
            return FetchEvent::Ignored;
        }
        let Some(fetcher) = inner.fetcher.as_mut() else {
            return FetchEvent::Ignored;
        };
        let step = fetcher.on_answer(answer);
        inner.follow(step, answer.now)
    }

    /// The root is done (or replaced): the lease of its fetch in flight, if any, is given back.
    pub fn abandon(&self) {
        if let Some(shared) = &self.inner.borrow().shared {
            shared.release();
        }
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
