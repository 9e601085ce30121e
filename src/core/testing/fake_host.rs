//! A proxy that records everything a stream asks of it.

use super::{at, T0};
use crate::core::callout::header_value;
use crate::core::host::{Callout, Headers, Host, LogLevel, Metric, SharedDataError};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

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
    /// Every property path read, in order.
    pub property_reads: RefCell<Vec<String>>,
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
    /// Shared data as Envoy keeps it: value and CAS by key (the CAS grows with each write).
    pub shared_data: RefCell<HashMap<String, (Vec<u8>, u32)>>,
    /// Another root writes between each read and write: every write with a CAS mismatches.
    pub shared_data_contended: Cell<bool>,
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
            property_reads: RefCell::default(),
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
            shared_data: RefCell::default(),
            shared_data_contended: Cell::new(false),
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

    /// The error key published as filter state (`wasm.lambda_error_key`).
    pub fn error_key(&self) -> Option<String> {
        self.state("lambda_error_key")
    }

    /// The stream failed: one local reply, of `status`, and `key` published
    /// as the error key. The reply's body, as text.
    pub fn failed(&self, status: u32, key: &str) -> String {
        let replies = self.replies.borrow();
        assert_eq!(replies.len(), 1, "one reply");
        assert_eq!(replies[0].0, status);
        assert_eq!(self.error_key().as_deref(), Some(key));
        String::from_utf8_lossy(&replies[0].2).into_owned()
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
        self.property_reads.borrow_mut().push(key.clone());
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
    fn get_shared_data(&self, key: &str) -> Option<(Vec<u8>, u32)> {
        self.shared_data.borrow().get(key).cloned()
    }
    /// As Envoy: a CAS of 0, or a key not there yet, writes whatever it holds.
    fn set_shared_data(&self, key: &str, value: &[u8], cas: u32) -> Result<(), SharedDataError> {
        let mut data = self.shared_data.borrow_mut();
        let held = data.get(key).map_or(0, |(_, c)| *c);
        if cas != 0 && held != 0 && (cas != held || self.shared_data_contended.get()) {
            return Err(SharedDataError::CasMismatch);
        }
        data.insert(key.to_string(), (value.to_vec(), held + 1));
        Ok(())
    }
}

#[cfg(test)]
#[path = "fake_host_tests.rs"]
mod tests;
