//! The narrow interface the core needs from the proxy. The wasm glue
//! implements it over `proxy_wasm::hostcalls`; tests implement it with a fake.

pub use crate::core::callout::Callout;
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// The filter's counters, exposed by Envoy as `wasmcustom.aws_lambda.<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Success,
    FunctionError,
    ApiError,
    Timeout,
    TransportError,
    TemplateError,
    CredentialsError,
    PayloadTooLarge,
    CredentialsFetched,
    CredentialsFetchFailed,
    Retry,
    Oversized,
    Overloaded,
    ConditionError,
    ResponseTemplateError,
}

impl Metric {
    pub const ALL: [Metric; 15] = [
        Metric::Success,
        Metric::FunctionError,
        Metric::ApiError,
        Metric::Timeout,
        Metric::TransportError,
        Metric::TemplateError,
        Metric::CredentialsError,
        Metric::PayloadTooLarge,
        Metric::CredentialsFetched,
        Metric::CredentialsFetchFailed,
        Metric::Retry,
        Metric::Oversized,
        Metric::Overloaded,
        Metric::ConditionError,
        Metric::ResponseTemplateError,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Success => "aws_lambda.invocations.success",
            Metric::FunctionError => "aws_lambda.invocations.function_error",
            Metric::ApiError => "aws_lambda.invocations.api_error",
            Metric::Timeout => "aws_lambda.invocations.timeout",
            Metric::TransportError => "aws_lambda.invocations.transport_error",
            Metric::TemplateError => "aws_lambda.template_error",
            Metric::CredentialsError => "aws_lambda.credentials_error",
            Metric::PayloadTooLarge => "aws_lambda.payload_too_large",
            Metric::CredentialsFetched => "aws_lambda.credentials.fetched",
            Metric::CredentialsFetchFailed => "aws_lambda.credentials.fetch_failed",
            Metric::Retry => "aws_lambda.retries",
            Metric::Oversized => "aws_lambda.invocations.oversized",
            Metric::Overloaded => "aws_lambda.overloaded",
            Metric::ConditionError => "aws_lambda.condition_error",
            Metric::ResponseTemplateError => "aws_lambda.response_template_error",
        }
    }
}

/// The latency histogram, in milliseconds.
pub const DURATION_HISTOGRAM: &str = "aws_lambda.duration_ms";

/// Header list as the proxy gives it: lowercase names, pseudo-headers included.
pub type Headers = Vec<(String, String)>;

pub trait Host {
    fn request_headers(&self) -> Headers;
    fn response_headers(&self) -> Headers;
    /// The first value of request header `name` (lowercase), without copying
    /// the other headers. Readable while the request headers are held (or
    /// in their callback).
    fn request_header(&self, name: &str) -> Option<String> {
        crate::core::callout::header_value(&self.request_headers(), name).map(str::to_string)
    }
    /// The buffered request body (the first `size` bytes).
    fn request_body(&self, size: usize) -> Vec<u8>;
    fn response_body(&self, size: usize) -> Vec<u8>;
    /// An Envoy attribute or filter-state entry (`["name"]` reads `wasm.name`).
    fn property(&self, path: &[&str]) -> Option<Vec<u8>>;
    /// Publishes filter state `wasm.<name>` for routes, access logs and later filters.
    fn set_filter_state(&self, name: &str, value: &str);
    fn now(&self) -> SystemTime;
    /// Sends an HTTP callout; the token comes back with the answer.
    fn dispatch(&self, call: Callout<'_>) -> Result<u32, String>;
    fn send_reply(&self, status: u32, headers: &[(&str, &str)], body: &[u8]);
    /// Sets (or, with `None`, removes) a response header.
    fn set_response_header(&self, name: &str, value: Option<&str>);
    /// Replaces the buffered response body (the first `size` bytes) with `body`.
    fn replace_response_body(&self, size: usize, body: &[u8]);
    /// Makes stream `id` the context later calls act on (the root runs a
    /// stream's work from its timer or a callout answer); false if it is gone.
    fn enter_context(&self, id: u32) -> bool;
    /// Arms the root's timer to fire once after `after` (None: stops it).
    fn set_timer(&self, after: Option<Duration>);
    fn resume_request(&self);
    fn resume_response(&self);
    fn log(&self, level: LogLevel, message: &str);
    /// Whether a line at `level` would be written: lets callers skip
    /// formatting it (Envoy filters by its own level, usually `info`).
    fn log_enabled(&self, level: LogLevel) -> bool {
        let _ = level;
        true
    }
    fn count(&self, metric: Metric);
    /// Records the duration of one Lambda call in the latency histogram.
    fn record_duration_ms(&self, ms: u64);
    /// Process-wide shared data (in Envoy, shared by the VMs with the same
    /// `vm_id`): the value of `key` and its CAS. None: absent (or no shared data).
    fn get_shared_data(&self, key: &str) -> Option<(Vec<u8>, u32)> {
        let _ = key;
        None
    }
    /// Sets `key` to `value` if its CAS is still `cas` (0: whatever it holds).
    fn set_shared_data(&self, key: &str, value: &[u8], cas: u32) -> Result<(), SharedDataError> {
        let _ = (key, value, cas);
        Err(SharedDataError::Failed("no shared data".to_string()))
    }
}

/// Why a shared-data write did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedDataError {
    /// The entry changed since the CAS was read.
    CasMismatch,
    /// The proxy refused it (the reason).
    Failed(String),
}
