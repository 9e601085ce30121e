//! Fetching temporary credentials through HTTP callouts, one step at a time.
//!
//! The core never talks to the network: a [`Fetch`] hands out the
//! [`CalloutRequest`]s to send and is fed the answers, until it is
//! [`Step::Done`]. The glue dispatches the calls from the root context.

// Kept for `glue/root.rs`: the chain is built in `chain.rs`.
pub use crate::core::credentials::chain::fetcher_for;
use crate::core::credentials::Credentials;
use std::fmt;
use std::time::{Duration, SystemTime};

/// Header names whose values are secrets (or let one obtain secrets).
const SECRET_HEADERS: [&str; 3] = [
    "authorization",
    "x-amz-security-token",
    "x-aws-ec2-metadata-token",
];

/// One HTTP callout the glue sends from the root context: headers include :method, :path, :authority.
#[derive(Clone, PartialEq, Eq)]
pub struct CalloutRequest {
    pub cluster: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub timeout: Duration,
}

impl CalloutRequest {
    /// The value of the header `name` (lowercase), if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Prints the request with the values of credential-bearing headers redacted.
impl fmt::Debug for CalloutRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let secret = SECRET_HEADERS.iter().any(|s| n.eq_ignore_ascii_case(s));
                (n.as_str(), if secret { "***" } else { v.as_str() })
            })
            .collect();
        f.debug_struct("CalloutRequest")
            .field("cluster", &self.cluster)
            .field("headers", &headers)
            .field("body_bytes", &self.body.len())
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A multi-step credentials fetch (STS: 1 call; container: 1 call; IMDSv2: token PUT, role-name GET, credentials GET).
#[derive(Debug)]
pub enum Step {
    Call(CalloutRequest),
    Done(Result<Credentials, String>),
}

/// A credentials source reached through callouts. `Debug` must not print secrets.
pub trait Fetch: fmt::Debug {
    /// First call of a fresh fetch.
    fn start(&mut self, now: SystemTime) -> Step;
    /// The answer to the last call: `status` None = transport failure (no :status).
    fn on_answer(
        &mut self,
        status: Option<u16>,
        headers: &[(String, String)],
        body: &[u8],
        now: SystemTime,
    ) -> Step;
}

/// A transport failure or a non-2xx status as an error text, or Ok for 2xx.
pub(crate) fn check_status(status: Option<u16>, what: &str, cluster: &str) -> Result<(), String> {
    match status {
        None => Err(format!("{what} unreachable through cluster {cluster}")),
        Some(s) if (200..300).contains(&s) => Ok(()),
        Some(s) => Err(format!("{what} answered status {s}")),
    }
}

#[cfg(test)]
#[path = "fetch_tests.rs"]
mod tests;
