//! One HTTP callout the filter sends (the Lambda Invoke, or a credentials
//! call from the root context): its cluster, headers (pseudo-headers first),
//! body and timeout, and the header lookup by name.

use std::fmt;
use std::time::Duration;

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

/// A callout as the host sends it, borrowed: from a [`CalloutRequest`] or
/// from the stream's own signed headers and payload.
#[derive(Debug, Clone, Copy)]
pub struct Callout<'a> {
    pub cluster: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    pub timeout: Duration,
}

impl CalloutRequest {
    /// This request as the host sends it.
    pub fn as_callout(&self) -> Callout<'_> {
        Callout {
            cluster: &self.cluster,
            headers: &self.headers,
            body: &self.body,
            timeout: self.timeout,
        }
    }

    /// A body-less callout to `cluster` with its pseudo-headers.
    pub(crate) fn new(
        cluster: &str,
        method: &str,
        path: String,
        authority: &str,
        timeout: Duration,
    ) -> Self {
        CalloutRequest {
            cluster: cluster.to_string(),
            headers: pseudo_headers(method, path, authority, 4),
            body: Vec::new(),
            timeout,
        }
    }

    /// Adds the header `name` (lowercase) after those already there.
    pub(crate) fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub(crate) fn with_body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    /// The value of the header `name` (lowercase), if set.
    #[cfg(test)]
    pub fn header(&self, name: &str) -> Option<&str> {
        header_value(&self.headers, name)
    }
}

/// `:method`, `:path` and `:authority`, the first headers of every callout,
/// with room for `more`.
pub(crate) fn pseudo_headers(
    method: &str,
    path: String,
    authority: &str,
    more: usize,
) -> Vec<(String, String)> {
    let mut headers = Vec::with_capacity(3 + more);
    headers.push((":method".to_string(), method.to_string()));
    headers.push((":path".to_string(), path));
    headers.push((":authority".to_string(), authority.to_string()));
    headers
}

/// The value of the header `name` in `headers`; names are compared as given
/// (the proxy hands them in lowercase, and so does this crate).
pub fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The `:status` of a callout's answer (None: a transport failure, no status).
pub fn status_of(headers: &[(String, String)]) -> Option<u16> {
    header_value(headers, ":status").and_then(|v| v.parse().ok())
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

#[cfg(test)]
#[path = "callout_tests.rs"]
mod tests;
