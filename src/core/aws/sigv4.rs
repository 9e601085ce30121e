//! SigV4 signing of a request we send through an Envoy callout, with `aws-sigv4`.

use crate::core::credentials::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use std::time::SystemTime;

/// What is signed: everything the callout will carry that SigV4 covers.
pub struct Signable<'a> {
    pub method: &'a str,
    /// `host[:port]`, sent as `:authority`.
    pub authority: &'a str,
    /// Path and query exactly as they go on the wire (already percent-encoded once).
    pub path_and_query: &'a str,
    /// Headers to sign besides `host` (lowercase names).
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
    pub service: &'a str,
    pub region: &'a str,
    pub time: SystemTime,
}

/// Signs and returns the headers to add to the request: `authorization`,
/// `x-amz-date` and, for temporary credentials, `x-amz-security-token`.
/// The error text names what was wrong, never a credential.
pub fn sign_headers(
    req: &Signable<'_>,
    creds: &Credentials,
) -> Result<Vec<(String, String)>, String> {
    let identity = aws_credential_types::Credentials::new(
        creds.access_key_id.clone(),
        creds.secret_access_key.expose().to_string(),
        creds.session_token.as_ref().map(|t| t.expose().to_string()),
        None,
        "envoy-lambda-policy",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(req.region)
        .name(req.service)
        .time(req.time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("signing parameters: {e}"))?
        .into();
    let uri = format!("https://{}{}", req.authority, req.path_and_query);
    let signable = SignableRequest::new(
        req.method,
        &uri,
        req.headers.iter().copied(),
        SignableBody::Bytes(req.body),
    )
    .map_err(|e| format!("request cannot be signed: {e}"))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| format!("signing failed: {e}"))?
        .into_parts();
    let (headers, _query) = instructions.into_parts();
    Ok(headers
        .into_iter()
        .map(|h| (h.name().to_string(), h.value().to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn creds(token: Option<&str>) -> Credentials {
        Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            token.map(str::to_string),
        )
    }

    fn signable<'a>(path: &'a str, headers: &'a [(&'a str, &'a str)]) -> Signable<'a> {
        Signable {
            method: "POST",
            authority: "lambda.us-east-1.amazonaws.com",
            path_and_query: path,
            headers,
            body: b"{}",
            service: "lambda",
            region: "us-east-1",
            // 2015-08-30T12:36:00Z, the date of the AWS test suite.
            time: UNIX_EPOCH + Duration::from_secs(1_440_938_160),
        }
    }

    fn header<'a>(hs: &'a [(String, String)], name: &str) -> Option<&'a str> {
        hs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn signs_with_date_scope_and_signed_headers() {
        let hs = sign_headers(
            &signable(
                "/2015-03-31/functions/demo/invocations",
                &[("x-amz-invocation-type", "RequestResponse")],
            ),
            &creds(None),
        )
        .unwrap();
        assert_eq!(header(&hs, "x-amz-date"), Some("20150830T123600Z"));
        let auth = header(&hs, "authorization").unwrap();
        assert!(auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date;x-amz-invocation-type, Signature="
        ), "{auth}");
        assert!(header(&hs, "x-amz-security-token").is_none());
        assert!(!format!("{hs:?}").contains("wJalrXUtnFEMI"));
    }

    #[test]
    fn session_token_is_sent_and_signed() {
        let hs = sign_headers(&signable("/x", &[]), &creds(Some("TOKEN123"))).unwrap();
        assert_eq!(header(&hs, "x-amz-security-token"), Some("TOKEN123"));
        assert!(header(&hs, "authorization")
            .unwrap()
            .contains("x-amz-security-token"));
    }

    #[test]
    fn escaped_colon_changes_the_signature() {
        // `%3A` on the wire is canonicalised as `%253A`: it must sign differently from a raw `:`.
        let a = sign_headers(
            &signable("/2015-03-31/functions/a%3Alive/invocations", &[]),
            &creds(None),
        )
        .unwrap();
        let b = sign_headers(
            &signable("/2015-03-31/functions/a:live/invocations", &[]),
            &creds(None),
        )
        .unwrap();
        assert_ne!(header(&a, "authorization"), header(&b, "authorization"));
    }
}
