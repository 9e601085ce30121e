//! The root context's side of waiting: streams that wait for credentials or
//! for a retry, the credentials fetches, and the one timer that drives both.
//!
//! The timer is armed only while something waits, for the moment it is due
//! (a retry, the end of a credentials wait, a refresh ahead of expiry), and
//! stopped otherwise: an idle VM spends nothing.

use super::timer::Timer;
use super::Stream;
use crate::core::callout::{status_of, CalloutRequest};
use crate::core::credentials::cache::{CredentialCache, FetchEvent};
use crate::core::credentials::fetch::Answer;
use crate::core::host::{Headers, Host, LogLevel, Metric};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use std::time::SystemTime;

/// Credentials answers are small documents; more is not read.
const MAX_CREDENTIALS_ANSWER: usize = 64 * 1024;

pub struct Waiters {
    host: Rc<dyn Host>,
    cache: Rc<CredentialCache>,
    /// Streams that wait for the root (credentials, a retry), by context id.
    streams: RefCell<HashMap<u32, Weak<RefCell<Stream>>>>,
    /// Lambda calls sent while the root was the current context (from the
    /// timer or a credentials answer): the proxy answers them to the root.
    forwarded: RefCell<HashMap<u32, u32>>,
    /// The credentials call in flight.
    fetch_token: Cell<Option<u32>>,
    timer: Timer,
    /// The root context is done: serve the streams that still wait, start
    /// no credentials refresh, then stop.
    draining: Cell<bool>,
}

impl Waiters {
    pub fn new(host: Rc<dyn Host>, cache: Rc<CredentialCache>) -> Self {
        Waiters {
            timer: Timer::new(host.clone()),
            host,
            cache,
            streams: RefCell::default(),
            forwarded: RefCell::default(),
            fetch_token: Cell::new(None),
            draining: Cell::new(false),
        }
    }

    /// After each event of a stream: a stream that now waits for the root
    /// is remembered, and the timer armed for it.
    pub fn after_event(&self, id: u32, stream: &Rc<RefCell<Stream>>) {
        if self.cache.take_adopted() {
            // Credentials another root fetched: their refresh is due here too.
            self.rearm(self.host.now());
        }
        let Some(wake_at) = stream.try_borrow().ok().and_then(|s| s.wake_at()) else {
            return;
        };
        self.streams
            .borrow_mut()
            .entry(id)
            .or_insert_with(|| Rc::downgrade(stream));
        let now = self.host.now();
        let due = match self.cache.next_poll_at(now) {
            Some(poll) => wake_at.min(poll),
            None => wake_at,
        };
        self.timer.arm(due, now);
    }

    /// The stream's context is gone.
    pub fn remove(&self, id: u32) {
        self.streams.borrow_mut().remove(&id);
        self.forwarded.borrow_mut().retain(|_, s| *s != id);
    }

    /// Streams waiting for the root now (for tests and logs).
    pub fn len(&self) -> usize {
        self.streams.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The root context is done. True when nothing waits: the timer is
    /// stopped and the root may go. Otherwise the streams that wait are still
    /// served, and [`drained`](Self::drained) tells when the last has gone.
    pub fn drain(&self) -> bool {
        self.draining.set(true);
        if self.is_empty() {
            self.stop();
            return true;
        }
        self.rearm(self.host.now());
        false
    }

    /// Done and nothing waits any more.
    pub fn drained(&self) -> bool {
        self.draining.get() && self.is_empty()
    }

    /// When the timer will fire next, if it is armed.
    #[cfg(any(test, feature = "testing"))]
    pub fn armed(&self) -> Option<SystemTime> {
        self.timer.armed()
    }

    /// The root's timer fired: due streams run, a credentials call due is
    /// sent, and the timer is armed again only if something still waits.
    pub fn on_tick(&self) {
        let now = self.host.now();
        self.timer.fired(now);
        let due: Vec<u32> = self
            .streams
            .borrow()
            .iter()
            .filter(|(_, s)| {
                s.upgrade()
                    .and_then(|s| s.try_borrow().ok().and_then(|s| s.wake_at()))
                    .is_some_and(|at| at <= now)
            })
            .map(|(id, _)| *id)
            .collect();
        if self.host.log_enabled(LogLevel::Debug) {
            let line = format!("aws-lambda: timer fired, {} streams due", due.len());
            self.host.log(LogLevel::Debug, &line);
        }
        for id in due {
            self.run(id, |s| s.on_timer(now));
        }
        if !self.draining.get() || !self.is_empty() {
            if let Some(req) = self.cache.poll(now) {
                self.send_fetch(req);
            }
            // A fetch found lost ends with a failure: its waiters are told now.
            for id in self.cache.take_woken() {
                self.run(id, Stream::on_credentials);
            }
        }
        self.timer.runs();
        self.rearm(now);
    }

    /// A callout answer the root received: the credentials call, or a Lambda
    /// call a stream sent from a root callback. `read(n)` copies the answer's
    /// headers and its first `n` body bytes into the VM: it is called at most
    /// once, after the stream's budget allowed the bytes. False if the answer
    /// is neither.
    pub fn on_callout(
        &self,
        token: u32,
        body_size: usize,
        read: impl FnOnce(usize) -> (Headers, Vec<u8>),
    ) -> bool {
        if self.fetch_token.get() == Some(token) {
            self.fetch_token.set(None);
            let (headers, body) = read(body_size.min(MAX_CREDENTIALS_ANSWER));
            let answer = Answer::new(status_of(&headers), &body, self.host.now());
            let event = self.cache.on_answer(answer);
            self.after_fetch(event);
            return true;
        }
        let Some(id) = self.forwarded.borrow_mut().remove(&token) else {
            return false;
        };
        let Some(stream) = self.streams.borrow().get(&id).and_then(Weak::upgrade) else {
            return true;
        };
        // The answer is read while the root is still the current context;
        // the stream ends (or goes on) in its own.
        let reserved = match stream.try_borrow_mut() {
            Ok(mut s) => s.reserve_answer(body_size),
            Err(_) => return true,
        };
        let answer = reserved.map(read);
        self.run(id, |s| match answer {
            Ok((headers, body)) => s.on_lambda_answer(token, headers, body),
            Err(e) => s.on_answer_refused(e),
        });
        true
    }

    fn send_fetch(&self, req: CalloutRequest) {
        match self.host.dispatch(req.as_callout()) {
            Ok(token) => self.fetch_token.set(Some(token)),
            Err(e) => {
                self.fetch_token.set(None);
                let why = format!(
                    "cannot send the credentials call through cluster {:?}: {e}; check that the cluster exists",
                    req.cluster
                );
                self.host.log(LogLevel::Warn, &format!("aws-lambda: {why}"));
                let event = self.cache.on_dispatch_error(&why, self.host.now());
                self.after_fetch(event);
            }
        }
    }

    fn after_fetch(&self, event: FetchEvent) {
        match event {
            FetchEvent::Next(req) => return self.send_fetch(req),
            FetchEvent::Fetched => self.host.count(Metric::CredentialsFetched),
            FetchEvent::Failed(why) => {
                self.host.count(Metric::CredentialsFetchFailed);
                let line = format!(
                    "aws-lambda: credentials fetch failed ({why}); waiting streams answer 500"
                );
                self.host.log(LogLevel::Warn, &line);
            }
            FetchEvent::Ignored => {}
        }
        for id in self.cache.take_woken() {
            self.run(id, Stream::on_credentials);
        }
        self.rearm(self.host.now());
    }

    /// Runs `f` on stream `id` as the current context; a Lambda call it sent
    /// is answered to the root, which forwards it here.
    fn run(&self, id: u32, f: impl FnOnce(&mut Stream)) {
        let stream = self.streams.borrow().get(&id).and_then(Weak::upgrade);
        let Some(stream) = stream else {
            self.streams.borrow_mut().remove(&id);
            return;
        };
        if !self.host.enter_context(id) {
            return;
        }
        let Ok(mut s) = stream.try_borrow_mut() else {
            return;
        };
        f(&mut s);
        let token = s.lambda_token();
        if let Some(token) = token {
            self.forwarded.borrow_mut().insert(token, id);
        }
        match s.wake_at() {
            Some(at) => self.timer.arm(at, self.host.now()),
            // Nothing of it waits for the root any more.
            None if token.is_none() => {
                self.streams.borrow_mut().remove(&id);
            }
            None => {}
        }
    }

    /// Arms the timer for the earliest thing that waits, or stops it.
    fn rearm(&self, now: SystemTime) {
        let streams = self
            .streams
            .borrow()
            .values()
            .filter_map(|s| s.upgrade()?.try_borrow().ok()?.wake_at())
            .min();
        // A refresh is for streams to come: none will come to a root that is done.
        let poll = match self.draining.get() && streams.is_none() {
            true => None,
            false => self.cache.next_poll_at(now),
        };
        let next = match (streams, poll) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.timer.set_at(next, now);
    }

    /// Stops the timer whatever it was set to: when the root context is done,
    /// a timer left set would keep firing for as long as the VM lives.
    pub fn stop(&self) {
        // Nobody will take this root's answer any more: another root may fetch at once.
        self.cache.abandon();
        self.timer.stop();
    }
}
