//! The target of the Lambda `Invoke` call: where it goes (fixed at
//! configuration time) and the signed headers of one call. (The stream's side
//! of the call, sending it and reading the answer, is `stream/invoke.rs`.)

use super::signing_cache;
use super::sigv4::{new_id, Prepared};
use crate::core::aws::UNRESERVED;
use crate::core::callout::pseudo_headers;
use crate::core::secret::Credentials;
use percent_encoding::utf8_percent_encode;
use std::fmt;
use std::time::SystemTime;

/// Everything about the Invoke call that does not depend on the request.
#[derive(Debug, Clone)]
pub struct InvokeTarget {
    /// `host[:port]` of the endpoint: sent as `:authority` and signed as `host`.
    pub authority: String,
    /// `/2015-03-31/functions/{function}/invocations[?Qualifier=q]`, encoded once.
    pub path_and_query: String,
    pub region: String,
    pub invocation_type: &'static str,
    pub log_type: &'static str,
    /// The signature's request-independent part, computed once.
    signer: Prepared,
    /// The configuration's payload when it has no `{#…}` block.
    fixed: Option<FixedPayload>,
}

/// A payload that is the same for every request: its signed headers are the
/// same for every request of one second with the same credentials, so the
/// signing cache computes them once a second (SigV4 is deterministic: this is
/// exactly what signing again would produce).
#[derive(Clone)]
struct FixedPayload {
    body: Vec<u8>,
    /// Its key in the signing cache.
    id: u64,
}

impl fmt::Debug for FixedPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedPayload")
            .field("bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl InvokeTarget {
    pub fn new(
        authority: &str,
        base_path: &str,
        function: &str,
        qualifier: Option<&str>,
        region: &str,
        invocation_type: &'static str,
        log_type: &'static str,
    ) -> Result<Self, String> {
        let mut path = format!(
            "{}/2015-03-31/functions/{}/invocations",
            base_path.trim_end_matches('/'),
            // RFC 3986 unreserved characters stay; the `:` of an ARN is escaped.
            utf8_percent_encode(function, UNRESERVED)
        );
        if let Some(q) = qualifier {
            path.push_str("?Qualifier=");
            path.extend(utf8_percent_encode(q, UNRESERVED));
        }
        let signer = Prepared::new(
            "POST",
            authority,
            &path,
            &[
                ("x-amz-invocation-type", invocation_type),
                ("x-amz-log-type", log_type),
            ],
            "lambda",
            region,
        )?;
        Ok(InvokeTarget {
            authority: authority.to_string(),
            path_and_query: path,
            region: region.to_string(),
            invocation_type,
            log_type,
            signer,
            fixed: None,
        })
    }

    /// Declares the payload every request sends (a template without blocks).
    pub fn with_fixed_payload(mut self, body: Vec<u8>) -> Self {
        self.fixed = Some(FixedPayload { body, id: new_id() });
        self
    }

    fn sign(
        &self,
        body: &[u8],
        creds: &Credentials,
        now: SystemTime,
    ) -> Result<Vec<(String, String)>, String> {
        match self.fixed.as_ref().filter(|f| f.body == body) {
            Some(fixed) => signing_cache::sign_fixed(fixed.id, &self.signer, body, creds, now),
            None => signing_cache::sign(&self.signer, body, creds, now),
        }
    }

    /// The callout headers (pseudo-headers first) for one invocation with `body`.
    /// Only what we set here reaches Lambda: no downstream header is ever copied.
    pub fn signed_headers(
        &self,
        body: &[u8],
        creds: &Credentials,
        now: SystemTime,
    ) -> Result<Vec<(String, String)>, String> {
        let signed = self.sign(body, creds, now)?;
        let path = self.path_and_query.clone();
        let mut headers = pseudo_headers("POST", path, &self.authority, 5 + signed.len());
        headers.push(("content-type".to_string(), "application/json".to_string()));
        headers.push((
            "x-amz-invocation-type".to_string(),
            self.invocation_type.to_string(),
        ));
        headers.push(("x-amz-log-type".to_string(), self.log_type.to_string()));
        headers.extend(signed);
        Ok(headers)
    }
}

#[cfg(test)]
#[path = "target_tests.rs"]
mod tests;
