//! The root's one timer, as the waiters drive it: set for the moment the
//! earliest waiting thing is due, in whole milliseconds, and told to the
//! proxy only when its period changes.

use crate::core::host::Host;
use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

/// The proxy's timer counts whole milliseconds; a shorter wait would stop it.
const MIN_TIMER: Duration = Duration::from_millis(1);

/// The timer period that fires at `at`, rounded up to whole milliseconds.
fn after(at: SystemTime, now: SystemTime) -> Duration {
    let wait = at.duration_since(now).unwrap_or_default();
    // In 64 bits: whole seconds, then the nanoseconds rounded up (the same as rounding up the
    // total), without a 128-bit division.
    let ms = wait
        .as_secs()
        .saturating_mul(1000)
        .saturating_add(u64::from(wait.subsec_nanos().div_ceil(1_000_000)));
    Duration::from_millis(ms).max(MIN_TIMER)
}

pub(super) struct Timer {
    host: Rc<dyn Host>,
    /// The period the proxy's timer is set to (it fires again and again at
    /// that period until changed; None: stopped)…
    period: Cell<Option<Duration>>,
    /// …and when it fires next, at the latest.
    armed: Cell<Option<SystemTime>>,
}

impl Timer {
    pub(super) fn new(host: Rc<dyn Host>) -> Self {
        Timer {
            host,
            period: Cell::new(None),
            armed: Cell::new(None),
        }
    }

    /// When the timer will fire next, if it is armed.
    #[cfg(any(test, feature = "testing"))]
    pub(super) fn armed(&self) -> Option<SystemTime> {
        self.armed.get()
    }

    /// The timer fired at `now`: it fires again one period later unless set
    /// otherwise.
    pub(super) fn fired(&self, now: SystemTime) {
        self.armed.set(self.period.get().map(|p| now + p));
    }

    /// The timer fired, so it runs, whatever it was last set to.
    pub(super) fn runs(&self) {
        self.period.set(self.period.get().or(Some(Duration::ZERO)));
    }

    /// Sets the timer to fire at `at` (None: stops it).
    pub(super) fn set_at(&self, at: Option<SystemTime>, now: SystemTime) {
        self.set(at.map(|at| after(at, now)), now);
    }

    /// Arms the timer for `at` unless it already fires sooner.
    pub(super) fn arm(&self, at: SystemTime, now: SystemTime) {
        if self.armed.get().is_some_and(|armed| armed <= at) {
            return;
        }
        self.set(Some(after(at, now)), now);
    }

    fn set(&self, period: Option<Duration>, now: SystemTime) {
        if self.period.get() != period {
            self.host.set_timer(period);
            self.period.set(period);
        }
        self.armed.set(period.map(|p| now + p));
    }

    /// Stops the timer whatever it was set to: when the root context is done,
    /// a timer left set would keep firing for as long as the VM lives.
    pub(super) fn stop(&self) {
        self.host.set_timer(None);
        self.period.set(None);
        self.armed.set(None);
    }
}

#[cfg(test)]
#[path = "timer_tests.rs"]
mod tests;
