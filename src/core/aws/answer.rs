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
mod tests {
    use super::*;

    fn answer(headers: &[(&str, &str)], body: &str) -> LambdaAnswer {
        LambdaAnswer::from_callout(headers, body.as_bytes().to_vec())
    }

    #[test]
    fn ok_is_success() {
        let a = answer(
            &[(":status", "200"), ("X-Amz-Executed-Version", "$LATEST")],
            "{}",
        );
        assert_eq!(a.outcome(false), Outcome::Success);
        assert_eq!(a.executed_version.as_deref(), Some("$LATEST"));
        assert!(a.verdict(Outcome::Success, 1).is_ok());
    }

    #[test]
    fn an_answer_over_lambdas_limit_is_refused_whatever_its_status() {
        let limit = LambdaAnswer::from_callout(&[(":status", "200")], vec![b'x'; MAX_ANSWER_BYTES]);
        assert_eq!(limit.outcome(false), Outcome::Success);
        let over =
            LambdaAnswer::from_callout(&[(":status", "200")], vec![b'x'; MAX_ANSWER_BYTES + 1]);
        assert_eq!(over.outcome(false), Outcome::Oversized);
        let e = over.verdict(Outcome::Oversized, 1).unwrap_err();
        assert_eq!(e.key, ErrorKey::InvalidResponse);
        assert!(e.details.contains("6291456 bytes"), "{}", e.details);
    }

    #[test]
    fn event_and_dry_run_statuses_are_success() {
        assert_eq!(
            answer(&[(":status", "202")], "").outcome(false),
            Outcome::Success
        );
        assert_eq!(
            answer(&[(":status", "204")], "").outcome(false),
            Outcome::Success
        );
    }

    #[test]
    fn function_error_is_invalid_response() {
        let a = answer(
            &[(":status", "200"), ("x-amz-function-error", "Handled")],
            "{\"errorMessage\":\"boom\"}",
        );
        assert_eq!(a.outcome(false), Outcome::FunctionError);
        let e = a.verdict(Outcome::FunctionError, 1).unwrap_err();
        assert_eq!(e.key, ErrorKey::InvalidResponse);
        assert_eq!(e.details, "Status Code: 200; Function Error: Handled");
        assert!(!e.body().contains("boom"));
    }

    #[test]
    fn api_error_names_status_and_type() {
        let a = answer(
            &[
                (":status", "403"),
                ("x-amzn-ErrorType", "SignatureDoesNotMatch:http://internal"),
                ("x-amzn-RequestId", "r-1"),
            ],
            "{\"message\":\"nope\"}",
        );
        let e = a.verdict(a.outcome(false), 1).unwrap_err();
        assert_eq!(e.status(), 500);
        assert_eq!(
            e.details,
            "Status Code: 403; Error Code: SignatureDoesNotMatch; Request ID: r-1"
        );
    }

    #[test]
    fn error_type_from_json_body() {
        let a = answer(
            &[(":status", "429")],
            "{\"__type\":\"com.amazon#TooManyRequestsException\",\"message\":\"x\"}",
        );
        let e = a.verdict(a.outcome(false), 1).unwrap_err();
        assert_eq!(
            e.details,
            "Status Code: 429; Error Code: TooManyRequestsException"
        );
    }

    #[test]
    fn redirect_is_invalid_status_code() {
        let a = answer(&[(":status", "302")], "");
        let e = a.verdict(a.outcome(false), 1).unwrap_err();
        assert_eq!(e.key, ErrorKey::InvalidStatusCode);
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn envoys_own_503_is_a_transport_failure_but_lambdas_is_not() {
        let envoy = answer(&[(":status", "503")], "upstream connect error");
        assert_eq!(envoy.outcome(false), Outcome::TransportError);
        let lambda = answer(
            &[
                (":status", "503"),
                ("x-amzn-RequestId", "r-1"),
                ("x-amzn-ErrorType", "ServiceException"),
            ],
            "{}",
        );
        assert_eq!(lambda.outcome(false), Outcome::ApiError);
    }

    #[test]
    fn no_status_is_transport_failure_or_timeout() {
        let a = answer(&[], "");
        assert_eq!(a.outcome(false), Outcome::TransportError);
        assert_eq!(a.outcome(true), Outcome::Timeout);
        let e = a.verdict(Outcome::Timeout, 250).unwrap_err();
        assert!(e.details.contains("250 ms"));
    }

    #[test]
    fn envoy_local_504_at_deadline_is_timeout() {
        assert_eq!(
            answer(&[(":status", "504")], "upstream request timeout").outcome(true),
            Outcome::Timeout
        );
        assert_eq!(
            answer(&[(":status", "504")], "").outcome(false),
            Outcome::ApiError
        );
    }

    #[test]
    fn log_result_is_decoded() {
        let a = answer(&[(":status", "200"), ("x-amz-log-result", "aGVsbG8=")], "");
        assert_eq!(a.log_result.as_deref(), Some("hello"));
    }
}
