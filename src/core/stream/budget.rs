//! The per-VM budget for bytes that streams hold in the VM's linear memory
//! (request and response bodies, payloads kept for retries, Lambda answers).
//!
//! V8 caps a VM's memory at about 1 GiB and a failed allocation traps the
//! whole VM, so a stream asks the budget *before* it copies a body in: when
//! the bytes would pass the limit, that stream is answered 503 and every
//! other stream carries on.

use std::cell::Cell;
use std::rc::Rc;

/// Shared by every stream of a VM.
#[derive(Debug)]
pub struct Budget {
    limit: Cell<usize>,
    used: Cell<usize>,
    peak: Cell<usize>,
}

impl Budget {
    pub fn new(limit: usize) -> Self {
        Budget {
            limit: Cell::new(limit),
            used: Cell::new(0),
            peak: Cell::new(0),
        }
    }

    /// A new configuration sets the limit; bytes already held stay counted.
    pub fn set_limit(&self, limit: usize) {
        self.limit.set(limit);
    }

    pub fn limit(&self) -> usize {
        self.limit.get()
    }

    /// Bytes held by streams now.
    pub fn used(&self) -> usize {
        self.used.get()
    }

    /// The most bytes held at once since the VM started.
    #[cfg(any(test, feature = "testing"))]
    pub fn peak(&self) -> usize {
        self.peak.get()
    }

    fn take(&self, bytes: usize) -> bool {
        let Some(used) = self.used.get().checked_add(bytes) else {
            return false;
        };
        if used > self.limit.get() {
            return false;
        }
        self.used.set(used);
        self.peak.set(self.peak.get().max(used));
        true
    }

    fn give_back(&self, bytes: usize) {
        self.used.set(self.used.get().saturating_sub(bytes));
    }
}

/// What one stream holds of the budget; given back when dropped.
#[derive(Debug)]
pub struct Held {
    budget: Rc<Budget>,
    bytes: usize,
}

impl Held {
    pub fn new(budget: Rc<Budget>) -> Self {
        Held { budget, bytes: 0 }
    }

    /// Takes `bytes` more, or nothing and false when they would pass the limit.
    pub fn grow(&mut self, bytes: usize) -> bool {
        if !self.budget.take(bytes) {
            return false;
        }
        self.bytes += bytes;
        true
    }

    /// Gives back `bytes` (at most what is held).
    pub fn shrink(&mut self, bytes: usize) {
        let bytes = bytes.min(self.bytes);
        self.budget.give_back(bytes);
        self.bytes -= bytes;
    }

    /// Gives everything back.
    pub fn release(&mut self) {
        self.shrink(self.bytes);
    }

    #[cfg(any(test, feature = "testing"))]
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn budget(&self) -> &Budget {
        &self.budget
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.release();
    }
}

/// A vector of `len` bytes reserved fallibly: None instead of an abort when
/// the VM cannot grow.
pub fn try_vec(len: usize) -> Option<Vec<u8>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).ok()?;
    Some(v)
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
