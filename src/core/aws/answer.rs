//! Interpreting the callout's answer: success, function error, API error,
//! transport failure or timeout.

use crate::core::errors::{ErrorKey, PolicyError};
use base64::Engine;

/// The largest answer the filter accepts: Lambda's own limit for a synchronous
/// response (6 MB). A larger one cannot come from Lambda; the glue reads at
/// most one byte more, so such an answer never fills the VM's memory.
pub const MAX_ANSWER_BYTES: usize = 6 * 1024 * 1024;

/// What came back from the Lambda API, headers already picked out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LambdaAnswer {
    /// `None`: the callout got no `:status` (reset, refused connection).
    pub status: Option<u16>,
    pub function_error: Option<String>,
    /// `X-Amz-Log-Result`, base64-decoded (lossy UTF-8).
    pub log_result: Option<String>,
    pub executed_version: Option<String>,
    pub request_id: Option<String>,
    pub error_type: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// How the invocation ended, for stats and the filter state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    FunctionError,
    ApiError,
    Timeout,
    TransportError,
    /// A body over [`MAX_ANSWER_BYTES`].
    Oversized,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::FunctionError => "function_error",
            Outcome::ApiError => "api_error",
            Outcome::Timeout => "timeout",
            Outcome::TransportError => "transport_error",
            Outcome::Oversized => "oversized",
        }
    }
}

impl LambdaAnswer {
    pub fn from_callout<S: AsRef<str>>(headers: &[(S, S)], body: Vec<u8>) -> Self {
        let mut a = LambdaAnswer {
            body,
            ..Default::default()
        };
        for (name, value) in headers {
            let (name, value) = (name.as_ref(), value.as_ref());
            let v = || Some(value.to_string());
            // Envoy hands header names in lowercase; compare without allocating.
            let is = |n: &str| name.eq_ignore_ascii_case(n);
            if is(":status") {
                a.status = value.parse().ok();
            } else if is("x-amz-function-error") {
                a.function_error = v();
            } else if is("x-amz-log-result") {
                a.log_result = base64::engine::general_purpose::STANDARD
                    .decode(value.trim())
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).into_owned());
            } else if is("x-amz-executed-version") {
                a.executed_version = v();
            } else if is("x-amzn-requestid") {
                a.request_id = v();
            } else if is("x-amzn-errortype") {
                a.error_type = v();
            } else if is("content-type") {
                a.content_type = v();
            }
        }
        a
    }

    /// Classifies the answer. `timed_out` says the callout reached its deadline
    /// (Envoy answers a callout timeout with a local 504 or with no status).
    pub fn outcome(&self, timed_out: bool) -> Outcome {
        if self.body.len() > MAX_ANSWER_BYTES {
            return Outcome::Oversized;
        }
        match self.status {
            None if timed_out => Outcome::Timeout,
            None => Outcome::TransportError,
            Some(504) if timed_out && self.request_id.is_none() => Outcome::Timeout,
            // Envoy's own answer when it cannot reach the cluster ("upstream
            // connect error", "no healthy upstream"): Lambda always names its request.
            Some(503) if self.request_id.is_none() && self.error_type.is_none() => {
                Outcome::TransportError
            }
            Some(s) if (200..300).contains(&s) && self.function_error.is_none() => Outcome::Success,
            Some(s) if (200..300).contains(&s) => Outcome::FunctionError,
            Some(_) if self.request_id.is_none() && self.error_type.is_none() && timed_out => {
                Outcome::Timeout
            }
            Some(_) => Outcome::ApiError,
        }
    }

    /// `Ok` on success, else the error the consumer gets, with details that name
    /// the status and AWS error type (never a body: it may carry user data).
    pub fn verdict(&self, outcome: Outcome, timeout_ms: u64) -> Result<(), PolicyError> {
        let invalid = |details: String| Err(PolicyError::new(ErrorKey::InvalidResponse, details));
        match outcome {
            Outcome::Success => Ok(()),
            Outcome::Timeout => invalid(format!(
                "Lambda did not answer within {timeout_ms} ms (timeout)"
            )),
            Outcome::TransportError => {
                invalid("Lambda API unreachable: connection failed or reset".to_string())
            }
            Outcome::Oversized => invalid(format!(
                "Status Code: {}; the answer is larger than {MAX_ANSWER_BYTES} bytes, Lambda's response limit",
                self.status.unwrap_or_default()
            )),
            Outcome::FunctionError => invalid(format!(
                "Status Code: {}; Function Error: {}",
                self.status.unwrap_or_default(),
                self.function_error.as_deref().unwrap_or("Unhandled")
            )),
            Outcome::ApiError => {
                let status = self.status.unwrap_or_default();
                let mut details = format!("Status Code: {status}");
                if let Some(t) = self.aws_error_type() {
                    details.push_str("; Error Code: ");
                    details.push_str(&t);
                }
                if let Some(id) = &self.request_id {
                    details.push_str("; Request ID: ");
                    details.push_str(id);
                }
                if status < 400 {
                    return Err(PolicyError::new(ErrorKey::InvalidStatusCode, details));
                }
                invalid(details)
            }
        }
    }

    /// The AWS error type: `x-amzn-ErrorType` (before any `:`), else `__type`/`Type` of a JSON body.
    pub fn aws_error_type(&self) -> Option<String> {
        if let Some(t) = &self.error_type {
            return t.split(':').next().map(str::to_string);
        }
        let v: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        let t = v
            .get("__type")
            .or_else(|| v.get("Type"))
            .or_else(|| v.get("code"))?
            .as_str()?;
        Some(t.rsplit('#').next().unwrap_or(t).to_string())
    }
}

#[cfg(test)]
#[path = "answer_tests.rs"]
mod tests;
