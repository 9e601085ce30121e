//! [`Host`] over `proxy_wasm::hostcalls`, for the context that is current.

use crate::core::host::{
    Callout, Headers, Host, LogLevel, Metric, SharedDataError, DURATION_HISTOGRAM,
};
use proxy_wasm::hostcalls;
use proxy_wasm::types::{BufferType, LogLevel as ProxyLevel, MapType, MetricType, Status};
use std::cell::Cell;
use std::time::{Duration, SystemTime};

/// Every call acts on the context the proxy is currently running; the only
/// state is the ids of the metrics this VM defined and Envoy's log level.
#[derive(Debug, Clone, Default)]
pub struct ProxyHost {
    counters: Vec<Option<u32>>,
    histogram: Option<u32>,
    /// Envoy's log level for this filter, read again as each stream starts
    /// (None: unknown, every line is sent).
    min_level: Cell<Option<LogLevel>>,
}

impl ProxyHost {
    /// Defines the filter's metrics in this VM (Envoy shows them as `wasmcustom.*`).
    pub fn with_metrics() -> Self {
        ProxyHost {
            counters: Metric::ALL
                .iter()
                .map(|m| hostcalls::define_metric(MetricType::Counter, m.name()).ok())
                .collect(),
            histogram: hostcalls::define_metric(MetricType::Histogram, DURATION_HISTOGRAM).ok(),
            min_level: Cell::new(None),
        }
    }

    /// Reads Envoy's current log level (it can change at run time, from the admin API).
    pub fn refresh_log_level(&self) {
        self.min_level
            .set(hostcalls::get_log_level().ok().map(|l| match l {
                ProxyLevel::Trace => LogLevel::Trace,
                ProxyLevel::Debug => LogLevel::Debug,
                ProxyLevel::Info => LogLevel::Info,
                ProxyLevel::Warn => LogLevel::Warn,
                ProxyLevel::Error | ProxyLevel::Critical => LogLevel::Error,
            }));
    }
}

fn level(l: LogLevel) -> ProxyLevel {
    match l {
        LogLevel::Trace => ProxyLevel::Trace,
        LogLevel::Debug => ProxyLevel::Debug,
        LogLevel::Info => ProxyLevel::Info,
        LogLevel::Warn => ProxyLevel::Warn,
        LogLevel::Error => ProxyLevel::Error,
    }
}

/// A header map, values decoded lossily: the SDK's `get_map` panics on a
/// header value that is not UTF-8, which any client can send.
pub fn header_map(map: MapType) -> Headers {
    hostcalls::get_map_bytes(map)
        .unwrap_or_default()
        .into_iter()
        .map(|(n, v)| {
            (
                n,
                String::from_utf8(v)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            )
        })
        .collect()
}

/// The answer of the callout being delivered: headers (no `:status` on a
/// transport failure) and the first `size` bytes of the body (the core says
/// how many, within its limits and budget).
/// Not the SDK's getters: they panic where an empty answer is the right result.
pub fn callout_answer(size: usize) -> (Headers, Vec<u8>) {
    let headers = header_map(MapType::HttpCallResponseHeaders);
    let body = hostcalls::get_buffer(BufferType::HttpCallResponseBody, 0, size)
        .ok()
        .flatten()
        .unwrap_or_default();
    (headers, body)
}

impl Host for ProxyHost {
    fn request_headers(&self) -> Headers {
        header_map(MapType::HttpRequestHeaders)
    }

    fn request_header(&self, name: &str) -> Option<String> {
        hostcalls::get_map_value_bytes(MapType::HttpRequestHeaders, name)
            .ok()
            .flatten()
            .map(|v| String::from_utf8_lossy(&v).into_owned())
    }

    fn response_headers(&self) -> Headers {
        header_map(MapType::HttpResponseHeaders)
    }

    fn request_body(&self, size: usize) -> Vec<u8> {
        hostcalls::get_buffer(BufferType::HttpRequestBody, 0, size)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    fn response_body(&self, size: usize) -> Vec<u8> {
        hostcalls::get_buffer(BufferType::HttpResponseBody, 0, size)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    fn property(&self, path: &[&str]) -> Option<Vec<u8>> {
        hostcalls::get_property(path.to_vec()).ok().flatten()
    }

    fn set_filter_state(&self, name: &str, value: &str) {
        if hostcalls::set_property(vec![name], Some(value.as_bytes())).is_err() {
            self.log(
                LogLevel::Warn,
                &format!("cannot set filter state wasm.{name}"),
            );
        }
    }

    fn now(&self) -> SystemTime {
        hostcalls::get_current_time().unwrap_or_else(|_| SystemTime::now())
    }

    fn dispatch(&self, call: Callout<'_>) -> Result<u32, String> {
        let hs: Vec<(&str, &str)> = call
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let body = (!call.body.is_empty()).then_some(call.body);
        hostcalls::dispatch_http_call(call.cluster, hs, body, vec![], call.timeout)
            .map_err(|s| format!("{s:?}"))
    }

    fn send_reply(&self, status: u32, headers: &[(&str, &str)], body: &[u8]) {
        if hostcalls::send_http_response(status, headers.to_vec(), Some(body)).is_err() {
            self.log(LogLevel::Error, "cannot send the local reply");
        }
    }

    fn set_response_header(&self, name: &str, value: Option<&str>) {
        let _ = hostcalls::set_map_value(MapType::HttpResponseHeaders, name, value);
    }

    fn replace_response_body(&self, size: usize, body: &[u8]) {
        let _ = hostcalls::set_buffer(BufferType::HttpResponseBody, 0, size, body);
    }

    fn enter_context(&self, id: u32) -> bool {
        hostcalls::set_effective_context(id).is_ok()
    }

    fn set_timer(&self, after: Option<Duration>) {
        let _ = hostcalls::set_tick_period(after.unwrap_or_default());
    }

    fn resume_request(&self) {
        let _ = hostcalls::resume_http_request();
    }

    fn resume_response(&self) {
        let _ = hostcalls::resume_http_response();
    }

    fn log_enabled(&self, level: LogLevel) -> bool {
        self.min_level.get().is_none_or(|min| level >= min)
    }

    fn log(&self, l: LogLevel, message: &str) {
        let _ = hostcalls::log(level(l), message);
    }

    fn count(&self, metric: Metric) {
        let index = Metric::ALL.iter().position(|m| *m == metric);
        if let Some(id) = index.and_then(|i| self.counters.get(i).copied().flatten()) {
            let _ = hostcalls::increment_metric(id, 1);
        }
    }

    fn record_duration_ms(&self, ms: u64) {
        if let Some(id) = self.histogram {
            let _ = hostcalls::record_metric(id, ms);
        }
    }

    // Envoy answers these two with Ok, NotFound or CasMismatch only: the SDK's
    // panic on any other status cannot be reached.
    fn get_shared_data(&self, key: &str) -> Option<(Vec<u8>, u32)> {
        match hostcalls::get_shared_data(key) {
            Ok((Some(value), cas)) => Some((value, cas.unwrap_or(0))),
            _ => None,
        }
    }

    fn set_shared_data(&self, key: &str, value: &[u8], cas: u32) -> Result<(), SharedDataError> {
        hostcalls::set_shared_data(key, Some(value), (cas != 0).then_some(cas)).map_err(|s| match s
        {
            Status::CasMismatch => SharedDataError::CasMismatch,
            other => SharedDataError::Failed(format!("{other:?}")),
        })
    }
}
