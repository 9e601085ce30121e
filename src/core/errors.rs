//! The policy's errors, with the keys, statuses and messages of the reference
//! Gravitee policy, and the JSON body the consumer receives.
//!
//! Each failure carries a precise key ([`ErrorKey::FunctionError`],
//! [`ErrorKey::Timeout`]…). Most precise keys refine a Gravitee key, their
//! parent: the consumer's default answer (status, message, the body's `key`)
//! stays the parent's, so nothing changes for a consumer that knew only the
//! Gravitee keys; response templates and access logs see the precise key.

mod classify;
#[cfg(test)]
#[path = "errors_tests.rs"]
mod tests;

#[cfg(any(test, feature = "testing"))]
pub use classify::error_type_name;
pub use classify::{classify, Fault};

use serde::Serialize;

/// The error keys: Gravitee's (response templates match on them) and the
/// precise ones that refine them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKey {
    /// Gravitee's key for every failed call: the precise keys below say which.
    InvalidResponse,
    /// The Lambda API answered a status outside 2xx that is not an error (< 400).
    InvalidStatusCode,
    /// A variable's template failed to evaluate.
    TemplateVariable,
    /// The payload template failed to evaluate (not in the reference, which fails with 500 too).
    TemplatePayload,
    /// The payload is over Lambda's limit for the invocation type: refused before calling.
    PayloadTooLarge,
    /// The function failed (`X-Amz-Function-Error`).
    FunctionError,
    /// No answer within the timeout.
    Timeout,
    /// The Lambda API could not be reached (connection failed or reset, unknown cluster).
    Unreachable,
    /// The Lambda API throttled the call (429).
    Throttled,
    /// The Lambda API refused the signature or the permission (401, 403).
    AccessDenied,
    /// No such function, version or alias (404).
    NotFound,
    /// Any other 4xx or 5xx of the Lambda API.
    ApiError,
    /// No credentials could be had (STS, container endpoint, IMDS).
    CredentialsError,
    /// The answer is over Lambda's 6 MB response limit.
    ResponseTooLarge,
    /// The function's answer is not a valid API Gateway proxy response (502).
    InvalidProxyResponse,
    /// The filter refused the stream: its per-VM memory budget is spent (503).
    Overloaded,
    /// The `condition` could not be evaluated and `onConditionError` is
    /// `FAIL`: Gravitee's legacy engine answers its policy-error key (500).
    PolicyInternal,
}

impl ErrorKey {
    /// Every key, Gravitee's first.
    pub const ALL: [ErrorKey; 17] = [
        ErrorKey::InvalidResponse,
        ErrorKey::InvalidStatusCode,
        ErrorKey::TemplateVariable,
        ErrorKey::TemplatePayload,
        ErrorKey::PayloadTooLarge,
        ErrorKey::FunctionError,
        ErrorKey::Timeout,
        ErrorKey::Unreachable,
        ErrorKey::Throttled,
        ErrorKey::AccessDenied,
        ErrorKey::NotFound,
        ErrorKey::ApiError,
        ErrorKey::CredentialsError,
        ErrorKey::ResponseTooLarge,
        ErrorKey::InvalidProxyResponse,
        ErrorKey::Overloaded,
        ErrorKey::PolicyInternal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKey::InvalidResponse => "AWS_LAMBDA_INVALID_RESPONSE",
            ErrorKey::InvalidStatusCode => "AWS_LAMBDA_INVALID_STATUS_CODE",
            ErrorKey::TemplateVariable => "AWS_LAMBDA_TEMPLATE_VARIABLE_EXCEPTION",
            ErrorKey::TemplatePayload => "AWS_LAMBDA_TEMPLATE_PAYLOAD_EXCEPTION",
            ErrorKey::PayloadTooLarge => "AWS_LAMBDA_PAYLOAD_TOO_LARGE",
            ErrorKey::FunctionError => "AWS_LAMBDA_FUNCTION_ERROR",
            ErrorKey::Timeout => "AWS_LAMBDA_TIMEOUT",
            ErrorKey::Unreachable => "AWS_LAMBDA_UNREACHABLE",
            ErrorKey::Throttled => "AWS_LAMBDA_THROTTLED",
            ErrorKey::AccessDenied => "AWS_LAMBDA_ACCESS_DENIED",
            ErrorKey::NotFound => "AWS_LAMBDA_NOT_FOUND",
            ErrorKey::ApiError => "AWS_LAMBDA_API_ERROR",
            ErrorKey::CredentialsError => "AWS_LAMBDA_CREDENTIALS_ERROR",
            ErrorKey::ResponseTooLarge => "AWS_LAMBDA_RESPONSE_TOO_LARGE",
            ErrorKey::InvalidProxyResponse => "AWS_LAMBDA_INVALID_PROXY_RESPONSE",
            ErrorKey::Overloaded => "AWS_LAMBDA_OVERLOADED",
            ErrorKey::PolicyInternal => "GATEWAY_POLICY_INTERNAL_ERROR",
        }
    }

    /// The key named `name` (exact, as [`ErrorKey::as_str`] spells it).
    pub fn from_name(name: &str) -> Option<ErrorKey> {
        ErrorKey::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The Gravitee key this one refines (`parentErrorKey`): response
    /// templates fall back to it when the key itself has none.
    pub fn parent(self) -> Option<ErrorKey> {
        match self {
            ErrorKey::FunctionError
            | ErrorKey::Timeout
            | ErrorKey::Unreachable
            | ErrorKey::Throttled
            | ErrorKey::AccessDenied
            | ErrorKey::NotFound
            | ErrorKey::ApiError
            | ErrorKey::CredentialsError
            | ErrorKey::ResponseTooLarge
            | ErrorKey::InvalidProxyResponse => Some(ErrorKey::InvalidResponse),
            ErrorKey::InvalidResponse
            | ErrorKey::InvalidStatusCode
            | ErrorKey::TemplateVariable
            | ErrorKey::TemplatePayload
            | ErrorKey::PayloadTooLarge
            | ErrorKey::Overloaded
            | ErrorKey::PolicyInternal => None,
        }
    }

    /// The key the consumer's default answer names (status, message, the
    /// body's `key`): the parent for a key that only refines a case Gravitee
    /// already answered, the key itself for a new kind of failure.
    pub fn answered(self) -> ErrorKey {
        match self {
            ErrorKey::InvalidProxyResponse | ErrorKey::Overloaded => self,
            _ => self.parent().unwrap_or(self),
        }
    }

    /// The status the consumer gets by default (that of [`ErrorKey::answered`]).
    pub fn status(self) -> u32 {
        match self.answered() {
            ErrorKey::InvalidStatusCode => 400,
            ErrorKey::PayloadTooLarge => 413,
            ErrorKey::InvalidProxyResponse => 502,
            ErrorKey::Overloaded => 503,
            _ => 500,
        }
    }

    /// The message of the default answer (that of [`ErrorKey::answered`]).
    pub fn message(self) -> &'static str {
        match self.answered() {
            ErrorKey::InvalidStatusCode => "Invalid status code from lambda function response.",
            ErrorKey::TemplateVariable => "An error occurs while processing context variables.",
            ErrorKey::TemplatePayload => "An error occurs while building the lambda payload.",
            ErrorKey::PayloadTooLarge => "The lambda payload exceeds the size AWS Lambda accepts.",
            ErrorKey::InvalidProxyResponse => {
                "The lambda function's answer is not a valid proxy response."
            }
            ErrorKey::Overloaded => "The gateway is too busy to invoke the lambda function.",
            ErrorKey::PolicyInternal => "An error occurs while evaluating the policy condition.",
            _ => "An error occurs while invoking lambda function.",
        }
    }
}

/// The parameters of a failure (`#parameters` in response templates); each
/// is set when known. `parentErrorKey` comes from the key itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorParams {
    pub function: Option<String>,
    pub region: Option<String>,
    pub qualifier: Option<String>,
    /// The Lambda API's HTTP status.
    pub status: Option<u16>,
    /// The AWS error type (`x-amzn-ErrorType` before any `:`).
    pub aws_error_type: Option<String>,
    /// `x-amzn-RequestId`.
    pub aws_request_id: Option<String>,
    /// `X-Amz-Function-Error` (`Handled`, `Unhandled`).
    pub function_error: Option<String>,
}

/// An error the consumer sees. `details` never holds a secret or a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// The precise key (`wasm.lambda_error_key`, response templates).
    pub key: ErrorKey,
    pub details: String,
    /// Boxed: a `Result<_, PolicyError>` stays small on the success path.
    pub params: Box<ErrorParams>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    message: &'a str,
    http_status_code: u32,
    key: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    details: &'a str,
}

impl PolicyError {
    pub fn new(key: ErrorKey, details: impl Into<String>) -> Self {
        PolicyError {
            key,
            details: details.into(),
            params: Box::default(),
        }
    }

    /// The same error with these parameters.
    pub fn with_params(mut self, params: ErrorParams) -> Self {
        self.params = Box::new(params);
        self
    }

    /// The default status (the Gravitee key's).
    pub fn status(&self) -> u32 {
        self.key.status()
    }

    /// The default message (the Gravitee key's).
    pub fn message(&self) -> &'static str {
        self.key.message()
    }

    /// `parentErrorKey`.
    pub fn parent(&self) -> Option<ErrorKey> {
        self.key.parent()
    }

    /// The default Gravitee error body: `{"message", "http_status_code", "key", "details"}`,
    /// `key` being the Gravitee key ([`ErrorKey::answered`]).
    pub fn body(&self) -> String {
        let body = ErrorBody {
            message: self.message(),
            http_status_code: self.status(),
            key: self.key.answered().as_str(),
            details: &self.details,
        };
        serde_json::to_string(&body).unwrap_or_default()
    }
}
