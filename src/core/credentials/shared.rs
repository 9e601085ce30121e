//! Credentials shared by the root contexts of one proxy process through its
//! shared data (in Envoy: one map per `vm_id`, seen by every VM with that
//! `vm_id`), so that the roots with the same credential settings fetch once.
//!
//! One entry per fingerprint of the settings: the credentials last fetched
//! (with their expiry and when to refresh them) and a short lease. A root
//! whose fetch is due adopts usable credentials from the entry; otherwise it
//! takes the lease with compare-and-swap and fetches, then publishes what it
//! got (or, after a failure, gives the lease back). A root that finds the
//! lease taken waits and looks again shortly, until the credentials appear or
//! the lease expires. The entry and its encoding: `shared_entry.rs`.

use crate::core::credentials::shared_entry::{from_ms, Entry, Lease, Wire};
use crate::core::host::{Host, LogLevel, SharedDataError};
use crate::core::secret::Credentials;
use crate::core::time::unix_millis;
use std::cell::Cell;
use std::fmt;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

/// How long a lease holds: one call's timeout (STS: 5 s) plus the margin after
/// which it is considered lost. A root that vanished mid-fetch delays the
/// others by this much at most; a fetch that outlives it costs one more fetch.
pub const LEASE: Duration = Duration::from_secs(10);
/// While another root holds the lease, a root with a fetch due looks again this often.
pub const WATCH: Duration = Duration::from_millis(25);
/// How much later than this root's `now` another root's may be: each root
/// reads the time once per callback, and another worker may take the lease
/// while this root's callback runs.
const CLOCK_SLACK: Duration = Duration::from_secs(1);
/// Read-modify-write attempts when other roots keep writing in between.
const WRITE_TRIES: u32 = 16;
/// The format's version is in the key: VMs of another build with the same `vm_id` never read it.
const KEY_PREFIX: &str = "aws_lambda.credentials.v1.";

/// What a root whose fetch is due does.
pub enum Turn {
    /// Take these credentials (and when they are due for refresh): no fetch.
    Adopt(Credentials, Option<SystemTime>),
    /// Another root is fetching: look again at this time.
    Wait(SystemTime),
    /// Fetch: this root holds the lease (or nothing can be shared).
    Fetch,
}

/// The shared entry of one root's credential settings.
pub struct SharedCredentials {
    host: Rc<dyn Host>,
    key: String,
    fingerprint: String,
    /// Tells this root's lease from another's.
    owner: u64,
    /// This root took the lease for the fetch in flight.
    leased: Cell<bool>,
}

impl SharedCredentials {
    /// `fingerprint` from [`fingerprint`](super::fingerprint::fingerprint); `owner` must differ between
    /// the roots of the process (the glue draws it from the VM's random keys).
    pub fn new(host: Rc<dyn Host>, fingerprint: String, owner: u64) -> Self {
        SharedCredentials {
            host,
            key: format!("{KEY_PREFIX}{fingerprint}"),
            fingerprint,
            owner,
            leased: Cell::new(false),
        }
    }

    /// Creates the entry if there is none. Done at configuration, before the
    /// root serves a stream: the leases then always go through a CAS (Envoy's
    /// CAS does not guard the creation of a key).
    pub fn ensure(&self) {
        if self.host.get_shared_data(&self.key).is_none() {
            let _ = self.write(&self.empty(), 0);
        }
    }

    /// Usable credentials in the entry (`usable` judges them), for a root that holds none.
    pub fn offer(
        &self,
        usable: &dyn Fn(&Credentials) -> bool,
    ) -> Option<(Credentials, Option<SystemTime>)> {
        let (entry, _) = self.read()?;
        offered(entry.as_ref()?, usable)
    }

    /// A fetch is due (`holding`: this root still has usable credentials):
    /// adopt the entry's, wait for the root that holds the lease, or take it.
    pub fn take_turn(
        &self,
        now: SystemTime,
        holding: bool,
        usable: &dyn Fn(&Credentials) -> bool,
    ) -> Turn {
        let (entry, cas) = self.read().unwrap_or((None, 0));
        self.decide(entry, cas, now, holding, usable)
    }

    /// [`take_turn`](Self::take_turn) on the entry read with CAS `cas`.
    fn decide(
        &self,
        entry: Option<Entry>,
        cas: u32,
        now: SystemTime,
        holding: bool,
        usable: &dyn Fn(&Credentials) -> bool,
    ) -> Turn {
        if let Some((creds, refresh)) = entry.as_ref().and_then(|e| offered(e, usable)) {
            if !holding || refresh.is_none_or(|r| now < r) {
                return Turn::Adopt(creds, refresh);
            }
        }
        // A lease longer than any root takes is not one (another clock, a forged entry).
        let (now_ms, longest) = (unix_millis(now), unix_millis(now + LEASE + CLOCK_SLACK));
        let taken = entry
            .as_ref()
            .and_then(|e| e.lease)
            .filter(|l| l.owner != self.owner && now_ms < l.until_ms && l.until_ms <= longest);
        if let Some(lease) = taken {
            let until = from_ms(lease.until_ms).unwrap_or(now);
            return Turn::Wait((now + WATCH).min(until));
        }
        let mut next = entry.unwrap_or_else(|| self.empty());
        next.lease = Some(Lease {
            owner: self.owner,
            until_ms: unix_millis(now + LEASE),
        });
        match self.write(&next, cas) {
            Ok(()) => {
                self.leased.set(true);
                Turn::Fetch
            }
            Err(SharedDataError::CasMismatch) => Turn::Wait(now + WATCH),
            // No shared data: this root fetches on its own.
            Err(SharedDataError::Failed(_)) => Turn::Fetch,
        }
    }

    /// A fetch succeeded: the entry gets these credentials (unless it holds
    /// some that last longer) and this root's lease is given back.
    pub fn publish(&self, creds: &Credentials, refresh_at: Option<SystemTime>) {
        self.leased.set(false);
        let last = |exp: Option<u64>| exp.unwrap_or(u64::MAX);
        let ours = last(creds.expiration.map(unix_millis));
        self.update(|entry| {
            let keep = entry.creds.as_ref().and_then(|w| w.read().map(|_| w));
            if keep.is_none_or(|w| last(w.expires_ms) <= ours) {
                entry.creds = Some(Wire::of(creds, refresh_at));
            }
            true
        });
    }

    /// A fetch failed: the lease goes back, so another root may try at once.
    pub fn release(&self) {
        if self.leased.replace(false) {
            self.update(|_| false);
        }
    }

    /// Read-modify-write of the entry: `change` edits it (true: write it even
    /// if this root holds no lease in it); this root's lease is removed.
    fn update(&self, change: impl Fn(&mut Entry) -> bool) {
        for _ in 0..WRITE_TRIES {
            let (entry, cas) = self.read().unwrap_or((None, 0));
            let mut entry = entry.unwrap_or_else(|| self.empty());
            let ours = entry.lease.is_some_and(|l| l.owner == self.owner);
            if ours {
                entry.lease = None;
            }
            if !change(&mut entry) && !ours {
                return;
            }
            match self.write(&entry, cas) {
                Err(SharedDataError::CasMismatch) => continue,
                _ => return,
            }
        }
        // Every try met another root's write: this root's lease (if any) stays until it
        // expires, and the roots waiting on it fetch then.
        self.host.log(
            LogLevel::Warn,
            &format!(
                "aws-lambda: the shared credentials entry changed under each of {WRITE_TRIES} writes: not updated"
            ),
        );
    }

    fn empty(&self) -> Entry {
        Entry {
            fp: self.fingerprint.clone(),
            lease: None,
            creds: None,
        }
    }

    /// The entry and its CAS: None when absent; `(None, cas)` when it cannot
    /// be read (corrupt, too large, another fingerprint): it is then overwritten.
    fn read(&self) -> Option<(Option<Entry>, u32)> {
        let (bytes, cas) = self.host.get_shared_data(&self.key)?;
        let entry = Entry::decode(&bytes).filter(|e| e.fp == self.fingerprint);
        Some((entry, cas))
    }

    fn write(&self, entry: &Entry, cas: u32) -> Result<(), SharedDataError> {
        let bytes = entry.encode().ok_or_else(|| {
            SharedDataError::Failed("a line break in a credentials field".to_string())
        })?;
        self.host.set_shared_data(&self.key, &bytes, cas)
    }
}

/// The entry's credentials, if they can be read and `usable` accepts them.
fn offered(
    entry: &Entry,
    usable: &dyn Fn(&Credentials) -> bool,
) -> Option<(Credentials, Option<SystemTime>)> {
    entry
        .creds
        .as_ref()
        .and_then(Wire::read)
        .filter(|(c, _)| usable(c))
}

impl fmt::Debug for SharedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedCredentials")
            .field("key", &self.key)
            .field("owner", &self.owner)
            .field("leased", &self.leased.get())
            .finish()
    }
}

#[cfg(test)]
#[path = "shared_tests.rs"]
mod tests;
