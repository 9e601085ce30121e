//! The policy's errors, with the keys, statuses and messages of the reference
//! Gravitee policy, and the JSON body the consumer receives.

use serde::Serialize;

/// The error keys of the reference policy (Gravitee response templates match on them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKey {
    /// Function error, Lambda API error, transport failure, timeout, credentials failure.
    InvalidResponse,
    /// The Lambda API answered a status outside 2xx that is not an error (< 400).
    InvalidStatusCode,
    /// A variable's template failed to evaluate.
    TemplateVariable,
    /// The payload template failed to evaluate (not in the reference, which fails with 500 too).
    TemplatePayload,
    /// The payload is over Lambda's limit for the invocation type: refused before calling.
    PayloadTooLarge,
    /// The VM's buffer budget (`maxBufferedBytes`) refused this stream's bytes.
    Overloaded,
}

impl ErrorKey {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKey::InvalidResponse => "AWS_LAMBDA_INVALID_RESPONSE",
            ErrorKey::InvalidStatusCode => "AWS_LAMBDA_INVALID_STATUS_CODE",
            ErrorKey::TemplateVariable => "AWS_LAMBDA_TEMPLATE_VARIABLE_EXCEPTION",
            ErrorKey::TemplatePayload => "AWS_LAMBDA_TEMPLATE_PAYLOAD_EXCEPTION",
            ErrorKey::PayloadTooLarge => "AWS_LAMBDA_PAYLOAD_TOO_LARGE",
            ErrorKey::Overloaded => "AWS_LAMBDA_OVERLOADED",
        }
    }

    pub fn status(self) -> u32 {
        match self {
            ErrorKey::InvalidStatusCode => 400,
            ErrorKey::PayloadTooLarge => 413,
            ErrorKey::Overloaded => 503,
            _ => 500,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            ErrorKey::InvalidResponse => "An error occurs while invoking lambda function.",
            ErrorKey::InvalidStatusCode => "Invalid status code from lambda function response.",
            ErrorKey::TemplateVariable => "An error occurs while processing context variables.",
            ErrorKey::TemplatePayload => "An error occurs while building the lambda payload.",
            ErrorKey::PayloadTooLarge => "The lambda payload exceeds the size AWS Lambda accepts.",
            ErrorKey::Overloaded => {
                "The gateway holds too many request bodies to take this one now."
            }
        }
    }
}

/// An error the consumer sees. `details` never holds a secret or a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub key: ErrorKey,
    pub details: String,
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
        }
    }

    pub fn status(&self) -> u32 {
        self.key.status()
    }

    /// The default Gravitee error body: `{"message", "http_status_code", "key", "details"}`.
    pub fn body(&self) -> String {
        let body = ErrorBody {
            message: self.key.message(),
            http_status_code: self.key.status(),
            key: self.key.as_str(),
            details: &self.details,
        };
        serde_json::to_string(&body).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_message_status_and_key() {
        let e = PolicyError::new(ErrorKey::InvalidResponse, "Status Code: 403");
        let v: serde_json::Value = serde_json::from_str(&e.body()).unwrap();
        assert_eq!(
            v["message"],
            "An error occurs while invoking lambda function."
        );
        assert_eq!(v["http_status_code"], 500);
        assert_eq!(v["key"], "AWS_LAMBDA_INVALID_RESPONSE");
        assert_eq!(v["details"], "Status Code: 403");
    }

    #[test]
    fn invalid_status_code_is_400() {
        let e = PolicyError::new(ErrorKey::InvalidStatusCode, "");
        assert_eq!(e.status(), 400);
        let v: serde_json::Value = serde_json::from_str(&e.body()).unwrap();
        assert!(v.get("details").is_none());
    }
}
