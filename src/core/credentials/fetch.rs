//! Fetching temporary credentials through HTTP callouts, one step at a time.
//!
//! The core never talks to the network: a [`Fetch`] hands out the
//! [`CalloutRequest`]s to send and is fed the answers, until it is
//! [`Step::Done`]. The glue dispatches the calls from the root context.

// Kept for `glue/root.rs` and `cache.rs`: the chain is built in `chain.rs`,
// a callout is `core/callout.rs`.
use crate::core::callout::CalloutRequest;
use crate::core::credentials::Credentials;
use std::fmt;
use std::time::SystemTime;

/// A multi-step credentials fetch (STS: 1 call; container: 1 call; IMDSv2: token PUT, role-name GET, credentials GET).
#[derive(Debug)]
pub enum Step {
    Call(CalloutRequest),
    Done(Result<Credentials, String>),
}

/// A credentials source reached through callouts. `Debug` must not print secrets.
pub trait Fetch: fmt::Debug {
    /// First call of a fresh fetch.
    fn start(&mut self, now: SystemTime) -> Step;
    /// The answer to the last call.
    fn on_answer(&mut self, answer: Answer<'_>) -> Step;
}

/// The answer to a credentials call, as the root received it: no source
/// reads its headers. No `Debug`: the body holds the secret.
#[derive(Clone, Copy)]
pub struct Answer<'a> {
    /// None: a transport failure (no :status).
    pub status: Option<u16>,
    pub body: &'a [u8],
    /// When it was received.
    pub now: SystemTime,
}

impl<'a> Answer<'a> {
    pub fn new(status: Option<u16>, body: &'a [u8], now: SystemTime) -> Self {
        Answer { status, body, now }
    }
}

/// A source answered by one call (the container endpoint, STS AssumeRole).
pub trait OneCall: fmt::Debug {
    /// What the errors call it.
    const WHAT: &'static str;
    fn request(&self, now: SystemTime) -> Result<CalloutRequest, String>;
    fn parse(&self, status: Option<u16>, body: &[u8]) -> Result<Credentials, String>;
}

/// The [`Fetch`] of a [`OneCall`] source: its call, then its answer.
#[derive(Debug)]
pub struct OneShot<T> {
    pub(crate) call: T,
    in_flight: bool,
}

impl<T> OneShot<T> {
    pub(crate) fn of(call: T) -> Self {
        OneShot {
            call,
            in_flight: false,
        }
    }
}

impl<T: OneCall> Fetch for OneShot<T> {
    fn start(&mut self, now: SystemTime) -> Step {
        match self.call.request(now) {
            Ok(req) => {
                self.in_flight = true;
                Step::Call(req)
            }
            Err(e) => Step::Done(Err(e)),
        }
    }

    fn on_answer(&mut self, answer: Answer<'_>) -> Step {
        if !std::mem::replace(&mut self.in_flight, false) {
            return no_call_in_flight(T::WHAT);
        }
        Step::Done(self.call.parse(answer.status, answer.body))
    }
}

/// The error of an answer that came while the fetch had no call in flight.
pub(crate) fn no_call_in_flight(what: &str) -> Step {
    Step::Done(Err(format!(
        "{what}: an answer came while no call was in flight"
    )))
}

/// A transport failure or a non-2xx status as an error text, or Ok for 2xx.
pub(crate) fn check_status(status: Option<u16>, what: &str, cluster: &str) -> Result<(), String> {
    match status {
        None => Err(format!("{what} unreachable through cluster {cluster}")),
        Some(s) if (200..300).contains(&s) => Ok(()),
        Some(s) => Err(format!("{what} answered status {s}")),
    }
}
