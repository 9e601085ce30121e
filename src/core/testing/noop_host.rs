//! A proxy that keeps nothing, for benchmarks.

use crate::core::host::{Callout, Headers, Host, LogLevel, Metric};
use std::hint::black_box;
use std::time::{Duration, SystemTime};

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
