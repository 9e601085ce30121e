//! Which precise key a failed Lambda call gets, from what its answer tells:
//! how the call ended, the Lambda API's status and its error type.

use super::ErrorKey;

/// How a call failed, as the caller classified the answer (the failing
/// outcomes of the callout, and credentials that could not be had).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `X-Amz-Function-Error` on a 2xx answer.
    Function,
    /// The Lambda API answered a status that is not 2xx.
    Api,
    /// No answer within the timeout.
    Timeout,
    /// No answer: connection failed or reset, Envoy's own 503, unknown cluster.
    Transport,
    /// An answer over Lambda's response limit.
    Oversized,
}

/// AWS error types that mean the caller was refused (signature, token, permission).
const ACCESS_DENIED: &[&str] = &[
    "AccessDeniedException",
    "AccessDenied",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignature",
    "IncompleteSignatureException",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "KMSAccessDeniedException",
];

/// AWS error types that mean the call was throttled.
const THROTTLED: &[&str] = &[
    "TooManyRequestsException",
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestLimitExceeded",
];

/// AWS error types that mean the function (or its version or alias) does not exist.
const NOT_FOUND: &[&str] = &["ResourceNotFoundException"];

/// The bare AWS error type: `x-amzn-ErrorType` carries `Type:namespace-url`,
/// JSON bodies `namespace#Type`.
pub fn error_type_name(raw: &str) -> &str {
    let head = raw.split(':').next().unwrap_or(raw);
    head.rsplit('#').next().unwrap_or(head).trim()
}

/// The precise key of a failed call. `status` is the Lambda API's HTTP
/// status, `error_type` its AWS error type (raw or bare). A status below 400
/// keeps Gravitee's `AWS_LAMBDA_INVALID_STATUS_CODE`; otherwise the error
/// type decides first, then the status: 429 throttled, 401/403 access
/// denied, 404 not found, another 4xx/5xx an API error.
pub fn classify(fault: Fault, status: Option<u16>, error_type: Option<&str>) -> ErrorKey {
    match fault {
        Fault::Function => ErrorKey::FunctionError,
        Fault::Timeout => ErrorKey::Timeout,
        Fault::Transport => ErrorKey::Unreachable,
        Fault::Oversized => ErrorKey::ResponseTooLarge,
        Fault::Api => api_key(status, error_type.map(error_type_name)),
    }
}

fn api_key(status: Option<u16>, error_type: Option<&str>) -> ErrorKey {
    // Gravitee answers these 400 `AWS_LAMBDA_INVALID_STATUS_CODE`: kept whatever the type.
    if status.is_some_and(|s| s < 400) {
        return ErrorKey::InvalidStatusCode;
    }
    if let Some(t) = error_type {
        for (names, key) in [
            (THROTTLED, ErrorKey::Throttled),
            (ACCESS_DENIED, ErrorKey::AccessDenied),
            (NOT_FOUND, ErrorKey::NotFound),
        ] {
            if names.iter().any(|n| n.eq_ignore_ascii_case(t)) {
                return key;
            }
        }
    }
    match status {
        Some(429) => ErrorKey::Throttled,
        Some(401) | Some(403) => ErrorKey::AccessDenied,
        Some(404) => ErrorKey::NotFound,
        _ => ErrorKey::ApiError,
    }
}
