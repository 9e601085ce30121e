//! Test support shared by the unit tests, the benchmarks and the fuzz targets
//! (compiled under `cfg(test)` and the `testing` feature, never shipped): a
//! recording fake [`Host`], a host that keeps nothing, and fixtures.

use crate::core::callout::header_value;
use crate::core::credentials::sts::RoleConfig;
use crate::core::host::{Callout, Headers, Host, LogLevel, Metric};
#[cfg(test)]
use crate::core::secret::Credentials;
use std::cell::{Cell, RefCell};
use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The time a [`FakeHost`] starts at: 2023-11-14T22:13:20Z.
pub const T0: u64 = 1_700_000_000;

/// `UNIX_EPOCH + secs`.
pub fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// A header list from `(name, value)` pairs.
pub fn headers(pairs: &[(&str, &str)]) -> Headers {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// The role every credentials test assumes.
pub fn role() -> RoleConfig {
    RoleConfig {
        arn: "arn:aws:iam::123456789012:role/demo".into(),
        session_name: "gravitee".into(),
        external_id: None,
        duration_seconds: None,
        cluster: "sts".into(),
        authority: "sts.us-east-1.amazonaws.com".into(),
        base_path: String::new(),
    }
}

/// Asserts every field of parsed credentials (`expiration`: UNIX seconds) and
/// that their `Debug` holds neither the secret nor the token.
#[cfg(test)]
pub fn assert_credentials(
    c: &Credentials,
    access_key_id: &str,
    secret: &str,
    token: Option<&str>,
    expiration: Option<u64>,
) {
    assert_eq!(c.access_key_id, access_key_id);
    assert_eq!(c.secret_access_key.expose(), secret);
    assert_eq!(c.session_token.as_ref().map(|t| t.expose()), token);
    assert_eq!(c.expiration, expiration.map(at));
    let dbg = format!("{c:?}");
    assert!(!dbg.contains(secret), "{dbg}");
    assert!(token.is_none_or(|t| !dbg.contains(t)), "{dbg}");
}

/// One callout sent: cluster, headers, body, timeout.
pub type Dispatched = (String, Headers, Vec<u8>, Duration);

/// A proxy that records everything a stream asks of it. What it answers is
/// set in its public fields before the stream runs.
pub struct FakeHost {
    pub request_headers: Headers,
    /// Envoy no longer exposes the request headers (they went on): a single
    /// request header is not found.
    pub request_headers_gone: Cell<bool>,
    pub response_headers: Headers,
    pub request_body: Vec<u8>,
    pub response_body: Vec<u8>,
    /// Attributes and filter state the host knows, by path joined with `.`.
    pub properties: Vec<(String, Vec<u8>)>,
    pub now: Cell<SystemTime>,
    /// The token the next dispatch returns; `token_step` is added after each.
    pub token: Cell<u32>,
    pub token_step: u32,
    /// The token of the latest dispatch.
    pub last_token: Cell<u32>,
    pub refuse_dispatch: bool,
    pub filter_state: RefCell<Vec<(String, String)>>,
    pub dispatched: RefCell<Vec<Dispatched>>,
    pub replies: RefCell<Vec<(u32, Headers, Vec<u8>)>>,
    pub response_header_changes: RefCell<Vec<(String, Option<String>)>>,
    pub replaced_bodies: RefCell<Vec<Vec<u8>>>,
    pub resumed_request: Cell<u32>,
    pub resumed_response: Cell<u32>,
    pub logs: RefCell<Vec<String>>,
    pub metrics: RefCell<Vec<Metric>>,
    /// How many times the request headers were copied into the VM.
    pub header_copies: Cell<u32>,
    /// Contexts the root entered to run a stream's work.
    pub entered: RefCell<Vec<u32>>,
    /// Every setting of the root's timer (None: stopped).
    pub timers: RefCell<Vec<Option<Duration>>>,
}

impl Default for FakeHost {
    fn default() -> Self {
        FakeHost {
            request_headers: Vec::new(),
            request_headers_gone: Cell::new(false),
            response_headers: Vec::new(),
            request_body: Vec::new(),
            response_body: Vec::new(),
            properties: Vec::new(),
            now: Cell::new(at(T0)),
            token: Cell::new(7),
            token_step: 0,
            last_token: Cell::new(0),
            refuse_dispatch: false,
            filter_state: RefCell::default(),
            dispatched: RefCell::default(),
            replies: RefCell::default(),
            response_header_changes: RefCell::default(),
            replaced_bodies: RefCell::default(),
            resumed_request: Cell::new(0),
            resumed_response: Cell::new(0),
            logs: RefCell::default(),
            metrics: RefCell::default(),
            header_copies: Cell::new(0),
            entered: RefCell::default(),
            timers: RefCell::default(),
        }
    }
}

impl FakeHost {
    /// The latest value published as filter state `name`.
    pub fn state(&self, name: &str) -> Option<String> {
        self.filter_state
            .borrow()
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    /// How many times the stream ended: local replies and resumes.
    pub fn ends(&self) -> u32 {
        self.replies.borrow().len() as u32
            + self.resumed_request.get()
            + self.resumed_response.get()
    }
}

fn prefix(body: &[u8], size: usize) -> Vec<u8> {
    body[..size.min(body.len())].to_vec()
}

impl Host for FakeHost {
    fn request_headers(&self) -> Headers {
        self.header_copies.set(self.header_copies.get() + 1);
        self.request_headers.clone()
    }
    /// One header, without copying them all (not counted in `header_copies`).
    fn request_header(&self, name: &str) -> Option<String> {
        if self.request_headers_gone.get() {
            return None;
        }
        header_value(&self.request_headers, name).map(str::to_string)
    }
    fn response_headers(&self) -> Headers {
        self.response_headers.clone()
    }
    fn request_body(&self, size: usize) -> Vec<u8> {
        prefix(&self.request_body, size)
    }
    fn response_body(&self, size: usize) -> Vec<u8> {
        prefix(&self.response_body, size)
    }
    fn property(&self, path: &[&str]) -> Option<Vec<u8>> {
        let key = path.join(".");
        self.properties
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    }
    fn set_filter_state(&self, name: &str, value: &str) {
        self.filter_state
            .borrow_mut()
            .push((name.to_string(), value.to_string()));
    }
    fn now(&self) -> SystemTime {
        self.now.get()
    }
    fn dispatch(&self, call: Callout<'_>) -> Result<u32, String> {
        if self.refuse_dispatch {
            return Err("BadArgument".to_string());
        }
        let call = (
            call.cluster.to_string(),
            call.headers.to_vec(),
            call.body.to_vec(),
            call.timeout,
        );
        self.dispatched.borrow_mut().push(call);
        let token = self.token.get();
        self.token.set(token.wrapping_add(self.token_step));
        self.last_token.set(token);
        Ok(token)
    }
    fn send_reply(&self, status: u32, headers: &[(&str, &str)], body: &[u8]) {
        let hs = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        self.replies.borrow_mut().push((status, hs, body.to_vec()));
    }
    fn set_response_header(&self, name: &str, value: Option<&str>) {
        self.response_header_changes
            .borrow_mut()
            .push((name.to_string(), value.map(str::to_string)));
    }
    fn replace_response_body(&self, _size: usize, body: &[u8]) {
        self.replaced_bodies.borrow_mut().push(body.to_vec());
    }
    fn enter_context(&self, id: u32) -> bool {
        self.entered.borrow_mut().push(id);
        true
    }
    fn set_timer(&self, after: Option<Duration>) {
        self.timers.borrow_mut().push(after);
    }
    fn resume_request(&self) {
        self.resumed_request.set(self.resumed_request.get() + 1);
    }
    fn resume_response(&self) {
        self.resumed_response.set(self.resumed_response.get() + 1);
    }
    fn log(&self, _level: LogLevel, message: &str) {
        self.logs.borrow_mut().push(message.to_string());
    }
    fn count(&self, metric: Metric) {
        self.metrics.borrow_mut().push(metric);
    }
    fn record_duration_ms(&self, _ms: u64) {}
}

/// A proxy that answers every call at once and keeps nothing (what it is
/// handed goes to `black_box`): what is left is the filter's own work. For
/// benchmarks.
pub struct NoopHost {
    pub request_headers: Headers,
    pub body: Vec<u8>,
    pub now: SystemTime,
}

impl Host for NoopHost {
    fn request_headers(&self) -> Headers {
        self.request_headers.clone()
    }
    fn response_headers(&self) -> Headers {
        Vec::new()
    }
    fn request_body(&self, _size: usize) -> Vec<u8> {
        self.body.clone()
    }
    fn response_body(&self, _size: usize) -> Vec<u8> {
        Vec::new()
    }
    fn property(&self, _path: &[&str]) -> Option<Vec<u8>> {
        None
    }
    fn set_filter_state(&self, name: &str, value: &str) {
        black_box((name, value));
    }
    fn now(&self) -> SystemTime {
        self.now
    }
    fn dispatch(&self, call: Callout<'_>) -> Result<u32, String> {
        black_box((call.headers, call.body));
        Ok(1)
    }
    fn send_reply(&self, status: u32, headers: &[(&str, &str)], body: &[u8]) {
        black_box((status, headers, body));
    }
    fn set_response_header(&self, _name: &str, _value: Option<&str>) {}
    fn replace_response_body(&self, _size: usize, _body: &[u8]) {}
    fn enter_context(&self, _id: u32) -> bool {
        true
    }
    fn set_timer(&self, _after: Option<Duration>) {}
    fn resume_request(&self) {}
    fn resume_response(&self) {}
    fn log_enabled(&self, _level: LogLevel) -> bool {
        false
    }
    fn log(&self, _level: LogLevel, _message: &str) {}
    fn count(&self, metric: Metric) {
        black_box(metric);
    }
    fn record_duration_ms(&self, ms: u64) {
        black_box(ms);
    }
}

#[cfg(test)]
#[path = "testing_tests.rs"]
mod tests;
