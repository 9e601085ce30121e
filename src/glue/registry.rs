//! Streams that the root context must reach: the ones waiting for
//! credentials or for a retry, and the Lambda calls those streams sent from
//! inside a root callback (the SDK then routes the answer to the root, which
//! forwards it).

use crate::core::stream::Stream;
use proxy_wasm::hostcalls;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use std::time::SystemTime;

#[derive(Default)]
pub struct Registry {
    streams: RefCell<HashMap<u32, Weak<RefCell<Stream>>>>,
    /// Callout token → stream id, for calls dispatched while the root was active.
    forwarded: RefCell<HashMap<u32, u32>>,
    /// Streams waiting for a retry, with when it is due.
    retries: RefCell<Vec<(u32, SystemTime)>>,
}

impl Registry {
    pub fn add(&self, id: u32, stream: &Rc<RefCell<Stream>>) {
        self.streams.borrow_mut().insert(id, Rc::downgrade(stream));
    }

    pub fn remove(&self, id: u32) {
        self.streams.borrow_mut().remove(&id);
        self.forwarded.borrow_mut().retain(|_, s| *s != id);
        self.retries.borrow_mut().retain(|(s, _)| *s != id);
    }

    /// Remembers a stream that waits for a retry (after each of its answers).
    pub fn after_answer(&self, id: u32, stream: &Stream) {
        if let Some(due) = stream.retry_due() {
            self.retries.borrow_mut().push((id, due));
        }
    }

    /// The root's timer: sends the retries that are due.
    pub fn fire_due(&self, now: SystemTime) {
        let (due, later): (Vec<_>, Vec<_>) = self
            .retries
            .take()
            .into_iter()
            .partition(|(_, d)| *d <= now);
        *self.retries.borrow_mut() = later;
        for (id, _) in due {
            self.run(id, |s| s.on_retry_due(now));
        }
    }

    /// Runs `f` on stream `id` as the current context, then follows up on
    /// what it started: a Lambda call (answered to the root) or a retry.
    fn run(&self, id: u32, f: impl FnOnce(&mut Stream)) {
        let Some(stream) = self.get(id) else { return };
        if hostcalls::set_effective_context(id).is_err() {
            return;
        }
        let Ok(mut s) = stream.try_borrow_mut() else {
            return;
        };
        f(&mut s);
        if let Some(token) = s.lambda_token() {
            self.forwarded.borrow_mut().insert(token, id);
        }
        self.after_answer(id, &s);
    }

    fn get(&self, id: u32) -> Option<Rc<RefCell<Stream>>> {
        self.streams.borrow().get(&id).and_then(Weak::upgrade)
    }

    /// Wakes the streams whose credentials are ready (or failed).
    pub fn wake(&self, ids: Vec<u32>) {
        for id in ids {
            self.run(id, Stream::on_credentials);
        }
    }

    /// A callout answer the root received for a stream; false if unknown.
    pub fn forward(&self, token: u32, headers: Vec<(String, String)>, body: Vec<u8>) -> bool {
        let Some(id) = self.forwarded.borrow_mut().remove(&token) else {
            return false;
        };
        self.run(id, |s| s.on_lambda_answer(token, headers, body));
        true
    }
}
