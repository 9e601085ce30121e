//! The Lambda `Invoke` request: where it goes (fixed at configuration time)
//! and the signed headers of one call.

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
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn target(function: &str, qualifier: Option<&str>) -> InvokeTarget {
        InvokeTarget::new(
            "lambda.eu-west-1.amazonaws.com",
            "",
            function,
            qualifier,
            "eu-west-1",
            "RequestResponse",
            "None",
        )
        .unwrap()
    }

    #[test]
    fn function_name_path() {
        assert_eq!(
            target("demo", None).path_and_query,
            "/2015-03-31/functions/demo/invocations"
        );
    }

    #[test]
    fn arn_and_alias_colons_are_encoded_once() {
        assert_eq!(
            target("arn:aws:lambda:eu-west-1:123456789012:function:demo", None).path_and_query,
            "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Ademo/invocations"
        );
        assert_eq!(
            target("demo:live", None).path_and_query,
            "/2015-03-31/functions/demo%3Alive/invocations"
        );
    }

    #[test]
    fn qualifier_goes_to_the_query() {
        assert_eq!(
            target("demo", Some("$LATEST")).path_and_query,
            "/2015-03-31/functions/demo/invocations?Qualifier=%24LATEST"
        );
    }

    #[test]
    fn endpoint_base_path_is_prefixed() {
        let t = InvokeTarget::new(
            "h",
            "/function/",
            "demo",
            None,
            "us-east-1",
            "Event",
            "None",
        )
        .unwrap();
        assert_eq!(
            t.path_and_query,
            "/function/2015-03-31/functions/demo/invocations"
        );
    }

    #[test]
    fn a_fixed_payload_is_signed_once_a_second_per_credentials() {
        let t = target("demo", None).with_fixed_payload(b"{\"k\":1}".to_vec());
        let fresh = target("demo", None);
        let a = Credentials::new("AKID", "secret", None);
        let b = Credentials::new("AKID", "secret", Some("tok".into()));
        let c = Credentials::new("AKID", "other", None);
        let t0 = UNIX_EPOCH + std::time::Duration::from_millis(1_764_000_000_100);
        let cases = [
            (&b"{\"k\":1}"[..], &a, t0),
            (b"{\"k\":1}", &a, t0 + std::time::Duration::from_millis(800)),
            (b"{\"k\":1}", &b, t0),
            (b"{\"k\":1}", &c, t0),
            (b"{\"k\":2}", &a, t0),
            (b"{\"k\":1}", &a, t0 + std::time::Duration::from_secs(1)),
            (b"{\"k\":1}", &a, t0),
        ];
        for (body, creds, now) in cases {
            assert_eq!(
                t.signed_headers(body, creds, now).unwrap(),
                fresh.signed_headers(body, creds, now).unwrap()
            );
        }
        let first = t.signed_headers(b"{\"k\":1}", &a, t0).unwrap();
        let later = t
            .signed_headers(b"{\"k\":1}", &a, t0 + std::time::Duration::from_secs(1))
            .unwrap();
        assert_ne!(first, later, "a new second is a new x-amz-date");
    }

    #[test]
    fn headers_carry_invocation_and_log_type_and_signature() {
        let creds = Credentials::new("AKID", "secret", Some("tok".into()));
        let hs = target("demo", None)
            .signed_headers(b"{}", &creds, SystemTime::now())
            .unwrap();
        let get = |n: &str| crate::core::callout::header_value(&hs, n);
        assert_eq!(get(":method"), Some("POST"));
        assert_eq!(get(":authority"), Some("lambda.eu-west-1.amazonaws.com"));
        assert_eq!(get("x-amz-invocation-type"), Some("RequestResponse"));
        assert_eq!(get("x-amz-log-type"), Some("None"));
        assert_eq!(get("x-amz-security-token"), Some("tok"));
        assert!(get("authorization")
            .unwrap()
            .contains("/eu-west-1/lambda/aws4_request"));
    }
}
