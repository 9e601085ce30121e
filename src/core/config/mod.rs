//! The plugin configuration: parsed once in `on_configure`, in two steps:
//! [`raw`] mirrors the JSON, [`validate`] turns it into the runtime [`Config`]
//! that every stream shares.

mod apigw;
mod credentials;
mod fields;
#[cfg(test)]
mod from_json_tests;
mod gravitee;
pub(crate) mod raw;
mod validate;

use crate::core::aws::target::InvokeTarget;
use crate::core::condition::{Condition, OnConditionError};
use crate::core::credentials::chain::CredentialsConfig;
use crate::core::errors::ErrorParams;
use crate::core::reply::ResponseTemplates;
use crate::core::template::{Template, Value};
use std::fmt;
use std::time::Duration;

pub use validate::from_json;
#[cfg(any(test, feature = "testing"))]
pub use validate::Parsed;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Request,
    RequestContent,
    Response,
    ResponseContent,
}

impl Scope {
    pub fn is_request_phase(self) -> bool {
        matches!(self, Scope::Request | Scope::RequestContent)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationType {
    RequestResponse,
    Event,
    DryRun,
}

impl InvocationType {
    pub fn as_str(self) -> &'static str {
        match self {
            InvocationType::RequestResponse => "RequestResponse",
            InvocationType::Event => "Event",
            InvocationType::DryRun => "DryRun",
        }
    }
    /// Lambda's payload limit: 6 MB synchronous, 1 MB asynchronous.
    pub fn max_payload_bytes(self) -> usize {
        match self {
            InvocationType::Event => 1024 * 1024,
            _ => 6 * 1024 * 1024,
        }
    }
}

#[derive(Debug)]
pub struct Variable {
    pub name: String,
    pub value: Template,
}

/// The validated configuration shared by every stream of the VM.
#[derive(Debug)]
pub struct Config {
    pub scope: Scope,
    pub send_to_consumer: bool,
    pub invocation_type: InvocationType,
    pub cluster: String,
    pub target: InvokeTarget,
    pub payload: Option<Template>,
    pub variables: Vec<Variable>,
    pub timeout: Duration,
    pub credentials: CredentialsConfig,
    /// `#properties` of the templates.
    pub properties: Value,
    /// What the templates read, so streams capture only that.
    pub needs: Needs,
    pub retry: RetryPolicy,
    /// `maxBufferedBytes`: the VM's budget for bytes held by streams.
    pub max_buffered_bytes: usize,
    /// `invokeOnLocalReplies`: response scopes also call the function on
    /// replies made by Envoy or another filter (a 503, a 504), not only on
    /// the upstream's responses.
    pub invoke_on_local_replies: bool,
    /// `responseTemplates`: the answers to errors (empty: the built-in ones).
    pub response_templates: ResponseTemplates,
    /// `condition`: the policy runs only for the requests it is true for.
    pub condition: Option<Condition>,
    /// `onConditionError`: skip the policy (default) or answer 500.
    pub on_condition_error: OnConditionError,
    /// `function`, `region` and `qualifier` of every failure's `#parameters`.
    pub error_params: ErrorParams,
    /// `payloadFormat`, `responseFormat`, `apiGateway`: the function as an API backend.
    pub apigw: crate::core::apigw::Settings,
    /// `holdRequestHeaders`: REQUEST_CONTENT pauses the request headers itself (the
    /// listener's Wasm config sets `allow_on_headers_stop_iteration: true`), so no
    /// buffer filter is needed after this one.
    pub hold_request_headers: bool,
}

/// Retries of throttled, 5xx and failed calls, as AWS SDKs do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (`maxAttempts`, default 3; 1 = no retry).
    pub max_attempts: u32,
    /// Back-off before retry n: between half and all of `base * 2^(n-1)`, at most `cap`.
    pub base: Duration,
    pub cap: Duration,
    /// `apiCallTimeoutMs`: no retry that could end after it.
    pub budget: Option<Duration>,
}

/// Which parts of the exchange the templates reference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// `#request` (its headers are read at request headers, its body kept in
    /// REQUEST_CONTENT); a template that never reads it costs no header copy.
    pub request: bool,
    /// `#request` beyond its `content` (headers, path, method, timestamp…):
    /// when only the content is read, no header is copied into the VM.
    pub request_headers: bool,
    /// `remoteAddress` / `localAddress` (two property reads per stream).
    pub addresses: bool,
    /// A variable reads `#request` or `#response`: the captured bodies are
    /// kept until the function answered (else they go once the payload is built).
    pub bodies_after_call: bool,
}

/// Why a configuration was refused: the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub field: String,
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid configuration: field `{}`: {}",
            self.field, self.reason
        )
    }
}
